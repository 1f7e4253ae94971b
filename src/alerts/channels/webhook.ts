// A generic JSON webhook, signed so the receiver can tell the alert came from this application
// and is fresh: header `Mailroom-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` where the HMAC
// key is the configured secret and the signed text is `<t>.<raw body>` (the scheme Stripe uses:
// the timestamp inside the signed text makes a captured request useless after the tolerance).
// verifyAlertSignature() is the receiver's side.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Alert } from '../alert.js';
import { bodyExcerpt, channelLabel, postAlert, type AlertChannel, type HttpChannelContext } from './channel.js';
import type { WebhookChannelOptions } from '../options.js';

/** The header carrying the signature. */
export const ALERT_SIGNATURE_HEADER = 'Mailroom-Signature';

/** Version of the JSON body below; raised only when a field changes meaning. */
export const ALERT_BODY_VERSION = 1;

export function webhookChannel(options: WebhookChannelOptions, context: HttpChannelContext & { now: () => number }): AlertChannel {
  return {
    label: channelLabel('webhook', options.url),
    async send(alert) {
      const body = JSON.stringify(webhookPayload(alert));
      const signature = signAlert(body, options.secret, Math.floor(context.now() / 1000));
      await postAlert('webhook', options.url, body, { [ALERT_SIGNATURE_HEADER]: signature }, context, (response) => ({
        detail: `the webhook answered ${response.status} ${bodyExcerpt(response)}`,
        remedy: response.status === 401 || response.status === 403
          ? 'The receiver refused the signature: give it the same secret as the alerts configuration, and check its clock (the timestamp must be within its tolerance).'
          : 'Check that the receiver accepts a JSON POST at this URL and answers 2xx.',
      }));
    },
  };
}

/** The JSON body a webhook receives. */
export function webhookPayload(alert: Alert): Record<string, unknown> {
  return {
    version: ALERT_BODY_VERSION,
    type: 'mailroom.alert',
    trigger: alert.trigger,
    site: alert.site,
    title: alert.title,
    text: alert.text,
    adapter: alert.adapter ?? null,
    code: alert.code ?? null,
    entryId: alert.entryId ?? null,
    occurredAt: alert.occurredAt,
    facts: alert.facts,
    digest: alert.digest ?? null,
  };
}

/** The `Mailroom-Signature` value for a body sent at `timestamp` (unix seconds). */
export function signAlert(body: string, secret: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * For a receiver: whether `header` is a valid signature of the raw `body` with `secret`, made
 * within `toleranceSeconds` (default 300) of `now` (unix ms, default Date.now()). Compare the raw
 * body as received, before any JSON parsing.
 */
export function verifyAlertSignature(body: string, header: string | null | undefined, secret: string, options: { toleranceSeconds?: number; now?: number } = {}): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !parts.v1 || !/^[0-9a-f]{64}$/.test(parts.v1)) return false;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signAlert(body, secret, timestamp).slice(`t=${timestamp},v1=`.length), 'hex');
  return timingSafeEqual(expected, Buffer.from(parts.v1, 'hex'));
}
