// SparkPost Transmissions API: `POST /api/v1/transmissions` with the API key as the whole
// `Authorization` header (no "Bearer") and a JSON body, on api.sparkpost.com or, for an account
// of SparkPost EU, api.eu.sparkpost.com (the two are separate accounts with separate keys).
// Sources: test/providers/SOURCES.md §4 (SparkPost/developers.sparkpost.com API Blueprint).
import type { SendReceipt } from '../src/core/adapter.js';
import { formatAddressList, type Address } from '../src/core/address.js';
import { dsnApiKey, dsnChoice } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { errorFromResponse, type HttpResponse } from '../src/kit/http.js';
import { defineHttpAdapter, type HttpAdapterOptions } from '../src/kit/http-adapter.js';

export interface SparkpostOptions extends HttpAdapterOptions {
  /** An API key with the "Transmissions: Read/Write" permission (SparkPost > Configuration > API Keys). */
  apiKey: string;
  /** "eu" for a SparkPost EU account (api.eu.sparkpost.com). Default "us". */
  region?: 'us' | 'eu';
}

const REGION_URLS = { us: 'https://api.sparkpost.com', eu: 'https://api.eu.sparkpost.com' } as const;
const NAME = 'sparkpost';
// Text + html + attachments + inline images, in base64 (4/3 of the bytes), at most 20 MB.
const MAX_ATTACHMENT_BYTES = (20 * 1024 * 1024 * 3) / 4;

const sparkpost = defineHttpAdapter<SparkpostOptions>({
  name: NAME,
  defaultUrl: ({ region = 'us' }) => {
    if (!(region in REGION_URLS)) throw new MailError('CONFIG', `sparkpost region "${region}" is not "us" or "eu"`, { provider: NAME });
    return REGION_URLS[region];
  },
  required: ['apiKey'],
  ownOptions: { apiKey: true, region: true },
  whereToFind: 'SparkPost > Configuration > API Keys',
  // What SparkPost can carry (SOURCES.md §4: the transmission's fields and limits): the tag is the
  // transmission's one `campaign_id` (anymail's SparkPost backend does the same), at most 64 bytes;
  // no recipient limit.
  capabilities: {
    attachments: true, inlineImages: true, maxAttachmentBytes: MAX_ATTACHMENT_BYTES, maxTotalAttachmentBytes: MAX_ATTACHMENT_BYTES,
    customHeaders: true, tags: true, maxTags: 1, tagLimits: { maxBytes: 64 }, metadata: true, maxReplyTo: Number.POSITIVE_INFINITY, maxRecipients: Number.POSITIVE_INFINITY,
    // developers.sparkpost.com/api/transmissions: attachment and inline image `name` "Maximum
    // length - 255 bytes"; `metadata` "Maximum length - 10KB"; "The transmission content (text +
    // html + attachments + inline images) is limited to 20 MBs" (the attachments in base64).
    sizeLimits: { attachmentNameBytes: 255, metadataJsonBytes: 10 * 1024, contentBytes: 20 * 1024 * 1024 },
  },
  // A 200 alone does not prove a send: SparkPost answers 200 with `total_accepted_recipients: 0`
  // when it refused every recipient (the Blueprint's own example), so only the body says who was
  // taken. A 200 whose body is lost is AMBIGUOUS, never a retry.
  success: { statuses: [200], unreadableBody: 'ambiguous', source: 'SparkPost answers 200 even when it rejected every recipient; only results.total_accepted_recipients says (SOURCES.md §4 S2)' },
  headers: (options) => ({ authorization: options.apiKey }),
  secrets: (options) => [options.apiKey],
  send: { path: '/api/v1/transmissions' },
  toPayload,
  parseReceipt: (response, { recipients, provider }) => toReceipt(response, recipients, provider),
  toError: (response, { provider }) => {
    // {errors: [{message, description?, code}]}: the code and texts name the refusal (the catalogue knows them).
    const list = (response.json as { errors?: { message?: unknown; description?: unknown; code?: unknown }[] } | undefined)?.errors;
    const detail = Array.isArray(list)
      ? list.map((e) => [e.message, e.description].filter((part) => typeof part === 'string').join(': ') + (e.code !== undefined ? ` (SparkPost code ${String(e.code)})` : '')).join('; ')
      : response.text;
    return errorFromResponse(response, { provider, detail });
  },
  // "Retrieve a Scheduled Transmission" of an id that does not exist: 404 (code 1600) proves the
  // key and its Transmissions permission without sending; a bad key gets 401, a weak one 403.
  verify: { path: '/api/v1/transmissions/mailroom-verify', ok: ({ status }) => status === 200 || status === 404 },
  // `sparkpost+api://KEY@default?region=eu`; another host[:port] replaces the region's host.
  dsn: {
    schemes: { 'sparkpost+api': 'sparkpost+api://KEY@default?region=eu' },
    options: (dsn) => {
      const region = dsnChoice(dsn, 'region', ['us', 'eu'] as const);
      return { apiKey: dsnApiKey(dsn), ...(region ? { region } : {}) };
    },
  },
});

export const sparkpostAdapter = sparkpost.create;
export const fromDsn = sparkpost.fromDsn;
export const dsn = sparkpost.dsn;
export const SPARKPOST_CAPABILITIES = sparkpost.capabilities;

function toPayload(message: NormalizedMessage): Record<string, unknown> {
  // Every recipient is one entry; header_to shows the To list to all of them, and a Cc header names
  // the cc ones, so cc and bcc get the same message (support.sparkpost.com, "CC and BCC with the REST API").
  // header_to is "Email address to display in the To header": with no To list there is none to
  // show, and an empty one is not an address. Left out, SparkPost writes each copy's To as its own
  // recipient (recipient-lists.apib, "Constructing Headers using the Address Attributes"): nobody
  // sees a bcc address, and the cc ones are still named in the Cc header.
  const headerTo = message.to.length ? formatAddressList(message.to) : undefined;
  const recipient = (address: Address) => ({ address: { email: address.address, ...(address.name ? { name: address.name } : {}), ...(headerTo ? { header_to: headerTo } : {}) } });
  const headers: Record<string, string> = Object.fromEntries(Object.entries({ ...message.headers, ...(message.cc.length ? { Cc: formatAddressList(message.cc) } : {}) }).map(([name, value]) => [name, literal(value)]));
  const files = (inline: boolean) => message.attachments.filter((a) => a.inline === inline)
    // An inline image's name is its Content-ID (`<img src="cid:NAME">`).
    .map((a) => ({ name: inline ? a.cid! : a.filename, type: a.contentType, data: a.content.toString('base64') }));
  const attachments = files(false);
  const inlineImages = files(true);
  return {
    recipients: [...message.to, ...message.cc, ...message.bcc].map(recipient),
    // The content is already rendered: SparkPost's template language must not run over the bodies.
    options: { perform_substitutions: false },
    content: {
      from: message.from.name ? { email: message.from.address, name: literal(message.from.name) } : { email: message.from.address },
      subject: literal(message.subject),
      ...(message.text !== undefined ? { text: message.text } : {}),
      ...(message.html !== undefined ? { html: message.html } : {}),
      ...(message.replyTo.length ? { reply_to: literal(formatAddressList(message.replyTo)) } : {}),
      ...(Object.keys(headers).length ? { headers } : {}),
      ...(attachments.length ? { attachments } : {}),
      ...(inlineImages.length ? { inline_images: inlineImages } : {}),
    },
    ...(message.tags[0] ? { campaign_id: message.tags[0] } : {}),
    ...(Object.keys(message.metadata).length ? { metadata: message.metadata } : {}),
  };
}

// SparkPost runs its template language over from, subject, reply_to and headers even with
// perform_substitutions off (which covers text and html only): "{{ name }}" in a subject would come
// out empty. Its documented way to write braces is a macro per run ("Braces Macros",
// developers.sparkpost.com/api/template-language): "{{" is written {{opening_double_curly()}}.
const BRACE_MACROS: Record<string, string[]> = {
  '{': ['opening_single_curly', 'opening_double_curly', 'opening_triple_curly'],
  '}': ['closing_single_curly', 'closing_double_curly', 'closing_triple_curly'],
};

function literal(text: string): string {
  return text.replace(/\{\{+|\}\}+/g, (run) => {
    const macros = BRACE_MACROS[run[0]!]!;
    let out = '';
    for (let left = run.length; left > 0; left -= Math.min(left, 3)) out += `{{${macros[Math.min(left, 3) - 1]}()}}`;
    return out;
  });
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
