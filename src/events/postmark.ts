// Postmark webhooks -> TrackingEvents. One JSON object per POST, its kind in `RecordType`
// (Delivery, Bounce, SpamComplaint, Open, Click, SubscriptionChange); a Bounce's `Type` says what
// kind of bounce it was. `MessageID` is the id Postmark's send answer returned. Postmark does not
// sign: the handler checks the webhook's basic auth (or an Authorization header set as a custom
// webhook header).
import { emailPart, eventsOfRecords, isoTime, stringMap, text, type JsonObject } from './fields.js';
import type { EventType, RejectReason, TrackingEvent } from './types.js';

const RECORD_TYPES: Record<string, EventType> = {
  Delivery: 'delivered',
  Bounce: 'bounced',
  SpamComplaint: 'complained',
  Open: 'opened',
  Click: 'clicked',
  SubscriptionChange: 'unsubscribed',
};

// A Bounce's (or SpamComplaint's) `Type`, after anymail's table of Postmark's bounce types.
const BOUNCE_TYPES: Record<string, [EventType, RejectReason?]> = {
  HardBounce: ['bounced', 'bounced'],
  SoftBounce: ['bounced', 'bounced'],
  Transient: ['deferred'],
  DnsError: ['deferred'],
  OpenRelayTest: ['deferred'],
  Unsubscribe: ['unsubscribed', 'unsubscribed'],
  ManualSuppression: ['unsubscribed', 'unsubscribed'],
  SpamNotification: ['complained', 'spam'],
  SpamComplaint: ['complained', 'spam'],
  VirusNotification: ['bounced', 'other'],
  BadEmailAddress: ['rejected', 'invalid'],
  ManuallyDeactivated: ['rejected', 'blocked'],
  Blocked: ['rejected', 'blocked'],
  DMARCPolicy: ['rejected', 'blocked'],
  Unconfirmed: ['rejected', 'other'],
  SMTPApiError: ['failed', 'other'],
  TemplateRenderingFailed: ['failed', 'other'],
  // An auto-reply, an address change notice or a challenge is not a delivery outcome.
  AutoResponder: ['unknown'],
  AddressChange: ['unknown'],
  ChallengeVerification: ['unknown'],
  Subscribe: ['unknown'],
  Unknown: ['unknown'],
};

export function parsePostmarkEvents(body: unknown, now = new Date()): TrackingEvent[] {
  return eventsOfRecords(body, 'Postmark', (record) => postmarkEvent(record, now));
}

function postmarkEvent(record: JsonObject, now: Date): TrackingEvent {
  const recordType = text(record.RecordType) ?? '';
  let eventType: EventType = RECORD_TYPES[recordType] ?? 'unknown';
  let rejectReason: RejectReason | undefined = eventType === 'complained' ? 'spam' : undefined;
  if (recordType === 'Bounce' || recordType === 'SpamComplaint') {
    const kind = BOUNCE_TYPES[text(record.Type) ?? ''];
    if (kind) [eventType, rejectReason] = kind;
    else if (eventType === 'bounced') rejectReason = 'other';
  }
  if (recordType === 'SubscriptionChange') {
    // SuppressSending false is a re-subscription: nothing about delivery.
    if (record.SuppressSending !== true) eventType = 'unknown';
    else {
      const kind = BOUNCE_TYPES[text(record.SuppressionReason) ?? ''];
      [eventType, rejectReason] = kind && kind[0] !== 'unknown' ? kind : ['unsubscribed', 'unsubscribed'];
    }
  }
  const providerMessageId = text(record.MessageID);
  // Bounces name the address in Email; deliveries, opens, clicks and subscription changes in Recipient.
  const recipient = emailPart(record.Email ?? record.Recipient);
  const when = record.DeliveredAt ?? record.BouncedAt ?? record.ReceivedAt ?? record.ChangedAt;
  const description = text(record.Description);
  const details = text(record.Details);
  const tag = text(record.Tag);
  // Only bounces carry an ID of their own.
  const id = text(record.ID);
  return {
    eventType,
    provider: 'postmark',
    ...(providerMessageId ? { providerMessageId } : {}),
    ...(recipient ? { recipient } : {}),
    timestamp: isoTime(when, 'ms', now),
    ...(rejectReason ? { rejectReason } : {}),
    ...(description ? { description } : {}),
    ...(details ? { mtaResponse: details } : {}),
    tags: tag ? [tag] : [],
    metadata: stringMap(record.Metadata),
    ...(id ? { providerEventId: `${recordType}:${id}` } : {}),
    raw: record,
  };
}
