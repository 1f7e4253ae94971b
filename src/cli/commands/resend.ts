// `mailroom resend`: sends journaled messages again, chosen by id, or every failed one, or every
// pending one a crashed process left behind. A pending entry is completed in place (same
// Message-ID); a sent or failed one gets a new entry linked to the original (resendOf / resentAs).
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { parseDuration } from '../../duration.js';
import { MailError, toMailError, type AttemptError } from '../../errors.js';
import type { JournalEntry } from '../../journal.js';
import type { Mailer } from '../../mailer.js';
import { addCommonOptions, mailerFromOptions, positiveInteger, type CommonOptions } from '../context.js';
import { printJson, printTable, truncate } from '../output.js';
import { collectEntries, journalQuery } from './journal.js';

interface ResendOptions extends CommonOptions {
  failed?: boolean;
  pending?: boolean;
  since?: string;
  olderThan?: string;
  to?: string;
  limit: string;
  dryRun?: boolean;
  json?: boolean;
}

interface ResendOutcome {
  original: string;
  result: 'sent' | 'failed' | 'skipped';
  /** The entry that now holds the message: the original itself for a pending one. */
  entry?: string;
  adapter?: string;
  error?: AttemptError;
}

export function register(program: Command): void {
  addCommonOptions(
    program
      .command('resend')
      .description('send journaled messages again: by id, every failed one, or every pending one left by a crash')
      .argument('[ids...]', 'journal entry ids (first column of `mailroom journal`)')
      .option('--failed', 'every failed entry not resent yet')
      .option('--pending', 'every pending entry older than --older-than (a send interrupted by a crash)')
      .option('--since <when>', 'with --failed or --pending: only entries created after this (2h, 1d, 2026-01-31)')
      .option('--older-than <duration>', 'with --pending: skip entries younger than this, which may still be sending', '10m')
      .option('--to <address>', 'with --failed or --pending: only entries with this recipient')
      .option('--limit <n>', 'resend at most this many', '100')
      .option('--dry-run', 'list what would be resent, send nothing')
      .option('--json', 'print the outcomes as JSON'),
  )
    .addHelpText('after', `
A failed or sent entry is sent as a new entry (its original keeps a link to it, and \`--failed\`
skips originals already resent); a pending entry is completed in place with its Message-ID, so a
receiver that already got it keeps one copy. Exits with 1 when any resend failed.

Examples:
  $ mailroom resend 01JH3Q8ZP6X1V4N2W5R7T9K0BC
  $ mailroom resend --failed --since 2h
  $ mailroom resend --pending --older-than 30m --dry-run`)
    .action(async (ids: string[], options: ResendOptions) => {
      const modes = [ids.length > 0, Boolean(options.failed), Boolean(options.pending)].filter(Boolean).length;
      if (modes !== 1) throw new MailError('CONFIG', 'give entry ids, or --failed, or --pending (exactly one of them)');
      if (ids.length > 0 && (options.since || options.to)) throw new MailError('CONFIG', '--since and --to select entries for --failed or --pending; with ids, leave them out');
      const olderThanMs = parseDuration(options.olderThan ?? '10m', '--older-than');
      const limit = positiveInteger(options.limit, '--limit');
      const mailer = await mailerFromOptions(options);
      try {
        const skipped: ResendOutcome[] = [];
        const chosen = ids.length > 0 ? ids.slice(0, limit) : await select(mailer, options, olderThanMs, limit, skipped);
        if (options.dryRun) {
          if (options.json) printJson({ wouldResend: chosen, skipped });
          else {
            process.stdout.write(chosen.length ? `would resend ${chosen.length}: ${chosen.join(' ')}\n` : 'nothing to resend\n');
            for (const skip of skipped) process.stdout.write(`skipped ${skip.original}: ${skip.error?.message ?? ''}\n`);
          }
          return;
        }
        const outcomes = [...(await resendAll(mailer, chosen)), ...skipped];
        const sent = outcomes.filter((outcome) => outcome.result === 'sent').length;
        const failed = outcomes.filter((outcome) => outcome.result === 'failed').length;
        if (options.json) printJson({ sent, failed, skipped: skipped.length, outcomes });
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
          process.stdout.write(`${outcomes.length === 0 ? 'nothing to resend' : `resent ${chosen.length}: ${sent} sent, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`}\n`);
        }
        if (failed > 0) process.exitCode = 1;
      } finally {
        await mailer.close();
      }
    });
}

// Entries for --failed / --pending, oldest first so messages go out in their original order.
async function select(mailer: Mailer, options: ResendOptions, olderThanMs: number, limit: number, skipped: ResendOutcome[]): Promise<string[]> {
  const now = new Date();
  const query = journalQuery({ status: options.failed ? 'failed' : 'pending', ...(options.since ? { since: options.since } : {}), ...(options.to ? { to: options.to } : {}) }, now);
  if (options.pending) query.until = new Date(now.getTime() - olderThanMs);
  const { entries } = await collectEntries(mailer, query, 10_000);
  const chosen: JournalEntry[] = [];
  for (const entry of entries) {
    // An original already resent is represented by its resend (which is listed itself if it failed too).
    if (entry.resentAs?.length) continue;
    if (!entry.content) {
      skipped.push({ original: entry.id, result: 'skipped', error: { code: 'CONFIG', message: 'no stored content to resend (the journal ran with storeContent: false)' } });
      continue;
    }
    chosen.push(entry);
  }
  return chosen.reverse().slice(0, limit).map((entry) => entry.id);
}

async function resendAll(mailer: Mailer, ids: string[]): Promise<ResendOutcome[]> {
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
        const result = await mailer.journal.resend(id);
        outcome = { original: id, result: 'sent', entry: result.id, adapter: result.adapter };
      } catch (thrown) {
        const error = toMailError(thrown);
        outcome = { original: id, result: 'failed', ...(failedEntry ? { entry: failedEntry } : {}), error: error.toAttemptError() };
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
