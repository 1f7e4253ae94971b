// A DSN that cannot be read (a typo in MAILROOM_DSN, a --dsn pasted wrong) stops the commands that
// send, but not those that only read: `journal`, `journal show`, `journal prune`, `events replay`
// and `queue` run without the chain, after one warning on stderr; the secret in it is never printed.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../src/index.js';
import { memoryAdapter } from '../adapters/memory.js';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';
import { startRedis, type RedisHandle } from './helpers/redis-server.js';

const SECRET = 'S3cr3t-PASS';
const BAD_DSN = `smtp://user:${SECRET}@127.0.0.1:x`;
let cwd: string;
let redis: RedisHandle;
let entryId: string;

beforeAll(async () => {
  [cwd, redis] = await Promise.all([mkdtemp(join(tmpdir(), 'mailroom-unreadable-dsn-')), startRedis(), builtCli()]);
  const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: join(cwd, '.mailroom/journal.sqlite') });
  entryId = (await mailer.send({ to: 'ann@example.com', subject: 'Order 1042', text: 'x' })).id;
  await mailer.close();
});
afterAll(async () => {
  await redis?.stop();
});

const expectWarnedOnce = (stderr: string) => {
  expect(stderr.match(/^warning: the DSN \(from MAILROOM_DSN\) cannot be read, and this command does not need it: .*port "x"/gm)).toHaveLength(1);
  expect(stderr).not.toContain(SECRET);
  expect(stderr).not.toMatch(/^error/m);
};

describe('a DSN in the environment that cannot be read', () => {
  it('does not keep journal, journal show, journal prune or events replay from reading the journal', async () => {
    const env = { MAILROOM_DSN: BAD_DSN };
    const listed = await runCli(['journal', '--json'], { cwd, env });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((entry) => entry.id)).toEqual([entryId]);
    expectWarnedOnce(listed.stderr);

    const shown = await runCli(['journal', 'show', entryId], { cwd, env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Order 1042');
    expectWarnedOnce(shown.stderr);

    const pruned = await runCli(['journal', 'prune'], { cwd, env });
    expect(pruned.code, pruned.stderr).toBe(0);
    expectWarnedOnce(pruned.stderr);

    const payload = join(cwd, 'brevo.json');
    await writeFile(payload, JSON.stringify({ event: 'delivered', email: 'ann@example.com', 'message-id': '<unknown@example.com>', ts_epoch: Date.now() }));
    const replayed = await runCli(['events', 'replay', payload, '--provider', 'brevo'], { cwd, env });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(/without a journal entry/);
    expectWarnedOnce(replayed.stderr);
  });

  it('does not keep `mailroom queue` from reading the queue; it names no adapter', async () => {
    const run = await runCli(['queue', '--json'], { cwd, env: { MAILROOM_DSN: BAD_DSN, MAILROOM_QUEUE: redis.url } });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ adapters: [], waiting: 0, workers: 0 });
    expectWarnedOnce(run.stderr);
  });

  it('still stops the commands that send, with the DSN redacted', async () => {
    for (const args of [['send', '--to', 'ann@example.com', '--from', 'shop@example.com', '--text', 'hi'], ['resend', entryId], ['verify']]) {
      const run = await runCli(args, { cwd, env: { MAILROOM_DSN: BAD_DSN } });
      expect(run.code, args[0]).toBe(1);
      expect(run.stderr, args[0]).toMatch(/^error CONFIG: .*"smtp:\/\/\*\*\*@127\.0\.0\.1:x" is not a valid DSN URL/m);
      expect(run.stderr + run.stdout).not.toContain(SECRET);
    }
  });
});

describe('a DSN in the configuration file that cannot be read', () => {
  it('does not keep journal or queue from running, names the file, and still stops the commands that send', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-unreadable-file-dsn-'));
    const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: join(dir, '.mailroom/journal.sqlite') });
    const id = (await mailer.send({ to: 'ann@example.com', subject: 'Order 1043', text: 'x' })).id;
    await mailer.close();
    await writeFile(join(dir, 'mailroom.config.json'), JSON.stringify({ dsn: BAD_DSN, from: 'shop@example.com' }));

    const listed = await runCli(['journal', '--json'], { cwd: dir, env: {} });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ id: string }>).map((entry) => entry.id)).toEqual([id]);
    expect(listed.stderr.match(/^warning: the DSN in \.\/mailroom\.config\.json cannot be read, and this command does not need it: .*port "x"/gm)).toHaveLength(1);
    const queue = await runCli(['queue', '--json'], { cwd: dir, env: { MAILROOM_QUEUE: redis.url } });
    expect(queue.code, queue.stderr).toBe(0);
    expect(JSON.parse(queue.stdout)).toMatchObject({ adapters: [], waiting: 0 });

    // The file's other options are still checked.
    await writeFile(join(dir, 'mailroom.config.json'), JSON.stringify({ dsn: BAD_DSN, retry: { attempts: 'three' } }));
    const wrong = await runCli(['journal'], { cwd: dir, env: {} });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/option "retry\.attempts"/);

    await writeFile(join(dir, 'mailroom.config.json'), JSON.stringify({ dsn: BAD_DSN, from: 'shop@example.com' }));
    const sent = await runCli(['send', '--to', 'ann@example.com', '--text', 'hi'], { cwd: dir, env: {} });
    expect(sent.code).toBe(1);
    expect(sent.stderr).toMatch(/^error CONFIG: .*mailroom\.config\.json: option "dsn"/m);
    for (const run of [listed, queue, wrong, sent]) expect(run.stderr + run.stdout).not.toContain(SECRET);
  });
});
