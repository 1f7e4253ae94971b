// Brevo transactional webhooks -> TrackingEvents. One JSON event per POST, or an array when the
// webhook is created with `batched: true`. Brevo does not sign: the shared secret (basic auth or
// bearer, set on the webhook) is checked by the handler. Names inside the payload differ from the
// ones chosen at webhook creation (hard_bounce vs hardBounce): both are read.
import { emailPart, eventsOfRecords, isoTime, stringList, stringMap, text, type JsonObject } from './fields.js';
import type { EventType, RejectReason, TrackingEvent } from './types.js';

// Keys are lower case with "_" removed, so hard_bounce and hardBounce read alike.
const TYPES: Record<string, [EventType, RejectReason?]> = {
  request: ['queued'],
  sent: ['queued'],
  delivered: ['delivered'],
  deferred: ['deferred'],
  hardbounce: ['bounced', 'bounced'],
  // A soft bounce is temporary (mailbox full, server down): more attempts may follow.
  softbounce: ['deferred'],
  invalidemail: ['bounced', 'invalid'],
  invalid: ['bounced', 'invalid'],
  blocked: ['rejected', 'blocked'],
  error: ['failed', 'other'],
  spam: ['complained', 'spam'],
  complaint: ['complained', 'spam'],
  opened: ['opened'],
  uniqueopened: ['opened'],
  proxyopen: ['opened'],
  uniqueproxyopen: ['opened'],
  click: ['clicked'],
  unsubscribe: ['unsubscribed', 'unsubscribed'],
  unsubscribed: ['unsubscribed', 'unsubscribed'],
};

export function parseBrevoEvents(body: unknown, now = new Date()): TrackingEvent[] {
  return eventsOfRecords(body, 'Brevo', (record) => brevoEvent(record, now));
}

function brevoEvent(record: JsonObject, now: Date): TrackingEvent {
  const name = (text(record.event) ?? '').toLowerCase().replace(/_/g, '');
  const [eventType, rejectReason] = TYPES[name] ?? ['unknown'];
  const reason = text(record.reason)?.trim();
  const providerMessageId = text(record['message-id']);
  const recipient = emailPart(record.email);
  return {
    eventType,
    provider: 'brevo',
    ...(providerMessageId ? { providerMessageId, messageIdHeader: providerMessageId } : {}),
    ...(recipient ? { recipient } : {}),
    // ts_epoch (ms) is UTC; ts, ts_event and date follow the account's time zone (anymail's finding).
    timestamp: isoTime(record.ts_epoch ?? (record.ts_event !== undefined ? Number(record.ts_event) * 1000 : undefined), 'ms', now),
    ...(rejectReason ? { rejectReason } : {}),
    ...(reason ? { description: reason, mtaResponse: reason } : {}),
    tags: stringList(record.tags ?? record.tag),
    metadata: stringMap(record['X-Mailin-custom']),
    raw: record,
  };
}
