// Resend never re-sends what was probably delivered: entries flagged possible-duplicate, entries
// whose attempts show a handover (AMBIGUOUS), and pending entries a stopped process had already
// handed over are skipped unless the operator asks for them, through the API and the CLI (run as
// built, dist/src/cli/main.js), which also says why it resends nothing and what its limit left.
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpAdapter } from '../adapters/smtp.js';
import { createMailer, type JournalEntry, type MailMessage } from '../src/index.js';
import { normalizeMessage } from '../src/kit/index.js';
import { SendJournal } from '../src/journal/journal.js';
import { mailErrorOf } from './helpers/assertions.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { builtCli, CLI } from './helpers/built-cli.js';
import { createTestTls, type TestTls } from './helpers/tls.js';

const USER = 'shop@example.com';
const PASSWORD = 'resend-rules-pw';
let tls: TestTls;
let smtp: TestSmtpServer;
let dir: string;
let caFile: string;

beforeAll(async () => {
  await builtCli();
  tls = await createTestTls();
  smtp = await startSmtpServer({ tls, users: { [USER]: PASSWORD } });
  dir = await mkdtemp(join(tmpdir(), 'mailroom-resend-rules-'));
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, tls.ca);
});
afterAll(async () => {
  await smtp?.close();
});

const content = (n: number): MailMessage => ({ from: USER, to: `buyer-${n}@example.com`, subject: `Order ${n}`, text: 'Thanks' });
const journalFile = () => join(dir, `${Math.random().toString(36).slice(2)}.sqlite`);

/** Writes entries as a earlier process would have left them; returns them in order. */
async function seed(file: string, shapes: Array<Partial<JournalEntry>>, ageMs = 3_600_000): Promise<JournalEntry[]> {
  const journal = new SendJournal({ store: file });
  const written: JournalEntry[] = [];
  for (const [n, shape] of shapes.entries()) {
    const entry = { ...journal.createEntry(normalizeMessage(content(n)), content(n)), ...shape };
    // Ids carry their creation time: an entry "an hour old" needs an id from an hour ago.
    entry.id = ulid(Date.now() - ageMs + n);
    await journal.write(entry);
    written.push(entry);
  }
  await journal.close();
  return written;
}

const ambiguousAttempt = { adapter: 'smtp', startedAt: new Date().toISOString(), durationMs: 5, ok: false, error: { code: 'AMBIGUOUS' as const, message: 'the connection was lost after the whole message was sent' } };
const failedAttempt = { adapter: 'smtp', startedAt: new Date().toISOString(), durationMs: 5, ok: false, error: { code: 'AUTH' as const, message: '535 refused' } };

function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: caFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('resend through the API', () => {
  it('refuses a failed entry that may have been delivered unless includePossibleDuplicates', async () => {
    // The first adapter lost the connection after the handover, the second refused for good.
    const mailer = createMailer({ adapters: [scriptedAdapter('lost', [{ fail: 'AMBIGUOUS' }]), scriptedAdapter('strict', [{ fail: 'REJECTED' }])], journal: journalFile() });
    const failure = await mailErrorOf(mailer.send(content(1)));
    const entryId = (await mailer.journal.list({ status: 'failed' })).entries[0]!.id;
    expect(failure.code).toBe('REJECTED');
    const refused = await mailErrorOf(mailer.journal.resend(entryId));
    expect(refused.code).toBe('CONFIG');
    expect(refused.message).toMatch(/may already have been delivered/);
    expect(refused.message).toContain('includePossibleDuplicates');
    const resent = await mailer.journal.resend(entryId, { includePossibleDuplicates: true }).catch((error: unknown) => error);
    // Asked for, it is sent again (and fails again here: the chain still refuses it).
    expect((resent as { code?: string }).code).toBe('REJECTED');
    await mailer.close();
  });

  it('a pending entry whose message a stopped process had handed over is skipped, and resumed with the possible-duplicate flag', async () => {
    const file = journalFile();
    // The server takes the whole message but answers only after 3 s: the sender is "killed" in between.
    const slow = await startSmtpServer({ tls, users: { [USER]: PASSWORD }, dataEndDelayMs: 3_000 });
    const adapter = () => smtpAdapter({ host: 'localhost', port: slow.port, auth: { user: USER, pass: PASSWORD }, tls: { ca: tls.ca } });
    const first = createMailer({ adapters: [adapter()], journal: file });
    const running = first.send({ ...content(7), idempotencyKey: 'order-7' }).catch(() => undefined);
    const reader = createMailer({ adapters: [adapter()], journal: file, retry: { attempts: 1 } });
    let seen: JournalEntry | undefined;
    for (let i = 0; i < 100 && !seen?.handedOver; i++) {
      await new Promise((r) => setTimeout(r, 30));
      seen = await reader.journal.findByIdempotencyKey('order-7');
    }
    expect(seen).toMatchObject({ status: 'pending', handedOver: { adapter: 'smtp' } });
    const refused = await mailErrorOf(reader.journal.resend(seen!.id));
    expect(refused.message).toMatch(/may already have been delivered/);
    const resumed = await reader.journal.resend(seen!.id, { includePossibleDuplicates: true });
    expect(resumed.id).toBe(seen!.id);
    expect(resumed.warnings.join(' ')).toMatch(/may have been delivered/);
    expect((await reader.journal.get(seen!.id))?.possibleDuplicate).toBe(true);
    await running;
    await first.close();
    await reader.close();
    await slow.close();
  });
});

describe('mailroom resend --failed / --pending', () => {
  it('skips possibly delivered entries and says so; --include-possible-duplicates resends them', async () => {
    const cwd = await mkdtemp(join(dir, 'cli-'));
    const file = join(cwd, '.mailroom/journal.sqlite');
    const [flagged, ambiguous, plain] = await seed(file, [
      { status: 'failed', possibleDuplicate: true, attempts: [ambiguousAttempt, failedAttempt] },
      { status: 'failed', attempts: [ambiguousAttempt] },
      { status: 'failed', attempts: [failedAttempt] },
    ]);
    const dsn = `smtp://${encodeURIComponent(USER)}:${PASSWORD}@localhost:${smtp.port}`;
    const env = ['--dsn', dsn];
    const before = smtp.messages.length;
    const first = await cli(['resend', '--failed', ...env], cwd);
    expect(first.stdout).toMatch(new RegExp(`^${flagged!.id}\\s+skipped\\s.*may already have been delivered: it is marked possible duplicate`, 'm'));
    expect(first.stdout).toMatch(new RegExp(`^${ambiguous!.id}\\s+skipped\\s.*smtp lost the connection`, 'm'));
    expect(first.stdout).toMatch(/2 skipped: they may already have been delivered; --include-possible-duplicates resends them/);
    expect(first.stdout).toMatch(new RegExp(`^${plain!.id}\\s+sent`, 'm'));
    expect(smtp.messages.length - before).toBe(1);
    const second = await cli(['resend', '--failed', '--include-possible-duplicates', ...env], cwd);
    expect(second.stdout).toContain('resent 2: 2 sent, 0 failed');
    expect(smtp.messages.length - before).toBe(3);
  });

  it('says why --pending resends nothing after a crash, and what --limit left', async () => {
    const cwd = await mkdtemp(join(dir, 'cli-'));
    const file = join(cwd, '.mailroom/journal.sqlite');
    await seed(file, [{}, {}, {}], 60_000);
    const young = await cli(['resend', '--pending', '--dsn', 'memory://'], cwd);
    expect(young.code).toBe(0);
    expect(young.stdout).toMatch(/nothing to resend: 3 pending entries are younger than --older-than 10m/);
    expect(young.stdout).toContain('--older-than 0s');
    const limited = await cli(['resend', '--pending', '--older-than', '0s', '--limit', '2', '--dsn', 'memory://'], cwd);
    expect(limited.code).toBe(0);
    expect(limited.stdout).toContain('resent 2: 2 sent, 0 failed');
    expect(limited.stdout).toMatch(/1 more remain beyond --limit 2/);
    const rest = await cli(['resend', '--pending', '--older-than', '0s', '--limit', '2', '--dsn', 'memory://'], cwd);
    expect(rest.stdout).toContain('resent 1: 1 sent, 0 failed');
    expect(rest.stdout).not.toMatch(/remain/);
  });
});
