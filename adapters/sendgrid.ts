// Twilio SendGrid v3 Mail Send: `POST /v3/mail/send` with `Authorization: Bearer <key>` and a JSON
// body, on api.sendgrid.com or, for EU regional subusers, api.eu.sendgrid.com (data residency).
// Sources: test/providers/SOURCES.md §2 (SendGrid's OAS in sendgrid/sendgrid-oai, twilio.com docs).
import { allRecipients, httpEndpoint, sendWithin, type AdapterCapabilities, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import type { Address } from '../src/core/address.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { dsnApiKey, dsnChoice, dsnCommonOptions, baseUrlFromDsn, defineDsn } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { errorFromResponse, httpRequest, resolveBaseUrl, successReceipt, type HttpResponse, type SuccessRule } from '../src/kit/http.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { guardSecrets, SecretScrubber } from '../src/core/secrets.js';

export interface SendgridOptions {
  /** An API key with the Mail Send permission (SendGrid > Settings > API Keys). */
  apiKey: string;
  /** "eu" sends through api.eu.sendgrid.com, for an EU regional subuser's key. Default "global". */
  region?: 'global' | 'eu';
  /** Overrides the region's URL (a proxy); http only on loopback. */
  baseUrl?: string;
  /**
   * Connect timeout: longest wait until the request is written (DNS, TCP, TLS). Default 10,000 ms.
   * The whole attempt is bounded by the chain's `timeoutMs` (README "Timeouts").
   */
  connectTimeoutMs?: number;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Name in a chain, journal and errors. Default "sendgrid". */
  name?: string;
}

const REGION_URLS = { global: 'https://api.sendgrid.com', eu: 'https://api.eu.sendgrid.com' } as const;
const NAME = 'sendgrid';
// X-RateLimit-Reset is a Unix time (twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits).
const RESET_HEADERS = ['x-ratelimit-reset'];

/** What SendGrid can carry (SOURCES.md §2: the OAS `POST_mail-send` and the Mail Send limits). */
export const SENDGRID_CAPABILITIES: AdapterCapabilities = Object.freeze({
  attachments: true,
  inlineImages: true,
  // The whole request is at most 30 MB, attachments in base64 (4/3 of the bytes): about 22.5 MB.
  maxAttachmentBytes: (30 * 1024 * 1024 * 3) / 4,
  maxTotalAttachmentBytes: (30 * 1024 * 1024 * 3) / 4,
  customHeaders: true,
  maxCustomHeaders: Number.POSITIVE_INFINITY,
  // Tags are `categories`: at most 10 per request.
  tags: true,
  maxTags: 10,
  metadata: true,
  // `reply_to_list` takes up to 1000 addresses.
  maxReplyTo: 1000,
  // 1000 recipients (to + cc + bcc) per request.
  maxRecipients: 1000,
  unicodeLocalParts: false,
});

/**
 * 202 Accepted, empty body, the id in X-Message-Id: the request was valid and queued for every
 * recipient; a refusal is a 4xx (SOURCES.md §2 G1, G4). A 202 whose body is unreadable is still a send.
 */
export const SENDGRID_SUCCESS: SuccessRule = { statuses: [202], unreadableBody: 'sent', source: 'SendGrid answers 202 with an empty body for a request it queued, 4xx for one it refused (OAS POST_mail-send; SOURCES.md §2)' };

export function sendgridAdapter(options: SendgridOptions): MailAdapter {
  if (!options?.apiKey) throw new MailError('CONFIG', 'sendgrid needs `apiKey` (SendGrid > Settings > API Keys, with Mail Send)', { provider: NAME });
  const region = options.region ?? 'global';
  if (!(region in REGION_URLS)) throw new MailError('CONFIG', `sendgrid region "${region}" is not "global" or "eu"`, { provider: NAME });
  const { apiKey } = options;
  const name = options.name ?? NAME;
  const baseUrl = resolveBaseUrl(NAME, { baseUrl: options.baseUrl, defaultUrl: REGION_URLS[region] });
  const request = (path: string, init: { method?: string; json?: unknown; signal?: AbortSignal }) =>
    httpRequest({ provider: name, url: `${baseUrl}${path}`, headers: { authorization: `Bearer ${apiKey}` }, connectTimeoutMs: options.connectTimeoutMs, fetch: options.fetch, ...init });

  const adapter: MailAdapter & { toString(): string } = {
    name,
    capabilities: SENDGRID_CAPABILITIES,
    send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
      return sendWithin(adapter, message, async (message) => {
        const response = await request('/v3/mail/send', { json: toPayload(message), signal: ctx.signal });
        const recipients = allRecipients(message);
        const receipt = successReceipt(response, SENDGRID_SUCCESS, {
          provider: name,
          recipients,
          // The documented answer is an empty body; the id travels in a header.
          read: ({ text, headers }) => (text === '' ? { providerMessageId: headers.get('x-message-id') ?? undefined, accepted: recipients, rejected: [] } : undefined),
        });
        if (receipt) return receipt;
        throw toError(response, name);
      });
    },
    // GET /v3/scopes lists what the key may do (twilio.com/docs/sendgrid/api-reference/api-key-permissions);
    // a key without mail.send can authenticate and still never send.
    async verify(ctx: { signal?: AbortSignal } = {}): Promise<void> {
      const response = await request('/v3/scopes', { method: 'GET', signal: ctx.signal });
      if (response.status !== 200) throw toError(response, name);
      const scopes = (response.json as { scopes?: unknown } | undefined)?.scopes;
      if (!Array.isArray(scopes) || !scopes.includes('mail.send')) {
        throw errorFromResponse({ ...response, status: 403 }, { provider: name, detail: 'the API key lacks the mail.send scope (Mail Send permission)', code: 'AUTH' });
      }
    },
    endpoint: httpEndpoint(baseUrl, 'bearer'),
    toString: () => `sendgrid(${baseUrl})`,
  };
  return guardSecrets(adapter, new SecretScrubber([apiKey]));
}

/** `sendgrid+api://KEY@default` (`?region=eu` for api.eu.sendgrid.com; another host[:port] replaces it; `?insecure=true`, `?name=`, `?timeout=` ms). */
export function fromDsn(dsn: ParsedDsn): MailAdapter {
  return sendgridAdapter(sendgridOptionsFromDsn(dsn));
}

function email(address: Address): { email: string; name?: string } {
  return address.name ? { email: address.address, name: address.name } : { email: address.address };
}

function toPayload(message: NormalizedMessage): Record<string, unknown> {
  // One personalization: one message to everyone, like every other adapter.
  const personalization = {
    to: message.to.map(email),
    ...(message.cc.length ? { cc: message.cc.map(email) } : {}),
    ...(message.bcc.length ? { bcc: message.bcc.map(email) } : {}),
  };
  // SendGrid wants text/plain first, then text/html, and no empty value.
  const content = [
    ...(message.text ? [{ type: 'text/plain', value: message.text }] : []),
    ...(message.html ? [{ type: 'text/html', value: message.html }] : []),
  ];
  return {
    personalizations: [personalization],
    from: email(message.from),
    ...(message.replyTo.length === 1 ? { reply_to: email(message.replyTo[0]!) } : {}),
    ...(message.replyTo.length > 1 ? { reply_to_list: message.replyTo.map(email) } : {}),
    subject: message.subject,
    content,
    ...(message.attachments.length ? {
      attachments: message.attachments.map((a) => ({
        content: a.content.toString('base64'), filename: a.filename, type: a.contentType,
        disposition: a.inline ? 'inline' : 'attachment', ...(a.inline ? { content_id: a.cid } : {}),
      })),
    } : {}),
    ...(Object.keys(message.headers).length ? { headers: message.headers } : {}),
    ...(message.tags.length ? { categories: [...new Set(message.tags)] } : {}),
    // custom_args come back in every Event Webhook post for this message.
    ...(Object.keys(message.metadata).length ? { custom_args: message.metadata } : {}),
  };
}

function toError(response: HttpResponse, provider: string): MailError {
  // {errors: [{message, field}]}: every message, with the field it names (the catalogue knows them).
  const list = (response.json as { errors?: { message?: unknown; field?: unknown }[] } | undefined)?.errors;
  const detail = Array.isArray(list)
    ? list.map((e) => `${String(e.message)}${typeof e.field === 'string' ? ` (${e.field})` : ''}`).join('; ')
    : response.text;
  return errorFromResponse(response, { provider, detail, resetHeaders: RESET_HEADERS });
}

/** `sendgrid+api://KEY@default` (`?region=eu`: api.eu.sendgrid.com); another host[:port] replaces the region's host. */
export function sendgridOptionsFromDsn(dsn: ParsedDsn): SendgridOptions {
  const region = dsnChoice(dsn, 'region', ['global', 'eu'] as const);
  return { apiKey: dsnApiKey(dsn), ...(region ? { region } : {}), baseUrl: baseUrlFromDsn(dsn), ...dsnCommonOptions(dsn) };
}

export const dsn = defineDsn({ schemes: { 'sendgrid+api': 'sendgrid+api://KEY@default?region=eu' }, options: sendgridOptionsFromDsn, create: sendgridAdapter });
