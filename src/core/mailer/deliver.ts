// Chain, then journal close, then events: one journaled message carried by the chain, its entry
// closed "sent" or "failed", and the outcome announced.
import type { ChainReceipt, SendTrace } from '../failover.js';
import { toMailError, type MailError } from '../errors.js';
import type { JournalEntry } from '../../journal/journal.js';
import type { NormalizedMessage } from '../message.js';
import { keyCannotBeHonoured, record } from './journal-steps.js';
import type { MailerParts } from './parts.js';
import type { SendResult } from './types.js';

export interface DeliverOptions {
  /** The claim already wrote the pending entry. */
  written?: boolean;
  /**
   * Queue mode: whether a failure ends the message; when it does not, the entry goes back to
   * `queued` for the job's retry and no `failed` event is raised. `mayHaveArrived`: an attempt of
   * this delivery ended AMBIGUOUS, so another try would send the message again.
   */
  isFinal?: (failure: MailError, mayHaveArrived: boolean) => boolean;
  /** Why an earlier send of this message may have arrived (a resend of it): the entry is marked possible duplicate. */
  earlierMayHaveArrived?: string | undefined;
  /** Ends the delivery early (a queue worker stopping once its grace ran out): no further attempt starts. */
  signal?: AbortSignal;
}

/** Sends `message` as journal `entry`. */
export async function deliver(parts: MailerParts, message: NormalizedMessage, entry: JournalEntry, options: DeliverOptions = {}): Promise<SendResult> {
  const { written = false, isFinal = () => true } = options;
  const { journal, events } = parts;
  // A key is only a promise if the journal holds it: without the pending entry, a retry would send again.
  const unrecorded = written ? undefined : await record(journal, events, entry);
  if (unrecorded !== undefined && message.idempotencyKey) throw keyCannotBeHonoured(message.idempotencyKey, unrecorded);
  const trace = events.trace(entry);
  const earlierAttempts = entry.attempts.length;
  if (entry.status === 'pending' && entry.handedOver) {
    // Resuming an entry a stopped process had already handed over: a second copy is possible.
    entry.possibleDuplicate = true;
    trace.warnings.push(`${entry.handedOver.adapter} had been handed this message (${entry.handedOver.at}) by a process that stopped before the answer: it may have been delivered`);
  } else if (options.earlierMayHaveArrived) {
    // Sending again what an earlier entry may have delivered (a key retried after an AMBIGUOUS
    // failure, a resend with includePossibleDuplicates): allowed, never silent.
    entry.possibleDuplicate = true;
    trace.warnings.push(`an earlier send of this message (entry ${entry.resendOf ?? 'unknown'}) may have been delivered: ${options.earlierMayHaveArrived}`);
  }
  // Journaled when it happens: a process killed after it leaves an entry that says so. The chain is
  // awaited in here: when it cannot be built, the entry the claim wrote pending is closed failed.
  const receipt = await withHandoverJournaled(parts, entry, trace, async () => (await parts.chain).deliver(message, trace, options.signal)).catch((error: unknown) => toMailError(error));
  // Any attempt that ended AMBIGUOUS may have delivered the message, whoever sent it after.
  if (trace.possibleDuplicate || entry.attempts.some((attempt) => attempt.error?.code === 'AMBIGUOUS')) entry.possibleDuplicate = true;
  // Whether the message may have arrived in this delivery: then no other try may follow (see isFinal).
  const mayHaveArrived = trace.possibleDuplicate || entry.attempts.slice(earlierAttempts).some((attempt) => attempt.error?.code === 'AMBIGUOUS');
  if (receipt instanceof Error) return failed(parts, entry, receipt, trace.warnings, isFinal(receipt, mayHaveArrived));
  return sent(parts, message, entry, receipt, trace.warnings);
}

// The transports report the handover from inside an attempt (src/core/handover.ts), through the
// trace the chain carries; the adapter is the one whose attempt started last.
async function withHandoverJournaled<T>(parts: MailerParts, entry: JournalEntry, trace: SendTrace, run: () => Promise<T>): Promise<T> {
  if (!parts.journal) return run();
  let current = 'unknown';
  const announce = trace.onAttempt;
  trace.onAttempt = (adapter, attempt) => {
    current = adapter.name;
    announce?.(adapter, attempt);
  };
  // Resolves once the journal holds it: the transports wait for that before the message leaves
  // for good (see src/core/handover.ts).
  trace.onHandover = async () => {
    entry.handedOver = { adapter: current, at: new Date().toISOString() };
    await record(parts.journal, parts.events, entry);
  };
  return run();
}

async function sent(parts: MailerParts, message: NormalizedMessage, entry: JournalEntry, receipt: ChainReceipt, warnings: string[]): Promise<SendResult> {
  if (receipt.rejected.length > 0) warnings.push(`${receipt.adapter} refused ${receipt.rejected.length} recipient(s): ${receipt.rejected.join(', ')}`);
  warnings.push(...(receipt.warnings ?? []));
  const result: SendResult = {
    id: entry.id,
    status: 'sent',
    adapter: receipt.adapter,
    ...(receipt.providerMessageId ? { providerMessageId: receipt.providerMessageId } : {}),
    messageId: message.messageId,
    accepted: receipt.accepted,
    rejected: receipt.rejected,
    attempts: entry.attempts,
    warnings,
  };
  Object.assign(entry, {
    status: 'sent',
    adapter: receipt.adapter,
    ...(receipt.providerMessageId ? { providerMessageId: receipt.providerMessageId } : {}),
    ...(receipt.providerRefs?.length ? { providerRefs: receipt.providerRefs } : {}),
  });
  if (warnings.length > 0) entry.warnings = warnings;
  await record(parts.journal, parts.events, entry);
  parts.events.emit('sent', result);
  return result;
}

async function failed(parts: MailerParts, entry: JournalEntry, failure: MailError, warnings: string[], final: boolean): Promise<never> {
  failure.attempts = entry.attempts;
  entry.status = final ? 'failed' : 'queued';
  // A clean failure after a handover (a 4xx after DATA) delivered nothing: the retry is no duplicate.
  if (!final && !entry.possibleDuplicate) delete entry.handedOver;
  entry.error = { code: failure.code, message: failure.message, ...(failure.remedy ? { remedy: failure.remedy } : {}) };
  if (warnings.length > 0) entry.warnings = warnings;
  await record(parts.journal, parts.events, entry);
  if (final) parts.events.emit('failed', failure, entry.id);
  throw failure;
}
