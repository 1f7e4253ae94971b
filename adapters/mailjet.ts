// Mailjet Send API v3.1: `POST /v3.1/send` with HTTP Basic (API key : secret key) and
// `{"Messages":[…]}` (dev.mailjet.com/email/guides/send-api-v31). One message per call, so a
// per-message error is this message's error.
import { allRecipients, httpEndpoint, sendWithin, type AdapterCapabilities, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import type { Address } from '../src/core/address.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { mailjetOptionsFromDsn } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { basicAuth, errorFromResponse, errorText, httpRequest, resolveBaseUrl, successReceipt, type HttpResponse, type SuccessRule } from '../src/kit/http.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { guardSecrets, SecretScrubber } from '../src/core/secrets.js';

export interface MailjetOptions {
  /** The API key (public part). */
  apiKey: string;
  /** The secret key. */
  secretKey: string;
  /** Default https://api.mailjet.com. Any other https origin (a proxy); http only on loopback. */
  baseUrl?: string;
  /**
   * Connect timeout: longest wait until the request is written (DNS, TCP, TLS). Default 10,000 ms.
   * The whole attempt is bounded by the chain's `timeoutMs` (README "Timeouts").
   */
  connectTimeoutMs?: number;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Name in a chain, journal and errors. Default "mailjet". */
  name?: string;
}

const DEFAULT_URL = 'https://api.mailjet.com';
const NAME = 'mailjet';

/** What Mailjet can carry (Send API v3.1 guide and limits, PROVIDERS.md §2 M1; anymail's Mailjet backend). */
export const MAILJET_CAPABILITIES: AdapterCapabilities = Object.freeze({
  attachments: true,
  inlineImages: true,
  maxAttachmentBytes: 15 * 1024 * 1024,
  // "All attachments together ≤ 15 MB".
  maxTotalAttachmentBytes: 15 * 1024 * 1024,
  customHeaders: true,
  maxCustomHeaders: Number.POSITIVE_INFINITY,
  tags: true,
  // A message has one `CustomCampaign`; anymail: Mailjet "only supports a single tag".
  maxTags: 1,
  metadata: true,
  // `ReplyTo` is one object.
  maxReplyTo: 1,
  // ≤ 50 recipients per message across To/Cc/Bcc.
  maxRecipients: 50,
  unicodeLocalParts: false,
});

interface MailjetError { ErrorCode?: string; ErrorMessage?: string; StatusCode?: number; ErrorRelatedTo?: string[] }
interface MailjetResult {
  Status?: string;
  Errors?: MailjetError[];
  To?: { Email: string; MessageID?: string; MessageUUID?: string }[];
}

/**
 * Only the body says what Mailjet did: a Status per message and an id per recipient, and a call can
 * be partly sent (Send API v3.1 guide; anymail's test_mixed_status; PROVIDERS.md §2 M1, A-Mt). So a
 * 200 whose body is lost is AMBIGUOUS, never a retry.
 */
export const MAILJET_SUCCESS: SuccessRule = { statuses: [200], unreadableBody: 'ambiguous', source: 'Mailjet Send API v3.1: per-message Status and per-recipient ids in the body, partial sends (PROVIDERS.md §2 M1, A-Mt)' };

export function mailjetAdapter(options: MailjetOptions): MailAdapter {
  if (!options?.apiKey || !options.secretKey) {
    throw new MailError('CONFIG', 'mailjet needs `apiKey` and `secretKey` (Mailjet > Account settings > API keys)', { provider: NAME });
  }
  const { apiKey, secretKey } = options;
  const name = options.name ?? NAME;
  const baseUrl = resolveBaseUrl(NAME, { baseUrl: options.baseUrl, defaultUrl: DEFAULT_URL });
  const secrets = [apiKey, secretKey];
  const request = (path: string, init: { method?: string; json?: unknown; signal?: AbortSignal }) =>
    httpRequest({ provider: name, url: `${baseUrl}${path}`, headers: { authorization: basicAuth(apiKey, secretKey) }, connectTimeoutMs: options.connectTimeoutMs, fetch: options.fetch, ...init });

  const adapter: MailAdapter & { toString(): string } = {
    name,
    capabilities: MAILJET_CAPABILITIES,
    send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
      // Capabilities checked, extra tags dropped, domains in punycode: the message as it goes out.
      return sendWithin(adapter, message, async (message) => {
        const response = await request('/v3.1/send', { json: { Messages: [toPayload(message, ctx)] }, signal: ctx.signal });
        const result = parseResult(response.text);
        const recipients = allRecipients(message);
        const receipt = successReceipt(response, MAILJET_SUCCESS, {
          provider: name,
          recipients,
          read: () => {
            if (result?.Status !== 'success') return undefined;
            const first = result.To?.[0];
            return { ...(first?.MessageID ? { providerMessageId: first.MessageID } : {}), accepted: recipients, rejected: [] };
          },
        });
        if (receipt) return receipt;
        throw toError(response, result, name);
      });
    },
    // GET /v3/REST/apikey: "API key configuration", readable by any valid key pair
    // (dev.mailjet.com/email/reference/settings/api-key-configuration).
    async verify(ctx: { signal?: AbortSignal } = {}): Promise<void> {
      const response = await request('/v3/REST/apikey', { method: 'GET', signal: ctx.signal });
      if (response.status !== 200) throw toError(response, undefined, name);
    },
    endpoint: httpEndpoint(baseUrl, 'api-key'),
    toString: () => `mailjet(${baseUrl})`,
  };
  // Basic auth sends "KEY:SECRET": the pair is scrubbed as well as each part.
  return guardSecrets(adapter, new SecretScrubber(secrets, [{ user: apiKey, pass: secretKey }]));
}

/** `mailjet+api://KEY:SECRET@default`; another host[:port] replaces api.mailjet.com (`?insecure=true`: http, loopback only). */
export function fromDsn(dsn: ParsedDsn): MailAdapter {
  return mailjetAdapter(mailjetOptionsFromDsn(dsn));
}

function contact(address: Address): { Email: string; Name?: string } {
  return address.name ? { Email: address.address, Name: address.name } : { Email: address.address };
}

function toPayload(message: NormalizedMessage, ctx: SendContext): Record<string, unknown> {
  const files = message.attachments.filter((a) => !a.inline);
  const inline = message.attachments.filter((a) => a.inline);
  const part = (a: NormalizedMessage['attachments'][number]) => ({ ContentType: a.contentType, Filename: a.filename, Base64Content: a.content.toString('base64') });
  const customId = ctx.idempotencyKey ?? message.idempotencyKey;
  return {
    From: contact(message.from),
    To: message.to.map(contact),
    ...(message.cc.length ? { Cc: message.cc.map(contact) } : {}),
    ...(message.bcc.length ? { Bcc: message.bcc.map(contact) } : {}),
    ...(message.replyTo[0] ? { ReplyTo: contact(message.replyTo[0]) } : {}),
    Subject: message.subject,
    ...(message.text !== undefined ? { TextPart: message.text } : {}),
    ...(message.html !== undefined ? { HTMLPart: message.html } : {}),
    ...(files.length ? { Attachments: files.map(part) } : {}),
    ...(inline.length ? { InlinedAttachments: inline.map((a) => ({ ...part(a), ContentID: a.cid })) } : {}),
    ...(Object.keys(message.headers).length ? { Headers: message.headers } : {}),
    // Mailjet has one campaign per message (maxTags 1: sendWithin drops the others with a warning).
    ...(message.tags[0] ? { CustomCampaign: message.tags[0] } : {}),
    // Metadata comes back in event webhooks as EventPayload (anymail's Mailjet backend does the same).
    ...(Object.keys(message.metadata).length ? { EventPayload: JSON.stringify(message.metadata) } : {}),
    ...(customId ? { CustomID: customId } : {}),
  };
}

// MessageID is an integer above 2^53 (the docs' examples: 70650219165027410), which JSON.parse
// would round; quote it before parsing so the receipt and the journal keep it exactly.
function parseResult(text: string): MailjetResult | undefined {
  try {
    const body = JSON.parse(text.replace(/("MessageID"\s*:\s*)(\d+)/g, '$1"$2"')) as { Messages?: MailjetResult[] };
    return body.Messages?.[0];
  } catch {
    return undefined;
  }
}

function toError(response: HttpResponse, result: MailjetResult | undefined, provider: string): MailError {
  const errors = result?.Errors ?? [];
  const detail = errors.length
    ? errors.map((e) => `${e.ErrorCode ?? 'error'}: ${e.ErrorMessage ?? ''}${e.ErrorRelatedTo?.length ? ` (${e.ErrorRelatedTo.join(', ')})` : ''}`).join('; ')
    : errorText(response, ['ErrorMessage', 'message']);
  // A per-message error carries its own status (send-0008, a From not authorized, is 403 inside a 400).
  const status = errors.find((e) => e.StatusCode === 401 || e.StatusCode === 403)?.StatusCode ?? response.status;
  return errorFromResponse({ ...response, status }, { provider, detail });
}
