// One send, as the mailer runs it: render -> normalize -> journal claim -> chain -> journal close -> events.
import { MailError } from '../errors.js';
import type { MailMessage } from '../message.js';
import { awaitPending, failureOf } from '../../journal/idempotency.js';
import { possibleDeliveryReason } from '../../journal/journal.js';
import { claim } from './claim.js';
import { deliver } from './deliver.js';
import { keyCannotBeHonoured, refuseUnstorableData, resultFromEntry } from './journal-steps.js';
import type { MailerParts } from './parts.js';
import type { SendResult } from './types.js';

export async function sendMessage(parts: MailerParts, input: MailMessage): Promise<SendResult> {
  if (parts.journal?.storeContent && !input.sensitive) refuseUnstorableData(input);
  const message = await parts.prepare(input);
  const claimed = await claim(parts, input, message);
  if (claimed.kind === 'sent') return resultFromEntry(claimed.entry);
  if (claimed.kind === 'new') {
    // A key whose earlier send failed is sent again; when that send may have arrived after all
    // (it ended AMBIGUOUS), the new entry says so.
    const earlier = claimed.previous && possibleDeliveryReason(claimed.previous);
    return deliver(parts, message, claimed.entry, { written: claimed.written, earlierMayHaveArrived: earlier });
  }
  // The key's entry is pending or queued: another process may be sending it now. Its result is
  // awaited; only an entry its process left behind (stale) is completed here, by one caller, with
  // its Message-ID so that a receiver that dedupes by Message-ID keeps one copy.
  const settled = await awaitPending(parts.journal!, claimed.entry, parts.options.idempotency).catch((error: unknown) => {
    if (error instanceof MailError && error.field === 'idempotencyKey') throw error; // still held by another process
    parts.events.journalError(error);
    throw keyCannotBeHonoured(message.idempotencyKey!, error);
  });
  if (settled.outcome === 'sent') return resultFromEntry(settled.entry);
  if (settled.outcome === 'failed') throw failureOf(settled.entry);
  return deliver(parts, { ...message, messageId: settled.entry.messageId }, settled.entry);
}
