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
