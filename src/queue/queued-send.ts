// `send()` in queue mode: the message is validated and rendered in the caller's process (bad input
// fails here, before anything is queued), journaled `queued`, and handed to BullMQ as a job whose id
// is the journal entry id. An idempotency key is claimed first, so one key is queued once across
// every process (journal.claim); a later send of the key answers with the entry that holds it.
import { formatAddress } from '../core/address.js';
import { MailError } from '../core/errors.js';
import type { MailerParts } from '../core/mailer/parts.js';
import { contentToKeep, keyCannotBeHonoured, record, refuseUnstorableData } from '../core/mailer/journal-steps.js';
import type { QueuedResult } from '../core/mailer/types.js';
import type { MailMessage, NormalizedMessage } from '../core/message.js';
import type { SendQueue } from './send-queue.js';

export function queuedSender(parts: MailerParts, queue: SendQueue): (input: MailMessage) => Promise<QueuedResult> {
  const journal = parts.journal!;
  return async (input) => {
    if (journal.storeContent && !input?.sensitive) refuseUnstorableData(input);
    const message = await parts.prepare(input);
    const key = message.idempotencyKey;
    // A worker closes what the journal holds: without the entry the message could vanish unseen.
    const unjournaled = (error: unknown) => (key ? keyCannotBeHonoured(key, error) : new MailError('TRANSIENT', 'the send journal could not record the message, so it was not queued; nothing was sent', { cause: error }));
    const claim = await journal.claim(message, contentToKeep(input, message)).catch((error: unknown) => {
      parts.events.journalError(error);
      throw unjournaled(error);
    });
    // The key is held by an entry already: that entry is this send's answer.
    if (claim.kind !== 'new') return { id: claim.entry.id, status: claim.entry.status === 'sent' ? 'sent' : 'queued', messageId: claim.entry.messageId, deduplicated: true };
    const entry = claim.entry;
    entry.status = 'queued';
    const unrecorded = await record(journal, parts.events, entry);
    if (unrecorded !== undefined) throw unjournaled(unrecorded);
    try {
      await queue.add(entry.id, { message: jobMessage(input, message), messageId: message.messageId });
    } catch (error) {
      entry.status = 'failed';
      entry.error = { code: 'TRANSIENT', message: `the queue ${queue.describe()} did not take the message: ${(error as Error).message}` };
      await record(journal, parts.events, entry);
      throw new MailError('TRANSIENT', `the queue ${queue.describe()} did not take the message (${(error as Error).message}); nothing was sent`, {
        cause: error,
        remedy: 'Check that the queue server is running and reachable (mailroom doctor), then send again; the journal entry is marked failed.',
      });
    }
    return { id: entry.id, status: 'queued', messageId: message.messageId };
  };
}

// The job carries the message as rendered now: a worker sends exactly what was validated here,
// without the app's templates. Attachments travel as base64 so the job stays JSON.
function jobMessage(input: MailMessage, message: NormalizedMessage): MailMessage {
  return {
    from: formatAddress(message.from),
    to: message.to.map(formatAddress),
    ...(message.cc.length ? { cc: message.cc.map(formatAddress) } : {}),
    ...(message.bcc.length ? { bcc: message.bcc.map(formatAddress) } : {}),
    ...(message.replyTo.length ? { replyTo: message.replyTo.map(formatAddress) } : {}),
    subject: message.subject,
    ...(message.html !== undefined ? { html: message.html } : {}),
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.attachments.length ? { attachments: message.attachments.map((a) => ({ filename: a.filename, content: a.content.toString('base64'), encoding: 'base64' as const, ...(a.contentType ? { contentType: a.contentType } : {}), ...(a.cid ? { cid: a.cid } : {}) })) } : {}),
    ...(Object.keys(message.headers).length ? { headers: message.headers } : {}),
    ...(message.tags.length ? { tags: message.tags } : {}),
    ...(Object.keys(message.metadata).length ? { metadata: message.metadata } : {}),
    ...(message.idempotencyKey ? { idempotencyKey: message.idempotencyKey } : {}),
    ...(message.sensitive || input.sensitive ? { sensitive: true } : {}),
  };
}
