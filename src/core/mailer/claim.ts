// The journal claim step: what the message's idempotency key says (already sent, resume the
// pending entry, or a new entry), asked of the journal once. Without a journal every message is new.
import { newJournalEntry, type JournalClaim } from '../../journal/journal.js';
import type { MailMessage, NormalizedMessage } from '../message.js';
import { contentToKeep, keyCannotBeHonoured } from './journal-steps.js';
import type { MailerParts } from './parts.js';

/** A claim, and whether its entry is already written (a new entry is written by the claim). */
export type MailerClaim = JournalClaim & { written: boolean };

export async function claim(parts: MailerParts, input: MailMessage, message: NormalizedMessage): Promise<MailerClaim> {
  const { journal, events } = parts;
  if (!journal) return { kind: 'new', entry: newJournalEntry(message, undefined), written: true };
  const content = contentToKeep(input, message);
  try {
    const answer = await journal.claim(message, content);
    return { ...answer, written: answer.kind === 'new' };
  } catch (error) {
    events.journalError(error);
    if (message.idempotencyKey) throw keyCannotBeHonoured(message.idempotencyKey, error);
    // Without a key, a journal that fails never stops the message.
    return { kind: 'new', entry: journal.createEntry(message, content), written: true };
  }
}
