// The CMS integrations' in-process worker (`worker` option, queue mode) keeps trying to start while
// its queue server does not answer. Closing the CMS meanwhile must end that at once: the pause
// between two attempts has an unref'd timer, so a script whose CMS is destroyed had nothing else to
// keep it alive, and close() never resolved (Node exited 13, the mailer and its journal unclosed).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryAdapter } from '../adapters/memory.js';
import { MailError, startWorker } from '../src/index.js';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';
import { startFixture } from './helpers/fixture-process.js';
import { freePort } from './helpers/redis-server.js';

describe('a CMS with an in-process worker whose queue server is down', () => {
  it.each(['strapi', 'payload'] as const)('%s: close() resolves and the script exits 0', async (cms) => {
    const port = await freePort(); // nothing listens there
    const journal = join(await mkdtemp(join(tmpdir(), 'mailroom-cms-close-')), 'journal.sqlite');
    const run = await startFixture('cms-close-queue-down', { cms, queue: `redis://127.0.0.1:${port}`, journal }).done;
    expect(run.stderr).not.toMatch(/unsettled top-level await/);
    expect(run.lines).toEqual([{ closed: true }]);
    expect(run.code).toBe(0);
  }, 30_000);
});

// A PostgreSQL queue is reached first by BullMQ's migration, which let pg's bare error through: not
// the TRANSIENT naming the queue that a Redis queue down gives (README "Queue mode"), so `mailroom
// worker` printed "error CONFIG: connect ECONNREFUSED" with an SMTP remedy, and a CMS worker, seeing
// no TRANSIENT, stopped trying to start.
describe('a worker whose PostgreSQL queue server is down at start', () => {
  const queueUrl = async () => `postgres://mail:PgSECRET-31@127.0.0.1:${await freePort()}/shop`; // nothing listens there

  it('startWorker fails TRANSIENT naming the queue without its password, with the remedy', async () => {
    const journal = join(await mkdtemp(join(tmpdir(), 'mailroom-pg-down-')), 'journal.sqlite');
    const failure = await startWorker({ adapters: [memoryAdapter()], journal, queue: await queueUrl(), readyTimeoutMs: 5_000 }).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(MailError);
    const error = failure as MailError;
    expect(error.code).toBe('TRANSIENT');
    expect(error.message).toMatch(/the queue postgres:\/\/mail:\*\*\*@127\.0\.0\.1:\d+\/shop mailroom cannot be reached: .*ECONNREFUSED/);
    expect(error.remedy).toMatch(/^Start the queue server/);
    expect(`${error.message} ${error.remedy}`).not.toContain('PgSECRET-31');
  });

  it('mailroom worker says so, exit 1, with the queue remedy rather than an SMTP one', async () => {
    await builtCli();
    const cwd = await mkdtemp(join(tmpdir(), 'mailroom-pg-down-cli-'));
    const run = await runCli(['worker', '--queue', await queueUrl(), '--dsn', 'memory://'], { cwd, timeoutMs: 20_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error TRANSIENT: \[mailroom\] the queue postgres:\/\/mail:\*\*\*@127\.0\.0\.1:\d+\/shop mailroom cannot be reached/m);
    expect(run.stderr).toMatch(/remedy: Start the queue server/);
    expect(run.stderr).not.toMatch(/SMTP submission/);
    expect(run.stderr + run.stdout).not.toContain('PgSECRET-31');
  }, 30_000);
});

// A typo in the CMS's `worker` option was found only when the worker started: one log line, and the
// CMS ran on without a worker, its mail queued for nobody. Said at boot, as a mailer option's typo is.
describe('the CMS worker option refuses a name it does not know, at boot', () => {
  const bootError = async (boot: () => { close(): Promise<void> }): Promise<MailError | undefined> => {
    try {
      await boot().close();
      return undefined;
    } catch (error) {
      return error as MailError;
    }
  };

  it('Strapi: providerOptions.worker', async () => {
    const { init } = await import('../src/integrations/strapi.js');
    const journal = join(await mkdtemp(join(tmpdir(), 'mailroom-worker-option-')), 'journal.sqlite');
    const error = await bootError(() => init({ adapters: [memoryAdapter()], journal, queue: 'redis://127.0.0.1:1', worker: { concurency: 2, readyTimeoutMs: 1 } as never }, {}));
    expect(error).toBeInstanceOf(MailError);
    expect(error!.code).toBe('CONFIG');
    expect(error!.message).toContain('providerOptions.worker: unknown option "concurency" (did you mean "concurrency"?)');
    expect(error!.remedy).toContain('worker is true or { concurrency, messagesPerMinute, stalledAfterMs, readyTimeoutMs }');
  });

  it('Payload: mailroomAdapter({ worker })', async () => {
    const { mailroomAdapter } = await import('../src/integrations/payload.js');
    const journal = join(await mkdtemp(join(tmpdir(), 'mailroom-worker-option-')), 'journal.sqlite');
    const error = await bootError(() => {
      const email = mailroomAdapter({ adapters: [memoryAdapter()], journal, queue: 'redis://127.0.0.1:1', worker: { readyTimeoutMS: 1 } as never, defaultFromAddress: 'shop@example.com', defaultFromName: 'Shop' })({ payload: {} });
      return email.mailer;
    });
    expect(error).toBeInstanceOf(MailError);
    expect(error!.message).toContain('mailroomAdapter({ worker }): unknown option "readyTimeoutMS" (did you mean "readyTimeoutMs"?)');
  });
});
