// SparkPost webhooks -> TrackingEvents. Each POST is a JSON array of up to a thousand events, each
// wrapped as {"msys": {"<class>_event": {...}}} (message_event, track_event, gen_event,
// unsubscribe_event...); SparkPost pings a new webhook with [{"msys": {}}], which holds no event.
// Events name the transmission (`transmission_id`), the id SparkPost's send answer returned.
// SparkPost does not sign: the handler checks the webhook's basic auth (auth_type "basic") or an
// Authorization header set in its custom_headers.
import { emailPart, eventsOfRecords, isObject, isoTime, stringMap, text, type JsonObject } from './fields.js';
import { WebhookError } from './webhook-error.js';
import type { EventType, RejectReason, TrackingEvent } from './types.js';

const TYPES: Record<string, EventType> = {
  injection: 'queued',
  delivery: 'delivered',
  delay: 'deferred',
  bounce: 'bounced',
  out_of_band: 'bounced',
  policy_rejection: 'rejected',
  generation_rejection: 'rejected',
  generation_failure: 'failed',
  spam_complaint: 'complained',
  open: 'opened',
  amp_open: 'opened',
  // initial_open is left unknown: SparkPost reports the same first open as `open` too.
  click: 'clicked',
  amp_click: 'clicked',
  list_unsubscribe: 'unsubscribed',
  link_unsubscribe: 'unsubscribed',
};

// bounce_class -> reason (SparkPost's bounce classification codes, read as anymail does); some
// classes are not a failure at all and change the event type too.
const BOUNCE_CLASSES: Record<string, RejectReason | [RejectReason, EventType]> = {
  '1': 'other', // undetermined
  '10': 'invalid', // invalid recipient
  '20': 'bounced', // soft bounce
  '21': 'bounced', // DNS failure
  '22': 'bounced', // mailbox full
  '23': 'bounced', // too large
  '24': 'timed_out',
  '25': 'blocked', // admin failure (a policy)
  '30': 'bounced', // generic, no RCPT
  '40': 'bounced', // generic, unspecified
  '50': 'blocked', // mail block by the receiver
  '51': 'spam', // spam block
  '52': 'spam', // spam content
  '53': 'other', // prohibited attachment
  '54': 'blocked', // relaying denied
  '60': ['other', 'unknown'], // auto-reply
  '70': 'bounced', // transient failure
  '80': ['other', 'unknown'], // subscribe request
  '90': ['unsubscribed', 'unsubscribed'], // unsubscribe request
  '100': ['other', 'unknown'], // challenge-response
};

export function parseSparkpostEvents(body: unknown, now = new Date()): TrackingEvent[] {
  return eventsOfRecords(body, 'SparkPost', (wrapper) => {
    if (!isObject(wrapper.msys)) throw new WebhookError('malformed', 'SparkPost webhook event has no msys object');
    // A ping: {"msys": {}}.
    return Object.values(wrapper.msys).filter(isObject).map((event) => sparkpostEvent(event, now));
  });
}

function sparkpostEvent(event: JsonObject, now: Date): TrackingEvent {
  const name = text(event.type) ?? '';
  let eventType: EventType = TYPES[name] ?? 'unknown';
  let rejectReason: RejectReason | undefined;
  const bounceClass = text(event.bounce_class);
  if (bounceClass) {
    const known = BOUNCE_CLASSES[bounceClass] ?? 'other';
    if (Array.isArray(known)) [rejectReason, eventType] = known;
    else rejectReason = known;
  } else if (eventType === 'complained') rejectReason = 'spam';
  else if (eventType === 'unsubscribed') rejectReason = 'unsubscribed';
  else if (eventType === 'rejected') rejectReason = 'blocked';
  const providerMessageId = text(event.transmission_id);
  const recipient = emailPart(event.raw_rcpt_to ?? event.rcpt_to);
  const description = text(event.reason) ?? text(event.error_code);
  const mtaResponse = text(event.raw_reason);
  const tag = text(event.campaign_id);
  const id = text(event.event_id);
  return {
    eventType,
    provider: 'sparkpost',
    ...(providerMessageId ? { providerMessageId } : {}),
    ...(recipient ? { recipient } : {}),
    // Unix seconds, as a string.
    timestamp: isoTime(event.timestamp, 's', now),
    ...(rejectReason ? { rejectReason } : {}),
    ...(description ? { description } : {}),
    ...(mtaResponse ? { mtaResponse } : {}),
    tags: tag ? [tag] : [],
    // rcpt_meta holds the transmission's metadata merged with the recipient's.
    metadata: stringMap(event.rcpt_meta),
    ...(id ? { providerEventId: id } : {}),
    raw: event,
  };
}
