// createWebhookHandler: one endpoint for every provider's delivery webhooks, on the Web
// Request/Response API (Payload endpoints, Next route handlers, Hono... use it directly; see
// node-listener.ts for Node's http and Express). Each request is size-checked, authenticated as
// its provider allows, parsed into TrackingEvents and recorded in the journal. It answers within
// `ackTimeoutMs` even when the journal is slow: the write goes on, the provider's retry budget is
// not spent waiting for it.
import { MailError } from '../core/errors.js';
import type { DeliveryOutcome } from '../journal/delivery.js';
import { parseBrevoEvents } from './brevo.js';
import { isObject, parseJson, parseJsonKeepingIds } from './fields.js';
import { MailgunVerifier, parseMailgunEvents, type MailgunWebhookOptions } from './mailgun.js';
import { parseMailjetBody, parseMailjetEvents } from './mailjet.js';
import { parsePostmarkEvents } from './postmark.js';
import { parseResendEvents } from './resend.js';
import { parseSendgridEvents, SendgridVerifier, type SendgridWebhookOptions } from './sendgrid.js';
import { parseSesRecord } from './ses.js';
import { SharedSecret, type SharedSecretOptions } from './shared-secret.js';
import { parseSmtp2goBody, parseSmtp2goEvents } from './smtp2go.js';
import { parseSparkpostEvents } from './sparkpost.js';
import { SnsVerifier, type SnsWebhookOptions } from './sns.js';
import { SvixVerifier, type SvixWebhookOptions } from './svix.js';
import type { TrackingEvent } from './types.js';
import { WebhookError, type WebhookRefusal } from './webhook-error.js';

export const WEBHOOK_PROVIDERS = ['brevo', 'mailjet', 'mailgun', 'smtp2go', 'ses', 'postmark', 'sendgrid', 'resend', 'sparkpost'] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

/** The providers whose signature covers the exact body bytes: a framework must hand the body over unparsed. */
export const RAW_BODY_PROVIDERS: readonly WebhookProvider[] = ['sendgrid', 'resend'];

/** Where events are recorded: a mailer (`createMailer`), whose `delivery` event then fires. */
export interface EventSink {
  journal: {
    recordEvents(events: TrackingEvent[]): Promise<DeliveryOutcome>;
    retryParkedEvents(): Promise<number>;
  };
}

export interface WebhookHandlerOptions {
  /** The mailer whose journal receives the events. */
  mailer: EventSink;
  /** Brevo does not sign: basic auth in the webhook URL or a bearer token (`auth` on the webhook). */
  brevo?: SharedSecretOptions;
  /** Mailjet does not sign: basic auth in the callback URL. */
  mailjet?: SharedSecretOptions;
  /** SMTP2GO does not sign: the webhook's Authorization header (bearer or basic). */
  smtp2go?: SharedSecretOptions;
  /** Mailgun signs each webhook with the HTTP webhook signing key. */
  mailgun?: MailgunWebhookOptions;
  /** Amazon SES through an SNS topic: SNS signs; only the listed topics are accepted. */
  ses?: SnsWebhookOptions;
  /** Postmark does not sign: basic auth set on the webhook (or an Authorization custom header). */
  postmark?: SharedSecretOptions;
  /** SparkPost does not sign: the webhook's basic auth (or an Authorization custom header). */
  sparkpost?: SharedSecretOptions;
  /** SendGrid signs its Event Webhook (ECDSA): the verification key from its dashboard. */
  sendgrid?: SendgridWebhookOptions;
  /** Resend signs through Svix: the endpoint's signing secret (whsec_...). */
  resend?: SvixWebhookOptions;
  /** Largest body accepted. Default 5 MiB (a Brevo batch holds up to 500 events). */
  maxBodyBytes?: number;
  /** How long a request waits for the journal write before answering 200 anyway. Default 2000 ms. */
  ackTimeoutMs?: number;
  /** How often events that arrived before their message was journaled are matched again. Default 5000 ms; 0 never. */
  parkedRetryMs?: number;
  /** The clock, for signature windows. Default Date.now. */
  now?: () => number;
}

/** Counters since the handler was created. */
export interface WebhookStats {
  /** Requests that passed authentication. */
  accepted: number;
  /** Events recorded on a journal entry. */
  recorded: number;
  /** Events already recorded (retried webhooks). */
  duplicates: number;
  /** Events for a message the journal does not know (yet): kept and matched later. */
  unmatched: number;
  /** Requests refused, by reason. */
  refused: Record<WebhookRefusal, number>;
  /** Journal writes that failed. */
  failed: number;
}

export interface WebhookHandler {
  /** Answers one webhook request. The provider is the last path segment (`.../webhooks/mailgun`) unless given. */
  (request: Request, provider?: WebhookProvider): Promise<Response>;
  readonly providers: WebhookProvider[];
  stats(): WebhookStats;
  /** Resolves when every journal write started so far has finished. */
  settled(): Promise<void>;
  /** Stops the retry timer of parked events. */
  close(): void;
}

// `release` collects what un-remembers a signed request (a Mailgun token, a SendGrid signature, a
// Svix id and timestamp) should its events not be recorded: the provider's retry must then pass.
type Receive = (body: string, request: Request, release: Array<() => void>) => Promise<TrackingEvent[] | string>;

export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const now = options.now ?? Date.now;
  checkLimits(options);
  const maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 * 1024;
  const ackTimeoutMs = options.ackTimeoutMs ?? 2000;
  const receivers = buildReceivers(options, now);
  const providers = [...receivers.keys()];
  if (providers.length === 0) {
    throw new MailError('CONFIG', 'createWebhookHandler has no provider configured', {
      remedy: 'Pass the providers whose webhooks you receive, e.g. { mailgun: { signingKey }, sendgrid: { publicKey }, resend: { signingSecret }, ses: { topics: [arn] }, brevo: { secret } }.',
    });
  }
  const stats: WebhookStats = { accepted: 0, recorded: 0, duplicates: 0, unmatched: 0, refused: { unauthorized: 0, stale: 0, replayed: 0, malformed: 0, too_large: 0, forbidden_topic: 0, unavailable: 0 }, failed: 0 };
  const writing = new Set<Promise<unknown>>();
  const retryMs = options.parkedRetryMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  const scheduleRetry = () => {
    if (retryMs <= 0 || timer) return;
    timer = setInterval(() => {
      options.mailer.journal.retryParkedEvents().then((matched) => {
        stats.unmatched = Math.max(0, stats.unmatched - matched);
        stats.recorded += matched;
      }, () => undefined);
    }, retryMs);
    timer.unref();
  };

  // From the start: events another process parked (before a restart, another instance) wait too.
  scheduleRetry();

  const record = (events: TrackingEvent[]): Promise<void> => {
    const write = options.mailer.journal.recordEvents(events).then((outcome) => {
      const matched = outcome.matched?.length ?? 0;
      stats.recorded += outcome.recorded.length + matched;
      stats.unmatched = Math.max(0, stats.unmatched - matched);
      stats.duplicates += outcome.duplicates;
      stats.unmatched += outcome.unmatched.length;
      if (outcome.unmatched.length > 0) scheduleRetry();
    });
    const tracked = write.catch(() => {
      stats.failed++;
    });
    writing.add(tracked);
    void tracked.finally(() => writing.delete(tracked));
    return write;
  };

  const handle = async (request: Request, provider?: WebhookProvider): Promise<Response> => {
    if (request.method === 'HEAD' || request.method === 'OPTIONS') return new Response(null, { status: 200 });
    const name = provider ?? providerFromPath(request.url);
    const receive = name ? receivers.get(name as WebhookProvider) : undefined;
    if (!receive) return reply(404, { error: 'unknown_provider', providers });
    if (request.method !== 'POST') return reply(405, { error: 'method_not_allowed' });
    const release: Array<() => void> = [];
    try {
      const body = await readBody(request, maxBodyBytes);
      const result = await receive(body, request, release);
      stats.accepted++;
      if (typeof result === 'string') return reply(200, { ok: true, note: result });
      if (result.length === 0) return reply(200, { ok: true, events: 0 });
      const write = record(result);
      const outcome = await Promise.race([write.then(() => 'written' as const), delay(ackTimeoutMs).then(() => 'pending' as const)]);
      return reply(200, { ok: true, events: result.length, ...(outcome === 'pending' ? { note: 'recording' } : {}) });
    } catch (error) {
      if (error instanceof WebhookError) {
        stats.refused[error.reason]++;
        const headers: Record<string, string> = error.status === 401 && SHARED_SECRET_PROVIDERS.includes(name as SharedSecretProvider) ? { 'www-authenticate': 'Basic realm="mailroom webhooks"' } : {};
        return reply(error.status, { error: error.reason, message: error.message }, headers);
      }
      // The journal refused the write: 500 asks the provider to try again later, and that retry must not be taken for a replay.
      for (const forget of release) forget();
      return reply(500, { error: 'not_recorded', message: 'the event could not be recorded; it will be retried by the provider' });
    }
  };

  return Object.assign(handle, {
    providers,
    stats: () => structuredClone(stats),
    settled: async () => {
      while (writing.size > 0) await Promise.allSettled([...writing]);
    },
    close: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  });
}

// Node runs a timer of more than 2^31 - 1 ms after 1 ms: a parked-event retry period that long
// would read the journal without pause, an acknowledgement wait that long would not wait at all.
const MAX_TIMER_MS = 2 ** 31 - 1;

function checkLimits(options: WebhookHandlerOptions): void {
  const limits: Array<[keyof WebhookHandlerOptions, number, number, string]> = [
    ['maxBodyBytes', 1, Number.MAX_SAFE_INTEGER, 'e.g. 5242880 (5 MiB)'],
    ['ackTimeoutMs', 0, MAX_TIMER_MS, 'e.g. 2000'],
    ['parkedRetryMs', 0, MAX_TIMER_MS, 'e.g. 5000, or 0 to never retry'],
  ];
  for (const [name, min, max, example] of limits) {
    const value = options[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new MailError('CONFIG', `createWebhookHandler: ${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value) ?? String(value)}`, { remedy: `Set ${name} to a whole number, ${example}.` });
    }
  }
}

// arn:<partition>:sns:<region>:<12-digit account>:<topic name, .fifo for a FIFO topic>.
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

// The providers that do not sign: a shared secret in the Authorization header (basic or bearer).
const SHARED_SECRET_PROVIDERS = ['brevo', 'mailjet', 'smtp2go', 'postmark', 'sparkpost'] as const;
type SharedSecretProvider = (typeof SHARED_SECRET_PROVIDERS)[number];

function buildReceivers(options: WebhookHandlerOptions, now: () => number): Map<WebhookProvider, Receive> {
  const receivers = new Map<WebhookProvider, Receive>();
  const at = () => new Date(now());
  const contentType = (request: Request) => request.headers.get('content-type') ?? '';
  for (const provider of SHARED_SECRET_PROVIDERS) {
    if (!options[provider]) continue;
    const secret = new SharedSecret(provider, options[provider]);
    receivers.set(provider, async (body, request) => {
      secret.check(request.headers.get('authorization'));
      return parseWebhookBody(provider, body, contentType(request), at());
    });
  }
  if (options.mailgun) {
    if (!options.mailgun.signingKey) {
      throw new MailError('CONFIG', 'the mailgun webhook has no signingKey', { remedy: 'Copy the HTTP webhook signing key from Mailgun > Sending > Webhooks into webhooks.mailgun.signingKey (it is not the API key).' });
    }
    const verifier = new MailgunVerifier(options.mailgun);
    receivers.set('mailgun', async (body, request, release) => {
      release.push(verifier.verify(parseJson(body, 'Mailgun'), now()));
      return parseWebhookBody('mailgun', body, contentType(request), at());
    });
  }
  if (options.sendgrid) {
    if (!options.sendgrid.publicKey) {
      throw new MailError('CONFIG', 'the sendgrid webhook has no publicKey', { remedy: 'Turn on "Signed Event Webhook Requests" for the Event Webhook in SendGrid (Settings > Mail Settings > Event Webhooks) and copy its verification key into webhooks.sendgrid.publicKey.' });
    }
    const verifier = new SendgridVerifier(options.sendgrid);
    receivers.set('sendgrid', async (body, request, release) => {
      release.push(verifier.verify(body, request.headers, now()));
      return parseWebhookBody('sendgrid', body, contentType(request), at());
    });
  }
  if (options.resend) {
    const verifier = new SvixVerifier('resend', options.resend);
    receivers.set('resend', async (body, request, release) => {
      release.push(verifier.verify(body, request.headers, now()).release);
      return parseWebhookBody('resend', body, contentType(request), at());
    });
  }
  if (options.ses) {
    if (!options.ses.topics?.length) {
      throw new MailError('CONFIG', 'the ses webhook has no topics', { remedy: 'List the SNS topic ARNs your SES configuration set publishes to in webhooks.ses.topics: a valid Amazon signature alone does not prove the topic is yours.' });
    }
    // An ARN per entry: a list holding an unset environment variable would answer 403 to every
    // message, which SNS takes as delivered and drops.
    const notArn = options.ses.topics.findIndex((topic) => typeof topic !== 'string' || !TOPIC_ARN.test(topic));
    if (notArn >= 0) {
      throw new MailError('CONFIG', `webhooks.ses.topics[${notArn}] is not an SNS topic ARN (got ${JSON.stringify(options.ses.topics[notArn]) ?? 'undefined'})`, {
        remedy: 'Give the full ARN of each topic your SES configuration set publishes to, e.g. arn:aws:sns:eu-west-1:123456789012:ses-events (SNS console > Topics); check that the environment variable it comes from is set.',
      });
    }
    const sns = new SnsVerifier(options.ses);
    receivers.set('ses', async (body, request) => {
      const message = await sns.verify(body, request.headers, now());
      if (message.Type === 'SubscriptionConfirmation') return (await sns.confirm(message)) ? 'subscription confirmed' : 'subscription not confirmed (confirmSubscriptions: false)';
      if (message.Type === 'UnsubscribeConfirmation') return 'unsubscribe confirmation ignored';
      return parseWebhookBody('ses', body, contentType(request), at());
    });
  }
  return receivers;
}

/**
 * The events in a provider's webhook body, without authenticating it: what the handler runs once
 * a request has passed its provider's check, and what `mailroom events replay` runs on a saved
 * payload. SES takes an SNS Notification envelope or a bare SES record; Mailgun the whole body or
 * its event-data alone. Throws WebhookError (malformed) on a body it cannot read.
 */
export function parseWebhookBody(provider: WebhookProvider, body: string, contentType = 'application/json', now = new Date()): TrackingEvent[] {
  try {
    return parseProviderBody(provider, body, contentType, now);
  } catch (error) {
    // Whatever a parser trips over is in the body, not in us: a 400 stops the provider's retries,
    // where a 500 would have it post the same body forever.
    if (error instanceof WebhookError) throw error;
    throw new WebhookError('malformed', `${provider} webhook body could not be read: ${(error as Error).message}`);
  }
}

function parseProviderBody(provider: WebhookProvider, body: string, contentType: string, now: Date): TrackingEvent[] {
  switch (provider) {
    case 'postmark':
      // A bounce's ID can exceed 2^53 (Postmark's own example does): kept digit for digit.
      return parsePostmarkEvents(parseJsonKeepingIds(body, 'Postmark', ['ID']), now);
    case 'sendgrid':
      return parseSendgridEvents(parseJson(body, 'SendGrid'), now);
    case 'resend':
      return parseResendEvents(parseJson(body, 'Resend'), now);
    case 'sparkpost':
      return parseSparkpostEvents(parseJson(body, 'SparkPost'), now);
    case 'brevo':
      return parseBrevoEvents(parseJson(body, 'Brevo'), now);
    case 'mailjet':
      return parseMailjetEvents(parseMailjetBody(body), now);
    case 'smtp2go':
      return parseSmtp2goEvents(parseSmtp2goBody(body, contentType), now);
    case 'mailgun': {
      const json = parseJson(body, 'Mailgun');
      return parseMailgunEvents(isObject(json) && !('event-data' in json) && 'event' in json ? { 'event-data': json } : json, now);
    }
    case 'ses': {
      const json = parseJson(body, 'Amazon SNS');
      if (!isObject(json)) throw new WebhookError('malformed', 'Amazon SNS body is not a JSON object');
      if (json.Type === undefined) return parseSesRecord(json, undefined, now);
      if (json.Type !== 'Notification' || typeof json.Message !== 'string') return [];
      let record: unknown;
      try {
        record = JSON.parse(json.Message);
      } catch {
        // SES's first message on a new topic is plain text ("Successfully validated SNS topic...").
        return [];
      }
      return isObject(record) ? parseSesRecord(record, typeof json.MessageId === 'string' ? json.MessageId : undefined, now) : [];
    }
  }
}

function providerFromPath(url: string): string | undefined {
  try {
    return new URL(url, 'http://localhost').pathname.split('/').filter(Boolean).pop();
  } catch {
    return undefined;
  }
}

async function readBody(request: Request, max: number): Promise<string> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > max) throw new WebhookError('too_large', `the body is larger than ${max} bytes`);
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new WebhookError('too_large', `the body is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new WebhookError('malformed', 'the body is not UTF-8 text');
  }
}

function reply(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
