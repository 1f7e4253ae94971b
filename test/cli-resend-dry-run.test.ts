// `mailroom resend ID --dry-run` says what the real run would do: an id the journal does not hold
// is not listed as "would resend", it is the real run's CONFIG error, and the exit code is the same.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../src/index.js';
import { memoryAdapter } from '../adapters/memory.js';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';

const UNKNOWN = '01M8K1P45T519RVRN02S011J2B';
let cwd: string;
let sentId: string;

beforeAll(async () => {
  [cwd] = await Promise.all([mkdtemp(join(tmpdir(), 'mailroom-resend-dry-run-')), builtCli()]);
  const mailer = createMailer({ adapters: [memoryAdapter()], from: 'shop@example.com', journal: join(cwd, '.mailroom/journal.sqlite') });
  sentId = (await mailer.send({ to: 'ann@example.com', subject: 'Order 1042', text: 'x' })).id;
  await mailer.close();
});

describe('resend --dry-run with ids', () => {
  it('lists a known id, and fails on an unknown one as the real run does', async () => {
    const dry = await runCli(['resend', sentId, UNKNOWN, '--dry-run'], { cwd });
    expect(dry.stdout).toBe(`would resend 1: ${sentId}\n`);
    expect(dry.stderr).toMatch(new RegExp(`^error CONFIG: \\[mailroom\\] no journal entry with id ${UNKNOWN} in sqlite:`, 'm'));
    expect(dry.stderr).toMatch(/^remedy: Copy the id from the first column of `mailroom journal`/m);
    expect(dry.code).toBe(1);

    const real = await runCli(['resend', UNKNOWN], { cwd });
    expect(real.code).toBe(1);

    const json = await runCli(['resend', UNKNOWN, '--dry-run', '--json'], { cwd });
    expect(JSON.parse(json.stdout)).toMatchObject({ wouldResend: [], notFound: [UNKNOWN] });
    expect(json.code).toBe(1);

    const known = await runCli(['resend', sentId, '--dry-run'], { cwd });
    expect(known.code, known.stderr).toBe(0);
    expect(known.stdout).toBe(`would resend 1: ${sentId}\n`);
  });
});

describe('resend --failed --older-than', () => {
  it('is refused: --older-than is about pending entries, which --failed does not pick', async () => {
    const run = await runCli(['resend', '--failed', '--older-than', '5m', '--dry-run'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error CONFIG: \[mailroom\] --older-than skips pending entries that may still be sending: give it with --pending or ids, not --failed/m);
    const pending = await runCli(['resend', '--pending', '--older-than', '5m', '--dry-run'], { cwd });
    expect(pending.code, pending.stderr).toBe(0);
  });
});
