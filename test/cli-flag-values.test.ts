// Numeric flag values are read as written: a count is digits only ("0x10" and "1e1" are not 16
// and 10), and a --timeout (or timeoutMs) longer than a timer can run is refused, since Node runs
// such a timer after 1 ms and every attempt would time out at once, reported as a firewall.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMailer, MailError } from '../src/index.js';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';

let cwd: string;

beforeAll(async () => {
  [cwd] = await Promise.all([mkdtemp(join(tmpdir(), 'mailroom-flag-values-')), builtCli()]);
});

describe('count flags', () => {
  it('take digits only', async () => {
    for (const [args, flag] of [[['journal', '--limit', '0x10'], '--limit'], [['journal', '--limit', '1e1'], '--limit'], [['resend', '--failed', '--limit', '0x10'], '--limit'], [['worker', '--queue', 'redis://127.0.0.1:1', '--concurrency', '1e1'], '--concurrency']] as const) {
      const run = await runCli([...args], { cwd, env: { MAILROOM_JOURNAL: 'memory://' }, timeoutMs: 20_000 });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(new RegExp(`^error CONFIG: \\[mailroom\\] ${flag} must be a positive whole number, got "${args.at(-1)}"`, 'm'));
    }
  });
});

describe('journal --since and --until', () => {
  it('refuse a window that ends before it starts, instead of listing nothing', async () => {
    const run = await runCli(['journal', '--since', '1h', '--until', '2h'], { cwd, env: { MAILROOM_JOURNAL: 'memory://' } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error CONFIG: \[mailroom\] --until \(.*\) is not after --since \(.*\): no entry can match/m);
    expect(run.stdout).toBe('');
    const right = await runCli(['journal', '--since', '2h', '--until', '1h'], { cwd, env: { MAILROOM_JOURNAL: 'memory://' } });
    expect(right.code, right.stderr).toBe(0);
  });
});

describe('a timeout longer than a timer can run', () => {
  it('is refused as --timeout, naming the flag', async () => {
    const run = await runCli(['verify', '--dsn', 'smtp://user:pass@127.0.0.1:1', '--timeout', '30d'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error CONFIG: \[mailroom\] --timeout must be at most 24d \(a timer's longest\), got "30d"/m);
    expect(run.stderr).not.toMatch(/TimeoutOverflowWarning|timed out|firewall/);
  });

  it('is refused as the worker\'s --grace', async () => {
    const run = await runCli(['worker', '--queue', 'redis://127.0.0.1:1', '--grace', '30d'], { cwd, env: { MAILROOM_JOURNAL: 'memory://' }, timeoutMs: 20_000 });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error CONFIG: \[mailroom\] --grace must be at most 24d \(a timer's longest\), got "30d"/m);
  });

  it('is refused as the timeoutMs option', () => {
    let thrown: unknown;
    try {
      createMailer({ dsn: 'memory://', journal: false, timeoutMs: 30 * 24 * 3_600_000 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MailError);
    expect((thrown as MailError).message).toMatch(/option "timeoutMs": expected at most 2147483647/);
    expect(() => createMailer({ dsn: 'memory://', journal: false, timeoutMs: 2 ** 31 - 1 })).not.toThrow();
  });
});
