// SparkPost Transmissions API: `POST /api/v1/transmissions` with the API key as the whole
// `Authorization` header (no "Bearer") and a JSON body, on api.sparkpost.com or, for an account
// of SparkPost EU, api.eu.sparkpost.com (the two are separate accounts with separate keys).
// Sources: test/providers/SOURCES.md §4 (SparkPost/developers.sparkpost.com API Blueprint).
import { allRecipients, httpEndpoint, sendWithin, type AdapterCapabilities, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import { formatAddressList, type Address } from '../src/core/address.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { dsnApiKey, dsnChoice, dsnCommonOptions, baseUrlFromDsn, defineDsn } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { errorFromResponse, httpRequest, resolveBaseUrl, successReceipt, type HttpResponse, type SuccessRule } from '../src/kit/http.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { guardSecrets, SecretScrubber } from '../src/core/secrets.js';

export interface SparkpostOptions {
  /** An API key with the "Transmissions: Read/Write" permission (SparkPost > Configuration > API Keys). */
  apiKey: string;
  /** "eu" for a SparkPost EU account (api.eu.sparkpost.com). Default "us". */
  region?: 'us' | 'eu';
  /** Overrides the region's URL (an Enterprise endpoint, a proxy); http only on loopback. */
  baseUrl?: string;
  /**
   * Connect timeout: longest wait until the request is written (DNS, TCP, TLS). Default 10,000 ms.
   * The whole attempt is bounded by the chain's `timeoutMs` (README "Timeouts").
   */
  connectTimeoutMs?: number;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Name in a chain, journal and errors. Default "sparkpost". */
  name?: string;
}

const REGION_URLS = { us: 'https://api.sparkpost.com', eu: 'https://api.eu.sparkpost.com' } as const;
const NAME = 'sparkpost';

/** What SparkPost can carry (SOURCES.md §4: the transmission's fields and limits). */
export const SPARKPOST_CAPABILITIES: AdapterCapabilities = Object.freeze({
  attachments: true,
  inlineImages: true,
  // Text + html + attachments + inline images, in base64 (4/3 of the bytes), at most 20 MB.
  maxAttachmentBytes: (20 * 1024 * 1024 * 3) / 4,
  maxTotalAttachmentBytes: (20 * 1024 * 1024 * 3) / 4,
  customHeaders: true,
  maxCustomHeaders: Number.POSITIVE_INFINITY,
  // The tag is the transmission's one `campaign_id` (anymail's SparkPost backend does the same).
  tags: true,
  maxTags: 1,
  metadata: true,
  maxReplyTo: Number.POSITIVE_INFINITY,
  maxRecipients: Number.POSITIVE_INFINITY,
  unicodeLocalParts: false,
});

/**
 * A 200 alone does not prove a send: SparkPost answers 200 with `total_accepted_recipients: 0`
 * when it refused every recipient (the Blueprint's own example), so only the body says who was
 * taken. A 200 whose body is lost is AMBIGUOUS, never a retry.
 */
export const SPARKPOST_SUCCESS: SuccessRule = { statuses: [200], unreadableBody: 'ambiguous', source: 'SparkPost answers 200 even when it rejected every recipient; only results.total_accepted_recipients says (SOURCES.md §4 S2)' };

export function sparkpostAdapter(options: SparkpostOptions): MailAdapter {
  if (!options?.apiKey) throw new MailError('CONFIG', 'sparkpost needs `apiKey` (SparkPost > Configuration > API Keys)', { provider: NAME });
  const region = options.region ?? 'us';
  if (!(region in REGION_URLS)) throw new MailError('CONFIG', `sparkpost region "${region}" is not "us" or "eu"`, { provider: NAME });
  const { apiKey } = options;
  const name = options.name ?? NAME;
  const baseUrl = resolveBaseUrl(NAME, { baseUrl: options.baseUrl, defaultUrl: REGION_URLS[region] });
  const request = (path: string, init: { method?: string; json?: unknown; signal?: AbortSignal }) =>
    httpRequest({ provider: name, url: `${baseUrl}/api/v1${path}`, headers: { authorization: apiKey }, connectTimeoutMs: options.connectTimeoutMs, fetch: options.fetch, ...init });

  const adapter: MailAdapter & { toString(): string } = {
    name,
    capabilities: SPARKPOST_CAPABILITIES,
    send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
      return sendWithin(adapter, message, async (message) => {
        const response = await request('/transmissions', { json: toPayload(message), signal: ctx.signal });
        const recipients = allRecipients(message);
        const receipt = successReceipt(response, SPARKPOST_SUCCESS, { provider: name, recipients, read: (answer) => toReceipt(answer, recipients, name) });
        if (receipt) return receipt;
        throw toError(response, name);
      });
    },
    // "Retrieve a Scheduled Transmission" of an id that does not exist: 404 (code 1600) proves the
    // key and its Transmissions permission without sending; a bad key gets 401, a weak one 403.
    async verify(ctx: { signal?: AbortSignal } = {}): Promise<void> {
      const response = await request('/transmissions/mailroom-verify', { method: 'GET', signal: ctx.signal });
      if (response.status !== 200 && response.status !== 404) throw toError(response, name);
    },
    endpoint: httpEndpoint(baseUrl, 'api-key'),
    toString: () => `sparkpost(${baseUrl})`,
  };
  return guardSecrets(adapter, new SecretScrubber([apiKey]));
}

/** `sparkpost+api://KEY@default` (`?region=eu` for api.eu.sparkpost.com; another host[:port] replaces it; `?insecure=true`, `?name=`, `?timeout=` ms). */
export function fromDsn(dsn: ParsedDsn): MailAdapter {
  return sparkpostAdapter(sparkpostOptionsFromDsn(dsn));
}

function toPayload(message: NormalizedMessage): Record<string, unknown> {
  // Every recipient is one entry; header_to shows the To list to all of them, and a Cc header names
  // the cc ones, so cc and bcc get the same message (support.sparkpost.com, "CC and BCC with the REST API").
  const headerTo = formatAddressList(message.to);
  const recipient = (address: Address) => ({ address: { email: address.address, ...(address.name ? { name: address.name } : {}), header_to: headerTo } });
  const headers: Record<string, string> = { ...message.headers, ...(message.cc.length ? { Cc: formatAddressList(message.cc) } : {}) };
  const files = (inline: boolean) => message.attachments.filter((a) => a.inline === inline)
    // An inline image's name is its Content-ID (`<img src="cid:NAME">`).
    .map((a) => ({ name: inline ? a.cid! : a.filename, type: a.contentType, data: a.content.toString('base64') }));
  const attachments = files(false);
  const inlineImages = files(true);
  return {
    recipients: [...message.to, ...message.cc, ...message.bcc].map(recipient),
    content: {
      from: message.from.name ? { email: message.from.address, name: message.from.name } : { email: message.from.address },
      subject: message.subject,
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(message.html !== undefined ? { html: message.html } : {}),
      ...(message.replyTo.length ? { reply_to: formatAddressList(message.replyTo) } : {}),
      ...(Object.keys(headers).length ? { headers } : {}),
      ...(attachments.length ? { attachments } : {}),
      ...(inlineImages.length ? { inline_images: inlineImages } : {}),
    },
    ...(message.tags[0] ? { campaign_id: message.tags[0] } : {}),
    ...(Object.keys(message.metadata).length ? { metadata: message.metadata } : {}),
  };
}

// results {id, total_accepted_recipients, total_rejected_recipients}. SparkPost does not say which
// recipients it rejected (rcpt_to_errors carries no address): a partial refusal is a warning.
function toReceipt(response: HttpResponse, recipients: string[], provider: string): SendReceipt | undefined {
  const results = (response.json as { results?: { id?: unknown; total_accepted_recipients?: unknown; total_rejected_recipients?: unknown } } | undefined)?.results;
  if (typeof results?.id !== 'string' || typeof results.total_accepted_recipients !== 'number') return undefined;
  const rejected = typeof results.total_rejected_recipients === 'number' ? results.total_rejected_recipients : 0;
  if (results.total_accepted_recipients === 0) {
    throw errorFromResponse(response, { provider, detail: `SparkPost rejected every recipient (${rejected}) of transmission ${results.id}${rcptErrors(response)}`, code: 'REJECTED', rejected: recipients });
  }
  return {
    providerMessageId: results.id,
    accepted: recipients,
    rejected: [],
    ...(rejected > 0 ? { warnings: [`${provider} rejected ${rejected} of ${recipients.length} recipients of transmission ${results.id} without naming them${rcptErrors(response)}`] } : {}),
  };
}

function rcptErrors(response: HttpResponse): string {
  const list = (response.json as { results?: { rcpt_to_errors?: { message?: unknown; description?: unknown }[] } } | undefined)?.results?.rcpt_to_errors;
  return Array.isArray(list) && list.length ? `: ${[...new Set(list.map((e) => String(e.description ?? e.message)))].join('; ')}` : '';
}

function toError(response: HttpResponse, provider: string): MailError {
  // {errors: [{message, description?, code}]}: the code and texts name the refusal (the catalogue knows them).
  const list = (response.json as { errors?: { message?: unknown; description?: unknown; code?: unknown }[] } | undefined)?.errors;
  const detail = Array.isArray(list)
    ? list.map((e) => [e.message, e.description].filter((part) => typeof part === 'string').join(': ') + (e.code !== undefined ? ` (SparkPost code ${String(e.code)})` : '')).join('; ')
    : response.text;
  return errorFromResponse(response, { provider, detail });
}

/** `sparkpost+api://KEY@default` (`?region=eu`: api.eu.sparkpost.com); another host[:port] replaces the region's host. */
export function sparkpostOptionsFromDsn(dsn: ParsedDsn): SparkpostOptions {
  const region = dsnChoice(dsn, 'region', ['us', 'eu'] as const);
  return { apiKey: dsnApiKey(dsn), ...(region ? { region } : {}), baseUrl: baseUrlFromDsn(dsn), ...dsnCommonOptions(dsn) };
}

export const dsn = defineDsn({ schemes: { 'sparkpost+api': 'sparkpost+api://KEY@default?region=eu' }, options: sparkpostOptionsFromDsn, create: sparkpostAdapter });
