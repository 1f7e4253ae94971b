// Resend Email API: `POST /emails` with `Authorization: Bearer <key>`, a JSON body and an
// `Idempotency-Key` header, so a retry after a lost answer is answered with the first email's id
// instead of a second email. Sources: test/providers/SOURCES.md §3 (resend/resend-openapi,
// resend.com/docs, resend/resend-node).
import { createHash } from 'node:crypto';
import { formatAddress } from '../src/core/address.js';
import { dsnApiKey } from '../src/core/dsn-options.js';
import { headersWithTags, type NormalizedMessage } from '../src/core/message.js';
import { errorFromResponse } from '../src/kit/http.js';
import { defineHttpAdapter, type HttpAdapterOptions } from '../src/kit/http-adapter.js';

export interface ResendOptions extends HttpAdapterOptions {
  /** An API key (Resend > API Keys); "Sending access" is enough. */
  apiKey: string;
}

// Resend keeps a key for 24 hours and takes 1 to 256 characters (resend.com/docs/dashboard/emails/idempotency-keys).
const MAX_KEY = 256;
// 40 MB after base64 (4/3 of the bytes), about 30 MB of attachments: the limit a third-party
// source names; Resend's own is not confirmed (SOURCES.md, Not confirmed 11).
const MAX_ATTACHMENT_BYTES = (40 * 1024 * 1024 * 3) / 4;

// "You can send any file attachment types except for those in the following list"
// (resend.com/docs/knowledge-base/what-attachment-types-are-not-supported).
const RESEND_UNSUPPORTED_ATTACHMENTS = [
  'adp', 'app', 'asp', 'bas', 'bat', 'cer', 'chm', 'cmd', 'com', 'cpl', 'crt', 'csh', 'der', 'exe', 'fxp', 'gadget', 'hlp', 'hta', 'inf',
  'ins', 'isp', 'its', 'js', 'jse', 'ksh', 'lib', 'lnk', 'mad', 'maf', 'mag', 'mam', 'maq', 'mar', 'mas', 'mat', 'mau', 'mav', 'maw', 'mda',
  'mdb', 'mde', 'mdt', 'mdw', 'mdz', 'msc', 'msh', 'msh1', 'msh2', 'mshxml', 'msh1xml', 'msh2xml', 'msi', 'msp', 'mst', 'ops', 'pcd', 'pif',
  'plg', 'prf', 'prg', 'reg', 'scf', 'scr', 'sct', 'shb', 'shs', 'sys', 'ps1', 'ps1xml', 'ps2', 'ps2xml', 'psc1', 'psc2', 'tmp', 'url', 'vb',
  'vbe', 'vbs', 'vps', 'vsmacros', 'vss', 'vst', 'vsw', 'vxd', 'ws', 'wsc', 'wsf', 'wsh', 'xnk',
];

const resend = defineHttpAdapter<ResendOptions>({
  name: 'resend',
  defaultUrl: 'https://api.resend.com',
  required: ['apiKey'],
  ownOptions: { apiKey: true },
  whereToFind: 'Resend > API Keys',
  // What Resend can carry (SOURCES.md §3: the OpenAPI `/emails` body). Its own tags allow only ASCII
  // letters, digits, "_" and "-": tags and metadata travel as X-Mailroom-Tags / X-Mailroom-Metadata
  // headers instead, like anymail's X-Tags / X-Metadata. `to` takes at most 50 addresses; cc and bcc
  // have no documented limit, so 50 in all; `to` is required.
  capabilities: {
    attachments: true, inlineImages: true, maxAttachmentBytes: MAX_ATTACHMENT_BYTES, maxTotalAttachmentBytes: MAX_ATTACHMENT_BYTES,
    customHeaders: true, tags: true, metadata: true, maxReplyTo: Number.POSITIVE_INFINITY, maxRecipients: 50, requiresTo: true,
    // "Resend silently drops messages with attachments whose filename extensions are inconsistent
    // with their content types" (anymail's Resend docs, SOURCES.md §3 A-Rd): a 200 with an id, and
    // no email. Such a message skips Resend as UNSUPPORTED instead of vanishing.
    attachmentTypeMatchesName: true,
    refusedAttachmentExtensions: RESEND_UNSUPPORTED_ATTACHMENTS,
  },
  // 200 {id}: Resend took the email; a refusal is a 4xx {statusCode, name, message} (OpenAPI `/emails`,
  // resend.com/docs/api-reference/errors). A 200 whose body is lost is a send without its id.
  success: { statuses: [200], unreadableBody: 'sent', source: 'Resend answers 200 {id} for an email it took and a 4xx {name, message} for one it refused (SOURCES.md §3)' },
  headers: (options) => ({ authorization: `Bearer ${options.apiKey}` }),
  // The caller's idempotency key, else the message's own Message-ID: the chain's retries of one
  // message then reach Resend as one email.
  requestHeaders: (message, ctx) => ({ 'idempotency-key': idempotencyKey(ctx.idempotencyKey ?? message.idempotencyKey ?? message.messageId) }),
  secrets: (options) => [options.apiKey],
  auth: 'bearer',
  send: { path: '/emails' },
  toPayload,
  parseReceipt: ({ json }, { recipients }) => {
    const id = (json as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' ? { providerMessageId: id, accepted: recipients, rejected: [] } : undefined;
  },
  toError: (response, { provider }) => {
    // {statusCode, name, message}: the name says which refusal it is (the catalogue knows them).
    const body = response.json as { name?: unknown; message?: unknown } | undefined;
    const detail = typeof body?.message === 'string' ? `${String(body.name)}: ${body.message}` : response.text;
    return errorFromResponse(response, { provider, detail, resetHeaders: ['ratelimit-reset'] });
  },
  // GET /domains needs a full-access key; a sending-only key gets 401 restricted_api_key, which
  // still proves the key exists and may send (resend.com/docs/api-reference/errors).
  verify: {
    path: '/domains',
    ok: ({ status, json }) => status === 200 || (status === 401 && (json as { name?: unknown } | undefined)?.name === 'restricted_api_key'),
  },
  // `resend+api://KEY@default`; another host[:port] replaces api.resend.com.
  dsn: { schemes: { 'resend+api': 'resend+api://KEY@default' }, options: (dsn) => ({ apiKey: dsnApiKey(dsn) }) },
});

export const resendAdapter = resend.create;
export const fromDsn = resend.fromDsn;
export const dsn = resend.dsn;
export const RESEND_CAPABILITIES = resend.capabilities;

// A key over 256 characters goes as its SHA-256.
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
