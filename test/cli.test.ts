// The `mailroom` command, run as a user runs it: the built CLI (dist/src/cli/main.js) in a child
// process, in a temp working directory, against real local servers: smtp-server with STARTTLS and
// AUTH (one that accepts, one that answers Office 365's 5.7.139), and the local Brevo API. Every
// output of the suite is kept, and the last test checks that no configured secret appears in any.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendJournal, type JournalEntry } from '../src/journal/journal.js';
import { normalizeMessage } from '../src/core/message.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { hideSqliteBinding } from './helpers/journal-process.js';
import { builtCli, CLI } from './helpers/built-cli.js';
import { createTestTls } from './helpers/tls.js';
import { startBrevoServer, type BrevoServer } from './providers/brevo.js';


// Every credential the suite configures. None may ever appear in what the CLI prints.
const SMTP_PASSWORD = 'smtpPa55SECRETa1b2c3';
const WRONG_PASSWORD = 'wrongPa55SECRETd4e5f6';
const BREVO_KEY = 'xkeysib-SECRET-0123456789abcdef';
const WRONG_BREVO_KEY = 'xkeysib-SECRET-wrong-fedcba987654';
const O365_PASSWORD = 'o365Pa55SECRETg7h8i9';
const REMOTE_PASSWORD = 'remotePa55SECRETj0k1';
const SECRETS = [SMTP_PASSWORD, WRONG_PASSWORD, BREVO_KEY, WRONG_BREVO_KEY, O365_PASSWORD, REMOTE_PASSWORD];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const outputs: Array<{ args: string[]; env: Record<string, string>; stdout: string; stderr: string }> = [];
const configsWritten: string[] = [];
let base: string;
let caFile: string;
let good: TestSmtpServer;
let blocked: TestSmtpServer;
let brevo: BrevoServer;
let GOOD: string;
let BAD: string;
let BLOCKED: string;
let BREVO_GOOD: string;
let BREVO_BAD: string;

/** Runs the built CLI; the environment has no MAILROOM_* variables but those given. */
function run(args: string[], options: { cwd: string; env?: Record<string, string>; input?: string }): Promise<Run> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: caFile, ...options.env };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      outputs.push({ args, env: options.env ?? {}, stdout, stderr });
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Writes a configuration file, remembering its text for the secret scan. */
async function writeConfig(file: string, text: string): Promise<void> {
  configsWritten.push(text);
  await writeFile(file, text);
}

/** Runs the built CLI with a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function runInTerminal(args: string[], options: { cwd: string }): Promise<Run> {
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: caFile, TERM: 'xterm' };
  return new Promise((resolvePromise, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      outputs.push({ args, env: {}, stdout, stderr: '' });
      resolvePromise({ code, stdout, stderr: '' });
    });
    child.stdin.end();
  });
}

async function workdir(name: string): Promise<string> {
  const dir = join(base, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function entries(cwd: string, ...filters: string[]): Promise<JournalEntry[]> {
  const listed = await run(['journal', '--json', '--limit', '100', ...filters], { cwd });
  expect(listed.code).toBe(0);
  return JSON.parse(listed.stdout) as JournalEntry[];
}

beforeAll(async () => {
  await builtCli();
  base = await mkdtemp(join(tmpdir(), 'mailroom-cli-'));
  const tls = await createTestTls();
  caFile = join(base, 'ca.pem');
  await writeFile(caFile, tls.ca);
  good = await startSmtpServer({ tls, users: { 'shop@example.com': SMTP_PASSWORD } });
  blocked = await startSmtpServer({
    tls,
    users: { 'shop@example.com': SMTP_PASSWORD },
    script: { reply: { AUTH: { code: 535, message: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.' } } },
  });
  brevo = await startBrevoServer(BREVO_KEY);
  GOOD = `smtp://shop%40example.com:${SMTP_PASSWORD}@127.0.0.1:${good.port}`;
  BAD = `smtp://shop%40example.com:${WRONG_PASSWORD}@127.0.0.1:${good.port}`;
  BLOCKED = `smtp://shop%40example.com:${SMTP_PASSWORD}@127.0.0.1:${blocked.port}`;
  BREVO_GOOD = `brevo+api://${BREVO_KEY}@127.0.0.1:${brevo.port}?insecure=true`;
  BREVO_BAD = `brevo+api://${WRONG_BREVO_KEY}@127.0.0.1:${brevo.port}?insecure=true`;
});

afterAll(async () => {
  await Promise.all([good?.close(), blocked?.close(), brevo?.close()]);
  if (base) await rm(base, { recursive: true, force: true });
});

describe('mailroom CLI', () => {
  it('has --help with examples on every command', async () => {
    const commands = [['send'], ['test'], ['verify'], ['journal'], ['journal', 'show'], ['journal', 'prune'], ['resend'], ['explain'], ['doctor'], ['preview'], ['alerts', 'test'], ['events', 'replay'], ['queue'], ['worker']];
    const cwd = await workdir('help');
    const runs = await Promise.all(commands.map((command) => run([...command, '--help'], { cwd })));
    runs.forEach((help, index) => {
      expect(help.code, commands[index]!.join(' ')).toBe(0);
      expect(help.stdout).toContain('Examples:');
      expect(help.stdout).toContain(`$ mailroom ${commands[index]!.join(' ')}`);
    });
  });

  it('prints the package version', async () => {
    const manifest = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const version = await run(['--version'], { cwd: await workdir('version') });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(manifest.version);
  });

  describe('verify', () => {
    it('checks each adapter without sending, with the code and remedy of each failure, and exits 1', async () => {
      const cwd = await workdir('verify');
      const before = good.messages.length;
      const result = await run(['verify', '--dsn', `failover(${GOOD} ${BAD} ${BREVO_BAD} ${BREVO_GOOD})`], { cwd });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^ADAPTER\s+RESULT\s+TIME$/m);
      expect(result.stdout).toMatch(/^smtp\s+ok\s+(\d+ ms|\d+\.\d s)$/m);
      expect(result.stdout).toMatch(/^smtp-2\s+failed/m);
      expect(result.stdout).toMatch(/^brevo\s+failed/m);
      expect(result.stdout).toMatch(/^brevo-2\s+ok/m);
      expect(result.stdout).toMatch(/smtp-2 failed: AUTH 535 5\.7\.3/);
      expect(result.stdout).toMatch(/brevo failed: AUTH 401/);
      expect(result.stdout.match(/remedy: /g)?.length).toBeGreaterThanOrEqual(2);
      expect(result.stdout).toContain('2 of 4 adapters failed');
      expect(good.messages.length).toBe(before);
      expect(brevo.takeArrivals()).toEqual([]);
    });

    it('exits 0 when every adapter passes, and prints JSON on request', async () => {
      const cwd = await workdir('verify');
      const result = await run(['verify', '--json'], { cwd, env: { MAILROOM_DSN: GOOD } });
      expect(result.code).toBe(0);
      const rows = JSON.parse(result.stdout) as Array<{ adapter: string; ok: boolean; result: string }>;
      expect(rows).toEqual([expect.objectContaining({ adapter: 'smtp', ok: true, result: 'ok' })]);
    });
  });

  describe('test', () => {
    it('sends the test-email template through each adapter separately, not as a failover chain', async () => {
      const cwd = await workdir('test-ok');
      const before = good.messages.length;
      brevo.takeArrivals();
      const result = await run(['test', '--to', 'ann@example.com', '--from', 'Shop <shop@example.com>', '--dsn', `failover(${GOOD} ${BREVO_GOOD})`], { cwd });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^ADAPTER\s+RESULT\s+TIME\s+PROVIDER MESSAGE ID$/m);
      expect(result.stdout).toMatch(/^smtp\s+sent\s+\d+(\.\d)? m?s\s+\S+/m);
      expect(result.stdout).toMatch(/^brevo\s+sent\s+\d+(\.\d)? m?s\s+<\d+\.\d+@smtp-relay\.mailin\.fr>$/m);
      expect(result.stdout).toContain('2 adapters sent the test email');
      // A chain would have stopped at the first adapter; each adapter got its own test email.
      expect(good.messages.length).toBe(before + 1);
      const arrivals = brevo.takeArrivals();
      expect(arrivals).toHaveLength(1);
      const mail = await simpleParser(good.messages.at(-1)!.raw);
      expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('ann@example.com');
      expect(mail.subject).toBe('mailroom test email via smtp');
      expect(mail.text).toMatch(/Adapter\s+smtp/);
      expect(mail.text).toContain('smtp → brevo');
      expect(mail.text).toContain('Shop <shop@example.com>');
      const journaled = await entries(cwd);
      expect(journaled.map((entry) => [entry.status, entry.adapter, entry.summary.template])).toEqual([
        ['sent', 'brevo', 'test-email'],
        ['sent', 'smtp', 'test-email'],
      ]);
    });

    it('reports a failing adapter with its code and remedy, and exits 1', async () => {
      const cwd = await workdir('test-fail');
      const result = await run(['test', '--to', 'ann@example.com', '--from', 'shop@example.com', '--dsn', `failover(${BLOCKED} ${GOOD})`], { cwd });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^smtp\s+failed\s+\d+(\.\d)? m?s\s+-$/m);
      expect(result.stdout).toMatch(/^smtp-2\s+sent/m);
      expect(result.stdout).toMatch(/smtp failed: AUTH 535 5\.7\.139/);
      expect(result.stdout).toMatch(/remedy: .*Authenticated SMTP/);
      expect(result.stdout).toContain('1 of 2 adapters failed');
      const [failed] = await entries(cwd, '--status', 'failed');
      expect(failed?.attempts.map((attempt) => attempt.adapter)).toEqual(['smtp']);
    });

    it('on a fresh setup sends as the mailbox the chain signs in as; with only an API key, says where to set the sender', async () => {
      const cwd = await workdir('test-no-from');
      const before = good.messages.length;
      const asMailbox = await run(['test', '--to', 'ann@example.com', '--dsn', GOOD], { cwd });
      expect(asMailbox.stderr).toBe('');
      expect(asMailbox.code).toBe(0);
      expect(good.messages.length).toBe(before + 1);
      expect(good.messages.at(-1)!.from).toBe('shop@example.com');
      expect((await simpleParser(good.messages.at(-1)!.raw)).from?.text).toBe('shop@example.com');

      brevo.takeArrivals();
      const requests = brevo.requests.length;
      for (const command of [['test', '--to', 'ann@example.com'], ['send', '--to', 'ann@example.com', '--text', 'hi']]) {
        const noSender = await run([...command, '--dsn', BREVO_GOOD], { cwd });
        expect(noSender.code).toBe(1);
        expect(noSender.stderr).toMatch(/^error CONFIG: .*no sender address/m);
        const remedy = /^remedy: (.*)$/m.exec(noSender.stderr)?.[1] ?? '';
        for (const where of ['--from', 'MAILROOM_FROM', '"from"', 'mailroom.config.json']) expect(remedy).toContain(where);
        expect(`${noSender.stdout}${noSender.stderr}`).not.toContain('none known');
      }
      expect(brevo.requests.length).toBe(requests);

      // A sender that is not an address: the flag's fault, said once, nothing sent or journaled.
      for (const command of [['test', '--to', 'ann@example.com'], ['send', '--to', 'ann@example.com', '--text', 'hi']]) {
        const badSender = await run([...command, '--from', 'shop at example', '--dsn', BREVO_GOOD], { cwd });
        expect(badSender.code).toBe(1);
        expect(badSender.stderr).toMatch(/^error CONFIG: .*the sender \(from the --from option\) is not an address/m);
        expect(badSender.stdout).not.toMatch(/INVALID_MESSAGE/);
      }
      expect(brevo.requests.length).toBe(requests);

      const fromEnv = await run(['test', '--to', 'ann@example.com', '--dsn', BREVO_GOOD], { cwd, env: { MAILROOM_FROM: 'Shop <shop@example.com>' } });
      expect(fromEnv.code).toBe(0);
      expect(brevo.takeArrivals().map((arrival) => arrival.from)).toEqual([{ address: 'shop@example.com', name: 'Shop' }]);
    });

    it('tests one adapter with --adapter, and names the adapters when the name is wrong', async () => {
      const cwd = await workdir('test-one');
      const one = await run(['test', '--to', 'ann@example.com', '--from', 'shop@example.com', '--adapter', 'smtp-2', '--dsn', `failover(${BLOCKED} ${GOOD})`], { cwd });
      expect(one.code).toBe(0);
      expect(one.stdout).toMatch(/^smtp-2\s+sent/m);
      expect(one.stdout).not.toMatch(/^smtp\s/m);
      const wrong = await run(['test', '--to', 'ann@example.com', '--adapter', 'graph', '--dsn', `failover(${BLOCKED} ${GOOD})`], { cwd });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('error CONFIG');
      expect(wrong.stderr).toContain('no adapter named "graph"; it has smtp, smtp-2');
    });
  });

  describe('send', () => {
    it('resend refuses an empty --to or --since (an unset variable) instead of resending every failed entry', async () => {
      const cwd = await workdir('resend-empty-filter');
      const failed = await run(['send', '--to', 'bob@example.com', '--from', 'shop@example.com', '--text', 'Hi', '--dsn', BAD], { cwd });
      expect(failed.code).toBe(1);
      for (const flag of ['--to', '--since']) {
        const result = await run(['resend', '--failed', flag, '', '--dry-run', '--dsn', GOOD], { cwd });
        expect(result.code, flag).toBe(1);
        expect(result.stderr, flag).toMatch(new RegExp(`^error CONFIG: .*${flag} is empty`, 'm'));
        expect(result.stdout, flag).not.toContain('bob@example.com');
      }
    });

    it('reading commands given a journal file that does not exist say so, and create nothing', async () => {
      const cwd = await workdir('journal-typo');
      for (const args of [['journal'], ['journal', 'show', '01JH3Q8ZP6X1V4N2W5R7T9K0BC'], ['journal', 'prune'], ['resend', '--failed']]) {
        const result = await run([...args, '--journal', 'jouranl.sqlite'], { cwd });
        expect(result.code, args.join(' ')).toBe(1);
        expect(result.stderr, args.join(' ')).toMatch(/^error CONFIG: .*no journal at .*jouranl\.sqlite/m);
        expect(result.stderr, args.join(' ')).toMatch(/^remedy: .*--journal/m);
        expect(existsSync(join(cwd, 'jouranl.sqlite')), args.join(' ')).toBe(false);
      }
    });

    it('refuses --data or --locale without --template instead of dropping them', async () => {
      const cwd = await workdir('send-data-no-template');
      await writeFile(join(cwd, 'order.json'), '{"order":{"number":"1042"}}');
      for (const extra of [['--data', 'order.json'], ['--locale', 'fr']]) {
        const result = await run(['send', '--to', 'ann@example.com', '--from', 'shop@example.com', '--text', 'Hi', '--dsn', 'memory://', '--journal', 'memory://', ...extra], { cwd });
        expect(result.code, extra[0]).toBe(1);
        expect(result.stdout, extra[0]).not.toMatch(/^sent /m);
        expect(result.stderr, extra[0]).toMatch(new RegExp(`^error CONFIG: .*${extra[0]} goes with --template`, 'm'));
      }
    });

    it('refuses an empty --idempotency-key (an unset variable) instead of sending without one', async () => {
      const cwd = await workdir('send-empty-key');
      const result = await run(['send', '--to', 'ann@example.com', '--from', 'shop@example.com', '--text', 'Hi', '--dsn', 'memory://', '--journal', 'memory://', '--idempotency-key', ''], { cwd });
      expect(result.code).toBe(1);
      expect(result.stdout).not.toMatch(/^sent /m);
      expect(result.stderr).toMatch(/^error INVALID_MESSAGE: .*"idempotencyKey" must be 1 to 200 characters/m);
    });

    it('delivers when the journal fails, and says on stderr that the journal failed', async () => {
      const cwd = await workdir('send-journal-down');
      await writeFile(join(cwd, 'not-a-folder'), 'x');
      const before = good.messages.length;
      const result = await run(['send', '--to', 'ann@example.com', '--from', 'shop@example.com', '--subject', 'Hi', '--text', 'Hi', '--dsn', GOOD, '--journal', 'not-a-folder/journal.sqlite'], { cwd });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^sent \w{26} via smtp$/m);
      expect(good.messages.length).toBe(before + 1);
      expect(result.stderr).toMatch(/^warning: the send journal failed: .*not-a-folder/m);
      // With the fix, as the mailer's own warning gives it: the journal error's remedy.
      expect(result.stderr).toMatch(/^warning: the send journal failed: .*\n {2}remedy: \S/m);
      // Once: not again as the mailer's process warning for the same failure.
      expect(result.stderr.match(/^warning:/gm)).toHaveLength(1);
      expect(result.stderr).not.toContain('(node:');
    });
  });

  describe('journal', () => {
    let cwd: string;
    let annId: string;
    let bobId: string;

    beforeAll(async () => {
      cwd = await workdir('journal');
      const sent = await run(['send', '--to', 'ann@example.com', '--from', 'shop@example.com', '--subject', 'Order 1042', '--text', 'Thanks', '--dsn', GOOD], { cwd });
      expect(sent.code).toBe(0);
      const failed = await run(['send', '--to', 'bob@example.com', '--from', 'shop@example.com', '--subject', '=HYPERLINK("x")', '--text', 'Hi', '--dsn', BAD], { cwd });
      expect(failed.code).toBe(1);
      const listed = await entries(cwd);
      annId = listed.find((entry) => entry.summary.to[0] === 'ann@example.com')!.id;
      bobId = listed.find((entry) => entry.summary.to[0] === 'bob@example.com')!.id;
    });

    it('lists newest first and filters by status, recipient and time', async () => {
      const all = await run(['journal'], { cwd });
      expect(all.code).toBe(0);
      const lines = all.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^ID\s+CREATED \(UTC\)\s+STATUS\s+ADAPTER\s+TO\s+SUBJECT\s+ERROR$/);
      expect(lines[1]).toMatch(new RegExp(`^${bobId}\\s.*\\sfailed\\s+-\\s+bob@example.com\\s+=HYPERLINK\\("x"\\)\\s+AUTH 535 5\\.7\\.3: \\[smtp\\] `));
      expect(lines[2]).toMatch(new RegExp(`^${annId}\\s.*\\ssent\\s+smtp\\s+ann@example.com\\s+Order 1042$`));
      expect((await entries(cwd, '--status', 'failed')).map((entry) => entry.id)).toEqual([bobId]);
      expect((await entries(cwd, '--to', 'ANN@example')).map((entry) => entry.id)).toEqual([annId]);
      expect((await entries(cwd, '--since', '1h')).map((entry) => entry.id)).toEqual([bobId, annId]);
      expect(await entries(cwd, '--since', '2099-01-01')).toEqual([]);
      expect((await entries(cwd, '--until', '2099-01-01T00:00:00Z', '--limit', '1')).map((entry) => entry.id)).toEqual([bobId]);
      const empty = await run(['journal', '--status', 'pending'], { cwd });
      expect(empty.stdout).toContain('(no entries)');
      const paged = await run(['journal', '--limit', '1'], { cwd });
      expect(paged.stdout).toContain(`more entries: add --cursor ${bobId}`);
    });

    it('rejects wrong filters with the flag and the expected value', async () => {
      const since = await run(['journal', '--since', 'yesterday'], { cwd });
      expect(since.code).toBe(1);
      expect(since.stderr).toContain('--since expects a duration such as 10m, 2h or 1d, or a date such as 2026-01-31');
      const status = await run(['journal', '--status', 'bounced'], { cwd });
      expect(status.code).toBe(1);
      expect(status.stderr).toContain('--status must be one of pending, sent, failed, queued, got "bounced"');
      const both = await run(['journal', '--json', '--csv'], { cwd });
      expect(both.code).toBe(1);
    });

    it('prints JSON without the stored content, and CSV safe for spreadsheets', async () => {
      const json = await entries(cwd);
      expect(json[0]).not.toHaveProperty('content');
      expect(json[0]).toMatchObject({ contentStored: true, status: 'failed' });
      const csv = await run(['journal', '--csv'], { cwd });
      expect(csv.code).toBe(0);
      const rows = csv.stdout.trim().split('\n');
      expect(rows[0]).toBe('id,createdAt,updatedAt,status,adapter,providerMessageId,messageId,from,to,cc,bcc,subject,template,attempts,errorCode,errorMessage,remedy,resendOf,resentAs,possibleDuplicate');
      expect(rows).toHaveLength(3);
      expect(rows[1]).toContain(`${bobId},`);
      expect(rows[1]).toContain(`,"'=HYPERLINK(""x"")",`);
      expect(rows[1]).toContain(',ALL_FAILED,');
    });

    it('shows one entry with every attempt, its codes and remedy', async () => {
      const shown = await run(['journal', 'show', bobId], { cwd });
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(new RegExp(`^entry\\s+${bobId}$`, 'm'));
      expect(shown.stdout).toMatch(/^status\s+failed$/m);
      expect(shown.stdout).toMatch(/^error\s+ALL_FAILED: /m);
      // The remedy once, on its own line, not also at the end of the error line.
      expect(shown.stdout).toMatch(/^remedy\s+\S/m);
      expect(shown.stdout).not.toMatch(/^error\s+.*Last remedy/m);
      expect(shown.stdout).toContain('attempts (1):');
      expect(shown.stdout).toMatch(/1\. smtp .* failed {2}AUTH 535 5\.7\.3/);
      expect(shown.stdout).toMatch(/^ {5}remedy: \S/m);
      expect(shown.stdout).toContain(`stored (mailroom resend ${bobId} sends it again)`);
      const missing = await run(['journal', 'show', '01ZZZZZZZZZZZZZZZZZZZZZZZZ'], { cwd });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('no journal entry with id 01ZZZZZZZZZZZZZZZZZZZZZZZZ in sqlite:.mailroom/journal.sqlite');
    });

    it('resends failed entries, links them to the original, and does not resend them twice', async () => {
      const resent = await run(['resend', '--failed', '--dsn', GOOD, '--from', 'shop@example.com'], { cwd });
      expect(resent.code).toBe(0);
      expect(resent.stderr).toMatch(new RegExp(`^resend 1/1 ${bobId} sent via smtp as \\w{26}$`, 'm'));
      expect(resent.stdout).toContain('resent 1: 1 sent, 0 failed');
      const original = JSON.parse((await run(['journal', 'show', bobId, '--json'], { cwd })).stdout) as JournalEntry;
      expect(original.resentAs).toHaveLength(1);
      const copy = JSON.parse((await run(['journal', 'show', original.resentAs![0]!, '--json'], { cwd })).stdout) as JournalEntry;
      expect(copy).toMatchObject({ status: 'sent', adapter: 'smtp', resendOf: bobId });
      expect(copy.messageId).not.toBe(original.messageId);
      const again = await run(['resend', '--failed', '--dsn', GOOD], { cwd });
      expect(again.code).toBe(0);
      expect(again.stdout.trim()).toBe('nothing to resend');
    });

    it('exits 1 when a resend fails, and for an unknown id', async () => {
      const failing = await run(['resend', annId, '--dsn', BAD, '--from', 'shop@example.com'], { cwd });
      expect(failing.code).toBe(1);
      expect(failing.stdout).toMatch(new RegExp(`^${annId}\\s+failed\\s+\\w{26}\\s+-\\s+ALL_FAILED`, 'm'));
      expect(failing.stdout).toContain('resent 1: 0 sent, 1 failed');
      const unknown = await run(['resend', '01ZZZZZZZZZZZZZZZZZZZZZZZZ'], { cwd });
      expect(unknown.code).toBe(1);
      expect(unknown.stdout).toContain('no journal entry with id 01ZZZZZZZZZZZZZZZZZZZZZZZZ');
      // The remedy says where ids come from, not the generic "fix the option or DSN".
      expect(unknown.stdout).toContain('Copy the id from the first column of `mailroom journal`');
      const noMode = await run(['resend'], { cwd });
      expect(noMode.code).toBe(1);
      expect(noMode.stderr).toContain('give entry ids, or --failed, or --pending');
    });

    it('completes pending entries left by a crash in place, keeping their Message-ID', async () => {
      // What a process killed mid-send leaves: an entry written "pending" before its first attempt.
      const journal = new SendJournal({ store: join(cwd, '.mailroom/journal.sqlite') });
      const content = { from: 'shop@example.com', to: 'carol@example.com', subject: 'Interrupted', text: 'Hello Carol' };
      const entry = journal.createEntry(normalizeMessage(content), content);
      await journal.write(entry);
      await journal.close();

      const young = await run(['resend', '--pending', '--dsn', GOOD], { cwd });
      expect(young.stdout.trim()).toMatch(/^nothing to resend: 1 pending entry is younger than --older-than 10m \(the default\)/);
      const dry = await run(['resend', '--pending', '--older-than', '0s', '--dry-run', '--dsn', GOOD], { cwd });
      expect(dry.stdout.trim()).toBe(`would resend 1: ${entry.id}`);
      const before = good.messages.length;
      const done = await run(['resend', '--pending', '--older-than', '0s', '--dsn', GOOD], { cwd });
      expect(done.code).toBe(0);
      expect(done.stdout).toMatch(new RegExp(`^${entry.id}\\s+sent\\s+${entry.id} \\(same\\)\\s+smtp`, 'm'));
      expect(good.messages.length).toBe(before + 1);
      const mail = await simpleParser(good.messages.at(-1)!.raw);
      expect(mail.messageId).toBe(entry.messageId);
      const [completed] = await entries(cwd, '--to', 'carol@');
      expect(completed).toMatchObject({ id: entry.id, status: 'sent', adapter: 'smtp' });
    });
  });

  describe('--journal off', () => {
    it('sends without a journal, as journal: false does, and creates no file named off', async () => {
      const cwd = await workdir('journal-off');
      for (const word of ['off', 'false']) {
        const sent = await run(['send', '--dsn', 'memory://', '--from', 'shop@example.com', '--to', 'ann@example.com', '--text', 'hi', '--journal', word], { cwd });
        expect(sent.code).toBe(0);
        expect(sent.stdout).toMatch(/journal: off/);
        expect(existsSync(join(cwd, word))).toBe(false);
      }
    });
  });

  describe('journal table of an entry that may have arrived twice', () => {
    it('marks its status (dup?), as journal show explains', async () => {
      const cwd = await workdir('dup-mark');
      const journal = new SendJournal({ store: join(cwd, '.mailroom/journal.sqlite') });
      const content = { from: 'shop@example.com', to: 'dave@example.com', subject: 'Maybe twice', text: 'x' };
      const entry = { ...journal.createEntry(normalizeMessage(content), content), status: 'sent' as const, adapter: 'brevo', possibleDuplicate: true };
      const clean = { ...journal.createEntry(normalizeMessage(content), content), status: 'sent' as const, adapter: 'brevo' };
      await journal.write(entry);
      await journal.write(clean);
      await journal.close();
      const listed = await run(['journal'], { cwd });
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(new RegExp(`^${entry.id}\\s+\\S+ \\S+\\s+sent \\(dup\\?\\)\\s+brevo`, 'm'));
      expect(listed.stdout).toMatch(new RegExp(`^${clean.id}\\s+\\S+ \\S+\\s+sent\\s+brevo`, 'm'));
    });
  });

  describe('journal show of encrypted and sensitive entries', () => {
    it('counts encrypted content as stored and never prints it; a sensitive entry says its content was never kept', async () => {
      const cwd = await workdir('journal-sealed');
      const journal = new SendJournal({ store: join(cwd, '.mailroom/journal.sqlite'), encryptionKey: 'b'.repeat(64) });
      const order = { from: 'shop@example.com', to: 'ann@example.com', subject: 'Order 7', text: 'Linen shirt' };
      const sealed = journal.createEntry(normalizeMessage(order), order);
      const reset = { ...order, subject: 'Reset', text: 'https://shop.example/reset?t=1', sensitive: true };
      const sensitive = journal.createEntry(normalizeMessage(reset), reset);
      await journal.write(sealed);
      await journal.write(sensitive);
      await journal.close();

      // No MAILROOM_JOURNAL_KEY: the CLI reads the content sealed.
      const shown = await run(['journal', 'show', sealed.id], { cwd });
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/^content\s+stored, encrypted/m);
      const shownSensitive = await run(['journal', 'show', sensitive.id], { cwd });
      expect(shownSensitive.stdout).toMatch(/^content\s+sensitive: never kept/m);

      const json = JSON.parse((await run(['journal', 'show', sealed.id, '--json'], { cwd })).stdout) as Record<string, unknown>;
      expect(json).toMatchObject({ id: sealed.id, contentStored: true });
      expect(json).not.toHaveProperty('sealedContent');
      const listed = await entries(cwd);
      expect(listed.find((entry) => entry.id === sealed.id)).toMatchObject({ contentStored: true });
      expect(listed.find((entry) => entry.id === sensitive.id)).toMatchObject({ contentStored: false, sensitive: true });
      for (const entry of listed) expect(entry).not.toHaveProperty('sealedContent');
    });
  });

  describe('resend at a terminal, and prune', () => {
    it('shows a progress bar when stderr is a terminal', async () => {
      const cwd = await workdir('resend-tty');
      for (const to of ['dan@example.com', 'eve@example.com']) {
        expect((await run(['send', '--to', to, '--from', 'shop@example.com', '--subject', 'Hi', '--text', 'Hi', '--dsn', BAD], { cwd })).code).toBe(1);
      }
      const result = await runInTerminal(['resend', '--failed', '--dsn', GOOD, '--from', 'shop@example.com'], { cwd });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/resending \[[█░]+\] 2\/2 {2}failed: 0/);
      expect(result.stdout).not.toContain('resend 1/2');
      expect(result.stdout).toContain('resent 2: 2 sent, 0 failed');
    });

    it('prunes entries past their retention', async () => {
      const cwd = await workdir('prune');
      const journal = new SendJournal({ store: join(cwd, '.mailroom/journal.sqlite'), ttlMs: 1 });
      const content = { from: 'shop@example.com', to: 'old@example.com', subject: 'Old', text: 'Old' };
      await journal.write(journal.createEntry(normalizeMessage(content), content));
      await journal.close();
      await new Promise((done) => setTimeout(done, 20));
      const pruned = await run(['journal', 'prune'], { cwd });
      expect(pruned.code).toBe(0);
      expect(pruned.stdout.trim()).toBe('pruned 1 expired entry from sqlite:.mailroom/journal.sqlite');
      expect((await run(['journal', 'prune'], { cwd })).stdout.trim()).toBe('pruned 0 expired entries from sqlite:.mailroom/journal.sqlite');
    });
  });

  describe('explain', () => {
    it('output piped into a reader that stops early (| head) ends quietly, not with an unhandled EPIPE', async () => {
      const cwd = await workdir('explain-epipe');
      const result = await new Promise<{ code: number | null; stderr: string }>((done, reject) => {
        const child = spawn(process.execPath, [CLI, 'explain', '535 5.7.139 Authentication unsuccessful'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.destroy(); // the reader went away before the first line
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => done({ code, stderr }));
      });
      expect(result.stderr).not.toMatch(/Unhandled 'error' event|EPIPE/);
      expect(result.code).toBe(0);
    });

    it('explains an SMTP reply, from arguments or standard input', async () => {
      const cwd = await workdir('explain');
      const reply = await run(['explain', '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.'], { cwd });
      expect(reply.code).toBe(0);
      expect(reply.stdout).toMatch(/^o365-smtp-auth-disabled$/m);
      expect(reply.stdout).toMatch(/^remedy: +.*Authenticated SMTP/m);
      expect(reply.stdout).toMatch(/^retry: +no/m);
      const piped = await run(['explain', '-', '--json'], { cwd, input: '2026-01-31 08:00:01 ERROR mail failed: 535 5.7.139 Authentication unsuccessful\n' });
      expect(piped.code).toBe(0);
      expect(JSON.parse(piped.stdout)).toMatchObject({ matched: true, rule: 'o365-smtp-auth-disabled', retry: false });
    });

    it('exits 1 when nothing matches', async () => {
      const cwd = await workdir('explain');
      const unknown = await run(['explain', 'the', 'printer', 'is', 'on', 'fire'], { cwd });
      expect(unknown.code).toBe(1);
      expect(unknown.stdout).toContain('no diagnosis');
    });

    it('without any text says how to give it, not the remedy of the example it quotes', async () => {
      const cwd = await workdir('explain');
      const empty = await run(['explain'], { cwd, input: '' });
      expect(empty.code).toBe(1);
      expect(empty.stderr).toMatch(/^error CONFIG: .*give the error text/m);
      expect(empty.stderr).toMatch(/^remedy: .*standard input/m);
      expect(empty.stderr).not.toMatch(/Exchange|OAuth2|password/);
    });
  });

  describe('doctor', () => {
    it('flags an onmicrosoft.com sender, Office 365 basic auth, a single adapter and no retention, each with a remedy', async () => {
      const cwd = await workdir('doctor-o365');
      await writeConfig(
        join(cwd, 'mailroom.config.json'),
        JSON.stringify({ dsn: `office365://admin%40contoso.onmicrosoft.com:${O365_PASSWORD}@default`, journal: { ttlMs: 0 } }),
      );
      const result = await run(['doctor'], { cwd });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^OK +configuration +read \.\/mailroom\.config\.json$/m);
      expect(result.stdout).toMatch(/^WARNING +office365-auth +office365:\/\/admin%40contoso\.onmicrosoft\.com:\*\*\*@default uses basic auth .*end of December 2026/m);
      expect(result.stdout).toMatch(/remedy: move to OAuth2 .*office365\+oauth:\/\//);
      expect(result.stdout).toMatch(/^WARNING +sender +the sender admin@contoso\.onmicrosoft\.com .*onmicrosoft\.com domain/m);
      expect(result.stdout).toMatch(/remedy: add your own domain to the tenant/);
      expect(result.stdout).toMatch(/^WARNING +fallback +the chain has a single adapter \(office365\)/m);
      // A check leaves nothing behind: the default journal is not created, only found creatable.
      expect(result.stdout).toMatch(/^OK +journal +sqlite:\.mailroom\/journal\.sqlite \(the default\) does not exist yet and will be created at the first send \(the folder .*doctor-o365 is writable\)$/m);
      expect(existsSync(join(cwd, '.mailroom'))).toBe(false);
      expect(result.stdout).toMatch(/^WARNING +retention +journal entries are kept forever/m);
      expect(result.stdout).toContain('0 errors, 4 warnings');
      // Said once, in the report: not also as a Node process warning above it.
      expect(result.stderr).toBe('');
      expect(result.stdout.match(/basic auth/g)).toHaveLength(1);
    });

    it('is an error, exit 1, when TLS is off with credentials, the journal is not writable, or the config is wrong', async () => {
      const cwd = await workdir('doctor-errors');
      const tls = await run(['doctor', '--dsn', `failover(smtp://ann%40example.com:${REMOTE_PASSWORD}@mail.example.com:587?requireTLS=false ${GOOD})`], { cwd });
      expect(tls.code).toBe(1);
      expect(tls.stdout).toMatch(/^ERROR +tls +smtp:\/\/ann%40example\.com:\*\*\*@mail\.example\.com:587\?requireTLS=false: TLS is turned off \(requireTLS=false\)/m);
      expect(tls.stdout).toMatch(/remedy: remove requireTLS=false/);
      await writeFile(join(cwd, 'a-file'), 'not a folder');
      const journal = await run(['doctor', '--dsn', GOOD, '--journal', join(cwd, 'a-file/journal.sqlite')], { cwd });
      expect(journal.code).toBe(1);
      expect(journal.stdout).toMatch(/^ERROR +journal +the journal \(from the --journal option\) cannot be used: .*cannot create the journal folder/m);
      await writeConfig(join(cwd, 'mailroom.config.json'), JSON.stringify({ dsn: GOOD, retry: { attempts: 'three' } }));
      const config = await run(['doctor'], { cwd });
      expect(config.code).toBe(1);
      expect(config.stdout).toMatch(/^ERROR +configuration +\[mailroom\] mailroom\.config\.json: option "retry\.attempts": expected a whole number of 1 or more$/m);
    });

    // Node >= 22.13 falls back to its own SQLite; before that the journal needs a native binding.
    it.skipIf(Boolean(process.getBuiltinModule?.('node:sqlite')))('says a journal not created yet could not be opened without its SQLite binding, and creates nothing', async () => {
      const cwd = await workdir('doctor-no-binding');
      const [, preload] = await hideSqliteBinding();
      const result = await run(['doctor', '--dsn', GOOD], { cwd, env: { NODE_OPTIONS: `--require ${preload}` } });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^ERROR +journal +the journal \(the default\) cannot be used: .*native binding of the package sqlite3/m);
      expect(result.stdout).toMatch(/remedy: .*npm rebuild sqlite3/);
      expect(existsSync(join(cwd, '.mailroom'))).toBe(false);
    });

    it('passes a sound configuration', async () => {
      const cwd = await workdir('doctor-ok');
      await writeConfig(join(cwd, 'mailroom.config.json'), JSON.stringify({ dsn: `failover(${GOOD} ${BLOCKED})`, from: 'Shop <shop@example.com>', journal: { store: 'data/mail.sqlite', ttlMs: '30d' } }));
      const result = await run(['doctor', '--json'], { cwd });
      expect(result.code).toBe(0);
      const findings = JSON.parse(result.stdout) as Array<{ level: string; check: string; message: string }>;
      expect(findings.filter((finding) => finding.level !== 'ok')).toEqual([]);
      expect(findings.map((finding) => finding.check)).toEqual(['configuration', 'chain', 'sender', 'journal', 'retention']);
      expect(findings.find((finding) => finding.check === 'retention')?.message).toMatch(/^journal entries are kept for 30d; `mailroom journal prune` /);
      expect(findings.find((finding) => finding.check === 'journal')?.message).toMatch(/^sqlite:data\/mail\.sqlite \(from the config file .*mailroom\.config\.json\) does not exist yet and will be created at the first send/);
      expect(existsSync(join(cwd, 'data'))).toBe(false);
      // Once a send has created it, the journal itself is opened and written to.
      const sent = await run(['send', '--to', 'ann@example.com', '--subject', 'Hi', '--text', 'Hi'], { cwd });
      expect(sent.code, sent.stderr).toBe(0);
      const again = JSON.parse((await run(['doctor', '--json'], { cwd })).stdout) as Array<{ check: string; message: string }>;
      expect(again.find((finding) => finding.check === 'journal')?.message).toMatch(/^sqlite:data\/mail\.sqlite \(from the config file .*mailroom\.config\.json\) is reachable and writable$/);
    });
  });

  describe('process warnings', () => {
    it('prints the Office 365 basic-auth warning once, as a CLI warning line, not as a Node process warning', async () => {
      const cwd = await workdir('warning-o365');
      const result = await run(['verify', '--dsn', `office365://shop%40example.com:${O365_PASSWORD}@127.0.0.1:9`], { cwd });
      expect(result.stderr).not.toMatch(/\(node:\d+\)|MailroomWarning/);
      expect(result.stderr.match(/^warning: Office 365 basic auth .*SMTP\.SendAsApp.*$/gm)).toHaveLength(1);
    });

    it('prints a library\'s warning once in the same format, as a doctor finding in doctor, and nothing under NODE_NO_WARNINGS', async () => {
      const cwd = await workdir('warning-library');
      const emit = "process.emitWarning('the old option is going away', 'DeprecationWarning');";
      await writeConfig(join(cwd, 'mailroom.config.mjs'), `${emit}\n${emit}\nexport default { dsn: 'memory://', journal: false };\n`);
      const verify = await run(['verify'], { cwd });
      expect(verify.stderr).not.toContain('(node:');
      expect(verify.stderr.match(/^warning: DeprecationWarning: the old option is going away$/gm)).toHaveLength(1);
      const doctor = await run(['doctor'], { cwd });
      expect(doctor.stderr).toBe('');
      expect(doctor.stdout.match(/^WARNING +runtime +DeprecationWarning: the old option is going away$/gm)).toHaveLength(1);
      const quiet = await run(['verify'], { cwd, env: { NODE_NO_WARNINGS: '1' } });
      expect(quiet.stderr).not.toContain('old option');
    });
  });

  describe('configuration discovery', () => {
    it('reads mailroom.config.mjs from the working directory; MAILROOM_DSN overrides it and --dsn overrides both', async () => {
      const cwd = await workdir('config-mjs');
      await writeConfig(join(cwd, 'mailroom.config.mjs'), `export default { dsn: ${JSON.stringify(GOOD)}, from: 'Shop <shop@example.com>' };\n`);
      const fromFile = await run(['verify'], { cwd });
      expect(fromFile.code).toBe(0);
      expect(fromFile.stdout).toMatch(/^smtp\s+ok/m);
      const fromEnv = await run(['verify'], { cwd, env: { MAILROOM_DSN: BAD } });
      expect(fromEnv.code).toBe(1);
      const fromFlag = await run(['verify', '--dsn', GOOD], { cwd, env: { MAILROOM_DSN: BAD } });
      expect(fromFlag.code).toBe(0);
    });

    it('loads a TypeScript config through tsx, and --config names a file elsewhere', async () => {
      const cwd = await workdir('config-ts');
      await writeConfig(join(cwd, 'mailroom.config.ts'), `const dsn: string = ${JSON.stringify(BREVO_GOOD)};\nexport default { dsn, retry: { attempts: 1 } };\n`);
      const ts = await run(['verify'], { cwd });
      expect(ts.code).toBe(0);
      expect(ts.stdout).toMatch(/^brevo\s+ok/m);
      const other = join(await workdir('config-elsewhere'), 'mail.json');
      await writeConfig(other, JSON.stringify({ dsn: BREVO_BAD }));
      const named = await run(['verify', '--config', other], { cwd });
      expect(named.code).toBe(1);
      expect(named.stdout).toMatch(/^brevo\s+failed/m);
    });

    it('takes the template options (brand, locale) and a default reply-to from a JSON file', async () => {
      const cwd = await workdir('config-templates');
      await writeConfig(
        join(cwd, 'mailroom.config.json'),
        JSON.stringify({ dsn: 'outbox://./outbox', from: 'shop@example.com', replyTo: 'Help <help@example.com>', templates: { brand: { name: 'Atelier Lumière' }, defaultLocale: 'fr', strict: { body: false } } }),
      );
      const preview = await run(['preview', 'test-email'], { cwd });
      expect(preview.code).toBe(0);
      expect(preview.stdout).toContain('Atelier Lumière');
      const sent = await run(['send', '--to', 'ann@example.com', '--subject', 'Hi', '--text', 'Hi', '--json'], { cwd });
      expect(sent.code).toBe(0);
      const eml = await readFile((JSON.parse(sent.stdout) as { providerMessageId: string }).providerMessageId, 'utf8');
      expect(eml).toMatch(/^Reply-To: Help <help@example\.com>\r?$/m);
      await writeConfig(join(cwd, 'mailroom.config.json'), JSON.stringify({ templates: { brand: { nmae: 'x', logoWidth: 'wide' } } }));
      const wrong = await run(['doctor'], { cwd });
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain('unknown option "templates.brand.nmae" (did you mean "templates.brand.name"?)');
      expect(wrong.stdout).toContain('option "templates.brand.logoWidth": expected a whole number of 1 or more');
    });

    it('names the wrong option and what it expects, without echoing values', async () => {
      const cwd = await workdir('config-wrong');
      await writeConfig(join(cwd, 'mailroom.config.json'), JSON.stringify({ dsn: GOOD, onAmbiguous: 'retry', jornal: 'x', retry: { attempts: 0 }, cooldown: { periodMS: 5 } }));
      const result = await run(['verify'], { cwd });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('error CONFIG: [mailroom] mailroom.config.json:');
      expect(result.stderr).toContain('option "retry.attempts": expected a whole number of 1 or more');
      expect(result.stderr).toContain('option "onAmbiguous": expected one of "failover"|"stop"');
      expect(result.stderr).toContain('unknown option "jornal" (did you mean "journal"?); known options: dsn, adapters, from, replyTo, journal,');
      expect(result.stderr).toContain('unknown option "cooldown.periodMS" (did you mean "cooldown.periodMs"?)');
      // Inside an option that also takes a string (journal: a store, or { store, ... }), the same.
      await writeConfig(join(cwd, 'mailroom.config.json'), JSON.stringify({ dsn: GOOD, journal: { stor: 'memory://' } }));
      const inJournal = await run(['verify'], { cwd });
      expect(inJournal.code).toBe(1);
      expect(inJournal.stderr).toContain('unknown option "journal.stor" (did you mean "journal.store"?)');
      const badDsn = await run(['verify', '--dsn', `smtp://ann:${REMOTE_PASSWORD}@`], { cwd: await workdir('config-bad-dsn') });
      expect(badDsn.code).toBe(1);
      expect(badDsn.stderr).toContain('error CONFIG');
      const unknownScheme = await run(['doctor'], { cwd: await workdir('config-bad-dsn'), env: { MAILROOM_DSN: `smtpx://ann:${REMOTE_PASSWORD}@mail.example.com` } });
      expect(unknownScheme.code).toBe(1);
      expect(unknownScheme.stdout).toContain('unknown DSN scheme "smtpx"');
    });
  });

  it('never prints a configured secret, in any output of this suite', async () => {
    // The suite ran each command with these credentials in flags, the environment and config files.
    expect(outputs.length).toBeGreaterThan(40);
    const leaks = outputs.flatMap(({ args, stdout, stderr }) =>
      SECRETS.filter((secret) => stdout.includes(secret) || stderr.includes(secret)).map((secret) => `${secret} in the output of mailroom ${args.map((arg) => arg.replaceAll(secret, '<secret>')).join(' ')}`),
    );
    expect(leaks).toEqual([]);
    // The secrets did reach the CLI: each is in some command line, environment or config file used.
    const inputs = [...outputs.map(({ args, env }) => `${args.join(' ')} ${Object.values(env).join(' ')}`), ...configsWritten].join('\n');
    for (const secret of SECRETS) expect(inputs).toContain(secret);
  });
});

describe('mailroom output into a pipe that closes early (| head -1)', () => {
  it('ends normally, without an unhandled EPIPE stack trace', async () => {
    await builtCli();
    const cwd = await mkdtemp(join(tmpdir(), 'mailroom-epipe-'));
    const child = spawn(process.execPath, [CLI, 'explain', '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The reader goes away before the command writes: every write meets a closed pipe.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolvePromise) => child.on('close', resolvePromise));
    expect(stderr).not.toMatch(/EPIPE|Unhandled 'error' event/);
    expect(code).toBe(0);
  });
});
