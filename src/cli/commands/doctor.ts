// `mailroom doctor`: reads the configuration (nothing is sent, no provider is contacted) and reports
// what is likely to hurt later, each finding with a remedy: a sender on onmicrosoft.com, Office 365
// basic auth (Microsoft disables it by default from the end of December 2026), a chain without a
// fallback, TLS turned off, a journal that cannot be written (or created: a journal that does not
// exist yet is not created by the check), no retention.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ulid } from 'ulid';
import type { MailAdapter } from '../../core/adapter.js';
import { parseAddress } from '../../core/address.js';
import { parseDsnChain, type ParsedDsn } from '../../core/dsn.js';
import { formatDuration } from '../../core/duration.js';
import { toMailError } from '../../core/errors.js';
import { checkJournalStore, loadSqliteDriver, openJournalStore } from '../../journal/journal-store.js';
import { proveCreatable, sqliteJournalPath } from '../../journal/journal-file.js';
import { DEFAULT_TTL_MS, journalKeyOf } from '../../journal/journal.js';
import { createMailer, DEFAULT_DSN } from '../../core/mailer.js';
import { addCommonOptions, journalSettings, loadContext, mailerOptions, origin, type CliContext, type CommonOptions } from '../context.js';
import { printJson } from '../output.js';
import { addQueueOption, queueFrom, type QueueFlag } from '../queue-option.js';
import { queuedCount, SendQueue, START_A_WORKER } from '../../queue/send-queue.js';
import { collectWarnings } from '../warnings.js';

type Level = 'ok' | 'info' | 'warning' | 'error';

export interface Finding {
  level: Level;
  check: string;
  message: string;
  remedy?: string;
}

const LABELS: Record<Level, string> = { ok: 'OK', info: 'INFO', warning: 'WARNING', error: 'ERROR' };
// Process warnings of mailroom's own -> the doctor check that already reports the same thing.
// (The code is BASIC_AUTH_WARNING_CODE of adapters/office365.ts, not imported: that would load
// nodemailer at every start of the CLI.)
const WARNINGS_CHECKED: Record<string, string> = { MAILROOM_O365_BASIC_AUTH: 'office365-auth' };
const OAUTH_REMEDY =
  'move to OAuth2 before then: register an app with the SMTP.SendAsApp permission and use office365+oauth://MAILBOX@TENANT?client_id=..&client_secret=.. (or graph://MAILBOX@TENANT?client_id=..&client_secret=.. with Mail.Send); see README "Office 365"';

export function register(program: Command): void {
  addQueueOption(addCommonOptions(
    program
      .command('doctor')
      .description('check the configuration for problems, each with a remedy (sends nothing)')
      .option('--json', 'print the findings as JSON'),
  ))
    .addHelpText('after', `
Checks: configuration file and DSN, sender domain (onmicrosoft.com), Office 365 basic auth,
a chain with a single adapter, TLS turned off, journal reachable and writable and its key well formed (a journal file not
created yet: its folder writable; nothing is created), retention, and in
queue mode (--queue or MAILROOM_QUEUE) the queue's server reachable and a worker connected.
Exits with 1 when a finding is an error. \`mailroom verify\` then checks the credentials live.

Examples:
  $ mailroom doctor
  $ mailroom doctor --dsn "office365://shop%40corp.onmicrosoft.com:PASSWORD@default"
  $ mailroom doctor --config ./config/mailroom.config.mjs --json`)
    .action(async (options: CommonOptions & QueueFlag & { json?: boolean }) => {
      const findings = await examine(options);
      if (options.json) printJson(findings);
      else printFindings(findings);
      if (findings.some((finding) => finding.level === 'error')) process.exitCode = 1;
    });
}

/** The findings `mailroom doctor` prints; the admin Overview shows them too. */
export async function examine(options: CommonOptions & QueueFlag): Promise<Finding[]> {
  // Building the chain may raise process warnings (Office 365 basic auth, the AWS SDK's Node notice):
  // they become findings here, said once, rather than lines printed above the report.
  const warnings = collectWarnings();
  const findings = await examineConfiguration(options);
  findings.push(...(await queueFindings(options)));
  for (const warning of await warnings()) {
    const check = WARNINGS_CHECKED[warning.code];
    if (check && findings.some((finding) => finding.check === check)) continue;
    findings.push({ level: 'warning', check: 'runtime', message: warning.message });
  }
  return findings;
}

async function examineConfiguration(options: CommonOptions): Promise<Finding[]> {
  let context: CliContext;
  try {
    context = await loadContext(options);
  } catch (error) {
    const failure = toMailError(error, { code: 'CONFIG' });
    return [{ level: 'error', check: 'configuration', message: failure.message, remedy: failure.specificRemedy ?? 'fix the option named above; `mailroom <command> --help` lists the flags, README "Command line" the file format' }];
  }
  const findings: Finding[] = [];
  findings.push({
    level: 'ok',
    check: 'configuration',
    message: context.file ? `read ${context.file}` : 'no configuration file (flags and environment only)',
  });
  const dsns = context.config.adapters ? [] : parseDsnChain(context.config.dsn ?? DEFAULT_DSN);
  const adapters = await chainAdapters(context, findings);
  if (adapters) findings.push(...chainFindings(context, adapters, dsns));
  findings.push(...dsns.flatMap(tlsFindings));
  findings.push(...dsns.flatMap(office365Findings));
  findings.push(...senderFindings(context, dsns));
  findings.push(...(await journalFindings(context)));
  return findings;
}

/** Queue mode: the queue's server answers within 5 s, and at least one worker takes from the queue. */
export async function queueFindings(options: QueueFlag): Promise<Finding[]> {
  const option = queueFrom(options);
  if (!option) return [];
  let queue: SendQueue | undefined;
  try {
    queue = new SendQueue(option);
    const sendQueue = queue;
    const { counts, workers } = await sendQueue.probe();
    const findings: Finding[] = [{ level: 'ok', check: 'queue', message: `${sendQueue.describe()}: ${counts.waiting} waiting, ${counts.active} active, ${counts.delayed} delayed, ${counts.failed} failed` }];
    const queued = queuedCount(counts);
    if (workers === 0 && queued > 0) {
      // Mail is not going out: an error, so doctor exits 1 for a health check to catch.
      findings.push({ level: 'error', check: 'queue-worker', message: `${queued} queued, no worker connected to ${sendQueue.describe()}: nothing is delivered until one starts`, remedy: START_A_WORKER });
    } else if (workers === 0) {
      findings.push({ level: 'warning', check: 'queue-worker', message: `no worker is connected to ${sendQueue.describe()}: queued messages wait until one starts`, remedy: START_A_WORKER });
    } else {
      findings.push({ level: 'ok', check: 'queue-worker', message: `${workers} worker${workers === 1 ? '' : 's'} connected` });
    }
    return findings;
  } catch (error) {
    // probe() names the queue and why it cannot be used; a queue URL refused before any connection says what is wrong with it.
    const failure = toMailError(error, { code: 'CONFIG' });
    return [{ level: 'error', check: 'queue', message: failure.detail, remedy: failure.remedy }];
  } finally {
    void queue?.close().catch(() => undefined);
  }
}

// Creating the adapters runs each adapter's own option checks without any network I/O.
async function chainAdapters(context: CliContext, findings: Finding[]): Promise<MailAdapter[] | undefined> {
  const mailer = createMailer(mailerOptions(context, { journal: false }));
  try {
    return await mailer.adapters();
  } catch (error) {
    const failure = toMailError(error, { code: 'CONFIG' });
    findings.push({ level: 'error', check: 'chain', message: failure.message, remedy: failure.specificRemedy ?? 'fix the DSN as the message says; README "Configuration strings" shows each form' });
    return undefined;
  } finally {
    await mailer.close();
  }
}

function chainFindings(context: CliContext, adapters: MailAdapter[], dsns: ParsedDsn[]): Finding[] {
  const findings: Finding[] = [];
  const names = adapters.map((adapter) => adapter.name).join(', ');
  const where = context.redactedDsn ? `${context.redactedDsn} ${origin(context.sources.dsn)}` : `adapters from ${context.sources.dsn}`;
  findings.push({ level: 'ok', check: 'chain', message: `${where}: ${adapters.length} adapter${adapters.length === 1 ? '' : 's'} (${names})` });
  if (adapters.length === 1) {
    findings.push({
      level: 'warning',
      check: 'fallback',
      message: `the chain has a single adapter (${names}): when it fails, nothing carries the message`,
      remedy: 'add a second provider as a fallback: MAILROOM_DSN="failover(<this DSN> brevo+api://KEY@default)"; failed messages stay in the journal for `mailroom resend --failed`',
    });
  }
  const schemes = dsns.map((dsn) => dsn.scheme);
  if (schemes.length > 0 && schemes.every((scheme) => scheme === 'outbox' || scheme === 'memory')) {
    findings.push({
      level: 'warning',
      check: 'delivery',
      message: schemes.includes('memory')
        ? 'the chain only keeps messages in memory: nothing is delivered and they vanish when the process ends'
        : `the chain only writes .eml files to ${dsns.find((dsn) => dsn.scheme === 'outbox')?.path || './outbox'}: nothing is delivered`,
      remedy: 'fine for development; in production set MAILROOM_DSN to a provider, e.g. smtp://user:pass@smtp.example.com:587 or brevo+api://KEY@default',
    });
  }
  return findings;
}

const OFF_WHEN_FALSE = /^(requiretls|require_tls|tls|ssl|secure|starttls|verify|verifypeer|rejectunauthorized|reject_unauthorized)$/i;
const OFF_WHEN_TRUE = /^(insecure|ignoretls|ignore_tls|allowinsecure|allow_insecure|skipverify|skip_verify|notls|no_tls)$/i;
const FALSE = /^(false|0|no|off)$/i;
const TRUE = /^(true|1|yes|on)$/i;

function tlsFindings(dsn: ParsedDsn): Finding[] {
  const off = Object.entries(dsn.options).filter(([key, value]) => (OFF_WHEN_FALSE.test(key) && FALSE.test(value)) || (OFF_WHEN_TRUE.test(key) && TRUE.test(value)));
  if (off.length === 0) return [];
  const loopback = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(dsn.host);
  const credentials = dsn.password !== undefined || dsn.redacted.includes('***');
  const setting = off.map(([key, value]) => `${key}=${value}`).join(', ');
  return [
    {
      level: credentials && !loopback ? 'error' : 'warning',
      check: 'tls',
      message: `${dsn.redacted}: TLS is turned off (${setting})${credentials ? ', so the credentials travel readable by anyone on the path' : ''}${loopback ? ' (loopback only)' : ''}`,
      remedy: `remove ${setting}: mailroom requires TLS and verifies certificates by default; for a server with a private CA, trust it with NODE_EXTRA_CA_CERTS=/path/to/ca.pem instead`,
    },
  ];
}

function office365Findings(dsn: ParsedDsn): Finding[] {
  const basic =
    (dsn.scheme === 'office365' && dsn.password !== undefined) ||
    (['smtp', 'smtps'].includes(dsn.scheme) && /(^|\.)(office365|outlook)\.com$/i.test(dsn.host) && dsn.password !== undefined);
  if (!basic) return [];
  return [
    {
      level: 'warning',
      check: 'office365-auth',
      message: `${dsn.redacted} uses basic auth (mailbox password) for SMTP AUTH: Microsoft disables it by default for existing tenants at the end of December 2026 and will then remove it (the server answers 550 5.7.30)`,
      remedy: OAUTH_REMEDY,
    },
  ];
}

const MAILBOX_SCHEMES = new Set(['office365', 'office365+oauth', 'graph', 'smtp', 'smtps', 'gmail', 'zoho']);

function senderFindings(context: CliContext, dsns: ParsedDsn[]): Finding[] {
  const findings: Finding[] = [];
  let from: string | undefined;
  if (context.config.from !== undefined) {
    try {
      from = parseAddress(context.config.from, 'from').address;
    } catch (error) {
      findings.push({ level: 'error', check: 'sender', message: toMailError(error).message, remedy: 'set from to one address, e.g. "Shop <shop@example.com>"' });
      return findings;
    }
  }
  // The chain sends as the first mailbox it signs in as (Office 365, Graph, SMTP whose user is an
  // address) when a message has no sender of its own (MailAdapter.mailbox).
  const mailbox = dsns.find((dsn) => MAILBOX_SCHEMES.has(dsn.scheme) && dsn.user?.includes('@'));
  const sender = from ?? mailbox?.user;
  if (!sender) {
    findings.push({
      level: 'info',
      check: 'sender',
      message: 'no default sender: every message must give its own from',
      remedy: 'set MAILROOM_FROM="Shop <shop@example.com>", --from, or "from" in the configuration file',
    });
  } else if (/@([^@]+\.)?onmicrosoft\.com$/i.test(sender)) {
    findings.push({
      level: 'warning',
      check: 'sender',
      message: `the sender ${sender} (from ${from ? context.sources.from : 'the mailbox the chain signs in as'}) is on an onmicrosoft.com domain: such mail is often filtered as junk, and Microsoft limits how much it may send to outside recipients`,
      remedy: 'add your own domain to the tenant (Microsoft 365 admin center > Settings > Domains), publish SPF, DKIM and DMARC for it, and send from an address on it',
    });
  } else {
    findings.push({ level: 'ok', check: 'sender', message: `${sender} (from ${from ? context.sources.from : 'the mailbox the chain signs in as'})` });
  }
  // Send As is Exchange Online's rule; another SMTP server may well accept any sender.
  const exchange = dsns.find((dsn) => ['office365', 'office365+oauth', 'graph'].includes(dsn.scheme) && dsn.user?.includes('@'));
  if (from && exchange?.user && from.toLowerCase() !== exchange.user.toLowerCase()) {
    findings.push({
      level: 'warning',
      check: 'send-as',
      message: `the sender ${from} is not the mailbox ${exchange.user} that signs in: Office 365 refuses it (550 5.7.60 SendAsDenied) unless the mailbox has Send As permission for it`,
      remedy: `grant Send As: Add-RecipientPermission -Identity ${from} -Trustee ${exchange.user} -AccessRights SendAs; or send from ${exchange.user}`,
    });
  }
  return findings;
}

// A journal key that is not one stops every send and every journal command: an error here, not at the first send.
function journalKeyFindings(encryptionKey: string | undefined): Finding[] {
  try {
    journalKeyOf(encryptionKey);
    return [];
  } catch (error) {
    const failure = toMailError(error, { code: 'CONFIG' });
    return [{ level: 'error', check: 'journal-key', message: failure.message.replace(/^\[mailroom\] /, ''), ...(failure.specificRemedy ? { remedy: failure.specificRemedy } : {}) }];
  }
}

async function journalFindings(context: CliContext): Promise<Finding[]> {
  const journal = context.config.journal;
  if (journal === false) {
    return [{ level: 'warning', check: 'journal', message: 'the send journal is off: no log of what was sent, nothing to resend after a failure', remedy: 'remove journal: false (the default is an SQLite file, .mailroom/journal.sqlite)' }];
  }
  const settings = journalSettings(journal);
  const store = settings ? settings.store : journal;
  const findings: Finding[] = [...journalKeyFindings(settings?.encryptionKey)];
  let sqlite = false;
  try {
    const fresh = await freshSqliteJournal(store);
    if (fresh) {
      sqlite = true;
      findings.push({ level: 'ok', check: 'journal', message: `${fresh.description} ${origin(context.sources.journal)} does not exist yet and will be created at the first send (the folder ${fresh.folder} is writable)` });
    } else {
      sqlite = await probeStore(store, context, findings);
    }
  } catch (error) {
    const failure = toMailError(error, { code: 'CONFIG' });
    findings.push({
      level: 'error',
      check: 'journal',
      message: `the journal ${origin(context.sources.journal)} cannot be used: ${failure.message}`,
      remedy: failure.specificRemedy ?? 'check that the journal folder exists and is writable by this user, or that the Redis/Postgres server is up and the URL is right; MAILROOM_JOURNAL or --journal sets it',
    });
    return findings;
  }
  const ttlMs = settings?.ttlMs;
  if (ttlMs === 0) {
    findings.push({
      level: 'warning',
      check: 'retention',
      message: 'journal entries are kept forever (ttlMs: 0): the journal grows without bound and keeps recipients\' addresses longer than needed',
      remedy: 'set a retention, e.g. "journal": { "ttlMs": "90d" } in mailroom.config.json',
    });
  } else {
    const set = ttlMs !== undefined;
    findings.push({
      level: set ? 'ok' : 'info',
      check: 'retention',
      message: `journal entries are kept for ${formatDuration(ttlMs ?? DEFAULT_TTL_MS)}${set ? '' : ' (the default)'}${sqlite ? '; `mailroom journal prune` (e.g. daily from cron) deletes the expired rows, which SQLite keeps until then' : ''}`,
      ...(set ? {} : { remedy: 'to choose, set "journal": { "ttlMs": "30d" } in the configuration file' }),
    });
  }
  return findings;
}

// A diagnostic leaves nothing behind: an SQLite journal that does not exist yet is not opened (that
// would create it, folder and all) but checked for whether the first send can create it.
async function freshSqliteJournal(store: unknown): Promise<{ description: string; folder: string } | undefined> {
  if (store !== undefined && typeof store !== 'string') return undefined; // a Keyv instance
  checkJournalStore(store);
  const path = sqliteJournalPath(store);
  if (path === undefined) return undefined;
  const file = resolve(path);
  if (existsSync(file)) return undefined;
  // What opening would have shown besides the folder: the SQLite binding loads.
  await loadSqliteDriver();
  return { description: `sqlite:${path}`, folder: await proveCreatable(file) };
}

// Opens the store and writes, reads back and deletes a probe key: what a send's journal writes need.
// Answers whether it is an SQL store (SQLite keeps expired rows until pruned).
async function probeStore(store: unknown, context: CliContext, findings: Finding[]): Promise<boolean> {
  const opened = await openJournalStore(store as Parameters<typeof openJournalStore>[0]);
  try {
    const key = `doctor-probe:${ulid()}`;
    await opened.keyv.set(key, 'ok', 60_000);
    const read = await opened.keyv.get<string>(key);
    await opened.keyv.delete(key);
    if (read !== 'ok') throw new Error('a value written could not be read back');
    findings.push({ level: 'ok', check: 'journal', message: `${opened.description} ${origin(context.sources.journal)} is reachable and writable` });
    if (opened.description === 'memory') {
      findings.push({ level: 'warning', check: 'journal', message: 'the journal is in memory: it is lost when the process ends', remedy: 'use a file (the default .mailroom/journal.sqlite), redis:// or postgres://' });
    }
    return opened.sql !== undefined;
  } finally {
    await opened.keyv.disconnect().catch(() => undefined);
  }
}

function printFindings(findings: Finding[]): void {
  const width = Math.max(...findings.map((finding) => finding.check.length));
  for (const finding of findings) {
    process.stdout.write(`${LABELS[finding.level].padEnd(8)} ${finding.check.padEnd(width)}  ${finding.message}\n`);
    if (finding.remedy && finding.level !== 'ok') process.stdout.write(`${''.padEnd(9 + width)}  remedy: ${finding.remedy}\n`);
  }
  const errors = findings.filter((finding) => finding.level === 'error').length;
  const warnings = findings.filter((finding) => finding.level === 'warning').length;
  process.stdout.write(`\n${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`);
}
