// `mailroom resend`: sends journaled messages again, chosen by id, or every failed one, or every
// pending one a crashed process left behind. A pending entry is completed in place (same
// Message-ID); a sent or failed one gets a new entry linked to the original (resendOf / resentAs).
// What may already have been delivered is skipped unless asked, and every skip, every entry left
// by --limit and every pending entry too young for --older-than is said, never dropped in silence.
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { parseDuration } from '../../core/duration.js';
import { MailError, remedyApart, toMailError, type AttemptError } from '../../core/errors.js';
import { noSuchEntry } from '../../core/mailer/journal-steps.js';
import { canonicalEntryId, possibleDeliveryReason, type JournalEntry } from '../../journal/journal.js';
import type { Mailer } from '../../core/mailer.js';
import { PENDING_MAY_BE_SENDING_MS, pendingAgeWithin } from '../../core/mailer/resend.js';
import { addCommonOptions, mailerFromOptions, positiveInteger, type CommonOptions } from '../context.js';
import { printJson, printTable, truncate } from '../output.js';
import { addQueueOption, queueFrom, type QueueFlag } from '../queue-option.js';
import { collectEntries, journalQuery } from './journal.js';

interface ResendOptions extends CommonOptions, QueueFlag {
  failed?: boolean;
  pending?: boolean;
  since?: string;
  olderThan?: string;
  to?: string;
  limit: string;
  dryRun?: boolean;
  json?: boolean;
  includePossibleDuplicates?: boolean;
}

/** What --failed / --pending picked, and what they left out and why. */
interface Selection {
  ids: string[];
  /** The status each id was chosen in: it is resent only while it still has it. */
  statuses: Map<string, JournalEntry['status']>;
  skipped: ResendOutcome[];
  /** Entries left for a later run by --limit; `more` when there may be others beyond those counted. */
  remaining: number;
  more: boolean;
  /** With --pending: entries younger than --older-than, which may still be sending. */
  tooYoung: number;
  /** Ids given more than once: each is resent once (a second resend of a sent entry is a second copy). */
  repeated?: string[];
}

const DEFAULT_OLDER_THAN = `${PENDING_MAY_BE_SENDING_MS / 60_000}m`;

interface ResendOutcome {
  original: string;
  result: 'sent' | 'failed' | 'skipped';
  /**
   * Why it was skipped: it may already have been delivered, there is nothing stored to send, or
   * another caller sent or is sending it since it was chosen (a second run at the same time).
   */
  skippedBecause?: 'possibly-delivered' | 'no-content' | 'sensitive' | 'taken' | 'may-be-sending';
  /** The entry that now holds the message: the original itself for a pending one. */
  entry?: string;
  adapter?: string;
  error?: AttemptError;
}

export function register(program: Command): void {
  addQueueOption(addCommonOptions(
    program
      .command('resend')
      .description('send journaled messages again: by id, every failed one, or every pending one left by a crash')
      .argument('[ids...]', 'journal entry ids (first column of `mailroom journal`)')
      .option('--failed', 'every failed entry not resent yet')
      .option('--pending', 'every pending entry older than --older-than (a send interrupted by a crash)')
      .option('--since <when>', 'with --failed or --pending: only entries created after this (2h, 1d, 2026-01-31)')
      .option('--older-than <duration>', 'with --pending or ids: skip pending entries younger than this, which may still be sending', DEFAULT_OLDER_THAN)
      .option('--to <address>', 'with --failed or --pending: only entries with this recipient')
      .option('--limit <n>', 'resend at most this many', '100')
      .option('--include-possible-duplicates', 'also resend failed or pending entries that may already have been delivered (marked possible duplicate, or handed over before the connection was lost)')
      .option('--dry-run', 'list what would be resent, send nothing')
      .option('--json', 'print the outcomes as JSON'),
  ))
    .addHelpText('after', `
A failed or sent entry is sent as a new entry (its original keeps a link to it, and \`--failed\`
skips originals already resent); a pending entry is completed in place with its Message-ID, so a
receiver that already got it keeps one copy. A failed or pending entry that may already have been
delivered (marked possible duplicate, a connection lost after the handover, or a pending entry whose
process stopped after the handover) is skipped unless --include-possible-duplicates. Exits with 1
when any resend failed.

Examples:
  $ mailroom resend 01JH3Q8ZP6X1V4N2W5R7T9K0BC
  $ mailroom resend --failed --since 2h
  $ mailroom resend --pending --older-than 30m --dry-run`)
    .action(async (ids: string[], options: ResendOptions, command: Command) => {
      const modes = [ids.length > 0, Boolean(options.failed), Boolean(options.pending)].filter(Boolean).length;
      if (modes !== 1) throw new MailError('CONFIG', 'give entry ids, or --failed, or --pending (exactly one of them)');
      // --failed picks failed entries only, which no process is sending: an age limit given with it would be ignored in silence.
      if (options.failed && command.getOptionValueSource('olderThan') === 'cli') throw new MailError('CONFIG', '--older-than skips pending entries that may still be sending: give it with --pending or ids, not --failed');
      if (ids.length > 0 && (options.since !== undefined || options.to !== undefined)) throw new MailError('CONFIG', '--since and --to select entries for --failed or --pending; with ids, leave them out');
      const olderThanMs = parseDuration(options.olderThan ?? DEFAULT_OLDER_THAN, '--older-than');
      const limit = positiveInteger(options.limit, '--limit');
      // In queue mode a queued entry whose job is still waiting is refused (a worker will send it).
      const queue = queueFrom(options);
      const mailer = await mailerFromOptions(options, queue ? { queue } : {}, { readsJournal: true });
      try {
        const selection = ids.length > 0 ? await byId(mailer, ids, options, olderThanMs, limit) : await select(mailer, options, olderThanMs, limit);
        const { ids: chosen, skipped } = selection;
        const notes = explain(selection, options, limit);
        if (options.dryRun) {
          // An id the journal does not hold would fail the real run: the dry run says so, and exits 1 as it would.
          const notFound = ids.length > 0 ? chosen.filter((id) => !selection.statuses.has(id)) : [];
          const would = chosen.filter((id) => !notFound.includes(id));
          if (options.json) printJson({ wouldResend: would, ...(notFound.length ? { notFound } : {}), skipped, remaining: selection.remaining, tooYoung: selection.tooYoung });
          else {
            if (would.length > 0) process.stdout.write(`would resend ${would.length}: ${would.join(' ')}\n`);
            else if (selection.tooYoung === 0 && notFound.length === 0) process.stdout.write('nothing to resend\n');
            for (const skip of skipped) process.stdout.write(`skipped ${skip.original}: ${skip.error?.message ?? ''}\n`);
            for (const note of notes) process.stdout.write(`${note}\n`);
          }
          if (notFound.length > 0) {
            const { message, remedy } = remedyApart(await noSuchEntry(mailer.journal, notFound.join(', ')));
            process.stderr.write(`error CONFIG: ${message.replace(/no journal entry with id/, notFound.length > 1 ? 'no journal entries with ids' : '$&')}\n${remedy ? `remedy: ${remedy}\n` : ''}`);
            process.exitCode = 1;
          }
          return;
        }
        const resent = await resendAll(mailer, selection, options);
        const outcomes = [...resent, ...skipped];
        const sent = outcomes.filter((outcome) => outcome.result === 'sent').length;
        const failed = outcomes.filter((outcome) => outcome.result === 'failed').length;
        const skippedCount = outcomes.filter((outcome) => outcome.result === 'skipped').length;
        if (options.json) printJson({ sent, failed, skipped: skippedCount, remaining: selection.remaining, tooYoung: selection.tooYoung, outcomes });
        else {
          if (outcomes.length > 0) {
            printTable(
              ['ORIGINAL', 'RESULT', 'ENTRY', 'ADAPTER', 'ERROR'],
              outcomes.map((outcome) => [
                outcome.original,
                outcome.result,
                outcome.entry === outcome.original ? `${outcome.entry} (same)` : outcome.entry ?? '-',
                outcome.adapter ?? '-',
                outcome.error ? truncate(`${outcome.error.code}: ${outcome.error.message}`, 90) : '',
              ]),
            );
            for (const outcome of outcomes.filter((one) => one.error?.remedy)) process.stdout.write(`${outcome.original} remedy: ${outcome.error!.remedy}\n`);
          }
          if (outcomes.length > 0) process.stdout.write(`resent ${chosen.length - (skippedCount - skipped.length)}: ${sent} sent, ${failed} failed${skippedCount ? `, ${skippedCount} skipped` : ''}\n`);
          // With pending entries too young to resend, the note below says "nothing to resend" and why.
          else if (selection.tooYoung === 0) process.stdout.write('nothing to resend\n');
          for (const note of notes) process.stdout.write(`${note}\n`);
        }
        if (failed > 0) process.exitCode = 1;
      } finally {
        await mailer.close();
      }
    });
}

// How many entries --failed / --pending read at most in one run; the rest are counted as remaining.
const SCAN_LIMIT = 10_000;

// Entries for --failed / --pending, oldest first so messages go out in their original order.
async function select(mailer: Mailer, options: ResendOptions, olderThanMs: number, limit: number): Promise<Selection> {
  const now = new Date();
  const filters = { ...(options.since !== undefined ? { since: options.since } : {}), ...(options.to !== undefined ? { to: options.to } : {}) };
  const query = journalQuery({ status: options.failed ? 'failed' : 'pending', ...filters }, now);
  let tooYoung = 0;
  if (options.pending) {
    const cutoff = new Date(now.getTime() - olderThanMs);
    if (olderThanMs > 0) {
      const young = journalQuery({ status: 'pending', ...filters }, now);
      if (!young.since || new Date(young.since) < cutoff) young.since = cutoff;
      tooYoung = (await collectEntries(mailer, young, SCAN_LIMIT)).entries.length;
    }
    query.until = cutoff;
  }
  const { entries, cursor } = await collectEntries(mailer, query, SCAN_LIMIT);
  const skipped: ResendOutcome[] = [];
  const chosen: JournalEntry[] = [];
  for (const entry of entries) {
    // An original already resent is represented by its resend (which is listed itself if it failed too).
    if (entry.resentAs?.length) continue;
    const skip = skipReason(entry, options);
    if (skip) skipped.push(skip);
    else chosen.push(entry);
  }
  const ids = chosen.reverse().map((entry) => entry.id);
  const statuses = new Map(chosen.map((entry) => [entry.id, entry.status]));
  return { ids: ids.slice(0, limit), statuses, skipped: skipped.reverse(), remaining: Math.max(0, ids.length - limit), more: cursor !== undefined, tooYoung };
}

// Entries named by id: the same skips as --failed / --pending (an unknown id fails in resendAll).
async function byId(mailer: Mailer, ids: string[], options: ResendOptions, olderThanMs: number, limit: number): Promise<Selection> {
  const skipped: ResendOutcome[] = [];
  const chosen: string[] = [];
  const statuses = new Map<string, JournalEntry['status']>();
  // Ids are case-insensitive: "01JH…" and "01jh…" are one entry, resent once.
  const canonical = ids.map(canonicalEntryId);
  const unique = [...new Set(canonical)];
  const repeated = unique.filter((id) => canonical.indexOf(id) !== canonical.lastIndexOf(id));
  for (const id of unique) {
    const entry = await mailer.journal.get(id);
    const skip = entry ? skipReason(entry, options) ?? stillSending(entry, options, olderThanMs) : undefined;
    if (skip) skipped.push(skip);
    else chosen.push(id);
    if (entry) statuses.set(id, entry.status);
  }
  return { ids: chosen.slice(0, limit), statuses, skipped, remaining: Math.max(0, chosen.length - limit), more: false, tooYoung: 0, ...(repeated.length ? { repeated } : {}) };
}

function skipReason(entry: JournalEntry, options: ResendOptions): ResendOutcome | undefined {
  if (entry.sensitive) {
    return { original: entry.id, result: 'skipped', skippedBecause: 'sensitive', error: { code: 'CONFIG', message: 'a sensitive message (a password-reset or confirmation link): its content was never kept; ask the recipient to request a new link' } };
  }
  // Encrypted content is resent with the journal key, or fails saying which key it needs.
  if (!entry.content && !entry.sealedContent) {
    return { original: entry.id, result: 'skipped', skippedBecause: 'no-content', error: { code: 'CONFIG', message: 'no stored content to resend (the journal ran with storeContent: false)' } };
  }
  const reason = options.includePossibleDuplicates ? undefined : possibleDeliveryReason(entry);
  if (reason) return { original: entry.id, result: 'skipped', skippedBecause: 'possibly-delivered', error: { code: 'AMBIGUOUS', message: `may already have been delivered: ${reason}` } };
  return undefined;
}

// A pending entry written less than --older-than ago may be in the hands of the process that sent
// it (a slow provider): resending it now would deliver it twice, and the two sends would overwrite
// each other's journal record. --older-than 0s says no process is sending it any more.
function stillSending(entry: JournalEntry, options: ResendOptions, olderThanMs: number): ResendOutcome | undefined {
  const ageMs = pendingAgeWithin(entry, olderThanMs);
  if (ageMs === undefined) return undefined;
  const olderThan = options.olderThan ?? DEFAULT_OLDER_THAN;
  return {
    original: entry.id,
    result: 'skipped',
    skippedBecause: 'may-be-sending',
    error: {
      code: 'TRANSIENT',
      message: `may still be sending: pending, written ${Math.round(ageMs / 1000)} s ago (--older-than ${olderThan})`,
      remedy: `Wait until its send ends (mailroom journal show ${entry.id}); if no process is sending it any more (after a crash), run: mailroom resend ${entry.id} --older-than 0s`,
    },
  };
}

// The lines that say what this run left out, so nothing is skipped or capped in silence.
function explain(selection: Selection, options: ResendOptions, limit: number): string[] {
  const notes: string[] = [];
  if (selection.repeated?.length) notes.push(`given more than once, taken once: ${selection.repeated.join(' ')}`);
  const possible = selection.skipped.filter((skip) => skip.skippedBecause === 'possibly-delivered').length;
  if (possible > 0) notes.push(`${possible} skipped: they may already have been delivered; --include-possible-duplicates resends them`);
  if (selection.more) {
    // The scan's cap, not --limit, stopped the selection: raising --limit would not help.
    const status = options.pending ? 'pending' : 'failed';
    notes.push(`${selection.remaining}+ more remain: one run reads at most ${SCAN_LIMIT.toLocaleString('en-US')} ${status} entries${selection.remaining > 0 ? ` and resends at most --limit ${limit}` : ''}; run the command again`);
  } else if (selection.remaining > 0) {
    notes.push(`${selection.remaining} more remain beyond --limit ${limit}: run the command again, or raise --limit`);
  }
  if (selection.tooYoung > 0) {
    const olderThan = options.olderThan ?? DEFAULT_OLDER_THAN;
    const lead = selection.ids.length === 0 ? 'nothing to resend: ' : '';
    notes.push(`${lead}${selection.tooYoung} pending ${selection.tooYoung === 1 ? 'entry is' : 'entries are'} younger than --older-than ${olderThan}${olderThan === DEFAULT_OLDER_THAN ? ' (the default)' : ''} and may still be sending. If no process is sending them any more (after a crash), run: mailroom resend --pending --older-than 0s`);
  }
  return notes;
}

async function resendAll(mailer: Mailer, selection: Selection, options: ResendOptions): Promise<ResendOutcome[]> {
  const { ids, statuses } = selection;
  const progress = startProgress(ids.length);
  const outcomes: ResendOutcome[] = [];
  let failedEntry: string | undefined;
  const onFailed = (_error: MailError, entryId: string) => {
    failedEntry = entryId;
  };
  mailer.on('failed', onFailed);
  try {
    for (const id of ids) {
      failedEntry = undefined;
      let outcome: ResendOutcome;
      try {
        const onlyIf = statuses.get(id);
        const result = await mailer.journal.resend(id, { includePossibleDuplicates: Boolean(options.includePossibleDuplicates), ...(onlyIf ? { onlyIf } : {}) });
        outcome = { original: id, result: 'sent', entry: result.id, adapter: result.adapter };
      } catch (thrown) {
        const error = toMailError(thrown);
        // Another caller (a second run at the same time) sent it or is sending it: nothing was sent here.
        const taken = error.field === 'status' && !failedEntry;
        outcome = taken
          ? { original: id, result: 'skipped', skippedBecause: 'taken', error: error.toAttemptError() }
          : { original: id, result: 'failed', ...(failedEntry ? { entry: failedEntry } : {}), error: error.toAttemptError() };
      }
      outcomes.push(outcome);
      progress.step(outcome);
    }
  } finally {
    mailer.off('failed', onFailed);
    progress.stop();
  }
  return outcomes;
}

// A bar when a person watches stderr; one line per message when it goes to a log or a pipe.
function startProgress(total: number): { step(outcome: ResendOutcome): void; stop(): void } {
  let done = 0;
  let failed = 0;
  if (total === 0) return { step() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'resending [{bar}] {value}/{total}  failed: {failed}', hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { failed: 0 });
    return {
      step(outcome) {
        if (outcome.result === 'failed') failed++;
        bar.increment(1, { failed });
      },
      stop: () => bar.stop(),
    };
  }
  return {
    step(outcome) {
      done++;
      const detail = outcome.result === 'sent' ? `sent via ${outcome.adapter} as ${outcome.entry}` : `failed: ${outcome.error?.code}`;
      process.stderr.write(`resend ${done}/${total} ${outcome.original} ${detail}\n`);
    },
    stop() {},
  };
}
