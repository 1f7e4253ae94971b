// The timestamp window of signed webhooks (Mailgun, SendGrid, Resend/Svix, Amazon SNS): a signature made too
// long ago, or in the future, is refused even when it is valid, so a captured request cannot be
// posted again later. The window must hold the provider's retries: a signer that re-signs each
// attempt (Svix) needs only minutes, one that resends the first signature (Mailgun, SNS) needs its
// whole retry span, or a retry after our endpoint failed is refused and the event is lost.
import { WebhookError } from './webhook-error.js';

/** Default: five minutes either way, the window the Svix libraries use. */
export const DEFAULT_MAX_AGE_MS = 5 * 60_000;

/**
 * Throws WebhookError (stale) unless `signedAtMs` is at most `maxAgeMs` before `now` and at most
 * `maxAheadMs` (clock skew; default `maxAgeMs`) after it.
 */
export function assertFresh(signedAtMs: number, now: number, maxAgeMs: number, provider: string, maxAheadMs = maxAgeMs): void {
  if (!Number.isFinite(signedAtMs) || now - signedAtMs > maxAgeMs || signedAtMs - now > maxAheadMs) {
    const window = maxAheadMs === maxAgeMs ? `more than ${maxAgeMs / 1000} s from now` : `more than ${maxAgeMs / 1000} s old or ${maxAheadMs / 1000} s ahead`;
    throw new WebhookError('stale', `${provider} webhook timestamp is ${window}`);
  }
}
