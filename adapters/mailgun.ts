// Mailgun Messages API: `POST /v3/{domain}/messages` as multipart/form-data with HTTP Basic
// (`api` : API key), in the US (api.mailgun.net) or EU (api.eu.mailgun.net) region, where each
// domain lives in exactly one (Mailgun's OAS; documentation.mailgun.com/docs/mailgun/api-reference).
import { formatAddress, formatAddressList } from '../src/core/address.js';
import { dsnApiKey, dsnChoice, requireDsnPart } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { basicAuth, errorFromResponse, errorText, type HttpResponse } from '../src/kit/http.js';
import { defineHttpAdapter, type HttpAdapterOptions } from '../src/kit/http-adapter.js';
import type { NormalizedMessage } from '../src/core/message.js';

export interface MailgunOptions extends HttpAdapterOptions {
  /** A Mailgun API key (or a domain sending key). */
  apiKey: string;
  /** The sending domain as set up in Mailgun, e.g. "mg.example.com". */
  domain: string;
  /** Where the domain lives. Default "us". */
  region?: 'us' | 'eu';
}

const REGION_URLS = { us: 'https://api.mailgun.net', eu: 'https://api.eu.mailgun.net' } as const;
const NAME = 'mailgun';

const mailgun = defineHttpAdapter<MailgunOptions>({
  name: NAME,
  defaultUrl: ({ region = 'us' }) => {
    if (!(region in REGION_URLS)) throw new MailError('CONFIG', `mailgun region "${region}" is not "us" or "eu"`, { provider: NAME });
    return REGION_URLS[region];
  },
  required: ['apiKey', 'domain'],
  ownOptions: { apiKey: true, domain: true, region: true },
  whereToFind: 'Mailgun > Sending > Domains',
  // What Mailgun can carry (Mailgun's OAS and tagging docs, PROVIDERS.md §3 G1, G3): the 25 MB
  // message size is not confirmed (open question 14), so the mailer's own `limits` apply; "up to 3
  // tags" per message (the help center's 10 is not the API's promise), ASCII only, at most 128
  // characters each; 1000 recipients, the
  // recipient-variables batch limit; `to` is required (OAS `required`).
  capabilities: {
    attachments: true, inlineImages: true, customHeaders: true, tags: true, maxTags: 3, tagLimits: { maxLength: 128, asciiOnly: true }, metadata: true, maxReplyTo: Number.POSITIVE_INFINITY, maxRecipients: 1000, requiresTo: true,
    // Headers and Reply-To (h:), tags (o:tag) and metadata (v:) are send options: "Send options
    // (parameters starting with o:, h:, v:, or t:) are limited to 16KB total" (Mailgun's OAS,
    // PROVIDERS.md §3 G1; https://documentation.mailgun.com/docs/mailgun/api-reference/send/mailgun/messages/post-v3--domain-name--messages).
    sizeLimits: { formOptionBytes: 16 * 1024 },
  },
  // A 200 alone proves nothing: Mailgun also answers 200 "Mailgun Magnificent API" to a path that
  // sent nothing (anymail's Mailgun backend), so only the `{id, message}` body says the message was
  // queued. A 200 whose body is lost is AMBIGUOUS, never a retry.
  success: { statuses: [200], unreadableBody: 'ambiguous', source: 'Mailgun answers 200 to unknown paths too; only the {id} body confirms a send (PROVIDERS.md §3 G1, A-Gb)' },
  headers: (options) => ({ authorization: basicAuth('api', options.apiKey) }),
  secrets: (options) => [options.apiKey],
  logins: (options) => [{ user: 'api', pass: options.apiKey }],
  send: { path: (options) => `/v3/${encodeURIComponent(options.domain)}/messages` },
  toPayload: toForm,
  parseReceipt: (response, { recipients, provider }) => {
    const id = (response.json as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string') return { providerMessageId: id, accepted: recipients, rejected: [] };
    // Mailgun's answer to an unknown path (a malformed domain): nothing was sent.
    if (/^Mailgun Magnificent API$/.test(response.text.trim())) throw toError(response, provider);
    return undefined;
  },
  toError: (response, { provider }) => toError(response, provider),
  // GET /v4/domains/{name}: "Get domain details" (documentation.mailgun.com, get-v4-domains--name-).
  verify: {
    path: (options) => `/v4/domains/${encodeURIComponent(options.domain)}`,
    ok: (response) => response.status === 200 && Boolean((response.json as { domain?: unknown } | undefined)?.domain),
  },
  describe: ({ baseUrl, options }) => `mailgun(${baseUrl}, ${options.domain})`,
  // `mailgun+api://KEY:DOMAIN@default?region=eu`; another host[:port] replaces the region's host.
  dsn: {
    schemes: { 'mailgun+api': 'mailgun+api://KEY:mg.example.com@default?region=eu' },
    passwordIsPublic: true,
    options: (dsn) => ({
      apiKey: dsnApiKey(dsn),
      domain: requireDsnPart(dsn, dsn.password, 'the sending domain'),
      region: dsnChoice(dsn, 'region', ['us', 'eu'] as const) ?? 'us',
    }),
  },
});

export const mailgunAdapter = mailgun.create;
export const fromDsn = mailgun.fromDsn;
export const dsn = mailgun.dsn;
export const MAILGUN_CAPABILITIES = mailgun.capabilities;

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

function toError(response: HttpResponse, provider: string): MailError {
  const detail = errorText(response);
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
