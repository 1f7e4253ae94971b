// Listing and pruning a Redis journal read the store past the wrapper that names it in a failure.
// With the server down they fail as every other journal call does: TRANSIENT, naming the store
// (password redacted) with its remedy, not the Redis driver's sentence alone as a CONFIG error.
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMailer, MailError } from '../src/index.js';
import { memoryAdapter } from '../adapters/memory.js';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';

const SECRET = 'S3cr3t-PASS';
let store: string;
let cwd: string;

beforeAll(async () => {
  // A loopback port nothing listens on.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  store = `redis://:${SECRET}@127.0.0.1:${port}`;
  [cwd] = await Promise.all([mkdtemp(join(tmpdir(), 'mailroom-store-down-')), builtCli()]);
});

describe('a Redis journal that is down', () => {
  it('journal.list() and journal.prune() reject TRANSIENT naming the store', async () => {
    const mailer = createMailer({ adapters: [memoryAdapter()], journal: store });
    for (const call of [() => mailer.journal.list({ limit: 5 }), () => mailer.journal.prune()]) {
      const error = await call().then(() => undefined, (thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(MailError);
      expect((error as MailError).code).toBe('TRANSIENT');
      expect((error as MailError).message).toMatch(/the journal store redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ did not answer/);
      expect((error as MailError).message).not.toContain(SECRET);
    }
    await mailer.close();
  });

  it('mailroom journal and journal prune say which store did not answer, with its remedy', async () => {
    for (const args of [['journal'], ['journal', 'prune']]) {
      const run = await runCli([...args, '--journal', store], { cwd, timeoutMs: 25_000 });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(/^error TRANSIENT: \[mailroom\] the journal store redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ did not answer/m);
      expect(run.stderr, args.join(' ')).toMatch(/^remedy: Check that the server at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is running/m);
      expect(run.stdout + run.stderr).not.toContain(SECRET);
    }
  });
});
