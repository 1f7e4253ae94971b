// SendJournal.lead: one process among those sharing a journal speaks for a scan they all run (the
// pending alert). Two journals on one SQLite file and on one Redis stand for two processes.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SendJournal } from '../src/journal/journal.js';
import { startRedis, type RedisHandle } from './helpers/redis-server.js';

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
const open: SendJournal[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

const stores: Array<[string, () => Promise<string>]> = [
  ['SQLite', async () => join(await mkdtemp(join(tmpdir(), 'mailroom-lead-')), 'journal.sqlite')],
  ['Redis', async () => `${redis.url}/${Math.floor(Math.random() * 15) + 1}`],
];

describe.each(stores)('journal lead on %s', (_name, store) => {
  it('the first to ask holds it and renews it; another is refused until it is given up or lapses', async () => {
    const where = await store();
    const [a, b] = [new SendJournal({ store: where }), new SendJournal({ store: where })];
    open.push(a, b);
    const name = `scan-${Math.random().toString(36).slice(2)}`;
    expect(await a.lead(name, 'a', 60_000)).toBe(true);
    expect(await b.lead(name, 'b', 60_000)).toBe(false);
    expect(await a.lead(name, 'a', 60_000)).toBe(true);
    // Given up: the other takes it at its next ask.
    await a.leaveLead(name, 'a');
    expect(await b.lead(name, 'b', 300)).toBe(true);
    expect(await a.lead(name, 'a', 300)).toBe(false);
    // A holder that stops asking lets it lapse.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await a.lead(name, 'a', 60_000)).toBe(true);
    // Giving up a lead held by another changes nothing.
    await b.leaveLead(name, 'b');
    expect(await b.lead(name, 'b', 60_000)).toBe(false);
  });
});
