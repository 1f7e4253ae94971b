// Resending a journaled message: a pending entry is completed in place (same Message-ID), a sent or
// failed one gets a new entry linked both ways; one that may already have been delivered is refused
// unless asked.
import { MailError } from '../errors.js';
import { possibleDeliveryReason } from '../../journal/journal.js';
import { deliver } from './deliver.js';
import { record, requireJournal, resultFromEntry } from './journal-steps.js';
import type { MailerParts } from './parts.js';
import type { JournalResendOptions, SendResult } from './types.js';

export async function resend(parts: MailerParts, id: string, options: JournalResendOptions = {}): Promise<SendResult> {
  const store = requireJournal(parts.journal);
  const original = await store.get(id);
  if (!original) throw new MailError('CONFIG', `no journal entry with id ${id}`);
  const content = store.contentFor(original);
  const reason = options.includePossibleDuplicates ? undefined : possibleDeliveryReason(original);
  if (reason) {
    throw new MailError('CONFIG', `journal entry ${id} may already have been delivered (${reason}): a resend could deliver a second copy. Check with the recipient or the provider's logs, then pass includePossibleDuplicates: true (mailroom resend --include-possible-duplicates) to send it anyway`);
  }
  if (!content) {
    throw new MailError('CONFIG', `journal entry ${id} has no stored content to resend (the journal runs with storeContent: false)`);
  }
  if (original.status === 'queued' && parts.queue) {
    // A worker still holds it: a resend now would be the duplicate the queue exists to prevent.
    const state = await parts.queue.state(id);
    if (['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'].includes(state)) {
      throw new MailError('CONFIG', `journal entry ${id} is still queued (job ${state}): a worker will send it; see \`mailroom queue\``);
    }
    if (state === 'failed') await parts.queue.remove(id);
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
      return { ...resultFromEntry(holder), warnings: [`entry ${id} was a send of a key whose message entry ${holder.id} holds; that entry may already have been delivered (${held}), so nothing was sent`] };
    }
  }
  if (original.status === 'pending' || original.status === 'queued') {
    // Completing an interrupted send: same entry, same Message-ID, so an idempotent receiver
    // (and the outbox) keeps one copy if the first attempt did get through.
    return deliver(parts, await parts.prepare(content, original.messageId), original);
  }
  if (original.status === 'failed' && original.idempotencyKey) {
    // Its key was delivered since (by a later send with the same key): sending again would be
    // the duplicate the key exists to prevent.
    const latest = await store.findByIdempotencyKey(original.idempotencyKey);
    if (latest && latest.id !== original.id && latest.status === 'sent') return resultFromEntry(latest);
  }
  const message = await parts.prepare(content);
  const entry = store.createEntry(message, content, { resendOf: original.id });
  original.resentAs = [...(original.resentAs ?? []), entry.id];
  await record(store, parts.events, original);
  return deliver(parts, message, entry);
}
