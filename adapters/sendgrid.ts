// Twilio SendGrid v3 Mail Send: `POST /v3/mail/send` with `Authorization: Bearer <key>` and a JSON
// body, on api.sendgrid.com or, for EU regional subusers, api.eu.sendgrid.com (data residency).
// Sources: test/providers/SOURCES.md §2 (SendGrid's OAS in sendgrid/sendgrid-oai, twilio.com docs).
import type { Address } from '../src/core/address.js';
import { dsnApiKey, dsnChoice } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { encodedHeaderValue } from '../src/kit/mime.js';
import { errorFromResponse, type HttpResponse } from '../src/kit/http.js';
import { defineHttpAdapter, type HttpAdapterOptions } from '../src/kit/http-adapter.js';

export interface SendgridOptions extends HttpAdapterOptions {
  /** An API key with the Mail Send permission (SendGrid > Settings > API Keys). */
  apiKey: string;
  /** "eu" sends through api.eu.sendgrid.com, for an EU regional subuser's key. Default "global". */
  region?: 'global' | 'eu';
}

const REGION_URLS = { global: 'https://api.sendgrid.com', eu: 'https://api.eu.sendgrid.com' } as const;
const NAME = 'sendgrid';
// The whole request is at most 30 MB, attachments in base64 (4/3 of the bytes): about 22.5 MB.
const MAX_ATTACHMENT_BYTES = (30 * 1024 * 1024 * 3) / 4;

const sendgrid = defineHttpAdapter<SendgridOptions>({
  name: NAME,
  defaultUrl: ({ region = 'global' }) => {
    if (!(region in REGION_URLS)) throw new MailError('CONFIG', `sendgrid region "${region}" is not "global" or "eu"`, { provider: NAME });
    return REGION_URLS[region];
  },
  required: ['apiKey'],
  ownOptions: { apiKey: true, region: true },
  whereToFind: 'SendGrid > Settings > API Keys, with Mail Send',
  // What SendGrid can carry (SOURCES.md §2: the OAS `POST_mail-send` and the Mail Send limits): tags
  // are `categories` (at most 10 per request, 255 characters each), `reply_to_list` takes up to 1000 addresses, and a
  // request at most 1000 recipients (to + cc + bcc); each personalization requires `to`.
  capabilities: {
    attachments: true, inlineImages: true, maxAttachmentBytes: MAX_ATTACHMENT_BYTES, maxTotalAttachmentBytes: MAX_ATTACHMENT_BYTES,
    customHeaders: true, tags: true, maxTags: 10, tagLimits: { maxLength: 255 }, metadata: true, maxReplyTo: 1000, maxRecipients: 1000, requiresTo: true, requiresSubject: true,
    // Metadata is custom_args: "The combined total size of these custom arguments may not exceed
    // 10,000 bytes" (twilio.com/docs/sendgrid/api-reference/mail-send/mail-send, and its errors page).
    // The whole email "must be less than 30MB … calculated from the entire JSON payload" (SOURCES.md §2
    // G8): text, html and attachments in base64 together, else a 413 that would stop the chain.
    sizeLimits: { metadataJsonBytes: 10_000, contentBytes: 30 * 1024 * 1024 },
    // headers "Must not be any of the following reserved headers" (OAS `POST_mail-send`, SOURCES.md §2 G1): a 400.
    refusedHeaders: ['x-sg-id', 'x-sg-eid', 'received', 'dkim-signature', 'Content-Type', 'Content-Transfer-Encoding', 'To', 'From', 'Subject', 'Reply-To', 'CC', 'BCC'],
  },
  // 202 Accepted, empty body, the id in X-Message-Id: the request was valid and queued for every
  // recipient; a refusal is a 4xx (SOURCES.md §2 G1, G4). A 202 whose body is unreadable is still a send.
  success: { statuses: [202], unreadableBody: 'sent', source: 'SendGrid answers 202 with an empty body for a request it queued, 4xx for one it refused (OAS POST_mail-send; SOURCES.md §2)' },
  headers: (options) => ({ authorization: `Bearer ${options.apiKey}` }),
  secrets: (options) => [options.apiKey],
  auth: 'bearer',
  send: { path: '/v3/mail/send' },
  toPayload,
  // The documented answer is an empty body; the id travels in a header.
  parseReceipt: ({ text, headers }, { recipients }) => (text === '' ? { providerMessageId: headers.get('x-message-id') ?? undefined, accepted: recipients, rejected: [] } : undefined),
  toError: (response, { provider }) => {
    // {errors: [{message, field}]}: every message, with the field it names (the catalogue knows them).
    const list = (response.json as { errors?: { message?: unknown; field?: unknown }[] } | undefined)?.errors;
    const detail = Array.isArray(list)
      ? list.map((e) => `${String(e.message)}${typeof e.field === 'string' ? ` (${e.field})` : ''}`).join('; ')
      : response.text;
    // X-RateLimit-Reset is a Unix time (twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits).
    return errorFromResponse(response, { provider, detail, resetHeaders: ['x-ratelimit-reset'] });
  },
  // GET /v3/scopes lists what the key may do (twilio.com/docs/sendgrid/api-reference/api-key-permissions);
  // a key without mail.send can authenticate and still never send.
  verify: { path: '/v3/scopes', ok: (response, { provider }) => response.status === 200 && hasMailSend(response, provider) },
  // `sendgrid+api://KEY@default?region=eu`; another host[:port] replaces the region's host.
  dsn: {
    schemes: { 'sendgrid+api': 'sendgrid+api://KEY@default?region=eu' },
    options: (dsn) => {
      const region = dsnChoice(dsn, 'region', ['global', 'eu'] as const);
      return { apiKey: dsnApiKey(dsn), ...(region ? { region } : {}) };
    },
  },
});

export const sendgridAdapter = sendgrid.create;
export const fromDsn = sendgrid.fromDsn;
export const dsn = sendgrid.dsn;
export const SENDGRID_CAPABILITIES = sendgrid.capabilities;

function hasMailSend(response: HttpResponse, provider: string): true {
  const scopes = (response.json as { scopes?: unknown } | undefined)?.scopes;
  if (Array.isArray(scopes) && scopes.includes('mail.send')) return true;
  throw errorFromResponse({ ...response, status: 403 }, { provider, detail: 'the API key lacks the mail.send scope (Mail Send permission)', code: 'AUTH' });
}

function email(address: Address): { email: string; name?: string } {
  return address.name ? { email: address.address, name: address.name } : { email: address.address };
}

// SendGrid refuses a personalization that names an address twice across to, cc and bcc, compared
// without case (SOURCES.md §2 G2): each address is kept where it first appears, in to, cc, bcc
// order, so it still gets the message once. The receipt lists every recipient as given.
function onceEach(message: NormalizedMessage): { to: Address[]; cc: Address[]; bcc: Address[] } {
  const seen = new Set<string>();
  const firstTime = (address: Address) => {
    const key = address.address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  const to = message.to.filter(firstTime);
  const cc = message.cc.filter(firstTime);
  const bcc = message.bcc.filter(firstTime);
  return { to, cc, bcc };
}

function toPayload(message: NormalizedMessage): Record<string, unknown> {
  // One personalization: one message to everyone, like every other adapter.
  const { to, cc, bcc } = onceEach(message);
  const personalization = {
    to: to.map(email),
    ...(cc.length ? { cc: cc.map(email) } : {}),
    ...(bcc.length ? { bcc: bcc.map(email) } : {}),
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
    // SendGrid writes header values as given: "You must ensure these are properly encoded if they
    // contain unicode characters" (OAS `POST_mail-send`, headers).
    ...(Object.keys(message.headers).length ? { headers: Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, encodedHeaderValue(value)])) } : {}),
    ...(message.tags.length ? { categories: [...new Set(message.tags)] } : {}),
    // custom_args come back in every Event Webhook post for this message.
    ...(Object.keys(message.metadata).length ? { custom_args: message.metadata } : {}),
  };
}
