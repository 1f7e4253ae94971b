// One send per idempotency key, across every process that shares the journal. `journal.claim`
// gives the key to one sender atomically; a later send that finds the key's entry pending cannot
// tell by itself whether another process is sending it right now or a stopped process left it.
// It waits for that entry to close and returns its result; only an entry not written for
// `staleAfterMs` is completed here, and by exactly one caller across every process.
import { MailError, type MailErrorCode } from '../core/errors.js';
import type { JournalEntry, SendJournal } from './journal.js';

export interface KeyClaimOptions {
  /** Longest a send waits for another process's send of the same key before failing TRANSIENT. Default 30,000 ms. */
  waitMs?: number;
  /** A pending entry not written for this long was left by a stopped process and is completed by one sender. Default 10 minutes. */
  staleAfterMs?: number;
}

export type PendingOutcome =
  /** The other send delivered it: return its result. */
  | { outcome: 'sent'; entry: JournalEntry }
  /** The other send failed: fail the same way. */
  | { outcome: 'failed'; entry: JournalEntry }
  /** Left by a stopped process, and this caller holds the takeover: complete it in place. */
  | { outcome: 'resume'; entry: JournalEntry }
  /** With `queuedIsAnswer` (a queue-mode send): queued, a job holds it. */
  | { outcome: 'queued'; entry: JournalEntry };

/**
 * CONFIG for a value the wait cannot use: from JavaScript a "30s" string compares as NaN, so the
 * wait would never end by time; a negative one would skip the wait or take over a running send.
 */
export function checkKeyClaimOptions(options: KeyClaimOptions | undefined): void {
  if (options === undefined) return;
  const problems = (['waitMs', 'staleAfterMs'] as const)
    .filter((name) => options[name] !== undefined && !(typeof options[name] === 'number' && Number.isInteger(options[name]) && options[name] >= 0))
    .map((name) => `option "idempotency.${name}": expected a whole number of milliseconds, 0 or more`);
  if (problems.length > 0) throw new MailError('CONFIG', problems.join('; '), { remedy: 'Give the waits in milliseconds, e.g. idempotency: { waitMs: 30000, staleAfterMs: 600000 }; README "Many instances".' });
}

export const DEFAULT_KEY_WAIT_MS = 30_000;
export const DEFAULT_STALE_AFTER_MS = 10 * 60_000;

/** The lease whose holder completes a pending entry in place (a stale key's send, or a resend). */
export const takeoverLease = (entryId: string) => `takeover:${entryId}`;

export async function awaitPending(journal: SendJournal, pending: JournalEntry, options: KeyClaimOptions = {}, queuedIsAnswer = false): Promise<PendingOutcome> {
  const waitMs = options.waitMs ?? DEFAULT_KEY_WAIT_MS;
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const started = Date.now();
  let entry = pending;
  for (let poll = 20; ; poll = Math.min(poll * 2, 500)) {
    if (entry.status === 'sent' || entry.status === 'failed') return { outcome: entry.status, entry };
    if (queuedIsAnswer && entry.status === 'queued') return { outcome: 'queued', entry };
    // A queued entry belongs to its job: a worker sends it, however long it waits.
    const stale = entry.status === 'pending' && Date.now() - Date.parse(entry.updatedAt) >= staleAfterMs;
    // The same lease a resend of the entry takes (resend.ts): one of them completes it.
    if (stale && (await journal.lease(takeoverLease(entry.id), staleAfterMs))) return { outcome: 'resume', entry };
    if (Date.now() - started >= waitMs) {
      throw new MailError('TRANSIENT', `the idempotency key "${entry.idempotencyKey}" is being sent by another process (journal entry ${entry.id}, ${entry.status} since ${entry.updatedAt}); waited ${Math.round((Date.now() - started) / 1000)} s for it; nothing was sent`, {
        field: 'idempotencyKey',
        remedy: `Try again later: the key returns that send's result once it ends. If the process that holds it has stopped, the entry is completed by the next send of the key ${Math.round(staleAfterMs / 60_000)} min after its last journal write, or now with \`mailroom resend ${entry.id} --older-than 0s\`.`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, poll));
    entry = (await journal.get(entry.id)) ?? entry;
  }
}

/** The error a send that waited for a failed send of its key fails with: the one that ended it. */
export function failureOf(entry: JournalEntry): MailError {
  const code = (entry.error?.code ?? 'ALL_FAILED') as MailErrorCode;
  const error = new MailError(code, (entry.error?.message ?? `journal entry ${entry.id} failed`).replace(/^\[mailroom\] /, ''), entry.error?.remedy ? { remedy: entry.error.remedy } : {});
  error.attempts = entry.attempts;
  return error;
}
