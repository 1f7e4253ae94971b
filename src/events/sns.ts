// Amazon SNS HTTP(S) deliveries: signature check (v1 RSA-SHA1, v2 RSA-SHA256), TopicArn
// allow-list, and the SubscriptionConfirmation flow, following "Verifying the signatures of
// Amazon SNS messages" (docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html).
// The signing certificate is fetched over HTTPS from an Amazon SNS host only, and cached by URL.
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { get } from 'node:https';
import { isObject, parseJson, text, type JsonObject } from './fields.js';
import { assertFresh, DEFAULT_MAX_AGE_MS } from './freshness.js';
import { WebhookError } from './webhook-error.js';

export interface SnsWebhookOptions {
  /**
   * The topic ARNs this endpoint accepts, e.g. `arn:aws:sns:eu-west-1:123456789012:ses-events`.
   * Required: a valid Amazon signature proves the message came from SNS, not from your topic.
   */
  topics: string[];
  /**
   * How old a message's Timestamp may be. Default 2 hours: the Timestamp is when the message was
   * published, every retry carries it unchanged, and SNS may retry an HTTPS endpoint for up to an
   * hour after the first attempt (SNS_DEFAULT_MAX_AGE_MS). A Timestamp ahead of now is refused
   * beyond 5 minutes (or this, if shorter).
   */
  maxAgeMs?: number;
  /** Confirm SubscriptionConfirmation messages of allowed topics by GET on SubscribeURL. Default true. */
  confirmSubscriptions?: boolean;
  /**
   * Hosts the signing certificate and SubscribeURL may come from. Default
   * `^sns\.[a-zA-Z0-9-]{3,}\.amazonaws\.com(\.cn)?$` (AWS's own validator); tests point it at a
   * local server.
   */
  certificateHost?: RegExp;
  /** Extra trust roots for those HTTPS requests (PEM). Default: Node's bundled CAs. */
  ca?: string | string[];
  /** Timeout of the certificate and confirmation requests. Default 5000 ms. */
  timeoutMs?: number;
}

/** A verified SNS message. */
export interface SnsMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SubscribeURL?: string;
}

// "Timestamp: The time (GMT) when the notification was published", and "For a notification that
// Amazon SNS resends during a retry, the message ID of the original message is used"
// (https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html): a retry is the signed
// original, not signed again. "The total policy retry time for an HTTP/S endpoint cannot be greater
// than 3,600 seconds" (https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html),
// counted from the first attempt, which comes after publishing (later still under a throttle
// policy). A window of exactly one hour refused the last retries, and lost the event: one more hour
// for the queue and clocks, as for Mailgun.
export const SNS_DEFAULT_MAX_AGE_MS = 2 * 3600_000;

const AWS_HOST = /^sns\.[a-zA-Z0-9-]{3,}\.amazonaws\.com(\.cn)?$/;
const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'];
const CONFIRMATION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
const TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);

export class SnsVerifier {
  readonly #options: SnsWebhookOptions;
  readonly #topics: Set<string>;
  readonly #certificates = new Map<string, Promise<KeyObject>>();

  constructor(options: SnsWebhookOptions) {
    this.#options = options;
    this.#topics = new Set(options.topics);
  }

  /** Parses and verifies an SNS body; throws WebhookError when it is not an authentic message of an allowed topic. */
  async verify(body: string, headers: Headers, now = Date.now()): Promise<SnsMessage> {
    const envelope = parseJson(body, 'Amazon SNS');
    if (!isObject(envelope)) throw new WebhookError('malformed', 'Amazon SNS body is not a JSON object');
    const type = text(envelope.Type);
    if (!type || !TYPES.has(type)) throw new WebhookError('malformed', 'Amazon SNS body has no known Type');
    for (const [header, field] of [['x-amz-sns-message-type', 'Type'], ['x-amz-sns-message-id', 'MessageId']] as const) {
      const value = headers.get(header);
      if (value !== null && value !== text(envelope[field])) throw new WebhookError('malformed', `Amazon SNS header ${header} does not match the body's ${field}`);
    }
    const topic = text(envelope.TopicArn);
    if (!topic || !this.#topics.has(topic)) throw new WebhookError('forbidden_topic', `Amazon SNS topic ${topic ?? '(none)'} is not in the allowed topics`);
    await this.#checkSignature(envelope, type);
    const maxAge = this.#options.maxAgeMs ?? SNS_DEFAULT_MAX_AGE_MS;
    // Only the past holds retries: a Timestamp ahead of now is clock skew at most.
    assertFresh(Date.parse(text(envelope.Timestamp) ?? ''), now, maxAge, 'Amazon SNS', Math.min(maxAge, DEFAULT_MAX_AGE_MS));
    return envelope as unknown as SnsMessage;
  }

  /** Confirms the subscription of an allowed, verified topic (GET on SubscribeURL). */
  async confirm(message: SnsMessage): Promise<boolean> {
    if (message.Type !== 'SubscriptionConfirmation' || this.#options.confirmSubscriptions === false || !message.SubscribeURL) return false;
    await this.#httpsGet(this.#amazonUrl(message.SubscribeURL, 'SubscribeURL'));
    return true;
  }

  async #checkSignature(envelope: JsonObject, type: string): Promise<void> {
    const version = text(envelope.SignatureVersion);
    const algorithm = version === '1' ? 'sha1' : version === '2' ? 'sha256' : undefined;
    if (!algorithm) throw new WebhookError('unauthorized', `Amazon SNS SignatureVersion ${version ?? '(none)'} is not 1 or 2`);
    const signature = text(envelope.Signature);
    const certUrl = text(envelope.SigningCertURL);
    if (!signature || !certUrl) throw new WebhookError('unauthorized', 'Amazon SNS message is not signed');
    const url = this.#amazonUrl(certUrl, 'SigningCertURL');
    if (!url.pathname.endsWith('.pem')) throw new WebhookError('unauthorized', 'Amazon SNS SigningCertURL is not a .pem file');
    const key = await this.#certificate(url.href);
    const fields = type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
    let signed = '';
    for (const field of fields) {
      const value = envelope[field];
      if (typeof value === 'string') signed += `${field}\n${value}\n`;
      else if (field !== 'Subject') throw new WebhookError('malformed', `Amazon SNS ${type} has no ${field}`);
    }
    if (!verifySignature(algorithm, Buffer.from(signed, 'utf8'), key, Buffer.from(signature, 'base64'))) {
      throw new WebhookError('unauthorized', 'Amazon SNS signature does not verify');
    }
  }

  #amazonUrl(raw: string, what: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WebhookError('unauthorized', `Amazon SNS ${what} is not a URL`);
    }
    const hosts = this.#options.certificateHost ?? AWS_HOST;
    if (url.protocol !== 'https:' || !hosts.test(url.host)) throw new WebhookError('unauthorized', `Amazon SNS ${what} is not an https URL on an Amazon SNS host`);
    return url;
  }

  #certificate(url: string): Promise<KeyObject> {
    let pending = this.#certificates.get(url);
    if (!pending) {
      pending = this.#httpsGet(new URL(url)).then((pem) => {
        try {
          return createPublicKey(pem);
        } catch {
          throw new WebhookError('unauthorized', 'Amazon SNS signing certificate is not a PEM certificate');
        }
      });
      // A failed fetch is not cached: the next message tries again.
      pending.catch(() => this.#certificates.delete(url));
      if (this.#certificates.size >= 100) this.#certificates.delete(this.#certificates.keys().next().value!);
      this.#certificates.set(url, pending);
    }
    return pending;
  }

  #httpsGet(url: URL): Promise<string> {
    const timeout = this.#options.timeoutMs ?? 5_000;
    return new Promise((resolve, reject) => {
      const request = get(url, { timeout, ...(this.#options.ca ? { ca: this.#options.ca } : {}) }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > 64 * 1024) request.destroy(new Error('response too large'));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status === 200) resolve(Buffer.concat(chunks).toString('utf8'));
          else reject(new WebhookError(status >= 500 ? 'unavailable' : 'unauthorized', `Amazon SNS ${url.host} answered ${status}`));
        });
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer in ${timeout} ms`), { code: 'ETIMEDOUT' })));
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof WebhookError) return reject(error);
        // Down or slow from here: nothing the request did, so 503 and SNS tries again. Anything
        // else (a certificate TLS does not trust, a response too large) is refused.
        const reason = UNREACHABLE.has(error.code ?? '') ? 'unavailable' : 'unauthorized';
        reject(new WebhookError(reason, `Amazon SNS ${url.host} could not be reached: ${error.message}`));
      });
    });
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EPIPE', 'ECONNABORTED']);
