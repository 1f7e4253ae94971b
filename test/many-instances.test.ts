// One send per idempotency key across processes: four processes send the same 500 keys at once
// through a real SMTP server (STARTTLS + AUTH), with the journal on a real redis-server, a real
// PostgreSQL and one SQLite file. Exactly 500 messages arrive, one per key, and each key's journal
// entry is the one every process returned.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../src/index.js';
import { memoryAdapter } from '../adapters/memory.js';
import { normalizeMessage } from '../src/kit/index.js';
import { SendJournal } from '../src/journal/journal.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';
import { runFixture } from './helpers/fixture-process.js';
import { startPostgres, type PostgresHandle } from './helpers/postgres-server.js';
import { startRedis, type RedisHandle } from './helpers/redis-server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { createTestTls, type TestTls } from './helpers/tls.js';

const PROCESSES = 4;
const KEYS = 500;
const USER = 'shop@example.com';
const PASS = 'app-password';

let redis: RedisHandle;
let postgres: PostgresHandle;
let tls: TestTls;
let dir: string;

beforeAll(async () => {
  [redis, postgres, tls, dir] = await Promise.all([startRedis(), startPostgres(), createTestTls(), mkdtemp(join(tmpdir(), 'mailroom-instances-'))]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

const journals: Array<[string, () => string]> = [
  ['redis', () => redis.url],
  ['postgres', () => postgres.url],
  ['an sqlite file', () => join(dir, 'shared.sqlite')],
];

describe.each(journals)('one send per key across %s', (kind, journalFor) => {
  let sink: TestSmtpServer;
  afterAll(async () => sink?.close());

  it(`${PROCESSES} processes sending the same ${KEYS} keys at once deliver exactly ${KEYS} messages`, async () => {
    sink = await startSmtpServer({ tls, users: { [USER]: PASS } });
    const journal = journalFor();
    const run = `${kind.replace(/\W/g, '')}-${Date.now().toString(36)}`;
    const keys = Array.from({ length: KEYS }, (_, index) => `order-${run}-${index}`);
    const startAt = Date.now() + 1500; // every process loaded and connected before the first send
    const plan = { smtp: { host: sink.host, port: sink.port, ca: tls.ca, user: USER, pass: PASS }, journal, keys, concurrency: 20, startAt };
    const runs = await Promise.all(Array.from({ length: PROCESSES }, () => runFixture('keyed-sender', plan)));

    for (const result of runs) expect(result.code, result.stderr).toBe(0);
    const outcomes = runs.map((result) => result.lines[0] as { sent: number; deduplicated: number; errors: string[] });
    expect(outcomes.flatMap((outcome) => outcome.errors)).toEqual([]);
    // Every process got a result for every key; exactly one process sent each.
    for (const outcome of outcomes) expect(outcome.sent + outcome.deduplicated).toBe(KEYS);
    expect(outcomes.reduce((sum, outcome) => sum + outcome.sent, 0)).toBe(KEYS);
    // The sink saw each key once.
    const subjects = sink.messages.map((message) => /^Subject: (.*)$/m.exec(message.raw.toString())?.[1]);
    expect(subjects).toHaveLength(KEYS);
    expect(new Set(subjects).size).toBe(KEYS);
    expect(subjects.every((subject) => subject?.startsWith(`Order order-${run}-`))).toBe(true);

    // The journal holds one sent entry per key.
    const reader = createMailer({ adapters: [memoryAdapter()], journal });
    const sent = new Set<string>();
    for (const key of keys) {
      const entry = await reader.journal.findByIdempotencyKey(key);
      expect(entry?.status).toBe('sent');
      sent.add(entry!.id);
    }
    expect(sent.size).toBe(KEYS);
    await reader.close();
  }, 180_000);
});

// Waits until the key's entry is in the journal: the first sender holds it from then on.
async function holding(mailer: ReturnType<typeof createMailer>, key: string): Promise<void> {
  while (!(await mailer.journal.findByIdempotencyKey(key))) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe.each(journals)('a key held by another sender, on %s', (_kind, journalFor) => {
  const slow = (name: string, ms: number, fail?: 'REJECTED') => {
    const inner = scriptedAdapter(name, [fail ? { fail } : 'ok']);
    return { ...inner, send: async (...args: Parameters<typeof inner.send>) => (await new Promise((resolve) => setTimeout(resolve, ms)), inner.send(...args)), inner };
  };

  it('the waiting sender returns the failure of the send it waited for, and sends nothing itself', async () => {
    const journal = journalFor();
    const failing = slow('first', 300, 'REJECTED');
    const second = memoryAdapter();
    const a = createMailer({ adapters: [failing], from: USER, journal });
    const b = createMailer({ adapters: [second], from: USER, journal });
    const key = `wait-${Math.random().toString(36).slice(2)}`;
    const first = a.send({ to: 'ann@example.com', text: 'x', idempotencyKey: key }).catch((error: unknown) => error);
    await holding(a, key);
    await expect(b.send({ to: 'ann@example.com', text: 'x', idempotencyKey: key })).rejects.toMatchObject({ code: 'REJECTED' });
    expect(await first).toMatchObject({ code: 'REJECTED' });
    expect(second.messages).toHaveLength(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('a key that failed earlier is sent again by exactly one of two senders retrying it at once', async () => {
    const journal = journalFor();
    const key = `retry-${Math.random().toString(36).slice(2)}`;
    const down = createMailer({ adapters: [scriptedAdapter('down', [{ fail: 'REJECTED' }])], from: USER, journal });
    const failed = await down.send({ to: 'ann@example.com', text: 'x', idempotencyKey: key }).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'REJECTED' });
    await down.close();
    const adapters = [slow('one', 200), slow('two', 200)];
    const mailers = adapters.map((adapter) => createMailer({ adapters: [adapter], from: USER, journal }));
    const results = await Promise.all(mailers.map((mailer) => mailer.send({ to: 'ann@example.com', text: 'x', idempotencyKey: key })));
    expect(adapters.reduce((sum, adapter) => sum + adapter.inner.delivered.length, 0)).toBe(1);
    expect(results[0]!.id).toBe(results[1]!.id);
    expect(results.filter((result) => result.deduplicated)).toHaveLength(1);
    const entry = await mailers[0]!.journal.get(results[0]!.id);
    expect(entry).toMatchObject({ status: 'sent', resendOf: expect.any(String) });
    await Promise.all(mailers.map((mailer) => mailer.close()));
  });

  it('a key left pending by a stopped process is completed in place by one sender once stale', async () => {
    const journal = journalFor();
    const key = `stale-${Math.random().toString(36).slice(2)}`;
    const store = new SendJournal({ store: journal });
    const message = normalizeMessage({ from: USER, to: 'ann@example.com', text: 'x', idempotencyKey: key });
    const entry = store.createEntry(message, { from: USER, to: 'ann@example.com', text: 'x', idempotencyKey: key });
    await store.write(entry);
    await store.close();
    const adapters = [memoryAdapter(), memoryAdapter()];
    const mailers = adapters.map((adapter) => createMailer({ adapters: [adapter], from: USER, journal, idempotency: { staleAfterMs: 400 } }));
    const results = await Promise.all(mailers.map((mailer) => mailer.send({ to: 'ann@example.com', text: 'x', idempotencyKey: key })));
    expect(results.map((result) => result.id)).toEqual([entry.id, entry.id]);
    expect(adapters[0]!.messages.length + adapters[1]!.messages.length).toBe(1);
    expect([...adapters[0]!.messages, ...adapters[1]!.messages][0]!.messageId).toBe(message.messageId);
    await Promise.all(mailers.map((mailer) => mailer.close()));
  });

  it('a sender gives up with TRANSIENT, naming the entry, when another process holds the key longer than waitMs', async () => {
    const journal = journalFor();
    const key = `held-${Math.random().toString(36).slice(2)}`;
    const holder = createMailer({ adapters: [slow('slow', 1500)], from: USER, journal });
    const waiter = createMailer({ adapters: [memoryAdapter()], from: USER, journal, idempotency: { waitMs: 300 } });
    const first = holder.send({ to: 'ann@example.com', text: 'x', idempotencyKey: key });
    await holding(holder, key);
    await expect(waiter.send({ to: 'ann@example.com', text: 'x', idempotencyKey: key })).rejects.toMatchObject({ code: 'TRANSIENT', message: expect.stringMatching(/is being sent by another process \(journal entry \w+/) });
    expect((await first).deduplicated).toBeUndefined();
    await Promise.all([holder.close(), waiter.close()]);
  });
});
