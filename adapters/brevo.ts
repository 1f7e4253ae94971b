// Brevo (formerly Sendinblue) transactional email, API v3: `POST /v3/smtp/email` with the
// `api-key` header and a JSON `sendSmtpEmail` body (Brevo's OAS, operation sendTransacEmail).
import { allRecipients, httpEndpoint, sendWithin, type AdapterCapabilities, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import type { Address } from '../src/core/address.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { brevoOptionsFromDsn } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { errorFromResponse, errorText, httpRequest, resolveBaseUrl, successReceipt, type HttpResponse, type SuccessRule } from '../src/kit/http.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { guardSecrets, SecretScrubber } from '../src/core/secrets.js';

export interface BrevoOptions {
  /** A v3 API key (Brevo > SMTP & API > API keys), not an SMTP key. */
  apiKey: string;
  /** Default https://api.brevo.com. Any other https origin (a proxy); http only on loopback. */
  baseUrl?: string;
  /**
   * Connect timeout: longest wait until the request is written (DNS, TCP, TLS). Default 10,000 ms.
   * The whole attempt is bounded by the chain's `timeoutMs` (README "Timeouts").
   */
  connectTimeoutMs?: number;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Name in a chain, journal and errors. Default "brevo". */
  name?: string;
}

const DEFAULT_URL = 'https://api.brevo.com';
const NAME = 'brevo';
// Brevo's 429 carries its own reset header, in seconds (developers.brevo.com/docs/limit-headers).
const RESET_HEADERS = ['x-sib-ratelimit-reset'];

/** What Brevo can carry (Brevo's OAS `sendSmtpEmail`, PROVIDERS.md §1; anymail's Brevo backend). */
export const BREVO_CAPABILITIES: AdapterCapabilities = Object.freeze({
  attachments: true,
  // Its attachments have no Content-ID (anymail: "does not support inline images").
  inlineImages: false,
  // No documented size limit (PROVIDERS.md, open question 5); the mailer's own `limits` apply.
  maxAttachmentBytes: Number.POSITIVE_INFINITY,
  maxTotalAttachmentBytes: Number.POSITIVE_INFINITY,
  customHeaders: true,
  maxCustomHeaders: Number.POSITIVE_INFINITY,
  tags: true,
  maxTags: Number.POSITIVE_INFINITY,
  metadata: true,
  // `replyTo` is one object in the spec.
  maxReplyTo: 1,
  // `messageVersions` allows 99 recipients per version, taken as the bound for one message.
  maxRecipients: 99,
  // Not documented, so not declared (a Unicode local part is refused before any request).
  unicodeLocalParts: false,
});

/**
 * 201 (202 when scheduled) means Brevo took the message for every recipient: an invalid recipient
 * or sender is a 400 before anything is sent (Brevo's OAS, sendTransacEmail responses; PROVIDERS.md
 * §1 B1). So a success whose body is lost is a send with an unknown messageId, never a retry.
 */
export const BREVO_SUCCESS: SuccessRule = { statuses: [201, 202], unreadableBody: 'sent', source: 'Brevo OAS sendTransacEmail: 201 "Email sent" for the whole request, errors are 4xx (PROVIDERS.md §1 B1)' };

export function brevoAdapter(options: BrevoOptions): MailAdapter {
  if (!options?.apiKey) throw new MailError('CONFIG', 'brevo needs `apiKey` (a v3 API key from Brevo > SMTP & API)', { provider: NAME });
  const { apiKey } = options;
  const name = options.name ?? NAME;
  const baseUrl = resolveBaseUrl(NAME, { baseUrl: options.baseUrl, defaultUrl: DEFAULT_URL });
  const request = (path: string, init: { method?: string; json?: unknown; signal?: AbortSignal }) =>
    httpRequest({ provider: name, url: `${baseUrl}${path}`, headers: { 'api-key': apiKey }, connectTimeoutMs: options.connectTimeoutMs, fetch: options.fetch, ...init });

  const adapter: MailAdapter & { toString(): string } = {
    name,
    capabilities: BREVO_CAPABILITIES,
    send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
      // Capabilities checked, extra tags dropped, domains in punycode: the message as it goes out.
      return sendWithin(adapter, message, async (message) => {
        const response = await request('/v3/smtp/email', { json: toPayload(message, ctx), signal: ctx.signal });
        const recipients = allRecipients(message);
        const receipt = successReceipt(response, BREVO_SUCCESS, {
          provider: name,
          recipients,
          read: ({ json }) => {
            const messageId = (json as { messageId?: unknown } | undefined)?.messageId;
            return typeof messageId === 'string' ? { providerMessageId: messageId, accepted: recipients, rejected: [] } : undefined;
          },
        });
        if (receipt) return receipt;
        throw toError(response, name);
      });
    },
    // GET /v3/account: "Get account details" (https://developers.brevo.com/reference/get-account).
    async verify(ctx: { signal?: AbortSignal } = {}): Promise<void> {
      const response = await request('/v3/account', { method: 'GET', signal: ctx.signal });
      if (response.status !== 200) throw toError(response, name);
    },
    endpoint: httpEndpoint(baseUrl, 'api-key'),
    toString: () => `brevo(${baseUrl})`,
  };
  return guardSecrets(adapter, new SecretScrubber([apiKey]));
}

/** `brevo+api://KEY@default`; another host[:port] replaces api.brevo.com (`?insecure=true`: http, loopback only; `?name=`, `?timeout=` ms). */
export function fromDsn(dsn: ParsedDsn): MailAdapter {
  return brevoAdapter(brevoOptionsFromDsn(dsn));
}

function contact(address: Address): { email: string; name?: string } {
  return address.name ? { email: address.address, name: address.name } : { email: address.address };
}

function toPayload(message: NormalizedMessage, ctx: SendContext): Record<string, unknown> {
  const headers: Record<string, string> = { ...message.headers };
  // Metadata travels as JSON in X-Mailin-custom and comes back in webhooks (anymail's Brevo backend).
  if (Object.keys(message.metadata).length > 0) headers['X-Mailin-custom'] = JSON.stringify(message.metadata);
  // Brevo's headers object accepts `idempotencyKey` (sendSmtpEmail.headers in the spec).
  const idempotencyKey = ctx.idempotencyKey ?? message.idempotencyKey;
  if (idempotencyKey) headers.idempotencyKey = idempotencyKey;
  return {
    sender: contact(message.from),
    to: message.to.map(contact),
    ...(message.cc.length ? { cc: message.cc.map(contact) } : {}),
    ...(message.bcc.length ? { bcc: message.bcc.map(contact) } : {}),
    ...(message.replyTo[0] ? { replyTo: contact(message.replyTo[0]) } : {}),
    subject: message.subject,
    ...(message.html !== undefined ? { htmlContent: message.html } : {}),
    ...(message.text !== undefined ? { textContent: message.text } : {}),
    ...(message.attachments.length ? { attachment: message.attachments.map((a) => ({ name: a.filename, content: a.content.toString('base64') })) } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(message.tags.length ? { tags: message.tags } : {}),
  };
}

function toError(response: HttpResponse, provider: string): MailError {
  // The code and remedy of Brevo's answers (a wrong key, no credits, a sender not validated) are in the catalogue.
  return errorFromResponse(response, { provider, detail: errorText(response), resetHeaders: RESET_HEADERS });
}
