// Resend webhooks -> TrackingEvents. One JSON object per POST: {type: "email.<what>", created_at,
// data: {email_id, to[], ...}}; data.email_id is the id Resend's send answer returned. Resend
// signs through Svix (svix.ts). A retry re-posts the same body, so the event's id is made from it
// (message, type and the event's created_at): the same for a webhook and for a saved payload
// replayed later, which the svix-id header is not part of.
// Resend posts one webhook per recipient but names only the message's `to` list, so the recipient
// is known only when that list has one address.
import { emailPart, eventsOfRecords, isObject, isoTime, mailroomHeaders, text, type JsonObject } from './fields.js';
import type { EventType, RejectReason, TrackingEvent } from './types.js';

const TYPES: Record<string, EventType> = {
  'email.scheduled': 'queued',
  'email.sent': 'sent',
  'email.delivered': 'delivered',
  'email.delivery_delayed': 'deferred',
  'email.bounced': 'bounced',
  'email.complained': 'complained',
  'email.failed': 'failed',
  'email.suppressed': 'rejected',
  'email.opened': 'opened',
  'email.clicked': 'clicked',
};

export function parseResendEvents(body: unknown, now = new Date()): TrackingEvent[] {
  return eventsOfRecords(body, 'Resend', (record) => resendEvent(record, now));
}

function resendEvent(record: JsonObject, now: Date): TrackingEvent {
  const name = text(record.type) ?? '';
  const eventType = TYPES[name] ?? 'unknown';
  const data = isObject(record.data) ? record.data : {};
  const bounce = isObject(data.bounce) ? data.bounce : {};
  const failed = isObject(data.failed) ? data.failed : {};
  const suppressed = isObject(data.suppressed) ? data.suppressed : {};
  const message = text(bounce.message) ?? text(failed.reason) ?? text(suppressed.message);
  const rejectReason = reasonOf(eventType, bounce, message);
  const diagnostic = Array.isArray(bounce.diagnosticCode) ? bounce.diagnosticCode.map(text).filter(Boolean).join('; ') : text(bounce.diagnosticCode);
  const to = Array.isArray(data.to) ? data.to : [];
  const recipient = to.length === 1 ? emailPart(to[0]) : undefined;
  const providerMessageId = text(data.email_id);
  // Our tags and metadata travel as X-Mailroom-* headers; Resend echoes the headers it was given.
  const headers = new Map<string, unknown>();
  for (const header of Array.isArray(data.headers) ? data.headers.filter(isObject) : []) headers.set((text(header.name) ?? '').toLowerCase(), header.value);
  return {
    eventType,
    provider: 'resend',
    ...(providerMessageId ? { providerMessageId } : {}),
    ...(recipient ? { recipient } : {}),
    // created_at of the event (data.created_at is the message's).
    timestamp: isoTime(record.created_at, 'ms', now),
    ...(rejectReason ? { rejectReason } : {}),
    ...(message ? { description: message } : {}),
    ...(diagnostic ? { mtaResponse: diagnostic } : {}),
    ...mailroomHeaders(headers.get('x-mailroom-tags'), headers.get('x-mailroom-metadata')),
    ...(providerMessageId && text(record.created_at) ? { providerEventId: `${providerMessageId}/${name}/${text(record.created_at)}` } : {}),
    raw: record,
  };
}

function reasonOf(eventType: EventType, bounce: JsonObject, message: string | undefined): RejectReason | undefined {
  if (eventType === 'complained') return 'spam';
  if (eventType === 'rejected') return 'blocked';
  if (eventType !== 'bounced') return undefined;
  // Resend words the cause in bounce.type/subType and message (anymail reads the message too).
  const subType = (text(bounce.subType) ?? '').toLowerCase();
  if (subType === 'suppressed' || /suppress/i.test(message ?? '')) return 'blocked';
  if (subType === 'onaccountsuppressionlist') return 'blocked';
  if (subType === 'noemail' || subType === 'general' || /bounce message/i.test(message ?? '')) return 'bounced';
  return text(bounce.type)?.toLowerCase() === 'permanent' ? 'bounced' : 'other';
}
