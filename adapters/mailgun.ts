// Mailgun Messages API: `POST /v3/{domain}/messages` as multipart/form-data with HTTP Basic
// (`api` : API key), in the US (api.mailgun.net) or EU (api.eu.mailgun.net) region, where each
// domain lives in exactly one (Mailgun's OAS; documentation.mailgun.com/docs/mailgun/api-reference).
import { allRecipients, httpEndpoint, sendWithin, type AdapterCapabilities, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import { formatAddress, formatAddressList } from '../src/core/address.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { mailgunOptionsFromDsn } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { basicAuth, errorFromResponse, errorText, httpRequest, resolveBaseUrl, successReceipt, type HttpResponse, type SuccessRule } from '../src/kit/http.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { guardSecrets, SecretScrubber } from '../src/core/secrets.js';

export interface MailgunOptions {
  /** A Mailgun API key (or a domain sending key). */
  apiKey: string;
  /** The sending domain as set up in Mailgun, e.g. "mg.example.com". */
  domain: string;
  /** Where the domain lives. Default "us". */
  region?: 'us' | 'eu';
  /** Overrides the region's URL (a proxy); http only on loopback. */
  baseUrl?: string;
  /**
   * Connect timeout: longest wait until the request is written (DNS, TCP, TLS). Default 10,000 ms.
   * The whole attempt is bounded by the chain's `timeoutMs` (README "Timeouts").
   */
  connectTimeoutMs?: number;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Name in a chain, journal and errors. Default "mailgun". */
  name?: string;
}

const REGION_URLS = { us: 'https://api.mailgun.net', eu: 'https://api.eu.mailgun.net' } as const;
const NAME = 'mailgun';

/** What Mailgun can carry (Mailgun's OAS and tagging docs, PROVIDERS.md §3 G1, G3). */
export const MAILGUN_CAPABILITIES: AdapterCapabilities = Object.freeze({
  attachments: true,
  inlineImages: true,
  // The 25 MB message size is not confirmed (open question 14); the mailer's own `limits` apply.
  maxAttachmentBytes: Number.POSITIVE_INFINITY,
  maxTotalAttachmentBytes: Number.POSITIVE_INFINITY,
  customHeaders: true,
  maxCustomHeaders: Number.POSITIVE_INFINITY,
  tags: true,
  // "Up to 3 tags" per message (tagging docs); the help center's 10 is not the API's promise.
  maxTags: 3,
  metadata: true,
  maxReplyTo: Number.POSITIVE_INFINITY,
  // The recipient-variables batch limit.
  maxRecipients: 1000,
  unicodeLocalParts: false,
});

/**
 * A 200 alone proves nothing: Mailgun also answers 200 "Mailgun Magnificent API" to a path that sent
 * nothing (anymail's Mailgun backend; PROVIDERS.md §3 A-Gb), so only the `{id, message}` body says
 * the message was queued. A 200 whose body is lost is AMBIGUOUS, never a retry.
 */
export const MAILGUN_SUCCESS: SuccessRule = { statuses: [200], unreadableBody: 'ambiguous', source: 'Mailgun answers 200 to unknown paths too; only the {id} body confirms a send (PROVIDERS.md §3 G1, A-Gb)' };

export function mailgunAdapter(options: MailgunOptions): MailAdapter {
  if (!options?.apiKey || !options.domain) throw new MailError('CONFIG', 'mailgun needs `apiKey` and `domain` (Mailgun > Sending > Domains)', { provider: NAME });
  const region = options.region ?? 'us';
  if (!(region in REGION_URLS)) throw new MailError('CONFIG', `mailgun region "${region}" is not "us" or "eu"`, { provider: NAME });
  const { apiKey, domain } = options;
  const name = options.name ?? NAME;
  const baseUrl = resolveBaseUrl(NAME, { baseUrl: options.baseUrl, defaultUrl: REGION_URLS[region] });
  const request = (path: string, init: { method?: string; form?: FormData; signal?: AbortSignal }) =>
    httpRequest({ provider: name, url: `${baseUrl}${path}`, headers: { authorization: basicAuth('api', apiKey) }, connectTimeoutMs: options.connectTimeoutMs, fetch: options.fetch, ...init });
  const context = { provider: name, apiKey };

  const adapter: MailAdapter & { toString(): string } = {
    name,
    capabilities: MAILGUN_CAPABILITIES,
    send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
      // Capabilities checked, extra tags dropped, domains in punycode: the message as it goes out.
      return sendWithin(adapter, message, async (message) => {
        const response = await request(`/v3/${encodeURIComponent(domain)}/messages`, { form: toForm(message), signal: ctx.signal });
        const recipients = allRecipients(message);
        const receipt = successReceipt(response, MAILGUN_SUCCESS, {
          provider: name,
          recipients,
          read: ({ json, text }) => {
            const id = (json as { id?: unknown } | undefined)?.id;
            if (typeof id === 'string') return { providerMessageId: id, accepted: recipients, rejected: [] };
            // Mailgun's answer to an unknown path (a malformed domain): nothing was sent.
            if (/^Mailgun Magnificent API$/.test(text.trim())) throw toError(response, context);
            return undefined;
          },
        });
        if (receipt) return receipt;
        throw toError(response, context);
      });
    },
    // GET /v4/domains/{name}: "Get domain details" (documentation.mailgun.com, get-v4-domains--name-).
    async verify(ctx: { signal?: AbortSignal } = {}): Promise<void> {
      const response = await request(`/v4/domains/${encodeURIComponent(domain)}`, { method: 'GET', signal: ctx.signal });
      if (response.status !== 200 || !(response.json as { domain?: unknown } | undefined)?.domain) throw toError(response, context);
    },
    endpoint: httpEndpoint(baseUrl, 'api-key'),
    toString: () => `mailgun(${baseUrl}, ${domain})`,
  };
  return guardSecrets(adapter, new SecretScrubber([apiKey], [{ user: 'api', pass: apiKey }]));
}

/** `mailgun+api://KEY:DOMAIN@default?region=eu`; another host[:port] replaces the region's host. */
export function fromDsn(dsn: ParsedDsn): MailAdapter {
  return mailgunAdapter(mailgunOptionsFromDsn(dsn));
}

function toForm(message: NormalizedMessage): FormData {
  const form = new FormData();
  form.append('from', formatAddress(message.from));
  // Repeating the field is the documented alternative to comma-joining, and needs no quoting rules.
  for (const field of ['to', 'cc', 'bcc'] as const) for (const address of message[field]) form.append(field, formatAddress(address));
  form.append('subject', message.subject);
  if (message.text !== undefined) form.append('text', message.text);
  if (message.html !== undefined) form.append('html', message.html);
  if (message.replyTo.length) form.append('h:Reply-To', formatAddressList(message.replyTo));
  for (const [header, value] of Object.entries(message.headers)) form.append(`h:${header}`, value);
  for (const tag of message.tags) form.append('o:tag', tag);
  for (const [key, value] of Object.entries(message.metadata)) form.append(`v:${key}`, value);
  for (const a of message.attachments) {
    // Mailgun names an inline part's Content-ID after its file name, so the file is named by its cid.
    const blob = new Blob([new Uint8Array(a.content)], { type: a.contentType });
    if (a.inline) form.append('inline', blob, a.cid!);
    else form.append('attachment', blob, a.filename);
  }
  return form;
}

function toError(response: HttpResponse, context: { provider: string }): MailError {
  const detail = errorText(response);
  const { provider } = context;
  if (response.status === 200) {
    // An unknown path (e.g. a malformed domain) answers 200 "Mailgun Magnificent API" (anymail's Mailgun backend).
    return errorFromResponse(response, { provider, detail, code: 'TRANSIENT' });
  }
  // A 404 "Domain not found" (the domain lives in the other region) and the sandbox's authorized
  // recipients are the account's problem, not the message's: the catalogue makes them AUTH.
  const error = errorFromResponse(response, { provider, detail });
  // Mailgun's 429 text says "try again after N seconds" when no Retry-After header does.
  const wait = /try again after (\d+) seconds/i.exec(detail);
  if (error.code === 'RATE_LIMITED' && error.retryAfterMs === undefined && wait) error.retryAfterMs = Number(wait[1]) * 1000;
  return error;
}
