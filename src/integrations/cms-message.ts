// Turns the nodemailer-style options that Strapi and Payload hand to their email provider into a
// mailroom MailMessage. Both CMSs pass what their callers wrote, untouched: empty strings for
// absent fields, Buffers for bodies, nodemailer address objects. Validation proper stays in
// normalizeMessage; this file only maps shapes and says clearly what it cannot carry.
import type { AddressInput } from '../core/address.js';
import { MailError } from '../core/errors.js';
import type { AttachmentInput, MailMessage } from '../core/message.js';
import { carriesCredentialLink } from './credential-links.js';
import { setOwnField } from '../core/own-field.js';

/** A nodemailer address field: a string ("Ann <ann@x.com>", or a comma list), an object, or a list. */
export type CmsAddressField = string | { address: string; name?: string } | (string | { address: string; name?: string })[];

/** A nodemailer-style attachment. Only in-memory content is taken: paths and URLs are never read. */
export interface CmsAttachment {
  filename?: string;
  content?: string | Uint8Array;
  contentType?: string;
  cid?: string;
  /** How a string `content` is encoded: any Buffer encoding ("base64", "hex", "binary"...), spelled as nodemailer accepts ("UTF-8"). */
  encoding?: string;
  /** "inline" for an attachment with a `cid`, "attachment" for one without: what mailroom sends either way. */
  contentDisposition?: 'inline' | 'attachment';
  path?: string;
  href?: string;
}

/** What Strapi's email service and Payload's `sendEmail` pass: nodemailer's message options. */
export interface CmsMailOptions {
  from?: CmsAddressField;
  to?: CmsAddressField;
  cc?: CmsAddressField;
  bcc?: CmsAddressField;
  replyTo?: CmsAddressField;
  subject?: string;
  text?: string | Uint8Array;
  html?: string | Uint8Array;
  attachments?: CmsAttachment[];
  headers?: Record<string, string | string[]>;
  /** The Message-ID this message answers: the In-Reply-To header. */
  inReplyTo?: string;
  /** The Message-IDs of the thread: the References header. */
  references?: string | string[];
  /** nodemailer's priority: "high" and "low" write X-Priority, X-MSMail-Priority and Importance, "normal" nothing. */
  priority?: 'high' | 'normal' | 'low';
  /** A mailroom template rendered for subject, html and text. */
  template?: { name: string; data?: Record<string, unknown>; locale?: string };
  tags?: string[];
  metadata?: Record<string, string>;
  idempotencyKey?: string;
  /**
   * The message carries a credential (a reset or confirmation link). Default: recognised from its
   * links, so the CMS's own password-reset and confirmation mails are sensitive (see credential-links.ts).
   */
  sensitive?: boolean;
}

/**
 * The same fields with any value: what a CMS's own wider types (nodemailer's, in Payload) allow.
 * Every value is checked at run time, so a wrong one is an INVALID_MESSAGE naming the field.
 */
export type UncheckedMailOptions = { [K in keyof CmsMailOptions]?: unknown };

/** Defaults applied where the CMS passes nothing, or an empty string. */
export interface CmsDefaults {
  from?: AddressInput;
  replyTo?: AddressInput;
}

export function toMailMessage(input: CmsMailOptions | UncheckedMailOptions, defaults: CmsDefaults = {}): MailMessage {
  if (!input || typeof input !== 'object') {
    throw new MailError('INVALID_MESSAGE', 'the email options must be an object');
  }
  if (input.attachments !== undefined && !Array.isArray(input.attachments)) {
    throw new MailError('INVALID_MESSAGE', '"attachments" must be a list', { field: 'attachments' });
  }
  if (input.headers !== undefined && (typeof input.headers !== 'object' || input.headers === null)) {
    throw new MailError('INVALID_MESSAGE', '"headers" must be an object of header names and values', { field: 'headers' });
  }
  refuseUncarried(input, MESSAGE_FIELDS, '');
  // The remaining values are checked by normalizeMessage, which names the field at fault.
  const options = input as CmsMailOptions;
  const from = present(options.from) ? options.from : defaults.from;
  const replyTo = present(options.replyTo) ? options.replyTo : defaults.replyTo;
  const message: MailMessage = {
    to: addressField(options.to) ?? [],
    ...(from !== undefined ? { from: singleAddress(from) } : {}),
    ...optional('cc', addressField(options.cc)),
    ...optional('bcc', addressField(options.bcc)),
    ...optional('replyTo', addressField(replyTo)),
    ...optional('subject', options.subject),
    ...optional('text', body(options.text)),
    ...optional('html', body(options.html)),
    ...optional('template', options.template),
    ...optional('attachments', options.attachments?.map(attachment)),
    ...optional('headers', messageHeaders(options)),
    ...optional('tags', options.tags),
    ...optional('metadata', options.metadata),
    ...optional('idempotencyKey', options.idempotencyKey),
  };
  const sensitive = typeof options.sensitive === 'boolean' ? options.sensitive : carriesCredentialLink(message);
  return sensitive ? { ...message, sensitive } : message;
}

// Strapi's users-permissions plugin sends `replyTo: ""`, and forms often send `cc: ""`.
function present(value: CmsAddressField | undefined): value is CmsAddressField {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function addressField(value: CmsAddressField | AddressInput | undefined): AddressInput | AddressInput[] | undefined {
  return present(value as CmsAddressField | undefined) ? (value as AddressInput | AddressInput[]) : undefined;
}

function singleAddress(value: CmsAddressField | AddressInput): AddressInput {
  if (Array.isArray(value)) {
    if (value.length !== 1) throw new MailError('INVALID_MESSAGE', `"from" must be exactly one address, got ${value.length}`, { field: 'from' });
    return value[0]!;
  }
  return value;
}

function body(value: string | Uint8Array | undefined): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;
}

// What nodemailer options this file carries; any other one given is refused, naming it, rather than
// dropped: a thread's headers, a Sender or an envelope lost in silence would be a different message.
const MESSAGE_FIELDS = new Set(['from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'text', 'html', 'attachments', 'headers', 'inReplyTo', 'references', 'priority', 'template', 'tags', 'metadata', 'idempotencyKey', 'sensitive']);
const ATTACHMENT_FIELDS = new Set(['filename', 'content', 'contentType', 'cid', 'encoding', 'contentDisposition', 'path', 'href']);

// An option given empty (undefined, null, "") carries nothing, so nothing is lost by leaving it out.
function refuseUncarried(input: object, carried: ReadonlySet<string>, prefix: string): void {
  for (const [key, value] of Object.entries(input)) {
    if (carried.has(key) || value === undefined || value === null || value === '') continue;
    const field = prefix ? `${prefix}.${key}` : key;
    throw new MailError('INVALID_MESSAGE', `"${field}" is a nodemailer option mailroom cannot carry; leave it out`, { field });
  }
}

function attachment(input: CmsAttachment, index: number): AttachmentInput {
  const field = `attachments[${index}]`;
  if (!input || typeof input !== 'object') throw new MailError('INVALID_MESSAGE', `${field} is not an attachment object`, { field });
  refuseUncarried(input, ATTACHMENT_FIELDS, field);
  if (input.path !== undefined || input.href !== undefined) {
    throw new MailError('INVALID_MESSAGE', `${field} gives a path or URL; pass the file content instead (mailroom never reads files or URLs for a message)`, { field });
  }
  if (input.content === undefined) {
    throw new MailError('INVALID_MESSAGE', `${field} has no content`, { field: `${field}.content` });
  }
  checkDisposition(input, field);
  const encoding = typeof input.content === 'string' && input.encoding !== undefined ? bufferEncoding(input.encoding, field) : undefined;
  // Base64 goes to the message checks as it is, which refuse text that is not base64 (Node's
  // decoder would skip it and send other bytes); the encodings they do not read are decoded here.
  const readHere = encoding !== undefined && encoding !== 'base64' && encoding !== 'utf8';
  return {
    filename: input.filename ?? `attachment-${index + 1}`,
    content: readHere ? Buffer.from(input.content as string, encoding) : input.content,
    ...(encoding === 'base64' ? { encoding: 'base64' as const } : {}),
    ...optional('contentType', input.contentType),
    ...optional('cid', input.cid),
  };
}

// nodemailer's spelling of an encoding: case, "-", "_" and spaces do not count ("UTF-8", "UCS-2").
function bufferEncoding(given: unknown, field: string): BufferEncoding {
  const encoding = typeof given === 'string' ? given.toLowerCase().replace(/[-_\s]/g, '') : '';
  if (!Buffer.isEncoding(encoding)) {
    throw new MailError('INVALID_MESSAGE', `${field}.encoding ${JSON.stringify(String(given).slice(0, 40))} is not an encoding Node knows (base64, hex, binary, utf8...)`, { field: `${field}.encoding` });
  }
  return encoding;
}

// mailroom sends an attachment with a cid inline and one without as an attachment: a disposition
// that says otherwise cannot be kept.
function checkDisposition(input: CmsAttachment, field: string): void {
  if (input.contentDisposition === undefined) return;
  const sent = input.cid ? 'inline' : 'attachment';
  if (input.contentDisposition !== sent) {
    const hint = input.cid ? 'an attachment with a cid is sent inline' : 'give it a cid to send it inline (referenced as cid:<cid> in the html)';
    throw new MailError('INVALID_MESSAGE', `${field}.contentDisposition ${JSON.stringify(String(input.contentDisposition).slice(0, 40))} cannot be carried: ${hint}`, { field: `${field}.contentDisposition` });
  }
}

// The custom headers, then the ones nodemailer writes from its options; like nodemailer, those
// replace a custom header of the same name.
function messageHeaders(options: CmsMailOptions): Record<string, string> | undefined {
  const out = options.headers ? headers(options.headers) : {};
  const written = { ...threadHeaders(options), ...priorityHeaders(options.priority) };
  for (const [name, value] of Object.entries(written)) {
    for (const existing of Object.keys(out)) if (existing.toLowerCase() === name.toLowerCase()) delete out[existing];
    out[name] = value;
  }
  return options.headers || Object.keys(written).length > 0 ? out : undefined;
}

function threadHeaders(options: CmsMailOptions): Record<string, string> {
  const { inReplyTo, references } = options;
  if (inReplyTo !== undefined && inReplyTo !== null && typeof inReplyTo !== 'string') {
    throw new MailError('INVALID_MESSAGE', '"inReplyTo" must be a Message-ID', { field: 'inReplyTo' });
  }
  const ids = references === undefined || references === null ? [] : [references].flat();
  if (ids.some((id) => typeof id !== 'string')) {
    throw new MailError('INVALID_MESSAGE', '"references" must be a Message-ID or a list of them', { field: 'references' });
  }
  // As nodemailer writes them: each id in angle brackets, References space-separated.
  const referenced = ids.flatMap((id) => id.trim().split(/\s+/)).filter(Boolean).map(messageIdInBrackets);
  return {
    ...(inReplyTo?.trim() ? { 'In-Reply-To': messageIdInBrackets(inReplyTo.trim()) } : {}),
    ...(referenced.length > 0 ? { References: referenced.join(' ') } : {}),
  };
}

function messageIdInBrackets(id: string): string {
  return `${id.startsWith('<') ? '' : '<'}${id}${id.endsWith('>') ? '' : '>'}`;
}

// The headers nodemailer writes for each priority; "normal" is every message's, so none.
const PRIORITY_HEADERS: Record<string, Record<string, string>> = {
  high: { 'X-Priority': '1 (Highest)', 'X-MSMail-Priority': 'High', Importance: 'High' },
  normal: {},
  low: { 'X-Priority': '5 (Lowest)', 'X-MSMail-Priority': 'Low', Importance: 'Low' },
};

function priorityHeaders(priority: unknown): Record<string, string> {
  if (priority === undefined || priority === null || priority === '') return {};
  const level = typeof priority === 'string' ? priority.toLowerCase() : '';
  if (!Object.hasOwn(PRIORITY_HEADERS, level)) throw new MailError('INVALID_MESSAGE', '"priority" must be high, normal or low', { field: 'priority' });
  return PRIORITY_HEADERS[level]!;
}

// nodemailer allows a header to repeat (an array of values); mailroom keeps one value per name.
// A header named "__proto__" reaches the message checks, which refuse it (setOwnField).
function headers(input: Record<string, string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(input)) {
    if (Array.isArray(value) && value.length !== 1) {
      throw new MailError('INVALID_MESSAGE', `header "${name}" has ${value.length} values; mailroom sends one value per header`, { field: `headers.${name}` });
    }
    setOwnField(out, name, Array.isArray(value) ? value[0]! : value);
  }
  return out;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

// Tags that only HTML has: "a < b" or "<3" in plain text never match.
const HTML_TAG = /<\/?(p|br|div|span|a|b|i|u|em|strong|table|tr|td|th|ul|ol|li|h[1-6]|html|body|head|img|hr|blockquote|pre|center|font)\b[^>]*>/i;

/**
 * Gives an html-only message its text part, derived from the html as a template's is (spam filters
 * and text-only clients want one; Payload's and Strapi's reset mails have none), and moves html a
 * CMS passed as `text` to where it belongs: Strapi's users-permissions sends its html email
 * templates as both `text` and `html`, which would show raw tags to a text-only reader.
 */
export async function withTextPart(message: MailMessage): Promise<MailMessage> {
  if (message.template) return message; // a template renders its own text part
  let { html, text } = message;
  if (text !== undefined && HTML_TAG.test(text)) {
    html ??= text;
    text = undefined;
  }
  if (html === undefined || text !== undefined) return html === message.html && text === message.text ? message : { ...message, html, text };
  const [{ convert }, { HTML_TO_TEXT_OPTIONS, tidyText }] = await Promise.all([import('html-to-text'), import('../templates/template-text.js')]);
  const { text: _dropped, ...rest } = message;
  const derived = tidyText(convert(html, HTML_TO_TEXT_OPTIONS));
  return { ...rest, html, ...(derived.trim() ? { text: derived } : {}) };
}
