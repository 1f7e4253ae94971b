// Svix webhook signatures, as Resend sends them: headers svix-id, svix-timestamp (Unix seconds)
// and svix-signature ("v1,<base64>", several separated by spaces while a secret is rotated);
// each signature is HMAC-SHA256, keyed with the base64 part of the "whsec_..." secret, over
// "<svix-id>.<svix-timestamp>.<raw body>". The timestamp must be recent. A retry of an event
// keeps its svix-id but is signed again with a new timestamp ("Svix includes a timestamp for when
// the webhook attempt occurred", https://docs.svix.com/receiving/verifying-payloads/why), so five
// minutes hold retries that go on for about 28 hours (https://resend.com/docs/webhooks/retries-and-replays,
// https://docs.svix.com/retries). The exact (id, timestamp) pair
// is remembered: a byte-identical re-post is refused, a genuine retry reaches the journal, which
// ignores an event id it already holds.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MailError } from '../core/errors.js';
import { assertFresh, DEFAULT_MAX_AGE_MS } from './freshness.js';
import { ReplayCache } from './replay-cache.js';
import { secretList } from './shared-secret.js';
import { WebhookError } from './webhook-error.js';

export interface SvixWebhookOptions {
  /** The endpoint's signing secret ("whsec_..."), or several while rotating. */
  signingSecret: string | string[];
  /** How far svix-timestamp may be from now. Default 5 minutes. */
  maxAgeMs?: number;
}

export class SvixVerifier {
  readonly #provider: string;
  readonly #keys: Buffer[];
  readonly #maxAgeMs: number;
  readonly #seen = new ReplayCache();

  constructor(provider: string, options: Partial<SvixWebhookOptions> | undefined) {
    this.#provider = provider;
    const secrets = secretList(options?.signingSecret);
    if (secrets.length === 0) {
      throw new MailError('CONFIG', `the ${provider} webhook has no signingSecret`, {
        remedy: `Copy the webhook's signing secret (whsec_...) from the ${provider} dashboard (Webhooks > your endpoint) into webhooks.${provider}.signingSecret.`,
      });
    }
    this.#keys = secrets.map((secret) => Buffer.from(secret.replace(/^whsec_/, ''), 'base64'));
    if (this.#keys.some((key) => key.length === 0)) {
      throw new MailError('CONFIG', `the ${provider} webhook signingSecret is not a "whsec_<base64>" secret`, { remedy: `Copy the signing secret exactly as the ${provider} dashboard shows it.` });
    }
    this.#maxAgeMs = options?.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  }

  /** Throws WebhookError unless the request is signed with a secret, recently, and not seen before. Returns the svix-id, and what forgets the request again. */
  verify(body: string, headers: Headers, now = Date.now()): { id: string; release: () => void } {
    const id = headers.get('svix-id')?.trim();
    const timestamp = headers.get('svix-timestamp')?.trim();
    const given = (headers.get('svix-signature') ?? '').split(/\s+/).filter((one) => one.startsWith('v1,')).map((one) => Buffer.from(one.slice(3), 'base64'));
    if (!id || !timestamp || given.length === 0) throw new WebhookError('unauthorized', `${this.#provider} webhook has no svix-id, svix-timestamp or v1 svix-signature header`);
    const content = `${id}.${timestamp}.${body}`;
    const match = this.#keys.some((key) => {
      const expected = createHmac('sha256', key).update(content).digest();
      return given.some((signature) => signature.length === expected.length && timingSafeEqual(signature, expected));
    });
    if (!match) throw new WebhookError('unauthorized', `${this.#provider} webhook signature does not match the signing secret`);
    const signedAt = Number(timestamp) * 1000;
    assertFresh(signedAt, now, this.#maxAgeMs, this.#provider);
    const key = `${id}.${timestamp}`;
    if (!this.#seen.claim(key, signedAt + this.#maxAgeMs + 1, now)) throw new WebhookError('replayed', `${this.#provider} webhook was already received (a replay)`);
    return { id, release: () => this.#seen.release(key) };
  }
}
