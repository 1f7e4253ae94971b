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
  /** "base64" or "hex" when `content` is an encoded string, as nodemailer accepts. */
  encoding?: string;
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
    ...optional('headers', options.headers ? headers(options.headers) : undefined),
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

function attachment(input: CmsAttachment, index: number): AttachmentInput {
  const field = `attachments[${index}]`;
  if (!input || typeof input !== 'object') throw new MailError('INVALID_MESSAGE', `${field} is not an attachment object`, { field });
  if (input.path !== undefined || input.href !== undefined) {
    throw new MailError('INVALID_MESSAGE', `${field} gives a path or URL; pass the file content instead (mailroom never reads files or URLs for a message)`, { field });
  }
  if (input.content === undefined) {
    throw new MailError('INVALID_MESSAGE', `${field} has no content`, { field: `${field}.content` });
  }
  const content = typeof input.content === 'string' && (input.encoding === 'base64' || input.encoding === 'hex')
    ? Buffer.from(input.content, input.encoding)
    : input.content;
  return {
    filename: input.filename ?? `attachment-${index + 1}`,
    content,
    ...optional('contentType', input.contentType),
    ...optional('cid', input.cid),
  };
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
