// Postmark Email API: `POST /email` with the `X-Postmark-Server-Token` header and a JSON body, into
// a message stream ("outbound", Postmark's default transactional stream, unless one is named).
// Sources: test/providers/SOURCES.md §1 (postmarkapp.com/developer, postmark.js, anymail).
import { allRecipients, httpEndpoint, sendWithin, type AdapterCapabilities, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import { formatAddress, formatAddressList } from '../src/core/address.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { dsnApiKey, dsnCommonOptions, baseUrlFromDsn, defineDsn } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { errorFromResponse, httpRequest, resolveBaseUrl, successReceipt, type HttpResponse, type SuccessRule } from '../src/kit/http.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { guardSecrets, SecretScrubber } from '../src/core/secrets.js';

export interface PostmarkOptions {
  /** A Server API token (Postmark > Servers > your server > API Tokens), not the Account token. */
  serverToken: string;
  /** The message stream's ID, e.g. "outbound" (Postmark's default) or "password-resets". Default: Postmark's default transactional stream. */
  messageStream?: string;
  /** Default https://api.postmarkapp.com. Any other https origin (a proxy); http only on loopback. */
  baseUrl?: string;
  /**
   * Connect timeout: longest wait until the request is written (DNS, TCP, TLS). Default 10,000 ms.
   * The whole attempt is bounded by the chain's `timeoutMs` (README "Timeouts").
   */
  connectTimeoutMs?: number;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Name in a chain, journal and errors. Default "postmark". */
  name?: string;
}

const DEFAULT_URL = 'https://api.postmarkapp.com';
const NAME = 'postmark';

/** What Postmark can carry (SOURCES.md §1: the email API's fields and its size limits). */
export const POSTMARK_CAPABILITIES: AdapterCapabilities = Object.freeze({
  attachments: true,
  inlineImages: true,
  // The whole message may be 10 MB after base64 (4/3 of the bytes): about 7.5 MB of attachments.
  maxAttachmentBytes: (10 * 1024 * 1024 * 3) / 4,
  maxTotalAttachmentBytes: (10 * 1024 * 1024 * 3) / 4,
  customHeaders: true,
  maxCustomHeaders: Number.POSITIVE_INFINITY,
  // One `Tag` per message.
  tags: true,
  maxTags: 1,
  metadata: true,
  maxReplyTo: Number.POSITIVE_INFINITY,
  // "Max 50" in each of To, Cc and Bcc: 50 in all keeps every split within it.
  maxRecipients: 50,
  unicodeLocalParts: false,
});

/**
 * A 200 means Postmark took the message: a refusal is a 422 with its ErrorCode, and recipients it
 * will not deliver to (inactive) are named in the 200's Message (SOURCES.md §1 K1, A-Pb). So a 200
 * whose body is lost is a send without Postmark's MessageID, never a retry.
 */
export const POSTMARK_SUCCESS: SuccessRule = { statuses: [200], unreadableBody: 'sent', source: 'Postmark answers 200 {ErrorCode: 0, MessageID} for a message it took and 422 {ErrorCode} for one it refused (SOURCES.md §1)' };

export function postmarkAdapter(options: PostmarkOptions): MailAdapter {
  if (!options?.serverToken) throw new MailError('CONFIG', 'postmark needs `serverToken` (Postmark > Servers > your server > API Tokens)', { provider: NAME });
  const { serverToken, messageStream } = options;
  const name = options.name ?? NAME;
  const baseUrl = resolveBaseUrl(NAME, { baseUrl: options.baseUrl, defaultUrl: DEFAULT_URL });
  const request = (path: string, init: { method?: string; json?: unknown; signal?: AbortSignal }) =>
    httpRequest({ provider: name, url: `${baseUrl}${path}`, headers: { 'x-postmark-server-token': serverToken }, connectTimeoutMs: options.connectTimeoutMs, fetch: options.fetch, ...init });

  const adapter: MailAdapter & { toString(): string } = {
    name,
    capabilities: POSTMARK_CAPABILITIES,
    send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
      return sendWithin(adapter, message, async (message) => {
        const response = await request('/email', { json: toPayload(message, messageStream), signal: ctx.signal });
        const recipients = allRecipients(message);
        const receipt = successReceipt(response, POSTMARK_SUCCESS, { provider: name, recipients, read: (answer) => toReceipt(answer, recipients) });
        if (receipt) return receipt;
        throw toError(response, name);
      });
    },
    // GET /server: "Get the server" with the server token (postmarkapp.com/developer/api/server-api).
    async verify(ctx: { signal?: AbortSignal } = {}): Promise<void> {
      const response = await request('/server', { method: 'GET', signal: ctx.signal });
      if (response.status !== 200) throw toError(response, name);
    },
    endpoint: httpEndpoint(baseUrl, 'server-token'),
    toString: () => `postmark(${baseUrl}${messageStream ? `, stream ${messageStream}` : ''})`,
  };
  return guardSecrets(adapter, new SecretScrubber([serverToken]));
}

/** `postmark+api://TOKEN@default` (`?message_stream=ID`; another host[:port] replaces api.postmarkapp.com; `?insecure=true`, `?name=`, `?timeout=` ms). */
export function fromDsn(dsn: ParsedDsn): MailAdapter {
  return postmarkAdapter(postmarkOptionsFromDsn(dsn));
}

function toPayload(message: NormalizedMessage, messageStream: string | undefined): Record<string, unknown> {
  const list = (field: 'to' | 'cc' | 'bcc' | 'replyTo') => (message[field].length ? formatAddressList(message[field]) : undefined);
  const headers = Object.entries(message.headers).map(([Name, Value]) => ({ Name, Value }));
  return {
    From: formatAddress(message.from),
    To: list('to'),
    Cc: list('cc'),
    Bcc: list('bcc'),
    ReplyTo: list('replyTo'),
    Subject: message.subject,
    HtmlBody: message.html,
    TextBody: message.text,
    Headers: headers.length ? headers : undefined,
    Tag: message.tags[0],
    Metadata: Object.keys(message.metadata).length ? message.metadata : undefined,
    // Postmark references an inline part as "cid:<Content-ID>" (anymail's Postmark backend).
    Attachments: message.attachments.length
      ? message.attachments.map((a) => ({ Name: a.filename, Content: a.content.toString('base64'), ContentType: a.contentType, ...(a.inline ? { ContentID: `cid:${a.cid}` } : {}) }))
      : undefined,
    MessageStream: messageStream,
  };
}

// 200 {MessageID, Message}: "Message OK, but will not deliver to these inactive addresses: a, b.
// Inactive recipients are ones that have generated a hard bounce or a spam complaint." names the
// recipients Postmark dropped (anymail's Postmark backend).
function toReceipt(response: HttpResponse, recipients: string[]): SendReceipt | undefined {
  const body = response.json as { MessageID?: unknown; ErrorCode?: unknown; Message?: unknown } | undefined;
  if (typeof body?.MessageID !== 'string' || (body.ErrorCode !== undefined && body.ErrorCode !== 0)) return undefined;
  const text = typeof body.Message === 'string' ? body.Message : '';
  const inactive = /inactive addresses:\s*(.*?)\.\s*Inactive recipients/s.exec(text)?.[1]?.split(',').map((a) => a.trim().toLowerCase()) ?? [];
  const rejected = recipients.filter((address) => inactive.includes(address.toLowerCase()));
  return {
    providerMessageId: body.MessageID,
    accepted: recipients.filter((address) => !rejected.includes(address)),
    rejected,
    ...(rejected.length ? { warnings: [`postmark did not deliver to ${rejected.join(', ')}: ${text}`] } : {}),
  };
}

function toError(response: HttpResponse, provider: string): MailError {
  // {ErrorCode, Message}: the code says which refusal it is (10 token, 300 invalid request, 400/401
  // sender signature, 406 inactive recipients...); the catalogue holds the code and remedy of each.
  const body = response.json as { ErrorCode?: unknown; Message?: unknown } | undefined;
  const detail = typeof body?.Message === 'string' ? `${body.Message} (Postmark ErrorCode ${String(body.ErrorCode)})` : response.text;
  return errorFromResponse(response, { provider, detail });
}

/** `postmark+api://SERVER_TOKEN@default` (`?message_stream=ID`); another host[:port] replaces api.postmarkapp.com. */
export function postmarkOptionsFromDsn(dsn: ParsedDsn): PostmarkOptions {
  return {
    serverToken: dsnApiKey(dsn),
    ...(dsn.options.message_stream ? { messageStream: dsn.options.message_stream } : {}),
    baseUrl: baseUrlFromDsn(dsn),
    ...dsnCommonOptions(dsn),
  };
}

export const dsn = defineDsn({ schemes: { 'postmark+api': 'postmark+api://SERVER_TOKEN@default?message_stream=outbound' }, options: postmarkOptionsFromDsn, create: postmarkAdapter });
