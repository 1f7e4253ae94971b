// SMTP2GO webhooks -> TrackingEvents. One event per POST, JSON or form-encoded (chosen per webhook
// in SMTP2GO). SMTP2GO does not sign: the handler checks the Authorization header (bearer or
// basic) set on the webhook.
import { emailPart, eventsOfRecords, isoTime, mailroomHeaders, parseJson, text, type JsonObject } from './fields.js';
import type { EventType, RejectReason, TrackingEvent } from './types.js';

const TYPES: Record<string, [EventType, RejectReason?]> = {
  processed: ['queued'],
  delivered: ['delivered'],
  open: ['opened'],
  click: ['clicked'],
  spam: ['complained', 'spam'],
  unsubscribe: ['unsubscribed', 'unsubscribed'],
  // A suppressed address (earlier hard bounce, complaint or unsubscribe), an unverified sender or a sandboxed key.
  reject: ['rejected', 'blocked'],
};

/** Reads a JSON or form-encoded SMTP2GO body. */
export function parseSmtp2goBody(body: string, contentType: string): unknown {
  if (/application\/x-www-form-urlencoded/i.test(contentType)) {
    const form = new URLSearchParams(body);
    const out: JsonObject = {};
    for (const key of new Set(form.keys())) {
      const values = form.getAll(key);
      out[key] = values.length === 1 ? values[0] : values;
    }
    return out;
  }
  return parseJson(body, 'SMTP2GO');
}

export function parseSmtp2goEvents(body: unknown, now = new Date()): TrackingEvent[] {
  return eventsOfRecords(body, 'SMTP2GO', (record) => smtp2goEvent(record, now));
}

function smtp2goEvent(record: JsonObject, now: Date): TrackingEvent {
  const name = (text(record.event) ?? '').toLowerCase();
  let [eventType, rejectReason] = TYPES[name] ?? ['unknown'];
  if (name === 'bounce') [eventType, rejectReason] = text(record.bounce)?.toLowerCase() === 'soft' ? ['deferred', undefined] : ['bounced', 'bounced'];
  const providerMessageId = text(record.email_id);
  const header = text(record['message-id']);
  const recipient = emailPart(record.rcpt);
  const message = text(record.message);
  const context = text(record.context);
  return {
    eventType,
    provider: 'smtp2go',
    ...(providerMessageId ? { providerMessageId } : {}),
    ...(header ? { messageIdHeader: header } : {}),
    ...(recipient ? { recipient } : {}),
    timestamp: isoTime(record.time, 's', now),
    ...(rejectReason ? { rejectReason } : {}),
    ...(context ?? message ? { description: (context ?? message)! } : {}),
    ...(message ? { mtaResponse: message } : {}),
    // Present when the webhook is set to pass these custom headers on (our MIME adapters write them).
    ...mailroomHeaders(record['X-Mailroom-Tags'], record['X-Mailroom-Metadata']),
    raw: record,
  };
}
