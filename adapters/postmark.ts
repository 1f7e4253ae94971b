// Postmark Email API: `POST /email` with the `X-Postmark-Server-Token` header and a JSON body, into
// a message stream ("outbound", Postmark's default transactional stream, unless one is named).
// Sources: test/providers/SOURCES.md §1 (postmarkapp.com/developer, postmark.js, anymail).
import type { SendReceipt } from '../src/core/adapter.js';
import { formatAddress, formatAddressList } from '../src/core/address.js';
import { dsnApiKey } from '../src/core/dsn-options.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { errorFromResponse, type HttpResponse } from '../src/kit/http.js';
import { defineHttpAdapter, type HttpAdapterOptions } from '../src/kit/http-adapter.js';

export interface PostmarkOptions extends HttpAdapterOptions {
  /** A Server API token (Postmark > Servers > your server > API Tokens), not the Account token. */
  serverToken: string;
  /** The message stream's ID, e.g. "outbound" (Postmark's default) or "password-resets". Default: Postmark's default transactional stream. */
  messageStream?: string;
}

// The whole message may be 10 MB after base64 (4/3 of the bytes): about 7.5 MB of attachments.
const MAX_ATTACHMENT_BYTES = (10 * 1024 * 1024 * 3) / 4;

const postmark = defineHttpAdapter<PostmarkOptions>({
  name: 'postmark',
  defaultUrl: 'https://api.postmarkapp.com',
  required: ['serverToken'],
  ownOptions: { serverToken: true, messageStream: true },
  whereToFind: 'Postmark > Servers > your server > API Tokens',
  // What Postmark can carry (SOURCES.md §1: the email API's fields and its size limits): one `Tag`
  // of at most 1000 characters (a third-party figure, SOURCES.md open question 4);
  // "Max 50" in each of To, Cc and Bcc, so 50 in all keeps every split within it.
  capabilities: {
    attachments: true, inlineImages: true, maxAttachmentBytes: MAX_ATTACHMENT_BYTES, maxTotalAttachmentBytes: MAX_ATTACHMENT_BYTES,
    customHeaders: true, tags: true, maxTags: 1, tagLimits: { maxLength: 1000 }, metadata: true, maxReplyTo: Number.POSITIVE_INFINITY, maxRecipients: 50,
    // "TextBody and HtmlBody up to 5 MB each; the whole message, attachments included and measured
    // after base64, up to 10 MB" (postmarkapp.com/support/article/1056-what-are-the-attachment-and-email-size-limits).
    sizeLimits: { bodyPartBytes: 5 * 1024 * 1024, contentBytes: 10 * 1024 * 1024 },
    // "The subject line limit is 2000 characters", counted in UTF-16 code units as `length` counts
    // (postmarkapp.com/support/article/subject-line-and-from-address-character-limits).
    maxSubjectLength: 2000,
    // Postmark's forbidden file types: ErrorCode 411 "Forbidden attachment type" (SOURCES.md §1 K4).
    refusedAttachmentExtensions: [
      'vbs', 'exe', 'bin', 'bat', 'chm', 'com', 'cpl', 'crt', 'hlp', 'hta', 'inf', 'ins', 'isp', 'jse', 'lnk', 'mdb', 'pcd', 'pif', 'reg', 'scr',
      'sct', 'shs', 'vbe', 'vba', 'wsf', 'wsh', 'wsl', 'msc', 'msi', 'msp', 'mst',
    ],
  },
  // A 200 means Postmark took the message: a refusal is a 422 with its ErrorCode, and recipients it
  // will not deliver to (inactive) are named in the 200's Message (SOURCES.md §1 K1, A-Pb). So a 200
  // whose body is lost is a send without Postmark's MessageID, never a retry.
  success: { statuses: [200], unreadableBody: 'sent', source: 'Postmark answers 200 {ErrorCode: 0, MessageID} for a message it took and 422 {ErrorCode} for one it refused (SOURCES.md §1)' },
  headers: (options) => ({ 'x-postmark-server-token': options.serverToken }),
  secrets: (options) => [options.serverToken],
  auth: 'server-token',
  send: { path: '/email' },
  toPayload: (message, _ctx, { options }) => toPayload(message, options.messageStream),
  parseReceipt: (response, { recipients }) => toReceipt(response, recipients),
  toError: (response, { provider }) => {
    // {ErrorCode, Message}: the code says which refusal it is (10 token, 300 invalid request, 400/401
    // sender signature, 406 inactive recipients...); the catalogue holds the code and remedy of each.
    const body = response.json as { ErrorCode?: unknown; Message?: unknown } | undefined;
    const detail = typeof body?.Message === 'string' ? `${body.Message} (Postmark ErrorCode ${String(body.ErrorCode)})` : response.text;
    return errorFromResponse(response, { provider, detail });
  },
  // GET /server: "Get the server" with the server token (postmarkapp.com/developer/api/server-api).
  verify: { path: '/server' },
  describe: ({ baseUrl, options }) => `postmark(${baseUrl}${options.messageStream ? `, stream ${options.messageStream}` : ''})`,
  // `postmark+api://SERVER_TOKEN@default?message_stream=ID`; another host[:port] replaces api.postmarkapp.com.
  dsn: {
    schemes: { 'postmark+api': 'postmark+api://SERVER_TOKEN@default?message_stream=outbound' },
    options: (dsn) => ({ serverToken: dsnApiKey(dsn), ...(dsn.options.message_stream ? { messageStream: dsn.options.message_stream } : {}) }),
  },
});

export const postmarkAdapter = postmark.create;
export const fromDsn = postmark.fromDsn;
export const dsn = postmark.dsn;
export const POSTMARK_CAPABILITIES = postmark.capabilities;

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
