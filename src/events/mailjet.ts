// Mailjet Event API (v2) -> TrackingEvents. A JSON array of mixed events when "group events" is
// on, a bare object when off. An event names its recipient's message by `Message_GUID` (the
// MessageUUID the send returned for that recipient) and by `MessageID`, an integer above 2^53.
// The GUID is the key: a body an app's JSON parser read before us has MessageID rounded (to a
// neighbour's id, maybe), never the GUID. MessageID, when read digit for digit, is the fallback:
// for an event without a GUID, and for an entry journaled before its GUID was recorded.
// Mailjet does not sign: the handler checks the basic-auth secret in the callback URL.
import { emailPart, eventsOfRecords, isoTime, isObject, parseJsonKeepingIds, stringList, stringMap, text, type JsonObject } from './fields.js';
import type { EventType, RejectReason, TrackingEvent } from './types.js';

const TYPES: Record<string, EventType> = {
  // Mailjet's "sent" means the receiving server accepted it.
  sent: 'delivered',
  open: 'opened',
  click: 'clicked',
  bounce: 'bounced',
  blocked: 'rejected',
  spam: 'complained',
  unsub: 'unsubscribed',
};

// The `error` values of the Event API's error table.
const REASONS: Record<string, RejectReason> = {
  'user unknown': 'invalid',
  'mailbox inactive': 'invalid',
  'invalid domain': 'invalid',
  'no mail host': 'invalid',
  typofix: 'invalid',
  'quota exceeded': 'other',
  blacklisted: 'blocked',
  'spam reporter': 'spam',
  'relay/access denied': 'blocked',
  greylisted: 'timed_out',
  'sender blocked': 'blocked',
  'content blocked': 'blocked',
  'policy issue': 'blocked',
  preblocked: 'blocked',
  'duplicate in campaign': 'other',
};

/** Parses a Mailjet body from its raw text, keeping MessageID exact. */
export function parseMailjetBody(body: string): unknown {
  return parseJsonKeepingIds(body, 'Mailjet', ['MessageID', 'mj_message_id']);
}

export function parseMailjetEvents(body: unknown, now = new Date()): TrackingEvent[] {
  return eventsOfRecords(body, 'Mailjet', (record) => mailjetEvent(record, now));
}

function mailjetEvent(record: JsonObject, now: Date): TrackingEvent {
  const name = (text(record.event) ?? '').toLowerCase();
  const error = text(record.error)?.toLowerCase();
  let eventType = TYPES[name] ?? 'unknown';
  // A greylisted soft bounce is retried by Mailjet ("temporary ... will be re-attempted").
  if (name === 'bounce' && record.hard_bounce === false && error === 'greylisted') eventType = 'deferred';
  const rejectReason: RejectReason | undefined =
    eventType === 'complained' ? 'spam' : eventType === 'unsubscribed' ? 'unsubscribed' : error ? (REASONS[error] ?? 'other') : eventType === 'bounced' ? 'bounced' : undefined;
  const exactId = exactMessageId(record.MessageID) ?? text(record.mj_message_id);
  const providerMessageId = text(record.Message_GUID) ?? exactId;
  // An entry journaled before per-recipient ids were kept is indexed by its first MessageID only.
  const providerRefs = exactId !== undefined && exactId !== providerMessageId ? [exactId] : [];
  const recipient = emailPart(record.email);
  const description = [text(record.error_related_to), text(record.error), text(record.comment)].filter(Boolean).join(': ');
  const mtaResponse = text(record.smtp_reply);
  const metadata = stringMap(record.Payload);
  return {
    eventType,
    provider: 'mailjet',
    ...(providerMessageId ? { providerMessageId } : {}),
    ...(providerRefs.length ? { providerRefs } : {}),
    ...(recipient ? { recipient } : {}),
    timestamp: isoTime(record.time, 's', now),
    ...(rejectReason ? { rejectReason } : {}),
    ...(description ? { description } : {}),
    ...(mtaResponse ? { mtaResponse } : {}),
    tags: stringList(record.customcampaign),
    metadata: isObject(metadata) ? metadata : {},
    raw: record,
  };
}

// MessageID as its digits: a string when we read the raw body (parseMailjetBody), a number only
// when an app's JSON parser read it first, which is exact below 2^53 and rounded (maybe onto a
// neighbour's id) above it: a rounded one names no message.
function exactMessageId(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? String(value) : undefined;
  return text(value);
}
