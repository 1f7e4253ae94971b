// `send()` in queue mode: the message is validated and rendered in the caller's process (bad input
// fails here, before anything is queued), journaled `queued`, and handed to BullMQ as a job whose id
// is the journal entry id. An idempotency key is claimed first, so one key is queued once across
// every process (journal.claim); a later send of the key answers with the entry that holds it.
import { formatAddress } from '../core/address.js';
import { MailError, toMailError } from '../core/errors.js';
import type { MailerParts } from '../core/mailer/parts.js';
import { checkMessageShape } from '../core/mailer/prepare.js';
import { contentToKeep, keyCannotBeHonoured, record, refuseUnstorableData } from '../core/mailer/journal-steps.js';
import type { QueuedResult } from '../core/mailer/types.js';
import type { MailMessage, NormalizedMessage } from '../core/message.js';
import { awaitPending, failureOf } from '../journal/idempotency.js';
import type { JournalEntry } from '../journal/journal.js';
import type { SendQueue } from './send-queue.js';

/**
 * Longest `send()` waits for the queue to take a job. BullMQ waits for its server without end; a
 * send whose server is down fails TRANSIENT after this, its entry closed `failed`.
 */
export const QUEUE_ADD_TIMEOUT_MS = 10_000;

export function queuedSender(parts: MailerParts, queue: SendQueue): (input: MailMessage) => Promise<QueuedResult> {
  const journal = parts.journal!;
  return async (input) => {
    checkMessageShape(input);
    if (journal.storeContent && !input.sensitive) refuseUnstorableData(input);
    const message = await parts.prepare(input);
    const key = message.idempotencyKey;
    // A worker closes what the journal holds: without the entry the message could vanish unseen.
    const unjournaled = (error: unknown) => (key ? keyCannotBeHonoured(key, error) : journalRefused(error));
    const claim = await journal.claim(message, contentToKeep(input, message)).catch((error: unknown) => {
      parts.events.journalError(error);
      throw unjournaled(error);
    });
    if (claim.kind === 'sent') return answered(claim.entry, 'sent');
    if (claim.kind === 'resume') return resumeHeld(claim.entry);
    const entry = claim.entry;
    entry.status = 'queued';
    const unrecorded = await record(journal, parts.events, entry);
    if (unrecorded !== undefined) throw unjournaled(unrecorded);
    return enqueue(entry);

    // The key is held by an entry already: that entry is this send's answer, once it is known to be
    // on its way. A queued entry whose job is missing (its process stopped between journaling and
    // queueing it) is queued again; a pending one is awaited as any send of the key awaits it, and
    // queued here when the process that was sending it stopped (stale, this caller holds it).
    async function resumeHeld(held: JournalEntry): Promise<QueuedResult> {
      // A pending entry becomes queued in a moment when a queue-mode send of the key wrote it.
      const settled = await awaitPending(journal, held, parts.options.idempotency, true).catch((error: unknown) => {
        if (error instanceof MailError && error.field === 'idempotencyKey') throw error;
        parts.events.journalError(error);
        throw keyCannotBeHonoured(key!, error);
      });
      if (settled.outcome === 'sent') return answered(settled.entry, 'sent');
      if (settled.outcome === 'failed') throw failureOf(settled.entry);
      if (settled.outcome === 'queued') {
        if ((await queue.state(settled.entry.id).catch(() => undefined)) !== 'unknown') return answered(settled.entry, 'queued');
        return enqueue(settled.entry, true);
      }
      settled.entry.status = 'queued';
      const unrecorded = await record(journal, parts.events, settled.entry);
      if (unrecorded !== undefined) throw unjournaled(unrecorded);
      return enqueue(settled.entry, true);
    }

    // `held`: the key's entry, queued (again) for this send: its answer is deduplicated. A job
    // already there under its id makes the add a no-op.
    async function enqueue(entry: JournalEntry, held = false): Promise<QueuedResult> {
      try {
        await queue.add(entry.id, { message: jobMessage(input, message), messageId: entry.messageId }, QUEUE_ADD_TIMEOUT_MS);
      } catch (error) {
        // A job added after all, once the server is back, finds its entry failed and is dropped
        // unsent by the worker: the caller was told nothing was sent, and may send it again.
        const reason = toMailError(error).detail;
        entry.status = 'failed';
        entry.error = { code: 'TRANSIENT', message: `the queue ${queue.describe()} did not take the message: ${reason}` };
        await record(journal, parts.events, entry);
        throw new MailError('TRANSIENT', `the queue ${queue.describe()} did not take the message (${reason}); nothing was sent`, {
          cause: error,
          remedy: 'Check that the queue server is running and reachable (mailroom doctor), then send again; the journal entry is marked failed.',
        });
      }
      return { id: entry.id, status: 'queued', messageId: entry.messageId, ...(held ? { deduplicated: true } : {}) };
    }
  };
}

// Unkeyed, as keyed (keyCannotBeHonoured): the store's own reason and remedy, not a provider's.
function journalRefused(error: unknown): MailError {
  const cause = toMailError(error, { code: 'TRANSIENT' });
  return new MailError('TRANSIENT', `the send journal could not record the message, so it was not queued (${cause.detail}); nothing was sent`, {
    cause: error,
    remedy: `${cause.specificRemedy ? `${cause.specificRemedy} ` : ''}A worker delivers only what the journal holds: send again once the journal answers.`,
  });
}

function answered(entry: JournalEntry, status: 'sent' | 'queued'): QueuedResult {
  return { id: entry.id, status, messageId: entry.messageId, deduplicated: true };
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
