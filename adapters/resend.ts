// Resend Email API: `POST /emails` with `Authorization: Bearer <key>`, a JSON body and an
// `Idempotency-Key` header, so a retry after a lost answer is answered with the first email's id
// instead of a second email. Sources: test/providers/SOURCES.md §3 (resend/resend-openapi,
// resend.com/docs, resend/resend-node).
import { createHash } from 'node:crypto';
import { allRecipients, httpEndpoint, sendWithin, type AdapterCapabilities, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import { formatAddress } from '../src/core/address.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { dsnApiKey, dsnCommonOptions, baseUrlFromDsn, defineDsn } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { errorFromResponse, httpRequest, resolveBaseUrl, successReceipt, type HttpResponse, type SuccessRule } from '../src/kit/http.js';
import { headersWithTags, type NormalizedMessage } from '../src/core/message.js';
import { guardSecrets, SecretScrubber } from '../src/core/secrets.js';

export interface ResendOptions {
  /** An API key (Resend > API Keys); "Sending access" is enough. */
  apiKey: string;
  /** Default https://api.resend.com. Any other https origin (a proxy); http only on loopback. */
  baseUrl?: string;
  /**
   * Connect timeout: longest wait until the request is written (DNS, TCP, TLS). Default 10,000 ms.
   * The whole attempt is bounded by the chain's `timeoutMs` (README "Timeouts").
   */
  connectTimeoutMs?: number;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Name in a chain, journal and errors. Default "resend". */
  name?: string;
}

const DEFAULT_URL = 'https://api.resend.com';
const NAME = 'resend';
// Resend keeps a key for 24 hours and takes 1 to 256 characters (resend.com/docs/dashboard/emails/idempotency-keys).
const MAX_KEY = 256;

/** What Resend can carry (SOURCES.md §3: the OpenAPI `/emails` body). */
export const RESEND_CAPABILITIES: AdapterCapabilities = Object.freeze({
  attachments: true,
  inlineImages: true,
  // 40 MB after base64 (4/3 of the bytes), about 30 MB of attachments: the limit a third-party
  // source names; Resend's own is not confirmed (SOURCES.md, Not confirmed 11).
  maxAttachmentBytes: (40 * 1024 * 1024 * 3) / 4,
  maxTotalAttachmentBytes: (40 * 1024 * 1024 * 3) / 4,
  customHeaders: true,
  maxCustomHeaders: Number.POSITIVE_INFINITY,
  // Resend's own tags allow only ASCII letters, digits, "_" and "-": tags and metadata travel as
  // X-Mailroom-Tags / X-Mailroom-Metadata headers instead, like anymail's X-Tags / X-Metadata.
  tags: true,
  maxTags: Number.POSITIVE_INFINITY,
  metadata: true,
  maxReplyTo: Number.POSITIVE_INFINITY,
  // `to` takes at most 50 addresses; cc and bcc have no documented limit, so 50 in all.
  maxRecipients: 50,
  unicodeLocalParts: false,
});

/**
 * 200 {id}: Resend took the email; a refusal is a 4xx {statusCode, name, message} (OpenAPI `/emails`,
 * resend.com/docs/api-reference/errors). A 200 whose body is lost is a send without its id.
 */
export const RESEND_SUCCESS: SuccessRule = { statuses: [200], unreadableBody: 'sent', source: 'Resend answers 200 {id} for an email it took and a 4xx {name, message} for one it refused (SOURCES.md §3)' };

export function resendAdapter(options: ResendOptions): MailAdapter {
  if (!options?.apiKey) throw new MailError('CONFIG', 'resend needs `apiKey` (Resend > API Keys)', { provider: NAME });
  const { apiKey } = options;
  const name = options.name ?? NAME;
  const baseUrl = resolveBaseUrl(NAME, { baseUrl: options.baseUrl, defaultUrl: DEFAULT_URL });
  const request = (path: string, init: { method?: string; json?: unknown; headers?: Record<string, string>; signal?: AbortSignal }) =>
    httpRequest({ provider: name, url: `${baseUrl}${path}`, connectTimeoutMs: options.connectTimeoutMs, fetch: options.fetch, ...init, headers: { authorization: `Bearer ${apiKey}`, ...init.headers } });

  const adapter: MailAdapter & { toString(): string } = {
    name,
    capabilities: RESEND_CAPABILITIES,
    send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
      return sendWithin(adapter, message, async (message) => {
        const headers = { 'idempotency-key': idempotencyKey(ctx.idempotencyKey ?? message.idempotencyKey ?? message.messageId) };
        const response = await request('/emails', { json: toPayload(message), headers, signal: ctx.signal });
        const recipients = allRecipients(message);
        const receipt = successReceipt(response, RESEND_SUCCESS, {
          provider: name,
          recipients,
          read: ({ json }) => {
            const id = (json as { id?: unknown } | undefined)?.id;
            return typeof id === 'string' ? { providerMessageId: id, accepted: recipients, rejected: [] } : undefined;
          },
        });
        if (receipt) return receipt;
        throw toError(response, name);
      });
    },
    // GET /domains needs a full-access key; a sending-only key gets 401 restricted_api_key, which
    // still proves the key exists and may send (resend.com/docs/api-reference/errors).
    async verify(ctx: { signal?: AbortSignal } = {}): Promise<void> {
      const response = await request('/domains', { method: 'GET', signal: ctx.signal });
      const restricted = response.status === 401 && (response.json as { name?: unknown } | undefined)?.name === 'restricted_api_key';
      if (response.status !== 200 && !restricted) throw toError(response, name);
    },
    endpoint: httpEndpoint(baseUrl, 'bearer'),
    toString: () => `resend(${baseUrl})`,
  };
  return guardSecrets(adapter, new SecretScrubber([apiKey]));
}

/** `resend+api://KEY@default`; another host[:port] replaces api.resend.com (`?insecure=true`, `?name=`, `?timeout=` ms). */
export function fromDsn(dsn: ParsedDsn): MailAdapter {
  return resendAdapter(resendOptionsFromDsn(dsn));
}

// The caller's idempotency key, else the message's own Message-ID: the chain's retries of one
// message then reach Resend as one email. A key over 256 characters goes as its SHA-256.
function idempotencyKey(key: string): string {
  return key.length <= MAX_KEY ? key : createHash('sha256').update(key).digest('hex');
}

function toPayload(message: NormalizedMessage): Record<string, unknown> {
  const list = (field: 'to' | 'cc' | 'bcc' | 'replyTo') => (message[field].length ? message[field].map(formatAddress) : undefined);
  const headers = headersWithTags(message);
  return {
    from: formatAddress(message.from),
    to: list('to'),
    cc: list('cc'),
    bcc: list('bcc'),
    reply_to: list('replyTo'),
    subject: message.subject,
    html: message.html,
    text: message.text,
    headers: Object.keys(headers).length ? headers : undefined,
    attachments: message.attachments.length
      ? message.attachments.map((a) => ({ content: a.content.toString('base64'), filename: a.filename, content_type: a.contentType, ...(a.inline ? { content_id: a.cid } : {}) }))
      : undefined,
  };
}

function toError(response: HttpResponse, provider: string): MailError {
  // {statusCode, name, message}: the name says which refusal it is (the catalogue knows them).
  const body = response.json as { name?: unknown; message?: unknown } | undefined;
  const detail = typeof body?.message === 'string' ? `${String(body.name)}: ${body.message}` : response.text;
  return errorFromResponse(response, { provider, detail, resetHeaders: ['ratelimit-reset'] });
}

/** `resend+api://KEY@default`; another host[:port] replaces api.resend.com. */
export function resendOptionsFromDsn(dsn: ParsedDsn): ResendOptions {
  return { apiKey: dsnApiKey(dsn), baseUrl: baseUrlFromDsn(dsn), ...dsnCommonOptions(dsn) };
}

export const dsn = defineDsn({ schemes: { 'resend+api': 'resend+api://KEY@default' }, options: resendOptionsFromDsn, create: resendAdapter });
