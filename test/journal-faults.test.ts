// The journal under faults that touch many messages at once: one message that cannot be written
// must not take the others of its batch down, and close() must not close the journal under sends
// still in flight. Real SQLite files and a real HTTP provider server.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Keyv from 'keyv';
import { beforeAll, describe, expect, it } from 'vitest';
import { brevoAdapter } from '../adapters/brevo.js';
import { memoryAdapter } from '../adapters/memory.js';
import { createMailer, MailError, type MailMessage } from '../src/index.js';
import { normalizeMessage } from '../src/kit/index.js';
import { SendJournal } from '../src/journal/journal.js';
import { betterSqlite, builtinSqlite } from '../src/journal/node-sqlite-store.js';
import { startBrevoServer } from './providers/brevo.js';
import { mailErrorOf } from './helpers/assertions.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailroom-journal-faults-'));
});
const sqlite = () => join(dir, `${Math.random().toString(36).slice(2)}.sqlite`);
const message = (n: number, extra: Partial<MailMessage> = {}): MailMessage => ({
  from: 'shop@example.com', to: `buyer-${n}@example.com`, subject: `Order ${n}`, text: 'Thanks', idempotencyKey: `order-${n}`, ...extra,
});

describe('one bad message never takes others down', () => {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  it.each([
    ['a BigInt', { total: 10n }],
    ['a circular object', { order: circular }],
  ])('template data holding %s is refused before anything is written; the messages sent with it are journaled', async (_label, data) => {
    const adapter = memoryAdapter();
    const journal = sqlite();
    const mailer = createMailer({ adapters: [adapter], journal });
    const bad = { ...message(0), template: { name: 'test-email', data: { adapter: 'memory', time: new Date().toISOString(), host: 'test', ...data } } };
    const [refused, ...sent] = await Promise.allSettled([mailer.send(bad), ...Array.from({ length: 20 }, (_, n) => mailer.send(message(n + 1)))]);
    expect(refused!.status).toBe('rejected');
    const error = (refused as PromiseRejectedResult).reason as MailError;
    expect(error).toBeInstanceOf(MailError);
    expect(error.code).toBe('TEMPLATE');
    expect(error.field).toBe('template.data');
    expect(sent.every((outcome) => outcome.status === 'fulfilled')).toBe(true);
    await mailer.close();

    const reader = createMailer({ adapters: [memoryAdapter()], journal });
    const { entries } = await reader.journal.list({ limit: 100 });
    expect(entries.map((entry) => entry.status)).toEqual(Array(20).fill('sent'));
    expect(await reader.journal.findByIdempotencyKey('order-0')).toBeUndefined();
    expect(adapter.messages).toHaveLength(20);
    await reader.close();
  });

  it.each([
    ['a BigInt in a field the message does not read', { order: { total: 10n } }],
    ['a circular object in a field the message does not read', { context: circular }],
    ['a BigInt beside an attachment', { attachments: [{ filename: 'a.txt', content: 'hi', size: 2n }] }],
    ['a circular object beside an address', { to: { address: 'buyer-0@example.com', name: 'Ann', user: circular } }],
    ['a BigInt beside a template', { subject: undefined, text: undefined, template: { name: 'test-email', data: { adapter: 'memory', time: new Date().toISOString(), host: 'test' }, version: 2n } }],
  ])('a message object carrying %s is sent and journaled like the others, with no journal error', async (_label, extra) => {
    // What a JavaScript caller passes when it spreads its own record into the message: only the
    // message's fields are kept for a resend, so the rest can never fail the journal.
    const adapter = memoryAdapter();
    const journal = sqlite();
    const mailer = createMailer({ adapters: [adapter], journal });
    const journalErrors: unknown[] = [];
    mailer.on('journal-error', (error) => journalErrors.push(error));
    const outcomes = await Promise.allSettled([mailer.send(message(0, extra as Partial<MailMessage>)), ...Array.from({ length: 5 }, (_, n) => mailer.send(message(n + 1)))]);
    expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.status : String(outcome.reason)))).toEqual(Array(6).fill('sent'));
    expect(journalErrors).toEqual([]);
    expect((await mailer.journal.findByIdempotencyKey('order-0'))?.status).toBe('sent');
    const resent = await mailer.journal.resend((await mailer.journal.findByIdempotencyKey('order-0'))!.id);
    expect(resent.status).toBe('sent');
    expect(adapter.messages).toHaveLength(7);
    await mailer.close();
  });

  it('a batch the store refuses is written again row by row: only the bad row fails', async () => {
    // A store whose serializer refuses one row, as a row the SQLite binding cannot bind would.
    const keyv = new Keyv({ throwOnErrors: true, serialize: (data) => {
      const text = JSON.stringify(data);
      if (text.includes('poison')) throw new Error('cannot serialize this row');
      return text;
    } });
    const journal = new SendJournal({ store: keyv });
    const entries = Array.from({ length: 10 }, (_, n) => journal.createEntry(normalizeMessage(message(n, n === 3 ? { subject: 'poison' } : {})), undefined));
    const outcomes = await Promise.allSettled(entries.map((entry) => journal.write(entry)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(entries.map((_, n) => (n === 3 ? 'rejected' : 'fulfilled')));
    for (const [n, entry] of entries.entries()) {
      if (n === 3) expect(await journal.get(entry.id)).toBeUndefined();
      else expect((await journal.get(entry.id))?.status).toBe('pending');
    }
    expect((await journal.findByIdempotencyKey('order-4'))?.id).toBe(entries[4]!.id);
  });

  it('on SQLite, a transaction the file refuses is written again row by row, rows queued as text included', async () => {
    // A trigger in the file refuses one row, as a constraint would: the batch's one transaction
    // fails, and its rows (serialized when queued) go through keyv one by one.
    const file = sqlite();
    const db = new (builtinSqlite() ?? betterSqlite())!.DatabaseSync(file);
    db.exec("CREATE TABLE keyv(key VARCHAR(255) PRIMARY KEY, value TEXT); CREATE TRIGGER refuse BEFORE INSERT ON keyv WHEN NEW.value LIKE '%poison%' BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END;");
    db.close();
    const journal = new SendJournal({ store: file, storeContent: true });
    await journal.describe(); // opened: rows are queued as text from here on
    const inputs = Array.from({ length: 10 }, (_, n) => message(n, n === 3 ? { subject: 'poison' } : { text: `:colon first ${n}` }));
    const entries = inputs.map((input) => journal.createEntry(normalizeMessage(input), input));
    const outcomes = await Promise.allSettled(entries.map((entry) => journal.write(entry)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(entries.map((_, n) => (n === 3 ? 'rejected' : 'fulfilled')));
    const reader = new SendJournal({ store: file });
    for (const [n, entry] of entries.entries()) {
      const read = await reader.get(entry.id);
      if (n === 3) expect(read).toBeUndefined();
      else expect(read).toMatchObject({ status: 'pending', summary: { subject: `Order ${n}` }, content: { text: `:colon first ${n}` } });
    }
    await Promise.all([journal.close(), reader.close()]);
  });
});

describe('a store whose entries expire while they are listed', () => {
  // Redis (and any store keyv scans key by key) can drop an entry between listing its key and
  // reading it: its TTL ran out in between. The listing goes on without it.
  class ExpiringMap<K, V> extends Map<K, V> {
    override *[Symbol.iterator](): MapIterator<[K, V]> {
      const [first, ...rest] = [...super.entries()];
      if (first) yield first;
      yield [`${String(first?.[0]).split(':')[0]}:entry:01ZZZZZZZZZZZZZZZZZZZZZZZZ` as K, undefined as V];
      yield* rest;
    }
  }

  it('journal.list() and prune() skip an entry that expired between the scan and the read', async () => {
    const journal = new SendJournal({ store: new Keyv({ store: new ExpiringMap() }) });
    for (let n = 0; n < 3; n++) await journal.write(journal.createEntry(normalizeMessage(message(n)), undefined));
    const { entries } = await journal.list();
    expect(entries).toHaveLength(3);
    expect(await journal.prune()).toBe(0);
    await journal.close();
  });
});

describe('close() waits for every send in flight', () => {
  it('20 HTTP sends without idempotency keys, closed while in flight, all end sent in the journal', async () => {
    const server = await startBrevoServer();
    try {
      // Each request waits a moment before it goes out, so close() is called with all 20 in flight.
      const slowFetch: typeof fetch = async (input, init) => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        return fetch(input, init);
      };
      const journal = sqlite();
      const mailer = createMailer({ adapters: [brevoAdapter({ apiKey: 'xkeysib-test-0123456789abcdef', baseUrl: server.url, fetch: slowFetch })], journal });
      const sends = Array.from({ length: 20 }, (_, n) => mailer.send({ ...message(n), idempotencyKey: undefined }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await mailer.close();
      expect(server.takeArrivals()).toHaveLength(20);
      const outcomes = await Promise.allSettled(sends);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(20);
      const reader = createMailer({ adapters: [memoryAdapter()], journal });
      const { entries } = await reader.journal.list({ limit: 100 });
      expect(entries.map((entry) => entry.status)).toEqual(Array(20).fill('sent'));
      // The moment each request went out was journaled too (what a killed process would leave).
      expect(entries.every((entry) => entry.handedOver?.adapter === 'brevo')).toBe(true);
      await reader.close();
    } finally {
      await server.close();
    }
  });

  it('a send after close() is refused, one made before it is journaled', async () => {
    const mailer = createMailer({ adapters: [memoryAdapter()], journal: sqlite() });
    const first = mailer.send(message(1));
    await mailer.close();
    expect((await first).status).toBe('sent');
    expect((await mailErrorOf(mailer.send(message(2)))).code).toBe('CONFIG');
  });

  it('a resend after close() is refused as a send is, and sends nothing', async () => {
    const adapter = memoryAdapter();
    const mailer = createMailer({ adapters: [adapter], journal: sqlite() });
    const { id } = await mailer.send(message(1));
    await mailer.close();
    const refused = await mailErrorOf(mailer.journal.resend(id));
    expect(refused).toMatchObject({ code: 'CONFIG', message: expect.stringContaining('after close()') });
    expect(adapter.messages).toHaveLength(1);
  });
});
