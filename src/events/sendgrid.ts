// SendGrid Event Webhook -> TrackingEvents, after checking its signature. Each POST is a JSON
// array of events. With "Signed Event Webhook Requests" on, SendGrid signs timestamp + raw body
// with ECDSA (P-256, SHA-256) and sends the base64 DER signature and the timestamp in
// X-Twilio-Email-Event-Webhook-Signature / -Timestamp; the dashboard shows the public key
// (base64 DER SubjectPublicKeyInfo). A re-post of the same timestamp and body is refused, a stale one too.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { MailError } from '../core/errors.js';
import { emailPart, eventsOfRecords, isoTime, stringList, text, type JsonObject } from './fields.js';
import { assertFresh, DEFAULT_MAX_AGE_MS } from './freshness.js';
import { ReplayCache } from './replay-cache.js';
import { WebhookError } from './webhook-error.js';
import type { EventType, RejectReason, TrackingEvent } from './types.js';
import { setOwnField } from '../core/own-field.js';

export interface SendgridWebhookOptions {
  /** The verification key of the signed Event Webhook (Settings > Mail Settings > Event Webhooks), base64 or PEM. */
  publicKey: string;
  /**
   * How old the signed timestamp may be. Default 25 hours (SENDGRID_DEFAULT_MAX_AGE_MS): SendGrid
   * retries a failed POST for up to 24 hours. A timestamp ahead of now is refused beyond 5 minutes
   * (or this, if shorter).
   */
  maxAgeMs?: number;
}

// SendGrid retries a failed POST "for up to 24 hours after the event occurs" (sendgrid/docs
// source/for-developers/tracking-events/troubleshooting.md) and does not say whether a retry is
// signed again with a new timestamp. If it is not, a window of minutes refuses every retry after
// our endpoint was down and the events are lost; so the window holds the whole retry span. The
// signature covers the body, so a longer window lets nobody post other events: only the same
// request again, which the replay check refuses (and a lost event costs more than a repeated one).
export const SENDGRID_DEFAULT_MAX_AGE_MS = 25 * 3600_000;

export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/** Checks SendGrid's ECDSA signatures; remembers each signed timestamp and body until it would be stale anyway. */
export class SendgridVerifier {
  readonly #key: KeyObject;
  readonly #maxAgeMs: number;
  readonly #seen = new ReplayCache();

  constructor(options: SendgridWebhookOptions) {
    this.#key = readPublicKey(options.publicKey);
    this.#maxAgeMs = options.maxAgeMs ?? SENDGRID_DEFAULT_MAX_AGE_MS;
  }

  /** Throws WebhookError unless the body is signed by the key, recently, and not seen before. Returns what forgets it again. */
  verify(body: string, headers: Headers, now = Date.now()): () => void {
    const signature = headers.get(SENDGRID_SIGNATURE_HEADER)?.trim();
    const timestamp = headers.get(SENDGRID_TIMESTAMP_HEADER)?.trim();
    if (!signature || !timestamp) throw new WebhookError('unauthorized', 'SendGrid webhook has no signature headers (is "Signed Event Webhook Requests" on?)');
    let valid = false;
    try {
      valid = verify('sha256', Buffer.from(timestamp + body, 'utf8'), this.#key, Buffer.from(signature, 'base64'));
    } catch {
      valid = false;
    }
    if (!valid) throw new WebhookError('unauthorized', 'SendGrid webhook signature does not match the verification key');
    const signedAt = Number(timestamp) * 1000;
    // Only the past holds retries: a timestamp ahead of now is clock skew at most.
    assertFresh(signedAt, now, this.#maxAgeMs, 'SendGrid', Math.min(this.#maxAgeMs, DEFAULT_MAX_AGE_MS));
    // Keyed on what was signed, not on the signature: its base64 is read leniently (spaces, no
    // padding, base64url) and an ECDSA signature has a second valid form (s -> n - s), so one
    // request could otherwise come back under as many spellings as an attacker likes.
    const fingerprint = `${timestamp}\n${createHash('sha256').update(body, 'utf8').digest('base64url')}`;
    if (!this.#seen.claim(fingerprint, signedAt + this.#maxAgeMs + 1, now)) throw new WebhookError('replayed', 'SendGrid webhook was already received (a replay)');
    return () => this.#seen.release(fingerprint);
  }
}

function readPublicKey(value: string): KeyObject {
  try {
    const trimmed = value.trim();
    return trimmed.startsWith('-----BEGIN') ? createPublicKey(trimmed) : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
  } catch (error) {
    throw new MailError('CONFIG', 'the sendgrid webhook publicKey is not a public key', {
      remedy: 'Copy the verification key shown under Settings > Mail Settings > Event Webhooks > Signature verification into webhooks.sendgrid.publicKey (the base64 text, or a PEM "-----BEGIN PUBLIC KEY-----" block).',
      cause: error,
    });
  }
}

const TYPES: Record<string, EventType> = {
  processed: 'queued',
  deferred: 'deferred',
  delivered: 'delivered',
  bounce: 'bounced',
  dropped: 'rejected',
  spamreport: 'complained',
  unsubscribe: 'unsubscribed',
  group_unsubscribe: 'unsubscribed',
  open: 'opened',
  click: 'clicked',
};

// A drop's (or bounce's) `type` or `reason`, lower-cased (anymail's table, plus the drop reasons
// SendGrid's event reference lists).
const REASONS: Record<string, RejectReason> = {
  invalid: 'invalid',
  'invalid smtpapi header': 'other',
  'unsubscribed address': 'unsubscribed',
  unsubscribe: 'unsubscribed',
  bounce: 'bounced',
  'bounced address': 'bounced',
  blocked: 'blocked',
  'spam reporting address': 'spam',
  'spam content (if spam checker app enabled)': 'spam',
  expired: 'timed_out',
};

// The keys SendGrid writes into every event; any other key is a custom_arg (our metadata).
const SENDGRID_KEYS = new Set([
  'email', 'timestamp', 'event', 'smtp-id', 'sg_event_id', 'sg_message_id', 'sg_machine_open', 'sg_content_type', 'sg_template_id', 'sg_template_name',
  'category', 'reason', 'status', 'response', 'attempt', 'type', 'bounce_classification', 'tls', 'cert_err', 'ip', 'useragent', 'url', 'url_offset',
  'asm_group_id', 'marketing_campaign_id', 'marketing_campaign_name', 'marketing_campaign_version', 'marketing_campaign_split_id',
  'pool', 'send_at', 'post_type', 'newsletter', 'mc_stats', 'phase_id', 'singlesend_id', 'singlesend_name', 'template_id', 'template_version_id', 'template_hash',
]);

/**
 * The X-Message-Id SendGrid's send answer carried, from an event's sg_message_id: SendGrid
 * appends a dot and the id of its filter/receiving stage ("<X-Message-Id>.filterdrecv-...").
 */
export function sendgridMessageId(sgMessageId: string): string {
  const stage = /^(.+?)\.(?:filter|recvd|geopod)/.exec(sgMessageId);
  return stage ? stage[1]! : sgMessageId.split('.')[0]!;
}

export function parseSendgridEvents(body: unknown, now = new Date()): TrackingEvent[] {
  return eventsOfRecords(body, 'SendGrid', (record) => sendgridEvent(record, now));
}

function sendgridEvent(record: JsonObject, now: Date): TrackingEvent {
  const name = (text(record.event) ?? '').toLowerCase();
  const eventType = TYPES[name] ?? 'unknown';
  const cause = (text(record.type) ?? text(record.reason) ?? '').toLowerCase();
  const rejectReason: RejectReason | undefined =
    eventType === 'rejected' ? (REASONS[cause] ?? 'other')
    // A bounce's type is "bounce" or "blocked" (the receiver refused it for reputation or content).
    : eventType === 'bounced' ? (text(record.type)?.toLowerCase() === 'blocked' ? 'blocked' : 'bounced')
    : eventType === 'complained' ? 'spam'
    : eventType === 'unsubscribed' ? 'unsubscribed'
    : undefined;
  const sgMessageId = text(record.sg_message_id);
  const header = text(record['smtp-id']);
  const recipient = emailPart(record.email);
  // delivered/deferred answer in `response`; bounces and drops explain in `reason`.
  const mtaResponse = eventType === 'rejected' ? undefined : [text(record.status), text(record.response) ?? text(record.reason)].filter(Boolean).join(' ');
  const description = eventType === 'rejected' ? text(record.reason) : text(record.bounce_classification) ?? (eventType === 'bounced' ? text(record.reason) : undefined);
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    if (!SENDGRID_KEYS.has(key) && typeof value === 'string') setOwnField(metadata, key, value);
  }
  const id = text(record.sg_event_id);
  return {
    eventType,
    provider: 'sendgrid',
    ...(sgMessageId ? { providerMessageId: sendgridMessageId(sgMessageId) } : {}),
    ...(header ? { messageIdHeader: header } : {}),
    ...(recipient ? { recipient } : {}),
    timestamp: isoTime(record.timestamp, 's', now),
    ...(rejectReason ? { rejectReason } : {}),
    ...(description ? { description } : {}),
    ...(mtaResponse ? { mtaResponse } : {}),
    tags: stringList(record.category),
    metadata,
    ...(id ? { providerEventId: id } : {}),
    raw: record,
  };
}
