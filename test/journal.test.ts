// The send journal on real stores: an SQLite file (the default), keyv's in-memory store, a real
// redis-server and a real PostgreSQL. The same behaviour is required of each.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, MailError, type MailerOptions } from '../src/index.js';
import { normalizeMessage } from '../src/kit/index.js';
import { SendJournal } from '../src/journal/journal.js';
import { memoryAdapter } from '../adapters/memory.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';
import { startRedis, type RedisHandle } from './helpers/redis-server.js';
import { startPostgres, type PostgresHandle } from './helpers/postgres-server.js';

let redis: RedisHandle;
let postgres: PostgresHandle;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailroom-journal-'));
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

const stores: Array<[string, () => string | Keyv]> = [
  ['sqlite', () => join(dir, `${Math.random().toString(36).slice(2)}.sqlite`)],
  // One keyv in-memory store per test, shared by the mailers of that test.
  ['memory', () => new Keyv()],
  // A fresh Redis database per test would need FLUSHDB; a unique namespace is not exposed, so each
  // test's assertions only look at entries it wrote (by recipient) or use a clean store.
  ['redis', () => redis.url],
  ['postgres', () => postgres.url],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(stores)('journal on %s', (kind, storeFor) => {
  const fresh = (options: Partial<MailerOptions> = {}, journal: Record<string, unknown> = {}) => {
    const store = storeFor();
    const adapter = memoryAdapter();
    const mailer = createMailer({ adapters: [adapter], from: 'Shop <shop@example.com>', journal: { store, ...journal }, ...options });
    return { mailer, adapter, store };
  };
  const unique = () => `${kind}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.com`;

  it('writes a sent entry with the summary, every attempt and the content needed to resend', async () => {
    const { mailer } = fresh();
    const to = unique();
    const result = await mailer.send({ to: `Ann <${to}>`, cc: 'cc@example.com', subject: 'Order 1042', html: '<p>Thanks</p>', tags: ['orders'], attachments: [{ filename: 'invoice.pdf', content: new Uint8Array([37, 80, 68, 70]) }] });
    const entry = await mailer.journal.get(result.id);
    expect(entry).toMatchObject({
      id: result.id,
      status: 'sent',
      adapter: 'memory',
      providerMessageId: result.providerMessageId,
      messageId: result.messageId,
      summary: { from: 'Shop <shop@example.com>', to: [`Ann <${to}>`], cc: ['cc@example.com'], subject: 'Order 1042', tags: ['orders'], attachments: ['invoice.pdf'] },
    });
    expect(entry!.summary.sizes).toEqual({ html: 13, text: 0, attachments: 4 });
    expect(entry!.attempts).toEqual([expect.objectContaining({ adapter: 'memory', ok: true })]);
    expect(entry!.content).toMatchObject({ subject: 'Order 1042', html: '<p>Thanks</p>' });
    await mailer.close();
  });

  it('keeps no bodies with storeContent: false', async () => {
    const { mailer } = fresh({}, { storeContent: false });
    const result = await mailer.send({ to: unique(), subject: 'Private', text: 'secret body' });
    const entry = await mailer.journal.get(result.id);
    expect(entry!.content).toBeUndefined();
    expect(JSON.stringify(entry)).not.toContain('secret body');
    await expect(mailer.journal.resend(result.id)).rejects.toThrow(/no stored content/);
    await mailer.close();
  });

  it('lists newest first, filtered by status and recipient, page by page', async () => {
    const store = storeFor();
    const failing = scriptedAdapter('down', [{ fail: 'AUTH' }]);
    const ok = memoryAdapter();
    const mailer = createMailer({ adapters: [ok], from: 'shop@example.com', journal: store });
    const failMailer = createMailer({ adapters: [failing], from: 'shop@example.com', journal: store });
    const to = unique();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await mailer.send({ to, subject: `n${i}`, text: 'x' })).id);
    await expect(failMailer.send({ to, subject: 'broken', text: 'x' })).rejects.toThrow(/every adapter failed/);

    const all = await mailer.journal.list({ to });
    expect(all.entries.map((e) => e.summary.subject)).toEqual(['broken', 'n4', 'n3', 'n2', 'n1', 'n0']);
    const failed = await mailer.journal.list({ to, status: 'failed' });
    expect(failed.entries.map((e) => e.summary.subject)).toEqual(['broken']);
    expect(failed.entries[0]!.error).toMatchObject({ code: 'ALL_FAILED' });

    const first = await mailer.journal.list({ to, status: 'sent', limit: 2 });
    expect(first.entries.map((e) => e.id)).toEqual([ids[4], ids[3]]);
    const second = await mailer.journal.list({ to, status: 'sent', limit: 2, cursor: first.cursor! });
    expect(second.entries.map((e) => e.id)).toEqual([ids[2], ids[1]]);
    const last = await mailer.journal.list({ to, status: 'sent', limit: 2, cursor: second.cursor! });
    expect(last.entries.map((e) => e.id)).toEqual([ids[0]]);
    expect(last.cursor).toBeUndefined();
    await mailer.close();
    await failMailer.close();
  });

  it('matches a recipient in any case, letters beyond ASCII included', async () => {
    const { mailer } = fresh();
    const tag = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
    await mailer.send({ to: `"Élodie Martin" <elodie-${tag}@example.fr>`, subject: 'é1', text: 'x' });
    // More than one page of newer entries: on SQLite the match is made in JavaScript, 200 rows at a time.
    await Promise.all(Array.from({ length: 205 }, (_, i) => mailer.send({ to: `filler-${tag}-${i}@example.com`, subject: `f${i}`, text: 'x' })));
    await mailer.send({ cc: `ÉMILE-${tag}@example.de`, to: `someone-${tag}@example.com`, subject: 'é2', text: 'x' });
    const subjects = async (to: string, limit = 50) => (await mailer.journal.list({ to, limit })).entries.map((entry) => entry.summary.subject);
    expect(await subjects('élodie')).toContain('é1');
    expect(await subjects('ÉLODIE')).toContain('é1');
    expect(await subjects(`émile-${tag}`)).toEqual(['é2']);
    expect(await subjects('ÉLODIE MARTIN', 1)).toEqual(['é1']);
    await mailer.close();
  });

  it('lists entries whatever the idempotency keys beside them hold, "entry:" included', async () => {
    const { mailer } = fresh();
    const to = unique();
    const sent = await mailer.send({ to, subject: 'Ledger', text: 'x', idempotencyKey: `ledger-entry:42-${to}` });
    const listed = await mailer.journal.list({ to });
    expect(listed.entries.map((entry) => entry.id)).toEqual([sent.id]);
    expect((await mailer.journal.list()).entries.every((entry) => typeof entry === 'object' && typeof entry.id === 'string')).toBe(true);
    await mailer.close();
  });

  it('filters by time window', async () => {
    const { mailer } = fresh();
    const to = unique();
    await mailer.send({ to, subject: 'old', text: 'x' });
    await sleep(30);
    const middle = new Date();
    await sleep(30);
    await mailer.send({ to, subject: 'new', text: 'x' });
    expect((await mailer.journal.list({ to, since: middle })).entries.map((e) => e.summary.subject)).toEqual(['new']);
    expect((await mailer.journal.list({ to, until: middle })).entries.map((e) => e.summary.subject)).toEqual(['old']);
    await mailer.close();
  });

  it('resends a failed entry as a new entry linked to the original', async () => {
    const store = storeFor();
    const flaky = scriptedAdapter('flaky', [{ fail: 'AUTH' }, 'ok']);
    const mailer = createMailer({ adapters: [flaky], from: 'shop@example.com', journal: store });
    const to = unique();
    const failure = await mailer.send({ to, subject: 'Order 7', text: 'x', attachments: [{ filename: 'a.bin', content: new Uint8Array([0, 255, 1]) }] }).catch((error: unknown) => error);
    const [failedEntry] = (await mailer.journal.list({ to, status: 'failed' })).entries;
    expect(failure).toMatchObject({ code: 'ALL_FAILED' });
    const result = await mailer.journal.resend(failedEntry!.id);
    expect(result.status).toBe('sent');
    expect(flaky.delivered[0]!.attachments[0]!.content).toEqual(Buffer.from([0, 255, 1]));
    const resent = await mailer.journal.get(result.id);
    expect(resent).toMatchObject({ status: 'sent', resendOf: failedEntry!.id });
    expect((await mailer.journal.get(failedEntry!.id))!.resentAs).toEqual([result.id]);
    await mailer.close();
  });

  it('resends with the sender and reply-to the message went out with, even from a mailer without those defaults', async () => {
    const store = storeFor();
    const first = createMailer({ adapters: [memoryAdapter()], from: 'Shop <shop@example.com>', replyTo: 'help@example.com', journal: store });
    const sent = await first.send({ to: unique(), subject: 'Receipt', text: 'x' });
    const adapter = memoryAdapter();
    const later = createMailer({ adapters: [adapter], journal: store });
    const again = await later.journal.resend(sent.id);
    expect(again.status).toBe('sent');
    expect(adapter.messages[0]!.from).toEqual({ name: 'Shop', address: 'shop@example.com' });
    expect(adapter.messages[0]!.replyTo).toEqual([{ address: 'help@example.com' }]);
    await first.close();
    await later.close();
  });

  it('completes a pending entry in place, keeping its Message-ID', async () => {
    const store = storeFor();
    const journal = new SendJournal({ store });
    const message = normalizeMessage({ from: 'shop@example.com', to: unique(), subject: 'interrupted', text: 'x' });
    const entry = journal.createEntry(message, { from: 'shop@example.com', to: message.to[0]!.address, subject: 'interrupted', text: 'x' });
    await journal.write(entry);
    await journal.close();

    const adapter = memoryAdapter();
    const mailer = createMailer({ adapters: [adapter], journal: store });
    const pending = await mailer.journal.get(entry.id);
    expect(pending!.status).toBe('pending');
    const result = await mailer.journal.resend(entry.id);
    expect(result.id).toBe(entry.id);
    expect(adapter.messages[0]!.messageId).toBe(message.messageId);
    expect((await mailer.journal.get(entry.id))!.status).toBe('sent');
    await mailer.close();
  });

  it('deduplicates by idempotency key across two mailers sharing the store', async () => {
    const store = storeFor();
    const first = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: store });
    const secondAdapter = memoryAdapter();
    const second = createMailer({ adapters: [secondAdapter], from: 'shop@example.com', journal: store });
    const key = `order-${unique()}`;
    const a = await first.send({ to: 'ann@example.com', text: 'x', idempotencyKey: key });
    const b = await second.send({ to: 'ann@example.com', text: 'x', idempotencyKey: key });
    expect(b).toMatchObject({ id: a.id, deduplicated: true });
    expect(secondAdapter.messages).toHaveLength(0);
    await first.close();
    await second.close();
  });

  it('forgets entries after ttlMs', async () => {
    const { mailer } = fresh({}, { ttlMs: 150 });
    const to = unique();
    const result = await mailer.send({ to, text: 'x' });
    expect((await mailer.journal.list({ to })).entries).toHaveLength(1);
    await sleep(1100); // Redis expiry has one-second resolution
    expect((await mailer.journal.list({ to })).entries).toHaveLength(0);
    expect(await mailer.journal.get(result.id)).toBeUndefined();
    await mailer.close();
  });
});

describe('journal listing: time bounds', () => {
  it('refuses a since or until that is not a date, naming it, instead of listing everything', async () => {
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: new Keyv() });
    await mailer.send({ to: 'ann@example.com', text: 'x' });
    for (const [field, query] of [['since', { since: 'yesterday' }], ['until', { until: new Date('not a date') }]] as const) {
      const error = await mailer.journal.list(query).then(() => undefined, (thrown: unknown) => thrown);
      expect(error, field).toBeInstanceOf(MailError);
      expect(error).toMatchObject({ code: 'CONFIG', message: expect.stringContaining(field) });
    }
    expect((await mailer.journal.list({ since: new Date(0).toISOString(), until: new Date(Date.now() + 60_000) })).entries).toHaveLength(1);
    await mailer.close();
  });
});

describe('journal on sqlite: retention', () => {
  it('prune deletes expired rows from the file', async () => {
    const store = join(dir, 'prune.sqlite');
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: { store, ttlMs: 50 } });
    await mailer.send({ to: 'a@example.com', text: 'x' });
    await mailer.send({ to: 'b@example.com', text: 'x' });
    await sleep(80);
    expect(await mailer.journal.prune()).toBe(2);
    expect(await mailer.journal.prune()).toBe(0);
    await mailer.close();
  });

  it('an unreachable store is a journal-error, and the message is still delivered', async () => {
    const notAFolder = join(dir, 'a-file');
    await writeFile(notAFolder, 'x');
    const adapter = memoryAdapter();
    const mailer = createMailer({ adapters: [adapter], from: 'shop@example.com', journal: join(notAFolder, 'journal.sqlite') });
    const errors: Error[] = [];
    mailer.on('journal-error', (error) => errors.push(error));
    const result = await mailer.send({ to: 'a@example.com', text: 'x' });
    expect(result.status).toBe('sent');
    expect(adapter.messages).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/journal/);
  });

  it('a Redis journal that refuses connections is a journal-error after the connect timeout, and the message is still delivered', async () => {
    // A port nobody listens on: the Redis client would otherwise reconnect forever and hold the send.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const adapter = memoryAdapter();
    const mailer = createMailer({ adapters: [adapter], from: 'shop@example.com', journal: `redis://127.0.0.1:${port}` });
    const errors: Error[] = [];
    mailer.on('journal-error', (error) => errors.push(error));
    const result = await mailer.send({ to: 'a@example.com', text: 'x' });
    expect(result.status).toBe('sent');
    expect(adapter.messages).toHaveLength(1);
    expect(errors.length).toBeGreaterThan(0);
    await expect(mailer.journal.list()).rejects.toThrow(/connect/);
    await mailer.close();
  }, 30_000);
});
