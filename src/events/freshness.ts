// The timestamp window of signed webhooks (Mailgun, SendGrid, Resend/Svix): a signature made too
// long ago, or in the future, is refused even when it is valid, so a captured request cannot be
// posted again later. The signers re-sign every retry, so a fresh retry always passes.
import { WebhookError } from './webhook-error.js';

/** Default: five minutes either way, the window the Svix libraries use. */
export const DEFAULT_MAX_AGE_MS = 5 * 60_000;

/** Throws WebhookError (stale) unless `signedAtMs` is within `maxAgeMs` of `now`. */
export function assertFresh(signedAtMs: number, now: number, maxAgeMs: number, provider: string): void {
  if (!Number.isFinite(signedAtMs) || Math.abs(now - signedAtMs) > maxAgeMs) {
    throw new WebhookError('stale', `${provider} webhook timestamp is more than ${maxAgeMs / 1000} s from now`);
  }
}
