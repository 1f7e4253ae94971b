// Queue mode from the command line, on a real redis-server: `mailroom worker` delivers what a
// queue-mode mailer queued and stops gracefully on SIGTERM; `mailroom queue` shows the counts and
// workers; `mailroom doctor` checks the queue's server and a worker's presence; `mailroom resend`
// refuses a queued entry a worker will still send.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, startWorker } from '../src/index.js';
import { memoryAdapter } from '../adapters/memory.js';
import { builtCli, CLI } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';
import { startRedis, type RedisHandle } from './helpers/redis-server.js';

let redis: RedisHandle;
let cwd: string;
let env: Record<string, string>;

beforeAll(async () => {
  [redis, cwd] = await Promise.all([startRedis(), mkdtemp(join(tmpdir(), 'mailroom-cli-queue-')), builtCli()]);
  env = { MAILROOM_QUEUE: redis.url, MAILROOM_QUEUE_NAME: 'cli', MAILROOM_JOURNAL: redis.url, MAILROOM_DSN: `outbox://${join(cwd, 'outbox')}`, MAILROOM_FROM: 'shop@example.com' };
});
afterAll(async () => {
  await redis?.stop();
});

// What an error printed by Node (or a library's console.error) looks like: never the CLI's own output.
const expectNoRawDump = (output: string) => {
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toMatch(/^Error: /m);
  expect(output).not.toMatch(/errno:|syscall:/);
};

const until = async (probe: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('mailroom worker, queue, doctor and resend in queue mode', () => {
  it('work together on one queue', async () => {
    const producer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: redis.url, queue: { connection: redis.url, name: 'cli' } });
    const first = await producer.send({ to: 'ann@example.com', subject: 'Order 1', text: 'x' });

    // No worker yet: the message waits, doctor says so, and a resend by hand is refused.
    const queued = await runCli(['queue', '--json'], { cwd, env });
    expect(queued.code, queued.stderr).toBe(0);
    expect(JSON.parse(queued.stdout)).toMatchObject({ queue: `${redis.url} cli`, waiting: 1, active: 0, delayed: 0, failed: 0, workers: 0 });
    const lonely = await runCli(['doctor'], { cwd, env });
    expect(lonely.stdout).toMatch(/OK\s+queue\s+.*1 waiting/);
    expect(lonely.stdout).toMatch(/ERROR\s+queue-worker\s+1 queued, no worker connected to redis:\/\/127\.0\.0\.1:\d+ cli/);
    expect(lonely.code).toBe(1);
    const refused = await runCli(['resend', first.id], { cwd, env });
    expect(refused.stdout + refused.stderr).toMatch(/still queued \(job waiting\)/);

    const worker = spawn(process.execPath, [CLI, 'worker', '--concurrency', '2'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
    await until(async () => output.includes(`sent ${first.id} via outbox`));
    expect(output).toMatch(/worker on redis:\/\/127\.0\.0\.1:\d+ \(queue cli\): outbox, 2 at once/);
    expect((await producer.journal.get(first.id))!.status).toBe('sent');
    expect((await readdir(join(cwd, 'outbox'))).filter((file) => file.endsWith('.eml'))).toHaveLength(1);

    const healthy = await runCli(['doctor', '--json'], { cwd, env });
    const findings = JSON.parse(healthy.stdout) as Array<{ check: string; level: string; message: string }>;
    expect(findings.find((finding) => finding.check === 'queue-worker')).toMatchObject({ level: 'ok', message: '1 worker connected' });

    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/SIGTERM: finishing the messages in hand[\s\S]*worker stopped/);
    await producer.close();
  }, 90_000);

  it('on a Redis that refuses CLIENT (managed Redis): no worker is counted as none, and one running is counted', async () => {
    // BullMQ's getWorkers() reads CLIENT LIST; where CLIENT is disabled it answers one placeholder,
    // which would read as "1 worker connected" with none running. Workers' heartbeats need no CLIENT.
    const managed = await startRedis(['--rename-command', 'CLIENT', '']);
    const journal = join(cwd, 'managed-journal.sqlite');
    const managedEnv = { ...env, MAILROOM_QUEUE: managed.url, MAILROOM_QUEUE_NAME: 'managed', MAILROOM_JOURNAL: journal };
    const producer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal, queue: { connection: managed.url, name: 'managed' } });
    try {
      await producer.send({ to: 'ann@example.com', subject: 'Order 5', text: 'x' });
      const queued = await runCli(['queue', '--json'], { cwd, env: managedEnv });
      expect(queued.code, queued.stderr).toBe(0);
      expect(JSON.parse(queued.stdout)).toMatchObject({ waiting: 1, workers: 0 });
      const table = await runCli(['queue'], { cwd, env: managedEnv });
      expect(table.stdout).toMatch(/^1 queued, no worker connected: nothing is delivered until one starts; start one: `mailroom worker`/m);
      const doctor = await runCli(['doctor'], { cwd, env: managedEnv });
      expect(doctor.stdout).toMatch(/ERROR\s+queue-worker\s+1 queued, no worker connected/);
      expect(doctor.code).toBe(1);

      const delivered = memoryAdapter();
      const worker = await startWorker({ adapters: [delivered], from: 'shop@example.com', journal, queue: { connection: managed.url, name: 'managed' } });
      try {
        await until(async () => delivered.messages.length === 1);
        const running = await runCli(['queue', '--json'], { cwd, env: managedEnv });
        expect(JSON.parse(running.stdout)).toMatchObject({ waiting: 0, workers: 1 });
      } finally {
        await worker.close(1_000);
      }
      // A worker that stopped is gone from the count at once.
      expect(JSON.parse((await runCli(['queue', '--json'], { cwd, env: managedEnv })).stdout)).toMatchObject({ workers: 0 });
    } finally {
      await producer.close();
      await managed.stop();
    }
  }, 90_000);

  it('worker prints each message that failed for good with its code and remedy', async () => {
    const producer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: redis.url, queue: { connection: redis.url, name: 'cli-remedy' } });
    const { id } = await producer.send({ to: 'ann@example.com', subject: 'Order 3', text: 'x' });
    // A worker started without the senders' journal: the job fails for good with CONFIG and a remedy.
    const worker = spawn(process.execPath, [CLI, 'worker'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, MAILROOM_QUEUE_NAME: 'cli-remedy', MAILROOM_JOURNAL: join(cwd, 'worker-own-journal.sqlite') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    worker.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
    try {
      await until(async () => output.includes(`failed ${id}: CONFIG`));
      await until(async () => /remedy: Start the worker with the same journal/.test(output), 5_000);
      expectNoRawDump(output);
    } finally {
      worker.kill('SIGTERM');
      await exited;
      await producer.close();
    }
  }, 60_000);

  it('worker refuses a bad --grace before it takes any job', async () => {
    const outbox = join(cwd, 'outbox-grace');
    const producer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: redis.url, queue: { connection: redis.url, name: 'grace' } });
    const queued = await producer.send({ to: 'ann@example.com', subject: 'Order 2', text: 'x' });

    const run = await runCli(['worker', '--grace', '30 seconds'], { cwd, env: { ...env, MAILROOM_QUEUE_NAME: 'grace', MAILROOM_DSN: `outbox://${outbox}` }, timeoutMs: 20_000 });
    expect(run.timedOut, run.stdout + run.stderr).toBeUndefined();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--grace expects a duration/);
    expect(run.stdout).not.toMatch(/worker on|sent /);
    expect((await producer.journal.get(queued.id))!.status).toBe('queued');
    expect(await readdir(outbox).catch(() => [])).toHaveLength(0);
    await producer.close();
  }, 60_000);

  it('doctor reports a queue server that does not answer as an error', async () => {
    const down = await runCli(['doctor'], { cwd, env: { ...env, MAILROOM_QUEUE: 'redis://127.0.0.1:1' } });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/ERROR\s+queue\s+the queue redis:\/\/127\.0\.0\.1:1 cli cannot be reached/);
    expectNoRawDump(down.stdout + down.stderr);
  }, 60_000);

  it('never prints a queue password given in the query string or the userinfo', async () => {
    const secret = 'S3cretQ+/=';
    const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')];
    const urls = [
      `postgres://mail@127.0.0.1:1/shop?sslmode=disable&password=${encodeURIComponent(secret)}`,
      `redis://127.0.0.1:1/0?token=${encodeURIComponent(secret)}`,
      `redis://default:${encodeURIComponent(secret)}@127.0.0.1:1`,
    ];
    for (const url of urls) {
      for (const command of [['doctor'], ['queue']]) {
        const run = await runCli(command, { cwd, env: { ...env, MAILROOM_QUEUE: url, MAILROOM_JOURNAL: 'memory://' }, timeoutMs: 30_000 });
        const output = run.stdout + run.stderr;
        expect(output, `${command[0]} ${url}`).toContain('127.0.0.1:1');
        for (const form of forms) expect(output, `${command[0]} ${url}`).not.toContain(form);
      }
    }
  }, 120_000);

  it('worker refuses a memory:// journal before it connects: CONFIG with the remedy', async () => {
    const run = await runCli(['worker'], { cwd, env: { ...env, MAILROOM_JOURNAL: 'memory://' }, timeoutMs: 20_000 });
    expect(run.timedOut, run.stdout + run.stderr).toBeUndefined();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error CONFIG: .*startWorker: queue mode cannot use the memory:\/\/ journal/m);
    expect(run.stderr).toMatch(/^remedy: Give the mailers and the workers one journal they share/m);
    expect(run.stdout).not.toMatch(/worker on/);
  }, 60_000);

  it.each([['queue'], ['worker']])('%s exits 1 with a TRANSIENT error and a remedy when the queue server is down', async (command) => {
    const down = await runCli([command], { cwd, env: { ...env, MAILROOM_QUEUE: 'redis://127.0.0.1:1', MAILROOM_JOURNAL: join(cwd, 'down-journal.sqlite') }, timeoutMs: 30_000 });
    expect(down.timedOut, down.stdout + down.stderr).toBeUndefined();
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^error TRANSIENT: .*redis:\/\/127\.0\.0\.1:1 cli/m);
    expect(down.stderr).toMatch(/^remedy: .*queue server/m);
    expectNoRawDump(down.stdout + down.stderr);
  }, 60_000);
});
