// Amazon SES event records (the `Message` of an SNS notification) -> TrackingEvents, one per
// recipient. Event publishing names the type `eventType`; identity notifications (no
// configuration set) name it `notificationType` and only know Bounce, Complaint and Delivery.
import { emailPart, isObject, isoTime, text, type JsonObject } from './fields.js';
import type { EventType, RejectReason, TrackingEvent } from './types.js';
import { setOwnField } from '../core/own-field.js';

type Recipients = (record: JsonObject, detail: JsonObject) => Array<{ address: unknown; mta?: unknown; status?: unknown }>;

const fromList = (key: string): Recipients => (_record, detail) =>
  (Array.isArray(detail[key]) ? (detail[key] as unknown[]) : []).filter(isObject).map((one) => ({ address: one.emailAddress, mta: one.diagnosticCode, status: one.status }));
const plain = (key: string): Recipients => (_record, detail) => (Array.isArray(detail[key]) ? (detail[key] as unknown[]) : []).map((address) => ({ address }));
// Send, Reject...: not per recipient in SES; one event per original destination.
const destinations: Recipients = (record) => {
  const mail = isObject(record.mail) ? record.mail : {};
  return (Array.isArray(mail.destination) ? mail.destination : []).map((address) => ({ address }));
};

// Open and Click: SES names the message's destinations, not who opened or clicked. With one
// destination that is who; with several, naming each would make every recipient "delivered" (an
// open proves delivery) when one of them opens: the event is kept for the message only.
const reader: Recipients = (record, detail) => {
  const all = destinations(record, detail);
  return all.length === 1 ? all : [];
};

const KINDS: Record<string, { detail: string; eventType: EventType; recipients: Recipients }> = {
  bounce: { detail: 'bounce', eventType: 'bounced', recipients: fromList('bouncedRecipients') },
  complaint: { detail: 'complaint', eventType: 'complained', recipients: fromList('complainedRecipients') },
  delivery: { detail: 'delivery', eventType: 'delivered', recipients: plain('recipients') },
  deliverydelay: { detail: 'deliveryDelay', eventType: 'deferred', recipients: fromList('delayedRecipients') },
  send: { detail: 'send', eventType: 'sent', recipients: destinations },
  reject: { detail: 'reject', eventType: 'rejected', recipients: destinations },
  renderingfailure: { detail: 'failure', eventType: 'failed', recipients: destinations },
  open: { detail: 'open', eventType: 'opened', recipients: reader },
  click: { detail: 'click', eventType: 'clicked', recipients: reader },
  subscription: { detail: 'subscription', eventType: 'unsubscribed', recipients: destinations },
};

/** Events of one SES record; `eventId` is the SNS MessageId that carried it. */
export function parseSesRecord(record: JsonObject, eventId?: string, now = new Date()): TrackingEvent[] {
  const name = (text(record.eventType) ?? text(record.notificationType) ?? '').toLowerCase().replace(/\s+/g, '');
  const kind = KINDS[name];
  const mail = isObject(record.mail) ? record.mail : {};
  const detail = kind && isObject(record[kind.detail]) ? (record[kind.detail] as JsonObject) : {};
  const providerMessageId = text(mail.messageId);
  const common = isObject(mail.commonHeaders) ? mail.commonHeaders : {};
  const header = text(common.messageId);
  const { tags, metadata } = sesTags(mail.tags);
  const base = {
    provider: 'ses',
    ...(providerMessageId ? { providerMessageId } : {}),
    ...(header ? { messageIdHeader: header } : {}),
    timestamp: isoTime(detail.timestamp ?? mail.timestamp, 's', now),
    tags,
    metadata,
    ...(eventId ? { providerEventId: eventId } : {}),
    raw: record,
  };
  if (!kind) return [{ ...base, eventType: 'unknown' }];
  const { rejectReason, description } = sesReason(name, detail);
  const recipients = kind.recipients(record, detail);
  const smtp = text(detail.smtpResponse);
  return (recipients.length > 0 ? recipients : [{ address: undefined }]).map((one) => {
    const recipient = emailPart(one.address);
    const mta = text(one.mta) ?? smtp;
    return {
      ...base,
      eventType: kind.eventType,
      ...(recipient ? { recipient } : {}),
      ...(rejectReason ? { rejectReason } : {}),
      ...(description ? { description } : {}),
      ...(mta ? { mtaResponse: mta } : {}),
    };
  });
}

function sesReason(name: string, detail: JsonObject): { rejectReason?: RejectReason; description?: string } {
  switch (name) {
    case 'bounce': {
      const type = text(detail.bounceType);
      const sub = text(detail.bounceSubType);
      const description = [type, sub].filter(Boolean).join(' / ');
      // SES reports a Transient bounce only once it has stopped retrying (EventDestination docs).
      const rejectReason: RejectReason = type !== 'Permanent' ? 'other' : sub === 'NoEmail' ? 'invalid' : 'bounced';
      return { rejectReason, description };
    }
    case 'complaint':
      return { rejectReason: 'spam', ...(text(detail.complaintFeedbackType) ? { description: text(detail.complaintFeedbackType)! } : {}) };
    case 'reject':
      return { rejectReason: 'blocked', ...(text(detail.reason) ? { description: text(detail.reason)! } : {}) };
    case 'renderingfailure':
      return { rejectReason: 'other', ...(text(detail.errorMessage) ? { description: text(detail.errorMessage)! } : {}) };
    case 'deliverydelay':
      return text(detail.delayType) ? { description: text(detail.delayType)! } : {};
    case 'subscription':
      return { rejectReason: 'unsubscribed' };
    default:
      return {};
  }
}

// SES echoes EmailTags as {name: [values]}; our SES adapter writes a tag as "tag-<name>" = "true".
function sesTags(value: unknown): { tags: string[]; metadata: Record<string, string> } {
  const tags: string[] = [];
  const metadata: Record<string, string> = {};
  if (!isObject(value)) return { tags, metadata };
  for (const [key, values] of Object.entries(value)) {
    if (key.startsWith('ses:') || key.startsWith('aws:')) continue;
    const first = Array.isArray(values) ? text(values[0]) : text(values);
    if (key.startsWith('tag-') && first === 'true') tags.push(key.slice(4));
    else if (first !== undefined) setOwnField(metadata, key, first);
  }
  return { tags, metadata };
}
