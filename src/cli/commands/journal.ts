// `mailroom journal`: the send journal newest first, filtered, as a table, JSON or CSV; and
// `mailroom journal show ID`: one entry with every attempt, its codes and remedies.
// Stored message content (bodies, template data) is never printed: it may hold reset links.
import type { Command } from 'commander';
import { parseTimePoint } from '../../core/duration.js';
import { MailError, remedyApart } from '../../core/errors.js';
import type { JournalEntry, JournalQuery, JournalStatus } from '../../journal/journal.js';
import { DELIVERY_STATES, type DeliveryState } from '../../journal/delivery-state.js';
import type { Mailer } from '../../core/mailer.js';
import { noSuchEntry } from '../../core/mailer/journal-steps.js';
import { addCommonOptions, mailerFromOptions, positiveInteger, type CommonOptions } from '../context.js';
import { csvLine, elapsed, printJson, printTable, shortTime, truncate } from '../output.js';

interface ListOptions extends CommonOptions {
  status?: string;
  delivery?: string;
  since?: string;
  until?: string;
  to?: string;
  limit: string;
  cursor?: string;
  json?: boolean;
  csv?: boolean;
}

const STATUSES: JournalStatus[] = ['pending', 'sent', 'failed', 'queued'];

/**
 * An entry as the CLI prints it: everything but the stored content, and whether it is there. Content
 * the CLI cannot open (sealed with a journal key it was not given) is stored all the same, and its
 * ciphertext is no more for printing than the content itself.
 */
export function printableEntry(entry: JournalEntry): Omit<JournalEntry, 'content' | 'sealedContent'> & { contentStored: boolean } {
  const { content: _content, sealedContent: _sealedContent, ...rest } = entry;
  return { ...rest, contentStored: hasStoredContent(entry) };
}

function hasStoredContent(entry: JournalEntry): boolean {
  return entry.content !== undefined || entry.sealedContent !== undefined;
}

// The "content" line of `journal show`: whether a resend has something to send, and if not, why.
function contentLine(entry: JournalEntry): string {
  if (entry.sensitive) return 'sensitive: never kept (cannot be resent)';
  if (entry.content) return `stored (mailroom resend ${entry.id} sends it again)`;
  if (entry.sealedContent) return 'stored, encrypted (mailroom resend needs the key it was written with: MAILROOM_JOURNAL_KEY or journal.encryptionKey)';
  return 'not stored (cannot be resent)';
}

/** The journal query the shared filter flags describe. */
export function journalQuery(options: { status?: string; delivery?: string; since?: string; until?: string; to?: string }, now = new Date()): JournalQuery {
  // An empty value (an unset shell variable) would otherwise drop the filter: all entries, not none.
  for (const flag of ['status', 'delivery', 'since', 'until', 'to'] as const) {
    if (options[flag] !== undefined && !options[flag]!.trim()) throw new MailError('CONFIG', `--${flag} is empty: give a value, or leave the option out`);
  }
  if (options.status && !STATUSES.includes(options.status as JournalStatus)) {
    throw new MailError('CONFIG', `--status must be one of ${STATUSES.join(', ')}, got "${options.status}"`);
  }
  if (options.delivery && !DELIVERY_STATES.includes(options.delivery as DeliveryState)) {
    throw new MailError('CONFIG', `--delivery must be one of ${DELIVERY_STATES.join(', ')}, got "${options.delivery}"`);
  }
  const since = options.since ? parseTimePoint(options.since, '--since', now) : undefined;
  const until = options.until ? parseTimePoint(options.until, '--until', now) : undefined;
  // An empty window lists nothing, which reads as "no such mail": "--since 1h --until 2h" is two hours back to one, written backwards.
  if (since && until && until <= since) {
    throw new MailError('CONFIG', `--until (${until.toISOString()}) is not after --since (${since.toISOString()}): no entry can match; a duration counts back from now, so --since 2h --until 1h is the hour before the last`);
  }
  return {
    ...(options.status ? { status: options.status as JournalStatus } : {}),
    ...(options.delivery ? { delivery: options.delivery as DeliveryState } : {}),
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(options.to ? { to: options.to } : {}),
  };
}

/** Up to `limit` entries for a query, following cursors past the journal's page size. */
export async function collectEntries(mailer: Mailer, query: JournalQuery, limit: number): Promise<{ entries: JournalEntry[]; cursor?: string }> {
  const entries: JournalEntry[] = [];
  let cursor = query.cursor;
  do {
    const page = await mailer.journal.list({ ...query, limit: Math.min(limit - entries.length, 1_000), ...(cursor ? { cursor } : {}) });
    entries.push(...page.entries);
    cursor = page.cursor;
  } while (cursor && entries.length < limit);
  return cursor ? { entries, cursor } : { entries };
}

export function register(program: Command): void {
  const journal = addCommonOptions(
    program
      .command('journal')
      .description('list journaled messages, newest first (see also: journal show ID)')
      .option('--status <status>', 'only pending, sent, failed or queued entries')
      .option('--delivery <state>', `entries with a recipient in this delivery state, from provider webhooks: ${DELIVERY_STATES.join(', ')}`)
      .option('--since <when>', 'entries created after this: a duration back from now (30m, 2h, 1d) or a date (2026-01-31)')
      .option('--until <when>', 'entries created before this (same forms as --since)')
      .option('--to <address>', 'entries with this recipient (to, cc or bcc; part of an address matches)')
      .option('--limit <n>', 'how many entries', '20')
      .option('--cursor <id>', 'continue after this entry (printed at the end of a full page)')
      .option('--json', 'print entries as JSON')
      .option('--csv', 'print entries as CSV'),
  )
    .addHelpText('after', `
Examples:
  $ mailroom journal
  $ mailroom journal --status failed --since 2h
  $ mailroom journal --delivery bounced --since 1d
  $ mailroom journal --to ann@example.com --since 2026-01-31 --limit 100
  $ mailroom journal --since 1d --csv > today.csv
  $ mailroom journal show 01JH3Q8ZP6X1V4N2W5R7T9K0BC
  $ mailroom journal prune`)
    .action(async (options: ListOptions) => {
      if (options.json && options.csv) throw new MailError('CONFIG', 'give --json or --csv, not both');
      const query = { ...journalQuery(options), ...(options.cursor ? { cursor: options.cursor } : {}) };
      const limit = positiveInteger(options.limit, '--limit');
      const mailer = await mailerFromOptions(options, {}, { readsJournal: true, sends: false });
      try {
        const { entries, cursor } = await collectEntries(mailer, query, limit);
        if (options.json) return printJson(entries.map(printableEntry));
        if (options.csv) return printCsv(entries);
        printTable(
          ['ID', 'CREATED (UTC)', 'STATUS', 'ADAPTER', 'TO', 'SUBJECT', 'ERROR'],
          entries.map((entry) => [
            entry.id,
            shortTime(entry.createdAt),
            // What the provider reported since (webhooks), after the send status: "sent: delivered, bounced".
            // "(dup?)": the message may have arrived more than once (journal show says why).
            `${entry.status}${entry.possibleDuplicate ? ' (dup?)' : ''}${entry.resentAs?.length ? ' (resent)' : ''}${entry.resendOf ? ' (resend)' : ''}${entry.delivery?.states.length ? `: ${entry.delivery.states.join(', ')}` : ''}`,
            entry.adapter ?? '-',
            truncate(entry.summary.to.join(', '), 30),
            truncate(entry.summary.subject, 40),
            entry.error ? truncate(errorSummary(entry), 70) : '',
          ]),
        );
        if (entries.length === 0) process.stdout.write('(no entries)\n');
        if (cursor) process.stdout.write(`more entries: add --cursor ${cursor}\n`);
      } finally {
        await mailer.close();
      }
    });

  addCommonOptions(
    journal
      .command('prune')
      .description('delete entries older than the retention (journal ttlMs); the SQLite store keeps expired rows until pruned'),
  )
    .addHelpText('after', `
Examples:
  $ mailroom journal prune
  $ mailroom journal prune --journal /var/lib/shop/mail.sqlite`)
    .action(async (_options: unknown, command: Command) => {
      const mailer = await mailerFromOptions(command.optsWithGlobals<CommonOptions>(), {}, { readsJournal: true, sends: false });
      try {
        const pruned = await mailer.journal.prune();
        process.stdout.write(`pruned ${pruned} expired ${pruned === 1 ? 'entry' : 'entries'} from ${await mailer.journal.describe()}\n`);
      } finally {
        await mailer.close();
      }
    });

  addCommonOptions(
    journal
      .command('show')
      .description('one journal entry with every attempt, its error codes and remedies')
      .argument('<id>', 'the entry id (first column of `mailroom journal`)')
      .option('--json', 'print the entry as JSON'),
  )
    .addHelpText('after', `
Examples:
  $ mailroom journal show 01JH3Q8ZP6X1V4N2W5R7T9K0BC
  $ mailroom journal show 01JH3Q8ZP6X1V4N2W5R7T9K0BC --json`)
    .action(async (id: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<CommonOptions & { json?: boolean }>();
      const mailer = await mailerFromOptions(options, {}, { readsJournal: true, sends: false });
      try {
        const entry = await mailer.journal.get(id);
        if (!entry) {
          throw await noSuchEntry(mailer.journal, id);
        }
        if (options.json) return printJson(printableEntry(entry));
        printEntry(entry);
      } finally {
        await mailer.close();
      }
    });
}

// ALL_FAILED alone says little in a table: the last adapter's own error says why.
function errorSummary(entry: JournalEntry): string {
  const last = [...entry.attempts].reverse().find((attempt) => attempt.error)?.error;
  const error = last ?? entry.error!;
  const codes = [error.code, 'smtpCode' in error ? error.smtpCode : undefined, 'enhancedCode' in error ? error.enhancedCode : undefined, 'status' in error ? error.status : undefined];
  return `${codes.filter((part) => part !== undefined).join(' ')}: ${error.message.replace(/^\[mailroom\] /, '')}`;
}

function printCsv(entries: JournalEntry[]): void {
  const header = ['id', 'createdAt', 'updatedAt', 'status', 'adapter', 'providerMessageId', 'messageId', 'from', 'to', 'cc', 'bcc', 'subject', 'template', 'attempts', 'errorCode', 'errorMessage', 'remedy', 'resendOf', 'resentAs', 'possibleDuplicate'];
  process.stdout.write(`${csvLine(header)}\n`);
  for (const entry of entries) {
    process.stdout.write(
      `${csvLine([
        entry.id,
        entry.createdAt,
        entry.updatedAt,
        entry.status,
        entry.adapter,
        entry.providerMessageId,
        entry.messageId,
        entry.summary.from,
        entry.summary.to.join('; '),
        entry.summary.cc.join('; '),
        entry.summary.bcc.join('; '),
        entry.summary.subject,
        entry.summary.template,
        entry.attempts.length,
        entry.error?.code,
        entry.error?.message,
        entry.error?.remedy,
        entry.resendOf,
        entry.resentAs?.join('; '),
        entry.possibleDuplicate ? 'yes' : '',
      ])}\n`,
    );
  }
}

function printEntry(entry: JournalEntry): void {
  const { summary } = entry;
  const rows: Array<[string, string | undefined]> = [
    ['entry', entry.id],
    ['status', entry.status],
    ['created', `${shortTime(entry.createdAt)} UTC`],
    ['updated', `${shortTime(entry.updatedAt)} UTC`],
    ['message-id', entry.messageId],
    ['from', summary.from],
    ['to', summary.to.join(', ')],
    ['cc', summary.cc.join(', ') || undefined],
    ['bcc', summary.bcc.join(', ') || undefined],
    ['reply-to', summary.replyTo.join(', ') || undefined],
    ['subject', summary.subject],
    ['template', summary.template ? `${summary.template}${summary.locale ? ` (${summary.locale})` : ''}` : undefined],
    ['attachments', summary.attachments.join(', ') || undefined],
    ['tags', summary.tags.join(', ') || undefined],
    ['idempotency', entry.idempotencyKey],
    ['adapter', entry.adapter],
    ['provider id', entry.providerMessageId],
    ['resend of', entry.resendOf],
    ['resent as', entry.resentAs?.join(', ')],
    ['duplicate?', entry.possibleDuplicate ? 'possibly: an adapter lost the connection after handing the message over' : undefined],
    ['content', contentLine(entry)],
    // An ALL_FAILED message ends with its last remedy: shown once, on its own line.
    ['error', entry.error ? `${entry.error.code}: ${remedyApart(entry.error).message}` : undefined],
    ['remedy', entry.error?.remedy],
  ];
  for (const [label, value] of rows) if (value !== undefined && value !== '') process.stdout.write(`${label.padEnd(13)}${value}\n`);
  for (const warning of entry.warnings ?? []) process.stdout.write(`${'warning'.padEnd(13)}${warning}\n`);
  process.stdout.write(`\nattempts (${entry.attempts.length}):\n`);
  entry.attempts.forEach((attempt, index) => {
    const codes = attempt.error ? [attempt.error.code, attempt.error.status, attempt.error.smtpCode, attempt.error.enhancedCode].filter((part) => part !== undefined).join(' ') : '';
    process.stdout.write(`  ${index + 1}. ${attempt.adapter}  ${shortTime(attempt.startedAt)}  ${elapsed(attempt.durationMs)}  ${attempt.ok ? 'ok' : 'failed'}${codes ? `  ${codes}` : ''}${attempt.providerMessageId ? `  ${attempt.providerMessageId}` : ''}\n`);
    if (attempt.error) process.stdout.write(`     ${attempt.error.message}\n`);
    if (attempt.error?.remedy) process.stdout.write(`     remedy: ${attempt.error.remedy}\n`);
  });
  if (entry.attempts.length === 0) process.stdout.write('  (none yet: the send has not started or was interrupted; `mailroom resend` completes it)\n');
  printDelivery(entry);
}

// What the providers reported after the handover: each recipient's state, then every event.
function printDelivery(entry: JournalEntry): void {
  const delivery = entry.delivery;
  if (!delivery) {
    if (entry.status === 'sent') process.stdout.write('\ndelivery: no provider event yet (see README "Delivery events" to receive webhooks)\n');
    return;
  }
  process.stdout.write('\ndelivery:\n');
  for (const [recipient, state] of Object.entries(delivery.recipients)) {
    const why = [state.rejectReason, state.mtaResponse ?? state.description].filter(Boolean).join(': ');
    process.stdout.write(`  ${recipient}  ${state.state}  ${shortTime(state.at)}${why ? `  ${why}` : ''}\n`);
  }
  process.stdout.write(`\nevents (${delivery.events.length}):\n`);
  delivery.events.forEach((event, index) => {
    const why = [event.rejectReason, event.mtaResponse ?? event.description].filter(Boolean).join(': ');
    process.stdout.write(`  ${index + 1}. ${shortTime(event.timestamp)}  ${event.provider}  ${event.eventType.padEnd(12)}  ${event.recipient ?? '-'}${why ? `  ${why}` : ''}\n`);
  });
}
