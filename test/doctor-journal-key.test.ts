// A journal key that is not a 32-byte key stops every send and every journal command with CONFIG;
// `mailroom doctor` says so as an error finding (without the value), instead of "journal OK".
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';

const BAD_KEY = 'S3cr3tKEYnotHex';
let cwd: string;

beforeAll(async () => {
  [cwd] = await Promise.all([mkdtemp(join(tmpdir(), 'mailroom-doctor-key-')), builtCli()]);
});

describe('mailroom doctor and the journal key', () => {
  it('reports a MAILROOM_JOURNAL_KEY that is not a key as an error, and exits 1', async () => {
    const env = { MAILROOM_DSN: 'outbox://./outbox', MAILROOM_JOURNAL_KEY: BAD_KEY };
    const sent = await runCli(['send', '--to', 'ann@example.com', '--from', 'shop@example.com', '--text', 'hi'], { cwd, env });
    expect(sent.code).toBe(1);
    expect(sent.stderr).toMatch(/MAILROOM_JOURNAL_KEY must be a 32-byte key/);

    const doctor = await runCli(['doctor', '--json'], { cwd, env });
    expect(doctor.code).toBe(1);
    const findings = JSON.parse(doctor.stdout) as Array<{ level: string; check: string; message: string; remedy?: string }>;
    expect(findings.find((finding) => finding.check === 'journal-key')).toMatchObject({
      level: 'error',
      message: expect.stringMatching(/^MAILROOM_JOURNAL_KEY must be a 32-byte key.*\(15 characters\)/),
      remedy: expect.stringContaining('openssl rand -base64 32'),
    });
    expect(doctor.stdout + doctor.stderr).not.toContain(BAD_KEY);
  });

  it('says nothing about a good key', async () => {
    const doctor = await runCli(['doctor', '--json'], { cwd, env: { MAILROOM_DSN: 'outbox://./outbox', MAILROOM_JOURNAL_KEY: randomBytes(32).toString('base64') } });
    const findings = JSON.parse(doctor.stdout) as Array<{ check: string }>;
    expect(findings.some((finding) => finding.check === 'journal-key')).toBe(false);
  });
});
