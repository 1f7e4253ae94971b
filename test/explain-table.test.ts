// The explain table: real error texts gathered from the providers' documentation, SDK sources and
// public issue threads (test/fixtures/error-strings.json, each with the address it comes from), run
// through the catalogue as a library call and, for a sample, through `mailroom explain` as a child
// process: each must get its MailError code and a remedy holding the words a person needs. Then:
// no code is ever without a next step, in the library or in the CLI's output.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose, explain, genericRemedy } from '../src/core/diagnose.js';
import { MailError, type MailErrorCode } from '../src/core/errors.js';
import { printChecks } from '../src/cli/checks.js';

interface Row {
  group: string;
  text: string;
  source: string;
  code: MailErrorCode;
  remedy: string[];
}

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/src/cli/main.js');
const ROWS = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/error-strings.json'), 'utf8')) as Row[];
const GROUPS = ['brevo', 'mailjet', 'mailgun', 'smtp2go', 'postmark', 'sendgrid', 'resend', 'sparkpost', 'ses', 'graph', 'office365', 'microsoft-identity', 'gmail', 'zoho', 'network'];
// Every code once: the Record makes the compiler fail when a code is added without being listed.
const EVERY_CODE = Object.keys({
  INVALID_MESSAGE: 1, CONFIG: 1, TEMPLATE: 1, UNSUPPORTED: 1, AUTH: 1, RATE_LIMITED: 1, TRANSIENT: 1, REJECTED: 1, AMBIGUOUS: 1, ALL_FAILED: 1,
} satisfies Record<MailErrorCode, 1>) as MailErrorCode[];

function runCli(args: string[], cwd: string, input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('the explain table', () => {
  it('holds at least 100 sourced strings covering every provider, Office 365, Microsoft identity, Gmail, Zoho and the network', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(ROWS.map((row) => row.group))).toEqual(new Set(GROUPS));
    for (const row of ROWS) {
      expect(row.source, row.text).toMatch(/^https:\/\/[^\s]+$/);
      expect(EVERY_CODE, row.text).toContain(row.code);
      expect(row.remedy.length, row.text).toBeGreaterThan(0);
    }
    expect(new Set(ROWS.map((row) => row.text)).size).toBe(ROWS.length);
  });

  it.each(ROWS.map((row) => [`${row.group}: ${row.text.slice(0, 90)}`, row] as const))('%s', (_label, row) => {
    const diagnosis = explain(row.text);
    expect(diagnosis, 'no rule matched').toBeDefined();
    expect(diagnosis!.code).toBe(row.code);
    for (const word of row.remedy) expect(diagnosis!.remedy).toContain(word);
  });

  it.each([
    ['413 Payload Too Large', 'REJECTED'],
    ['422 {"ErrorCode":300,"Message":"Invalid To address"}', 'REJECTED'],
    ['400 {"error":{"code":"ErrorInvalidRecipients","message":"At least one recipient is not valid."}}', 'REJECTED'],
    ['404 Not Found', 'REJECTED'],
    // SMTP's own 4xx replies stay temporary.
    ['451 4.3.0 Temporary server error', 'TRANSIENT'],
    ['450 Requested mail action not taken: mailbox unavailable', 'TRANSIENT'],
  ] as const)('reads a pasted HTTP status as HTTP, not as an SMTP temporary reply: %s', (text, code) => {
    expect(explain(text)?.code).toBe(code);
  });

  it('gives the AADSTS7000215 remedy the mangled-secret advice: a + read as a space, percent-encoded as %2B', () => {
    const remedy = explain('AADSTS7000215: Invalid client secret provided.')!.remedy;
    expect(remedy).toMatch(/"\+" becomes a space/);
    expect(remedy).toMatch(/\+ as %2B/);
  });

  it('answers the same through `mailroom explain` (text and --json), for a sample of every group', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'mailroom-explain-'));
    const sample = GROUPS.flatMap((group) => ROWS.filter((row) => row.group === group).slice(0, 2));
    for (const [index, row] of sample.entries()) {
      const expected = explain(row.text)!;
      if (index % 2 === 0) {
        const result = await runCli(['explain', '--json', row.text], cwd);
        expect(result.code, row.text).toBe(0);
        const json = JSON.parse(result.stdout) as { matched: boolean; code: string; rule: string; remedy: string };
        expect(json).toMatchObject({ matched: true, code: row.code, rule: expected.rule });
        for (const word of row.remedy) expect(json.remedy).toContain(word);
      } else {
        // Piped, as from a log: `grep ... | mailroom explain -`.
        const result = await runCli(['explain', '-'], cwd, `${row.text}\n`);
        expect(result.code, row.text).toBe(0);
        expect(result.stdout).toMatch(new RegExp(`^code: +${row.code}$`, 'm'));
        const remedyLine = /^remedy: +(.*)$/m.exec(result.stdout)?.[1] ?? '';
        for (const word of row.remedy) expect(remedyLine).toContain(word);
      }
    }
  }, 120_000);

  it('says a daily quota is a retry later, not a final refusal', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'mailroom-explain-'));
    const result = await runCli(['explain', '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException'], cwd);
    expect(result.stdout).toMatch(/^code: +RATE_LIMITED$/m);
    expect(result.stdout).toMatch(/^retry: +later, once the limit resets/m);
    expect(result.stdout).not.toMatch(/^retry: +no/m);
  });
});

describe('one home for remedies', () => {
  it('adapters and the shared error mappings write no remedy text of their own: it comes from the catalogue', () => {
    const files = [
      ...readdirSync(join(ROOT, 'adapters')).filter((name) => name.endsWith('.ts')).map((name) => join('adapters', name)),
      'src/kit/http.ts', 'src/kit/smtp-errors.ts', 'src/kit/microsoft-token.ts', 'src/core/chain.ts',
    ];
    for (const file of files) {
      const source = readFileSync(join(ROOT, file), 'utf8');
      expect(source, file).not.toMatch(/remedy:\s*['"`]/);
    }
  });
});

describe('no dead ends: every code has a next step', () => {
  it.each(EVERY_CODE)('%s: a MailError no rule knows still has a remedy, and diagnose() keeps it', (code) => {
    const error = new MailError(code, 'a failure no rule knows about, xyzzy');
    expect(error.remedy).toBe(genericRemedy(code));
    expect(error.remedy.length).toBeGreaterThan(40);
    expect(error.specificRemedy).toBeUndefined();
    expect(diagnose(error).remedy).toBe(genericRemedy(code));
    expect(error.toJSON().remedy).toBe(genericRemedy(code));
    expect(error.toAttemptError().remedy).toBe(genericRemedy(code));
  });

  it('a specific remedy wins over the generic one, and the catalogue\'s over none', () => {
    expect(new MailError('AUTH', 'x', { remedy: 'use the other key' }).remedy).toBe('use the other key');
    const diagnosed = diagnose(new MailError('AUTH', 'the server answered 535 5.7.139 Authentication unsuccessful'));
    expect(diagnosed.specificRemedy).toMatch(/Authenticated SMTP/);
  });

  it('the check table prints a remedy for an attempt error that has none', () => {
    const written: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stdout.write;
    try {
      printChecks([{ adapter: 'custom', result: 'failed', ok: false, durationMs: 3, error: { code: 'TRANSIENT', message: 'xyzzy' } }], { providerIds: false });
    } finally {
      process.stdout.write = write;
    }
    const output = written.join('');
    expect(output).toContain(`remedy: ${genericRemedy('TRANSIENT')}`);
    expect(output).not.toMatch(/none known/);
  });

  it('a fresh setup\'s `mailroom test` failure names how to set the sender, never "remedy: none known"', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'mailroom-explain-'));
    const result = await runCli(['test', '--to', 'you@example.com'], cwd);
    const output = `${result.stdout}${result.stderr}`;
    expect(output).toMatch(/remedy: .*MAILROOM_FROM/);
    expect(output).not.toMatch(/none known/);
  });
});
