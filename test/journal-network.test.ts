// A networked journal store (Redis, PostgreSQL) that does not answer: the journal-error and the
// refusal of a keyed send name the store (without its password) and say what to check, instead of
// the driver's bare "not connected" or "ECONNREFUSED".
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createMailer, MailError } from '../src/index.js';

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
