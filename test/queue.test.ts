// Queue mode on BullMQ, on a real redis-server and on a real PostgreSQL (BullMQ 6's PostgreSQL
// backend): send() validates, renders and journals `queued` before anything is queued; workers
// deliver through the chain, retry with backoff across restarts, close a job that fails for good as
// `failed`, and finish the jobs in hand when closed.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMailer, MailError, startWorker, type MailWorker } from '../src/index.js';
import { memoryAdapter } from '../adapters/memory.js';
import { scriptedAdapter, type Step } from './helpers/scripted-adapter.js';
import { normalizeMessage } from '../src/kit/index.js';
import { SendJournal } from '../src/journal/journal.js';
import { startPostgres, type PostgresHandle } from './helpers/postgres-server.js';
import { freePort, startRedis, type RedisHandle } from './helpers/redis-server.js';

// Workers start, poll and back off on real servers: slower than one send on a loaded machine.
vi.setConfig({ testTimeout: 40_000 });

let redis: RedisHandle;
let postgres: PostgresHandle;

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop()]);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

const backends: Array<[string, () => { queue: string; journal: string }]> = [
  ['redis', () => ({ queue: redis.url, journal: redis.url })],
  ['postgres', () => ({ queue: postgres.url, journal: postgres.url })],
];

describe.each(backends)('queue mode on %s', (_kind, connections) => {
  let name = '';
  const setup = () => {
    name = `q${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const { queue, journal } = connections();
    return { queue: { connection: queue, name, backoffMs: 100, attempts: 3 }, journal };
  };
  const workers: MailWorker[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close(1000)));
  });
  const worker = async (options: Parameters<typeof startWorker>[0]) => {
    const started = await startWorker({ from: 'shop@example.com', ...options });
    workers.push(started);
    return started;
  };

  it('send() refuses bad input before anything is queued or journaled', async () => {
    const { queue, journal } = setup();
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue });
    await expect(mailer.send({ to: 'not an address', text: 'x' })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    await expect(mailer.send({ to: 'ann@example.com', template: { name: 'no-such-template' } })).rejects.toMatchObject({ code: 'TEMPLATE' });
    expect(await mailer.queue!.counts()).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    await mailer.close();
  });

  it('send() journals the message queued and returns its id; a worker delivers it through the chain and closes it sent', async () => {
    const { queue, journal } = setup();
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue });
    const result = await mailer.send({ to: 'ann@example.com', template: { name: 'test-email', data: { adapter: 'memory', chain: ['memory'], time: '2026-01-01T00:00:00Z', host: 'web-01', from: 'shop@example.com', version: '0.1.0' } } });
    expect(result).toMatchObject({ status: 'queued', id: expect.any(String) });
    expect((await mailer.journal.get(result.id))!.status).toBe('queued');
    expect(await mailer.queue!.counts()).toMatchObject({ waiting: 1 });

    const delivering = memoryAdapter();
    // The worker takes the job as soon as it starts: hold the delivery until the listener is on,
    // or a fast worker emits 'sent' before anyone hears it.
    let listening!: () => void;
    const heard = new Promise<void>((resolve) => (listening = resolve));
    const gated = { ...delivering, send: async (...args: Parameters<typeof delivering.send>) => (await heard, delivering.send(...args)) };
    const running = await worker({ adapters: [gated], journal, queue });
    const sent: string[] = [];
    running.mailer.on('sent', (outcome) => sent.push(outcome.id));
    listening();
    const entry = await until(async () => {
      const found = await mailer.journal.get(result.id);
      return found?.status === 'sent' ? found : undefined;
    });
    expect(entry).toMatchObject({ adapter: 'memory', summary: { template: 'test-email' } });
    expect(delivering.messages).toHaveLength(1);
    expect(delivering.messages[0]!.messageId).toBe(result.messageId);
    expect(delivering.messages[0]!.html).toContain('<');
    expect(sent).toEqual([result.id]);
    await mailer.close();
  });

  it('sendNow() sends in the calling process, as without a queue', async () => {
    const { queue, journal } = setup();
    const adapter = memoryAdapter();
    const mailer = createMailer({ adapters: [adapter], from: 'shop@example.com', journal, queue });
    const result = await mailer.sendNow({ to: 'ann@example.com', text: 'now' });
    expect(result.status).toBe('sent');
    expect(adapter.messages).toHaveLength(1);
    expect(await mailer.queue!.counts()).toMatchObject({ waiting: 0 });
    await mailer.close();
  });

  it('one idempotency key is queued once', async () => {
    const { queue, journal } = setup();
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue });
    const key = `order-${name}`;
    const results = await Promise.all([1, 2, 3].map(() => mailer.send({ to: 'ann@example.com', text: 'x', idempotencyKey: key })));
    expect(new Set(results.map((result) => result.id)).size).toBe(1);
    expect(results.filter((result) => result.deduplicated)).toHaveLength(2);
    expect(await mailer.queue!.counts()).toMatchObject({ waiting: 1 });
    await mailer.close();
  });

  it('a failed delivery is retried with backoff, also by a worker started after the first one stopped', async () => {
    const { queue, journal } = setup();
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue: { ...queue, backoffMs: 1500 } });
    const first = await worker({ adapters: [scriptedAdapter('smtp', [{ fail: 'TRANSIENT' }])], journal, queue, retry: { attempts: 1 } });
    const { id } = await mailer.send({ to: 'ann@example.com', text: 'x' });
    const queued = await until(async () => {
      const entry = await mailer.journal.get(id);
      return entry?.status === 'queued' && entry.attempts.length === 1 ? entry : undefined;
    });
    expect(queued.error?.code).toBe('ALL_FAILED');
    await first.close();
    expect(await mailer.queue!.counts()).toMatchObject({ delayed: 1 });

    const steps: Step[] = ['ok'];
    const second = await worker({ adapters: [scriptedAdapter('smtp', steps)], journal, queue });
    const entry = await until(async () => {
      const found = await mailer.journal.get(id);
      return found?.status === 'sent' ? found : undefined;
    });
    expect(entry.attempts.map((attempt) => attempt.ok)).toEqual([false, true]);
    expect(entry.possibleDuplicate).toBeUndefined();
    await second.close();
    await mailer.close();
  });

  it('a delivery that may have arrived (AMBIGUOUS) is not retried by the queue: the entry is failed and marked possible duplicate', async () => {
    const { queue, journal } = setup();
    const slowRetry = { ...queue, backoffMs: 5_000 };
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue: slowRetry });
    // The connection was lost after the end of DATA; the next try would go through.
    const smtp = scriptedAdapter('smtp', [{ fail: 'AMBIGUOUS' }, 'ok']);
    await worker({ adapters: [smtp], journal, queue: slowRetry });
    const { id } = await mailer.send({ to: 'ann@example.com', text: 'x' });
    const entry = await until(async () => {
      const found = await mailer.journal.get(id);
      return found?.status === 'failed' || found?.status === 'sent' ? found : undefined;
    });
    // The job fails for good at once: it is not waiting for a retry (5 s away).
    await until(async () => ((await mailer.queue!.state(id)) === 'failed' ? true : undefined), 2_000);
    expect(smtp.calls).toHaveLength(1);
    expect(entry.status).toBe('failed');
    expect(entry.possibleDuplicate).toBe(true);
    await mailer.close();
  });

  it('a message that fails for good closes its entry failed and raises failed', async () => {
    const { queue, journal } = setup();
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue });
    const running = await worker({ adapters: [scriptedAdapter('smtp', [{ fail: 'REJECTED' }])], journal, queue });
    const failed: Array<[MailError, string]> = [];
    running.mailer.on('failed', (error, entryId) => failed.push([error, entryId]));
    const { id } = await mailer.send({ to: 'ann@example.com', text: 'x' });
    const entry = await until(async () => {
      const found = await mailer.journal.get(id);
      return found?.status === 'failed' ? found : undefined;
    });
    expect(entry.error?.code).toBe('REJECTED');
    expect(entry.attempts).toHaveLength(1); // REJECTED is not retried
    await until(async () => (failed.length > 0 ? true : undefined));
    expect(failed[0]![1]).toBe(id);
    // The failed event comes from inside the job; BullMQ moves the job to failed just after.
    const counts = await until(async () => {
      const now = await mailer.queue!.counts();
      return now.failed === 1 ? now : undefined;
    });
    expect(counts).toMatchObject({ failed: 1, waiting: 0, delayed: 0 });
    await mailer.close();
  });

  it('after the last try the entry is failed; resend sends it now once the job is done', async () => {
    const { queue, journal } = setup();
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue: { ...queue, attempts: 2 } });
    const running = await worker({ adapters: [scriptedAdapter('smtp', [{ fail: 'TRANSIENT' }])], journal, queue, retry: { attempts: 1 } });
    const { id } = await mailer.send({ to: 'ann@example.com', text: 'x' });
    const entry = await until(async () => {
      const found = await mailer.journal.get(id);
      return found?.status === 'failed' ? found : undefined;
    });
    expect(entry.attempts).toHaveLength(2);
    await running.close();
    const resent = await mailer.journal.resend(id);
    expect(resent.status).toBe('sent');
    await mailer.close();
  });

  it('close() lets the job in hand finish before the worker stops', async () => {
    const { queue, journal } = setup();
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue });
    const slow = scriptedAdapter('slow', ['ok']);
    const delayed = { ...slow, send: async (...args: Parameters<typeof slow.send>) => (await sleep(800), slow.send(...args)) };
    const running = await startWorker({ adapters: [delayed], from: 'shop@example.com', journal, queue });
    const { id } = await mailer.send({ to: 'ann@example.com', text: 'x' });
    await until(async () => (slow.calls.length > 0 || (await mailer.queue!.counts()).active > 0 ? true : undefined));
    await running.close();
    expect(slow.delivered).toHaveLength(1);
    expect((await mailer.journal.get(id))!.status).toBe('sent');
    await mailer.close();
  });

  it('a queued entry whose job still waits is not resent by hand', async () => {
    const { queue, journal } = setup();
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue });
    const { id } = await mailer.send({ to: 'ann@example.com', text: 'x' });
    await expect(mailer.journal.resend(id)).rejects.toThrow(/still queued \(job waiting\)/);
    await mailer.close();
  });
});

describe('queue mode: a key whose entry has no job, a queue that does not answer, a sensitive job', () => {
  const setup = () => ({ queue: { connection: redis.url, name: `q${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}` }, journal: redis.url });
  const order = (key: string) => ({ from: 'shop@example.com', to: 'ann@example.com', subject: 'Order', text: 'Thanks', idempotencyKey: key });

  it('a pending entry a stopped process left is queued by the next send of its key, once stale', async () => {
    const { queue, journal } = setup();
    const key = `stale-${queue.name}`;
    // As a process killed in sendNow() leaves it: the key claimed, its entry pending, never sent.
    const stopped = new SendJournal({ store: journal });
    const claim = await stopped.claim(normalizeMessage(order(key)), order(key));
    await stopped.close();
    await sleep(300);
    const mailer = createMailer({ adapters: [memoryAdapter()], journal, queue, idempotency: { staleAfterMs: 200 } });
    const result = await mailer.send(order(key));
    expect(result).toMatchObject({ id: claim.entry.id, status: 'queued' });
    expect((await mailer.journal.get(claim.entry.id))?.status).toBe('queued');
    expect(await mailer.queue!.counts()).toMatchObject({ waiting: 1 });
    // Sent again now: its job holds it, nothing more is queued.
    expect(await mailer.send(order(key))).toMatchObject({ id: claim.entry.id, status: 'queued', deduplicated: true });
    expect(await mailer.queue!.counts()).toMatchObject({ waiting: 1 });
    await mailer.close();
  });

  it('a queued entry whose job was never added (its process stopped in between) is queued again', async () => {
    const { queue, journal } = setup();
    const key = `jobless-${queue.name}`;
    const stopped = new SendJournal({ store: journal });
    const claim = await stopped.claim(normalizeMessage(order(key)), order(key));
    claim.entry.status = 'queued';
    await stopped.write(claim.entry);
    await stopped.close();
    const mailer = createMailer({ adapters: [memoryAdapter()], journal, queue });
    expect(await mailer.send(order(key))).toMatchObject({ id: claim.entry.id, status: 'queued' });
    expect(await mailer.queue!.counts()).toMatchObject({ waiting: 1 });
    await mailer.close();
  });

  it('a queue server that does not answer: send() fails TRANSIENT within its deadline, and the entry is failed', async () => {
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: new Keyv(), queue: 'redis://127.0.0.1:1' });
    const started = Date.now();
    const error = (await mailer.send({ to: 'ann@example.com', text: 'x' }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )) as MailError;
    expect(error).toBeInstanceOf(MailError);
    expect(error.code).toBe('TRANSIENT');
    expect(error.message).toMatch(/did not take the message.*nothing was sent/);
    expect(Date.now() - started).toBeLessThan(20_000);
    const [entry] = (await mailer.journal.list()).entries;
    expect(entry?.status).toBe('failed');
    await mailer.close();
  });

  it('a job added after its send was told it failed (the queue answered late) is dropped unsent by the worker', async () => {
    const { queue, journal } = setup();
    const stopped = new SendJournal({ store: journal });
    const claim = await stopped.claim(normalizeMessage(order(`late-${queue.name}`)), order(`late-${queue.name}`));
    Object.assign(claim.entry, { status: 'failed', error: { code: 'TRANSIENT', message: 'the queue did not take the message' } });
    await stopped.write(claim.entry);
    await stopped.close();
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue });
    await mailer.queue!.add(claim.entry.id, { message: order(`late-${queue.name}`), messageId: claim.entry.messageId });
    const delivering = memoryAdapter();
    const running = await startWorker({ adapters: [delivering], from: 'shop@example.com', journal, queue });
    await until(async () => ((await mailer.queue!.counts()).failed === 1 ? true : undefined));
    expect(delivering.messages).toHaveLength(0);
    expect((await mailer.journal.get(claim.entry.id))?.status).toBe('failed');
    await running.close(1000);
    await mailer.close();
  });

  it('a queued entry is not resent by a mailer that cannot see its queue: the job a worker takes would be a second copy', async () => {
    const { queue, journal } = setup();
    const producer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue });
    const { id } = await producer.send({ to: 'ann@example.com', subject: 'Order', text: 'x' });
    // `mailroom resend ID` in a shell without MAILROOM_QUEUE: the journal alone, no queue.
    const slow = memoryAdapter({ name: 'by-hand' });
    const byHand = createMailer({ adapters: [{ ...slow, send: async (...args: Parameters<typeof slow.send>) => (await sleep(1500), slow.send(...args)) }], from: 'shop@example.com', journal });
    const resending = byHand.journal.resend(id).then(() => undefined, (error: unknown) => error as MailError);
    // A worker takes the job while that resend is sending.
    const delivering = memoryAdapter();
    const running = await startWorker({ adapters: [delivering], from: 'shop@example.com', journal, queue });
    const refused = await resending;
    expect(refused).toBeInstanceOf(MailError);
    expect(refused).toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/is queued \(queue mode\) and this mailer has no queue.*nothing was sent/), remedy: expect.stringMatching(/--queue/) });
    await until(async () => ((await producer.journal.get(id))?.status === 'sent' ? true : undefined));
    await sleep(300);
    expect(slow.messages.length + delivering.messages.length).toBe(1);
    await running.close(1000);
    await Promise.all([byHand.close(), producer.close()]);
  });

  it('a job that fails for good before its delivery starts closes its entry with that failure\'s code and message', async () => {
    const { queue, journal } = setup();
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue });
    // The worker's own limit refuses what the mailer queued: INVALID_MESSAGE, in the worker, before any adapter.
    const running = await startWorker({ adapters: [memoryAdapter()], limits: { maxRecipients: 1 }, from: 'shop@example.com', journal, queue });
    const failed: MailError[] = [];
    running.mailer.on('failed', (error) => failed.push(error));
    const { id } = await mailer.send({ to: ['ann@example.com', 'bob@example.com'], subject: 'Order', text: 'x' });
    const entry = await until(async () => {
      const found = await mailer.journal.get(id);
      return found?.status === 'failed' ? found : undefined;
    });
    expect(entry.error).toMatchObject({ code: 'INVALID_MESSAGE', message: '[mailroom] the message has 2 recipients, more than the limit of 1' });
    await until(async () => (failed.length > 0 ? true : undefined));
    expect(failed.map((error) => error.code)).toEqual(['INVALID_MESSAGE']);
    await running.close(1000);
    await mailer.close();
  });

  it('a sensitive message whose job fails for good leaves no job (and no reset link) in the queue', async () => {
    const { queue, journal } = setup();
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue });
    const running = await startWorker({ adapters: [scriptedAdapter('smtp', [{ fail: 'REJECTED' }])], from: 'shop@example.com', journal, queue });
    const { id } = await mailer.send({ to: 'ann@example.com', subject: 'Reset', text: 'https://shop.example.com/reset?code=a3f9c2e1', sensitive: true });
    await until(async () => ((await mailer.journal.get(id))?.status === 'failed' ? true : undefined));
    await until(async () => ((await mailer.queue!.state(id)) === 'unknown' ? true : undefined));
    expect(await mailer.queue!.counts()).toMatchObject({ failed: 0 });
    await running.close(1000);
    await mailer.close();
  });
});

describe('queue mode setup', () => {
  it('needs the journal and a redis:// or postgres:// connection', () => {
    expect(() => createMailer({ adapters: [memoryAdapter()], journal: false, queue: 'redis://127.0.0.1:1' })).toThrow(/queue mode needs the send journal/);
    expect(() => createMailer({ adapters: [memoryAdapter()], journal: new Keyv(), queue: 'amqp://host' })).toThrow(MailError);
  });

  it('refuses a memory:// journal at setup, in createMailer and startWorker: no worker could ever find what is queued', async () => {
    for (const journal of ['memory://', 'memory', { store: 'memory://' }] as const) {
      let thrown: unknown;
      try {
        createMailer({ adapters: [memoryAdapter()], journal, queue: redis.url });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'CONFIG', field: 'journal' });
      expect((thrown as MailError).message).toMatch(/createMailer: queue mode cannot use the memory:\/\/ journal: each mailer and worker gets one of its own/);
      expect((thrown as MailError).remedy).toMatch(/one journal they share: journal: "redis:\/\/…"/);
      await expect(startWorker({ adapters: [memoryAdapter()], journal, queue: redis.url })).rejects.toMatchObject({ code: 'CONFIG', field: 'journal', message: expect.stringMatching(/startWorker: queue mode cannot use the memory:\/\/ journal/) });
    }
  });

  it('one in-memory Keyv given to the mailer and an in-process worker is one journal: the message is delivered', async () => {
    const journal = new Keyv();
    const queue = { connection: redis.url, name: `shared-keyv-${Date.now().toString(36)}` };
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue });
    const delivered = memoryAdapter();
    const running = await startWorker({ adapters: [delivered], from: 'shop@example.com', journal, queue });
    try {
      const { id } = await mailer.send({ to: 'ann@example.com', subject: 'Order 7', text: 'x' });
      await until(async () => ((await mailer.journal.get(id))?.status === 'sent' ? true : undefined));
      expect(delivered.messages).toHaveLength(1);
    } finally {
      await running.close(1000);
      await mailer.close();
    }
  });
});

describe('a worker inside the CMS process (Strapi and Payload option `worker`)', () => {
  it('Strapi: send() queues, the in-process worker delivers, close() stops both', async () => {
    const { init } = await import('../src/integrations/strapi.js');
    const adapter = memoryAdapter();
    const provider = init({ adapters: [adapter], journal: redis.url, queue: { connection: redis.url, name: 'strapi-inproc' }, worker: true }, { defaultFrom: 'shop@example.com' });
    const queued = (await provider.send({ to: 'ann@example.com', subject: 'Hi', text: 'Hello' })) as unknown as { id: string; status: string };
    expect(queued.status).toBe('queued');
    await until(async () => ((await provider.mailer.journal.get(queued.id))?.status === 'sent' ? true : undefined));
    expect(adapter.messages).toHaveLength(1);
    await provider.close();
  });

  it('Payload: sendEmail() queues, the in-process worker delivers', async () => {
    const { mailroomAdapter } = await import('../src/integrations/payload.js');
    const adapter = memoryAdapter();
    const email = mailroomAdapter({ adapters: [adapter], journal: redis.url, queue: { connection: redis.url, name: 'payload-inproc' }, worker: { concurrency: 2 }, defaultFromAddress: 'shop@example.com', defaultFromName: 'Shop' })({ payload: {} });
    const queued = (await email.sendEmail({ to: 'ann@example.com', subject: 'Hi', text: 'Hello' })) as unknown as { id: string; status: string };
    expect(queued.status).toBe('queued');
    await until(async () => ((await email.mailer.journal.get(queued.id))?.status === 'sent' ? true : undefined));
    expect(adapter.messages).toHaveLength(1);
    await email.mailer.close();
  });
});

describe('a worker on another journal than the mailers that queue', () => {
  it('does not send a job whose entry its journal does not hold: CONFIG naming the journal, failed raised, the entry left for a resend where it is', async () => {
    const queue = { connection: redis.url, name: `other-journal-${Date.now().toString(36)}`, backoffMs: 100, attempts: 3 };
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: redis.url, queue });
    const delivered = memoryAdapter();
    // `mailroom worker` without --journal: its own .mailroom/journal.sqlite, not the senders' Redis journal.
    const own = join(await mkdtemp(join(tmpdir(), 'mailroom-own-journal-')), 'journal.sqlite');
    const running = await startWorker({ adapters: [delivered], from: 'shop@example.com', journal: own, queue });
    const failed: Array<[MailError, string]> = [];
    running.mailer.on('failed', (error, entryId) => failed.push([error, entryId]));
    try {
      const { id } = await mailer.send({ to: 'ann@example.com', subject: 'Order 1042', text: 'x', idempotencyKey: 'order-1042-other-journal' });
      await until(async () => (failed.length > 0 ? true : undefined));
      expect(failed[0]![1]).toBe(id);
      expect(failed[0]![0]).toMatchObject({ code: 'CONFIG' });
      expect(failed[0]![0].message).toMatch(/not in this worker's journal/);
      expect(failed[0]![0].remedy).toMatch(/same journal/);
      expect(delivered.messages).toHaveLength(0);
      await until(async () => ((await mailer.queue!.counts()).failed === 1 ? true : undefined));
      // The senders' journal still holds the message: a resend there delivers it once.
      expect((await mailer.journal.get(id))!.status).toBe('queued');
      expect((await mailer.journal.resend(id)).status).toBe('sent');
    } finally {
      await running.close(1000);
      await mailer.close();
    }
  });
});

describe('a worker stopped while a delivery is slow', () => {
  it('ends it once the grace has run out and hands the message back: close() returns, the next worker delivers it once', async () => {
    const queue = { connection: redis.url, name: `grace-${Date.now().toString(36)}`, attempts: 1 };
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: redis.url, queue });
    // A provider that does not answer: each attempt runs to the chain's timeout (30 s), three times.
    const stuck = scriptedAdapter('slow', [{ abortable: 'TRANSIENT' }]);
    const first = await startWorker({ adapters: [stuck], from: 'shop@example.com', journal: redis.url, queue });
    const { id } = await mailer.send({ to: 'ann@example.com', subject: 'Order', text: 'x' });
    await until(async () => (stuck.calls.length > 0 ? true : undefined));
    const started = Date.now();
    await first.close(1_000);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(stuck.calls).toHaveLength(1);
    // Handed back, not failed: its one try is not used up, the entry waits for a worker.
    expect((await mailer.journal.get(id))!.status).toBe('queued');
    expect(await mailer.queue!.state(id)).toBe('waiting');
    const delivered = memoryAdapter();
    const second = await startWorker({ adapters: [delivered], from: 'shop@example.com', journal: redis.url, queue });
    await until(async () => ((await mailer.journal.get(id))?.status === 'sent' ? true : undefined));
    expect(delivered.messages).toHaveLength(1);
    await second.close(1_000);
    await mailer.close();
  }, 60_000);
});

describe('a job whose journal entry was deleted while it waited', () => {
  it('is not sent, and the error does not claim the worker reads another journal when it may share it', async () => {
    const queue = { connection: redis.url, name: `deleted-${Date.now().toString(36)}`, backoffMs: 100, attempts: 3 };
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: redis.url, queue });
    const { id } = await mailer.send({ to: 'ann@example.com', subject: 'Order', text: 'x' });
    const store = new SendJournal({ store: redis.url });
    await store.forget((await store.get(id))!);
    await store.close();
    const delivered = memoryAdapter();
    const running = await startWorker({ adapters: [delivered], from: 'shop@example.com', journal: redis.url, queue });
    const failed: MailError[] = [];
    running.mailer.on('failed', (error) => failed.push(error));
    try {
      await until(async () => (failed.length > 0 ? true : undefined));
      expect(failed[0]!.message).toMatch(/not in this worker's journal .*or the entry was deleted or expired there/);
      expect(failed[0]!.remedy).toMatch(/deleted or outlived its retention while queued: send the message again/);
      expect(delivered.messages).toHaveLength(0);
    } finally {
      await running.close(1000);
      await mailer.close();
    }
  });
});

describe('a worker whose queue server does not answer at start', () => {
  it('startWorker() without readyTimeoutMs gives up after 30 s: TRANSIENT naming the queue without its password, with a remedy', async () => {
    const port = await freePort(); // nothing listens there
    const failure = await startWorker({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: new Keyv(), queue: { connection: `redis://default:S3cretQueuePass@127.0.0.1:${port}`, name: 'unreachable' } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(MailError);
    const error = failure as MailError;
    expect(error.code).toBe('TRANSIENT');
    expect(error.message).toMatch(new RegExp(`the queue redis://default:\\*\\*\\*@127\\.0\\.0\\.1:${port} unreachable cannot be reached: no answer within 30 s \\(.*ECONNREFUSED`));
    expect(error.remedy).toMatch(/Start the queue server .*readyTimeoutMs for it \(default 30 s; 0 waits without limit\)/);
    expect(`${error.message} ${error.remedy} ${error.stack}`).not.toContain('S3cretQueuePass');
  }, 60_000);

  it('readyTimeoutMs that is not a whole number of 0 or more is CONFIG before anything connects', async () => {
    for (const readyTimeoutMs of [-1, 1.5, Number.NaN]) {
      await expect(startWorker({ adapters: [memoryAdapter()], journal: new Keyv(), queue: 'redis://127.0.0.1:1', readyTimeoutMs })).rejects.toMatchObject({ code: 'CONFIG', field: 'readyTimeoutMs' });
    }
  });

  it('the Strapi in-process worker says once that it could not start yet, keeps trying, and delivers once the server is up', async () => {
    const { init } = await import('../src/integrations/strapi.js');
    const port = await freePort();
    const warnings: string[] = [];
    (globalThis as { strapi?: unknown }).strapi = { log: { warn: (line: string) => warnings.push(line) } };
    const adapter = memoryAdapter();
    const journal = join(await mkdtemp(join(tmpdir(), 'mailroom-inproc-')), 'journal.sqlite');
    const url = `redis://127.0.0.1:${port}`;
    const provider = init({ adapters: [adapter], journal, queue: { connection: url, name: 'late' }, worker: { readyTimeoutMs: 300 } }, { defaultFrom: 'shop@example.com' });
    let late: RedisHandle | undefined;
    try {
      await until(async () => (warnings.length > 0 ? true : undefined));
      expect(warnings[0]).toMatch(new RegExp(`mailroom: the queue worker did not start yet \\(it keeps trying\\): .*the queue redis://127\\.0\\.0\\.1:${port} late cannot be reached`));
      late = await startRedis(['--port', String(port)]);
      const queued = (await provider.send({ to: 'ann@example.com', subject: 'Hi', text: 'Hello' })) as unknown as { id: string };
      await until(async () => ((await provider.mailer.journal.get(queued.id))?.status === 'sent' ? true : undefined));
      expect(adapter.messages).toHaveLength(1);
      // Said once, not once per attempt.
      expect(warnings).toHaveLength(1);
    } finally {
      await provider.close();
      await late?.stop();
      delete (globalThis as { strapi?: unknown }).strapi;
    }
  });
});

describe('a worker whose Redis went away', () => {
  it('close(grace) still returns within the grace (and a little): a stop signal is not stuck on a server that is down', async () => {
    const own = await startRedis();
    const running = await startWorker({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: new Keyv(), queue: { connection: own.url, name: 'gone' } });
    await own.stop();
    const started = Date.now();
    const closed = running.close(500).then(() => 'closed' as const);
    const outcome = await Promise.race([closed, sleep(8_000).then(() => 'stuck' as const)]);
    expect(outcome).toBe('closed');
    expect(Date.now() - started).toBeLessThan(8_000);
  }, 20_000);
});
