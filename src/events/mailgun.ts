// Mailgun webhooks -> TrackingEvents, after checking the signature. Each POST is one JSON object
// {signature: {timestamp, token, signature}, "event-data": {...}}. The HMAC-SHA256 (signing key)
// covers timestamp + token only, not the event, so a captured signature could be re-attached to
// another body: tokens are remembered and the timestamp must be recent (securing-webhooks docs),
// recent meaning within Mailgun's 8-hour retry span (see MAILGUN_DEFAULT_MAX_AGE_MS).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { emailPart, isObject, isoTime, parseJson, stringList, stringMap, text, type JsonObject } from './fields.js';
import { assertFresh, DEFAULT_MAX_AGE_MS } from './freshness.js';
import { ReplayCache } from './replay-cache.js';
import { WebhookError } from './webhook-error.js';
import type { EventType, RejectReason, TrackingEvent } from './types.js';

export interface MailgunWebhookOptions {
  /** The HTTP webhook signing key (Mailgun > Sending > Webhooks), not the API key. */
  signingKey: string;
  /**
   * How old a signature's timestamp may be. Default 9 hours: Mailgun retries a webhook for 8 hours
   * with the signature of its first attempt, so a shorter window refuses the retries (and loses
   * the event) after the endpoint was down or answered 500. A timestamp ahead of now is refused
   * beyond 5 minutes (or this, if shorter).
   */
  maxAgeMs?: number;
}

// "Mailgun will automatically retry (other than for delivery notification) during 8 hours at the
// following exponential backoff intervals: 5 minutes, 10 minutes, 15 minutes, 1 hour, 2 hours, 4
// hours" for any answer but 200 and 406
// (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/webhook-retries). Mailgun
// does not say whether a retry is signed again; "The signature object is identical on every retry
// of the same event" and "Mailgun's retry queue can deliver events several hours late" (Hookdeck's
// Mailgun reference, hookdeck/webhook-skills skills/mailgun-webhooks/references/verification.md).
// So the last retry carries a timestamp about 7.5 hours old: 8 hours, and one more for the queue.
export const MAILGUN_DEFAULT_MAX_AGE_MS = 9 * 3600_000;

/** Checks Mailgun signatures; remembers each token until it would be stale anyway. */
export class MailgunVerifier {
  readonly #key: string;
  readonly #maxAgeMs: number;
  readonly #tokens = new ReplayCache();

  constructor(options: MailgunWebhookOptions) {
    this.#key = options.signingKey;
    this.#maxAgeMs = options.maxAgeMs ?? MAILGUN_DEFAULT_MAX_AGE_MS;
  }

  /** Throws WebhookError unless the body carries a valid, fresh, first-seen signature. Returns what forgets the token again. */
  verify(body: unknown, now = Date.now()): () => void {
    const { timestamp, token, signature } = readSignatureBlock(body);
    const signed = timestamp + token;
    const expected = createHmac('sha256', this.#key).update(signed).digest();
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WebhookError('unauthorized', 'Mailgun webhook signature does not match the signing key');
    const signedAt = Number(timestamp) * 1000;
    // Only the past holds retries: a timestamp ahead of now is clock skew at most.
    assertFresh(signedAt, now, this.#maxAgeMs, 'Mailgun', Math.min(this.#maxAgeMs, DEFAULT_MAX_AGE_MS));
    // Remembered as the signed text itself: one signature, however its block is spelled, is one request.
    if (!this.#tokens.claim(signed, signedAt + this.#maxAgeMs + 1, now)) throw new WebhookError('replayed', 'Mailgun webhook token was already used (a replay)');
    return () => this.#tokens.release(signed);
  }
}

// The shapes Mailgun sends: unix seconds in digits, a token of 50 random letters and digits (its
// docs say no more; what it sends is hex), a hex HMAC-SHA256. Anything looser lets characters move
// across the unseparated timestamp + token seam (a token starting "e0" becomes "<t>e0", still a
// number; digits moved into the timestamp leave a token shorter than 50) and the same signature
// pass as a new request.
const TIMESTAMP = /^\d{1,12}$/;
const TOKEN = /^[0-9A-Za-z]{50}$/;
const SIGNATURE = /^[0-9a-f]{64}$/i;

function readSignatureBlock(body: unknown): { timestamp: string; token: string; signature: string } {
  const block = isObject(body) ? body.signature : undefined;
  if (!isObject(block)) throw new WebhookError('unauthorized', 'Mailgun webhook has no signature block');
  // Mailgun writes the timestamp as a string; a JSON number of the same digits signs the same text.
  const timestamp = typeof block.timestamp === 'number' ? String(block.timestamp) : block.timestamp;
  const { token, signature } = block;
  if (typeof timestamp !== 'string' || typeof token !== 'string' || typeof signature !== 'string' || !TIMESTAMP.test(timestamp) || !TOKEN.test(token) || !SIGNATURE.test(signature)) {
    throw new WebhookError('unauthorized', 'Mailgun webhook signature block is incomplete or not in the form Mailgun sends (timestamp digits, a token of 50 letters and digits, hex signature)');
  }
  return { timestamp, token, signature };
}

const TYPES: Record<string, EventType> = {
  accepted: 'queued',
  rejected: 'rejected',
  delivered: 'delivered',
  opened: 'opened',
  clicked: 'clicked',
  unsubscribed: 'unsubscribed',
  complained: 'complained',
};

// `reason` of a failed event (anymail's table, from Mailgun's event reference).
const REASONS: Record<string, RejectReason> = {
  bounce: 'bounced',
  'suppress-bounce': 'bounced',
  'suppress-unsubscribe': 'unsubscribed',
  'suppress-complaint': 'spam',
  espblock: 'blocked',
  old: 'timed_out',
  generic: 'other',
};

export function parseMailgunBody(body: string): unknown {
  return parseJson(body, 'Mailgun');
}

export function parseMailgunEvents(body: unknown, now = new Date()): TrackingEvent[] {
  const data = isObject(body) ? body['event-data'] : undefined;
  if (!isObject(data)) throw new WebhookError('malformed', 'Mailgun webhook has no event-data object');
  return [mailgunEvent(data, now)];
}

function mailgunEvent(data: JsonObject, now: Date): TrackingEvent {
  const name = (text(data.event) ?? '').toLowerCase();
  const severity = text(data.severity);
  let eventType: EventType = TYPES[name] ?? 'unknown';
  if (name === 'failed') eventType = severity === 'temporary' ? 'deferred' : 'bounced';
  const reason = text(data.reason);
  const rejectReason: RejectReason | undefined =
    eventType === 'bounced' ? (REASONS[reason ?? ''] ?? 'other')
    : eventType === 'rejected' ? 'other'
    : eventType === 'complained' ? 'spam'
    : eventType === 'unsubscribed' ? 'unsubscribed'
    : undefined;
  const message = isObject(data.message) ? data.message : {};
  const headers = isObject(message.headers) ? message.headers : {};
  // Mailgun's webhook drops the angle brackets its send response had.
  const bare = text(headers['message-id']);
  const status = isObject(data['delivery-status']) ? data['delivery-status'] : {};
  const reject = isObject(data.reject) ? data.reject : {};
  const description = text(status.description) ?? text(reject.reason) ?? text(reject.description);
  const mtaResponse = [text(status.code), text(status.message)].filter(Boolean).join(' ');
  const recipient = emailPart(data.recipient);
  const id = text(data.id);
  return {
    eventType,
    provider: 'mailgun',
    ...(bare ? { providerMessageId: `<${bare.replace(/^<|>$/g, '')}>` } : {}),
    ...(recipient ? { recipient } : {}),
    timestamp: isoTime(data.timestamp, 's', now),
    ...(rejectReason ? { rejectReason } : {}),
    ...(description ? { description } : {}),
    ...(mtaResponse ? { mtaResponse } : {}),
    tags: stringList(data.tags),
    metadata: stringMap(data['user-variables']),
    // event-data.id is unique within a day only: the event's time makes it unique.
    ...(id ? { providerEventId: `${id}@${text(data.timestamp) ?? ''}` } : {}),
    raw: data,
  };
}
