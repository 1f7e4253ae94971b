// Resending a journaled message: a pending entry is completed in place (same Message-ID), a sent or
// failed one gets a new entry linked both ways; one that may already have been delivered is refused
// unless asked. Resends of one entry run one at a time across every process sharing the journal, and
// each decides on the entry as it is once it holds it: two `mailroom resend` runs, or a resend and
// a send of the same idempotency key, never both deliver it.
import { MailError } from '../errors.js';
import { DEFAULT_STALE_AFTER_MS, takeoverLease } from '../../journal/idempotency.js';
import { canonicalEntryId, possibleDeliveryReason, type JournalEntry, type SendJournal } from '../../journal/journal.js';
import { deliver } from './deliver.js';
import { noSuchEntry, record, requireJournal, resultFromEntry } from './journal-steps.js';
import type { MailerParts } from './parts.js';
import { sendMessage } from './send.js';
import type { JournalResendOptions, SendResult } from './types.js';

/**
 * Pending entries written less than this long ago may still be in the hands of the process sending
 * them (a slow provider): resending one now would deliver it twice, and the two sends would overwrite
 * each other's journal record. `mailroom resend` (its --older-than default) and the admin screens'
 * resend leave them alone.
 */
export const PENDING_MAY_BE_SENDING_MS = 10 * 60_000;

/** How long ago a pending entry was written, when that is under `withinMs` (it may still be sending); else undefined. */
export function pendingAgeWithin(entry: JournalEntry, withinMs: number): number | undefined {
  if (entry.status !== 'pending') return undefined;
  const ageMs = Date.now() - Date.parse(entry.updatedAt);
  return ageMs < withinMs ? Math.max(0, ageMs) : undefined;
}

export async function resend(parts: MailerParts, givenId: string, options: JournalResendOptions = {}): Promise<SendResult> {
  const store = requireJournal(parts.journal);
  // One lease per entry, whatever the case the id was typed in.
  const id = canonicalEntryId(givenId);
  const staleAfterMs = parts.options.idempotency?.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const release = await store.lease(`resend:${id}`, staleAfterMs);
  if (!release) throw busy(id, 'another resend of it is running');
  try {
    // Read under the lease: a resend that held it before may have changed the entry.
    const original = await store.get(id);
    if (!original) throw await noSuchEntry(store, id);
    return await resendHeld(parts, store, original, options, staleAfterMs);
  } finally {
    await release();
  }
}

async function resendHeld(parts: MailerParts, store: SendJournal, original: JournalEntry, options: JournalResendOptions, staleAfterMs: number): Promise<SendResult> {
  const id = original.id;
  const statuses = options.onlyIf === undefined ? undefined : [options.onlyIf].flat();
  if (statuses && !statuses.includes(original.status)) {
    throw new MailError('CONFIG', `journal entry ${id} is ${original.status} now, no longer ${statuses.join(' or ')}: another caller sent or resent it meanwhile; nothing was sent`, { field: 'status' });
  }
  const content = store.contentFor(original);
  const reason = options.includePossibleDuplicates ? undefined : possibleDeliveryReason(original);
  if (reason) {
    throw new MailError('CONFIG', `journal entry ${id} may already have been delivered (${reason}): a resend could deliver a second copy. Check with the recipient or the provider's logs, then pass includePossibleDuplicates: true (mailroom resend --include-possible-duplicates) to send it anyway`);
  }
  if (!content) {
    throw new MailError('CONFIG', `journal entry ${id} has no stored content to resend (the journal runs with storeContent: false)`);
  }
  const earlierMayHaveArrived = possibleDeliveryReason(original);
  if (original.status === 'failed' && original.resentAs?.length) {
    // Its resend stands for it: sending the original again would be a second resend of one failure.
    return answerOfResend(store, original);
  }
  if (original.status === 'queued' && parts.queue) {
    // A worker still holds it: a resend now would be the duplicate the queue exists to prevent.
    const state = await parts.queue.state(id);
    if (['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'].includes(state)) {
      throw new MailError('CONFIG', `journal entry ${id} is still queued (job ${state}): a worker will send it; see \`mailroom queue\``);
    }
    if (state === 'failed') await parts.queue.remove(id);
  } else if (original.status === 'queued') {
    // Without the queue, whether a job still holds it cannot be known: a worker taking that job
    // while this resend sends would deliver a second copy, unflagged.
    throw new MailError('CONFIG', `journal entry ${id} is queued (queue mode) and this mailer has no queue to check whether a worker still holds its job; nothing was sent`, {
      field: 'status',
      remedy: 'Resend it with the queue the mailers use (mailroom resend --queue redis://… or MAILROOM_QUEUE; the queue option of createMailer): it is sent then only once its job is gone or failed.',
    });
  }
  if (original.status === 'pending' && original.idempotencyKey) {
    // A claim that lost: a send of a key already held writes its entry, finds the holder, then drops
    // the entry. A process killed in between leaves it pending, and resending it would deliver the
    // holder's message a second time (found by the crash suite). The message is the holder's.
    const holder = await store.findByIdempotencyKey(original.idempotencyKey);
    if (holder && holder.id !== original.id) {
      await store.forget(original);
      if (holder.status === 'sent') return resultFromEntry(holder);
      const held = options.includePossibleDuplicates ? undefined : possibleDeliveryReason(holder);
      if (!held) return resend(parts, holder.id, options);
      // The holder may already have been delivered: nothing is sent for it here (a resend of the
      // holder itself says so, and takes --include-possible-duplicates).
      throw new MailError('CONFIG', `journal entry ${id} was a send of a key whose message entry ${holder.id} holds, and that entry may already have been delivered (${held}): nothing was sent. Resend ${holder.id} with includePossibleDuplicates (--include-possible-duplicates) to send it anyway`, { field: 'status' });
    }
  }
  if (original.status === 'pending' || original.status === 'queued') {
    // Completing an interrupted send: same entry, same Message-ID, so an idempotent receiver
    // (and the outbox) keeps one copy if the first attempt did get through. A send of its key that
    // found it stale completes it under the same lease.
    const takeover = await store.lease(takeoverLease(id), staleAfterMs);
    if (!takeover) throw busy(id, 'a send of its idempotency key is completing it');
    try {
      return await deliver(parts, await parts.prepare(content, original.messageId), original, { earlierMayHaveArrived });
    } finally {
      await takeover();
    }
  }
  if (original.status === 'failed' && original.idempotencyKey) {
    // The key decides, as for any send of it: the journal's atomic claim takes it over from this
    // failed entry (a new entry linked to it), or finds that a send of the key delivered it, or is
    // delivering it, since. An application retrying the key at this moment cannot also send it.
    return sendMessage(parts, { ...content, idempotencyKey: original.idempotencyKey });
  }
  const message = await parts.prepare(content);
  const entry = store.createEntry(message, content, { resendOf: original.id });
  original.resentAs = [...(original.resentAs ?? []), entry.id];
  await record(store, parts.events, original);
  // A sent message resent on purpose is a second email: its idempotency key stays on the entry but
  // does not reach the provider, which would answer with the first email's id and send nothing
  // (Resend's Idempotency-Key, Brevo's headers.idempotencyKey). Its own Message-ID still makes the
  // chain's retries of this resend one email.
  const { idempotencyKey: _key, ...fresh } = message;
  return deliver(parts, original.status === 'sent' ? fresh : message, entry, { earlierMayHaveArrived });
}

// A failed entry already resent: the answer is its newest resend's.
async function answerOfResend(store: SendJournal, original: JournalEntry): Promise<SendResult> {
  const newest = original.resentAs!.at(-1)!;
  const resent = await store.get(newest);
  if (resent?.status === 'sent') {
    return { ...resultFromEntry(resent), warnings: [`journal entry ${original.id} was resent as ${resent.id}, which was sent: nothing was sent again`] };
  }
  if (resent?.status === 'pending' || resent?.status === 'queued') throw busy(original.id, `its resend ${resent.id} is ${resent.status}`);
  throw new MailError('CONFIG', `journal entry ${original.id} was resent as ${newest}, which ${resent ? 'failed too' : 'has expired'}: resend ${newest} instead; nothing was sent`, { field: 'status' });
}

function busy(id: string, why: string): MailError {
  return new MailError('TRANSIENT', `journal entry ${id} is being sent right now (${why}); nothing was sent: its result will be in the journal (mailroom journal show ${id})`, { field: 'status' });
}
