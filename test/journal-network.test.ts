// A networked journal store (Redis, PostgreSQL) that does not answer: the journal-error and the
// refusal of a keyed send name the store (without its password) and say what to check, instead of
// the driver's bare "not connected" or "ECONNREFUSED".
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createMailer, MailError, startWorker } from '../src/index.js';
import { memoryAdapter } from '../adapters/memory.js';
import { startRedis } from './helpers/redis-server.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a networked journal store that does not answer', () => {
  it.each(['redis', 'postgres'])('%s: the error names the store and says what to check', async (scheme) => {
    const port = await closedPort();
    const journal = scheme === 'redis' ? `redis://:SECRETPW9@127.0.0.1:${port}` : `postgres://shop:SECRETPW9@127.0.0.1:${port}/shop`;
    const mailer = createMailer({ dsn: 'memory://', from: 'shop@example.com', journal });
    const journalErrors: MailError[] = [];
    mailer.on('journal-error', (error) => journalErrors.push(error));
    try {
      await mailer.send({ to: 'ann@example.com', subject: 'Hi', text: 'Hi' });
      const keyed = await mailer.send({ to: 'ann@example.com', subject: 'Hi', text: 'Hi', idempotencyKey: 'k-1' }).catch((error: unknown) => error as MailError);
      expect(keyed).toBeInstanceOf(MailError);
      expect(journalErrors.length).toBeGreaterThan(0);
      for (const error of [journalErrors[0]!, keyed as MailError]) {
        expect(error.message).toContain(`${scheme}://`);
        expect(error.message).toContain(`127.0.0.1:${port}`);
        expect(error.specificRemedy).toMatch(/running|reachable/);
        expect(`${error.message} ${error.remedy}`).not.toContain('SECRETPW9');
      }
      expect((keyed as MailError).code).toBe('TRANSIENT');
    } finally {
      await mailer.close();
    }
  }, 90_000);
});

describe('a networked journal store that is down, send after send', () => {
  it.each(['redis', 'postgres'])('%s: the sends after the first do not wait for the connect timeout again', async (scheme) => {
    const port = await closedPort();
    const journal = scheme === 'redis' ? `redis://127.0.0.1:${port}` : `postgres://shop:pw@127.0.0.1:${port}/shop`;
    const mailer = createMailer({ dsn: 'memory://', from: 'shop@example.com', journal });
    const journalErrors: MailError[] = [];
    mailer.on('journal-error', (error) => journalErrors.push(error));
    try {
      expect(await mailer.send({ to: 'ann@example.com', subject: 'First', text: 'x' })).toMatchObject({ status: 'sent' });
      const failuresAfterFirst = journalErrors.length;
      expect(failuresAfterFirst).toBeGreaterThan(0);
      // The store's connect timeout is 5 s a call (two calls a send): the next sends fail their
      // journal calls at once with the same explained error, and are delivered.
      const started = performance.now();
      for (let n = 0; n < 3; n += 1) expect(await mailer.send({ to: 'ann@example.com', subject: `Next ${n}`, text: 'x' })).toMatchObject({ status: 'sent' });
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(journalErrors.length).toBeGreaterThan(failuresAfterFirst);
      expect(journalErrors.at(-1)!.message).toContain(`127.0.0.1:${port}`);
    } finally {
      await mailer.close();
    }
  }, 90_000);
});

describe('a Redis journal and queue whose server goes away after they answered, then comes back', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  // What a call settled to within `ms`, or "hung": a client that waits for its server without end.
  const within = (ms: number, work: Promise<unknown>) =>
    Promise.race([work.then((value) => ({ value }), (error: unknown) => ({ error: error as MailError })), sleep(ms).then(() => 'hung' as const)]);

  it('sends fail TRANSIENT at once naming the store (nothing hangs, nothing is queued unjournaled), close() returns, and sending works again once it is back', async () => {
    let redis = await startRedis();
    let running = true;
    const port = Number(new URL(redis.url).port);
    const queue = { connection: redis.url, name: 'restart' };
    const mailer = createMailer({ dsn: 'memory://', from: 'shop@example.com', journal: redis.url, queue });
    const delivered = memoryAdapter();
    const worker = await startWorker({ adapters: [delivered], from: 'shop@example.com', journal: redis.url, queue });
    try {
      await mailer.send({ to: 'ann@example.com', subject: 'Before', text: 'x' });
      // Delivered before the server goes: this Redis keeps nothing across its restart, queue included.
      for (const deadline = Date.now() + 20_000; delivered.messages.length < 1 && Date.now() < deadline; ) await sleep(50);
      await redis.stop();
      running = false;
      await sleep(300);

      const read = await within(5_000, mailer.journal.get('01M8KQW087WK6EM8AD7C0W4TWH'));
      expect(read).toMatchObject({ error: { code: 'TRANSIENT', message: expect.stringContaining(`the journal store redis://127.0.0.1:${port} did not answer`) } });
      const keyed = await within(5_000, mailer.sendNow({ to: 'ann@example.com', subject: 'Keyed', text: 'x', idempotencyKey: 'order-1' }));
      expect(keyed).toMatchObject({ error: { code: 'TRANSIENT', message: expect.stringContaining('nothing was sent') } });
      const queued = await within(15_000, mailer.send({ to: 'bob@example.com', subject: 'While down', text: 'x' }));
      expect(queued).toMatchObject({ error: { code: 'TRANSIENT', message: expect.stringContaining(`not queued (the journal store redis://127.0.0.1:${port} did not answer`) } });
      expect((queued as { error: MailError }).error.remedy).toMatch(/^Check that the server at redis:/);

      redis = await startRedis([], port);
      running = true;
      // The journal tries its server again 30 s after it found it down.
      let again: Awaited<ReturnType<typeof within>> = 'hung';
      for (const deadline = Date.now() + 45_000; Date.now() < deadline; await sleep(1_000)) {
        again = await within(15_000, mailer.send({ to: 'cat@example.com', subject: 'After', text: 'x' }));
        if (typeof again === 'object' && 'value' in again) break;
      }
      expect(again).toMatchObject({ value: { status: 'queued' } });
      for (const deadline = Date.now() + 20_000; delivered.messages.length < 2 && Date.now() < deadline; ) await sleep(100);
      expect(delivered.messages.map((message) => message.subject)).toEqual(['Before', 'After']);
      await redis.stop();
      running = false;
      // Closing with the server gone again: bounded, not waiting for a goodbye that never comes.
      expect(await within(10_000, Promise.all([worker.close(1_000), mailer.close()]))).not.toBe('hung');
    } finally {
      if (running) await redis.stop();
    }
  }, 120_000);
});

describe('a journal store string with a typo', () => {
  it.each([
    ['mysql://shop:SECRETPW9@db.example.com/shop', /"mysql" is not a journal store/],
    ['redis:/127.0.0.1:6379', /"redis:" without "\/\/"/],
    ['postgres:shop:SECRETPW9@db.example.com/shop', /"postgres:" without "\/\/"/],
    // An environment variable meant as a switch, read as a string: not an SQLite file named "false".
    ['false', /journal store "false" is a word, not a store/],
    ['off', /journal store "off" is a word, not a store/],
  ])('createMailer refuses %s at once: CONFIG naming it, without the password', (journal, says) => {
    let error: unknown;
    try {
      createMailer({ dsn: 'memory://', journal });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).code).toBe('CONFIG');
    expect((error as MailError).message).toMatch(says);
    expect((error as MailError).specificRemedy).toMatch(/redis:\/\/.*postgres:\/\//);
    expect(`${(error as MailError).message} ${(error as MailError).remedy}`).not.toContain('SECRETPW9');
  });

  it('accepts every form the README names, without opening anything', () => {
    for (const journal of ['./data/journal.sqlite', 'sqlite://data/journal.sqlite', 'memory://', 'memory', 'redis://127.0.0.1:6379', 'rediss://h:6380', 'postgres://h/db', 'postgresql://h/db', 'C:\\data\\journal.sqlite']) {
      expect(() => createMailer({ dsn: 'memory://', journal }), journal).not.toThrow();
    }
  });
});
