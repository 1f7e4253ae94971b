// Turns what a caller passes (MailMessage) into the one validated shape every adapter receives
// (NormalizedMessage). Everything that can be refused before any I/O is refused here, with the
// field named, so an adapter never sees a header injection or an empty body.
import { randomBase64url } from './random-pool.js';
import { asciiDomain, parseAddress, parseAddressList, type Address, type AddressInput, ENCODED_WORD } from './address.js';
import { MailError } from './errors.js';

export interface AttachmentInput {
  filename: string;
  /** File content; a string is taken as UTF-8 text (see `encoding`). Paths and URLs are never read. */
  content: string | Uint8Array;
  /** How a string `content` is encoded. Default "utf8". */
  encoding?: 'utf8' | 'base64';
  contentType?: string;
  /** Content-ID for an inline image, referenced in the html as `cid:<cid>`. */
  cid?: string;
}

/** What callers pass to `mailer.send`. */
export interface MailMessage {
  from?: AddressInput;
  to: AddressInput | AddressInput[];
  cc?: AddressInput | AddressInput[];
  bcc?: AddressInput | AddressInput[];
  replyTo?: AddressInput | AddressInput[];
  subject?: string;
  text?: string;
  html?: string;
  /** Render a template instead of (or to fill in) subject, html and text. */
  template?: { name: string; data?: Record<string, unknown>; locale?: string };
  attachments?: AttachmentInput[];
  headers?: Record<string, string>;
  tags?: string[];
  metadata?: Record<string, string>;
  /** A key such as `order-1042-confirmation`: a second send with a key already sent sends nothing. */
  idempotencyKey?: string;
  /**
   * The message carries a credential (a password-reset, sign-in or confirmation link): the journal
   * keeps its summary and attempts but never its content, and it cannot be resent. Default false.
   */
  sensitive?: boolean;
}

export interface NormalizedAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
  /** Set for inline images. */
  cid?: string;
  inline: boolean;
}

/** The validated message every adapter receives. */
export interface NormalizedMessage {
  from: Address;
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo: Address[];
  subject: string;
  html?: string;
  text?: string;
  attachments: NormalizedAttachment[];
  /** Custom headers only; the standard ones come from the fields above. */
  headers: Record<string, string>;
  tags: string[];
  metadata: Record<string, string>;
  /** Our own RFC 5322 Message-ID, with angle brackets: `<id@sender-domain>`. */
  messageId: string;
  idempotencyKey?: string;
  /** The template this message was rendered from, for the journal. */
  template?: { name: string; locale?: string };
  /** See MailMessage.sensitive. */
  sensitive?: boolean;
  date: Date;
}

/** Limits checked before any I/O. */
export interface MessageLimits {
  /** Most recipients (to + cc + bcc) in one message. Default 100. */
  maxRecipients?: number;
  /** Most bytes of subject, bodies and attachments together. Default 25 MiB. */
  maxBytes?: number;
}

export interface NormalizeOptions {
  defaultFrom?: AddressInput;
  limits?: MessageLimits;
  /** Message-ID to keep (a resend of a pending entry keeps the original one). */
  messageId?: string;
  now?: Date;
}

const DEFAULT_LIMITS: Required<MessageLimits> = { maxRecipients: 100, maxBytes: 25 * 1024 * 1024 };
const HEADER_NAME = /^[!-9;-~]+$/; // RFC 5322 ftext: printable ASCII but ":"
const LINE_BREAK = /[\r\n]/;
// Headers the message fields own; setting them through `headers` would bypass validation.
const RESERVED_HEADERS = new Set([
  'from', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'message-id', 'date', 'sender',
  'content-type', 'content-transfer-encoding', 'mime-version',
]);

// mailroom's own headers, written from these message fields (headersWithTags).
const TAG_HEADERS: ReadonlyMap<string, 'tags' | 'metadata'> = new Map([['x-mailroom-tags', 'tags'], ['x-mailroom-metadata', 'metadata']]);

/** Throws INVALID_MESSAGE when what a caller passed as a message is not an object at all (undefined, a string, an array). */
export function checkMessageObject(input: unknown): asserts input is MailMessage {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    const got = input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input;
    throw new MailError('INVALID_MESSAGE', `send() takes a message object such as { to, subject, text } or { to, template: { name, data } }, got ${got}`, { field: 'message' });
  }
}

export function normalizeMessage(input: MailMessage, options: NormalizeOptions = {}): NormalizedMessage {
  checkMessageObject(input);
  const limits = messageLimits(options.limits);
  const fromInput = input.from ?? options.defaultFrom;
  if (fromInput === undefined || fromInput === '') {
    throw new MailError('INVALID_MESSAGE', '"from" is missing: set it on the message or as the mailer\'s `from` option', { field: 'from' });
  }
  const from = parseAddress(fromInput, 'from');
  const to = parseAddressList(input.to, 'to');
  const cc = parseAddressList(input.cc, 'cc');
  const bcc = parseAddressList(input.bcc, 'bcc');
  const replyTo = parseAddressList(input.replyTo, 'replyTo');
  const recipients = to.length + cc.length + bcc.length;
  if (recipients === 0) {
    throw new MailError('INVALID_MESSAGE', 'the message has no recipient: set "to", "cc" or "bcc"', { field: 'to' });
  }
  if (recipients > limits.maxRecipients) {
    throw new MailError('INVALID_MESSAGE', `the message has ${recipients} recipients, more than the limit of ${limits.maxRecipients}`, { field: 'to' });
  }

  const givenSubject = input.subject ?? '';
  checkString(givenSubject, 'subject');
  const subject = trimBlanks(givenSubject);
  if (LINE_BREAK.test(subject)) throw injection('subject');
  refuseEncodedWord(subject, 'subject', '"subject"');
  const html = withLfBreaks(optionalString(input.html, 'html'));
  const text = withLfBreaks(optionalString(input.text, 'text'));
  if (!html && !text) {
    throw new MailError('INVALID_MESSAGE', 'the message has no body: set "text", "html" or a template', { field: 'text' });
  }

  const headers = checkHeaders(input.headers);
  const tags = checkTags(input.tags);
  const metadata = checkMetadata(input.metadata);
  const attachments = listField(input.attachments, 'attachments').map(checkAttachment);
  const bytes = Buffer.byteLength(subject) + Buffer.byteLength(html ?? '') + Buffer.byteLength(text ?? '')
    + attachments.reduce((sum, a) => sum + a.content.length, 0);
  if (bytes > limits.maxBytes) {
    throw new MailError('INVALID_MESSAGE', `the message is ${bytes} bytes, more than the limit of ${limits.maxBytes}`, { field: 'attachments' });
  }
  if (input.idempotencyKey !== undefined) {
    checkString(input.idempotencyKey, 'idempotencyKey');
    if (!input.idempotencyKey || LINE_BREAK.test(input.idempotencyKey) || input.idempotencyKey.length > 200) {
      throw new MailError('INVALID_MESSAGE', '"idempotencyKey" must be 1 to 200 characters on one line', { field: 'idempotencyKey' });
    }
  }
  if (input.sensitive !== undefined && typeof input.sensitive !== 'boolean') {
    throw new MailError('INVALID_MESSAGE', '"sensitive" must be true or false', { field: 'sensitive' });
  }
  const template = input.template ? { name: input.template.name, ...(input.template.locale ? { locale: input.template.locale } : {}) } : undefined;

  return {
    from, to, cc, bcc, replyTo, subject,
    ...(html ? { html } : {}),
    ...(text ? { text } : {}),
    attachments, headers, tags, metadata,
    messageId: options.messageId ?? createMessageId(from.address),
    ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    ...(template ? { template } : {}),
    ...(input.sensitive ? { sensitive: true } : {}),
    date: options.now ?? new Date(),
  };
}

/**
 * The limits in force: each one given, else its default. Field by field, because a spread would let
 * `{ maxRecipients: undefined }` (an unset environment variable) or NaN replace the default, and
 * every comparison with it is false: no limit at all. A value that is not a whole number of at
 * least 1 is a CONFIG error (createMailer checks it at setup).
 */
export function messageLimits(limits: MessageLimits | undefined): Required<MessageLimits> {
  return {
    maxRecipients: limitValue(limits, 'maxRecipients'),
    maxBytes: limitValue(limits, 'maxBytes'),
  };
}

function limitValue(limits: MessageLimits | undefined, name: keyof MessageLimits): number {
  const value: unknown = limits?.[name] ?? DEFAULT_LIMITS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new MailError('CONFIG', `the mailer option limits.${name} is ${typeof value === 'number' ? value : JSON.stringify(value)}: give a whole number of at least 1, or leave it out for the default (${DEFAULT_LIMITS[name]})`);
  }
  return value;
}

/**
 * The custom headers plus tags and metadata as `X-Mailroom-Tags` / `X-Mailroom-Metadata`, for the
 * carriers that have no field of their own for them (MIME, Graph, SMTP2GO), so they read the same everywhere.
 */
export function headersWithTags(message: NormalizedMessage): Record<string, string> {
  const headers: Record<string, string> = { ...message.headers };
  if (message.tags.length > 0) headers['X-Mailroom-Tags'] = message.tags.join(', ');
  if (Object.keys(message.metadata).length > 0) headers['X-Mailroom-Metadata'] = JSON.stringify(message.metadata);
  return headers;
}

/** `<random@domain>` with the sender's domain, as RFC 5322 section 3.6.4 recommends. */
export function createMessageId(fromAddress: string): string {
  const domain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1);
  return `<${Date.now().toString(36)}.${randomBase64url(9)}@${asciiDomain(domain) || 'mailroom.invalid'}>`;
}

// Spaces and tabs around a header's text do not survive the trip: written raw (ASCII), readers drop
// them when they read the field (RFC 5322 unfolding leaves them outside the value). They are taken
// off here, so every adapter sends, and the journal keeps, what the recipient will see. Other
// characters (a no-break space, a control character) are encoded on the way and arrive intact.
// A loop, not /^[ \t]+|[ \t]+$/: that pattern backtracks quadratically on a long run of blanks.
function trimBlanks(value: string): string {
  const blank = (index: number) => value.charCodeAt(index) === 32 || value.charCodeAt(index) === 9;
  let start = 0;
  let end = value.length;
  while (start < end && blank(start)) start++;
  while (end > start && blank(end - 1)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

// Written as is in a header (the subject, a custom header, the tags' header), a literal encoded word
// is decoded by the receiver into other text (header values and tags found by fuzzing).
function refuseEncodedWord(value: string, field: string, what: string): void {
  if (ENCODED_WORD.test(value)) {
    throw new MailError('INVALID_MESSAGE', `${what} contains an RFC 2047 encoded word ("=?charset?...?="): give it as plain text, mailroom encodes what needs it`, { field });
  }
}

// An own key "__proto__" is lost by the first plain object it is copied into (`out[key] = value`
// sets the prototype, or does nothing, instead of a field): refused rather than dropped on the way
// (found by fuzzing).
const PROTO = '__proto__';
function reservedName(what: string, field: string): MailError {
  return new MailError('INVALID_MESSAGE', `${what} cannot be used: JavaScript objects would drop it on the way`, { field });
}

function checkHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(recordField(headers, 'headers'))) {
    const field = `headers.${name}`;
    if (!HEADER_NAME.test(name)) throw new MailError('INVALID_MESSAGE', `header name ${JSON.stringify(name)} is not valid (printable ASCII, no ":" or space)`, { field });
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new MailError('INVALID_MESSAGE', `header "${name}" is set from the message fields, not through "headers"`, { field });
    }
    // Written from `tags` / `metadata` beside the custom headers: given here too, the message went out
    // with two X-Mailroom-Tags headers, or with this one silently replaced.
    const own = TAG_HEADERS.get(name.toLowerCase());
    if (own) throw new MailError('INVALID_MESSAGE', `header "${name}" is written from the message's "${own}", not through "headers"`, { field, remedy: `Give the value as the message's ${own} (${own === 'tags' ? "tags: ['order']" : "metadata: { orderId: '1042' }"}); mailroom writes the header from it.` });
    if (name === PROTO) throw reservedName(`header name "${PROTO}"`, field);
    checkString(value, field);
    if (LINE_BREAK.test(value)) throw injection(field);
    refuseEncodedWord(value, field, `header "${name}"`);
    // Transports drop a header without a value (nodemailer does): refused rather than lost.
    if (!value.trim()) throw new MailError('INVALID_MESSAGE', `header "${name}" has an empty value`, { field });
    out[name] = trimBlanks(value);
  }
  return out;
}

function checkTags(tags: string[] | undefined): string[] {
  return listField(tags, 'tags').map((tag, index) => {
    checkString(tag, `tags[${index}]`);
    if (LINE_BREAK.test(tag)) throw injection(`tags[${index}]`);
    if (!tag.trim()) throw new MailError('INVALID_MESSAGE', `tags[${index}] is empty`, { field: `tags[${index}]` });
    // The SMTP adapters carry tags in one comma-separated header: a comma would split the tag in two.
    if (tag.includes(',')) throw new MailError('INVALID_MESSAGE', `tags[${index}] ${JSON.stringify(tag.slice(0, 100))} contains a comma`, { field: `tags[${index}]` });
    // Providers and headers trim a tag: one with spaces around it would arrive as another tag.
    if (tag !== tag.trim()) throw new MailError('INVALID_MESSAGE', `tags[${index}] ${JSON.stringify(tag.slice(0, 100))} has spaces around it`, { field: `tags[${index}]` });
    // Tags travel in one header at SMTP (X-Mailroom-Tags).
    refuseEncodedWord(tag, `tags[${index}]`, `tags[${index}] ${JSON.stringify(tag.slice(0, 100))}`);
    return tag;
  });
}

function checkMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(recordField(metadata, 'metadata'))) {
    const field = `metadata.${key}`;
    checkString(value, field);
    if (LINE_BREAK.test(key) || LINE_BREAK.test(value)) throw injection(field);
    checkString(key, field);
    // Providers name a metadata field after its key (Mailgun's "v:<key>"): an empty key is none.
    if (!key.trim()) throw new MailError('INVALID_MESSAGE', 'a metadata key is empty', { field });
    if (key === PROTO) throw reservedName(`metadata key "${PROTO}"`, field);
    out[key] = value;
  }
  return out;
}

function checkAttachment(attachment: AttachmentInput, index: number): NormalizedAttachment {
  const field = `attachments[${index}]`;
  if (!attachment || typeof attachment !== 'object') throw new MailError('INVALID_MESSAGE', `${field} is not an attachment object`, { field });
  checkString(attachment.filename, `${field}.filename`);
  if (!attachment.filename || LINE_BREAK.test(attachment.filename)) {
    throw new MailError('INVALID_MESSAGE', `${field}.filename must be a non-empty name on one line`, { field: `${field}.filename` });
  }
  const { content } = attachment;
  if (typeof content !== 'string' && !(content instanceof Uint8Array)) {
    throw new MailError('INVALID_MESSAGE', `${field}.content must be a string or bytes (paths and URLs are never read)`, { field: `${field}.content` });
  }
  for (const key of ['contentType', 'cid'] as const) {
    const value = attachment[key];
    if (value !== undefined) {
      checkString(value, `${field}.${key}`);
      if (LINE_BREAK.test(value)) throw injection(`${field}.${key}`);
    }
  }
  // A MIME type is two RFC 2045 tokens: anything else would be mangled, or replaced by a provider's
  // default, on the way (found by fuzzing: a type with spaces or non-ASCII arrived as another one).
  if (attachment.contentType !== undefined && !MIME_TYPE.test(attachment.contentType)) {
    throw new MailError('INVALID_MESSAGE', `${field}.contentType ${JSON.stringify(attachment.contentType.slice(0, 100))} is not a MIME type such as "application/pdf"`, { field: `${field}.contentType` });
  }
  return {
    filename: attachment.filename,
    content: typeof content === 'string' ? stringContent(content, attachment.encoding, field) : Buffer.from(content.buffer, content.byteOffset, content.byteLength),
    contentType: attachment.contentType?.toLowerCase() ?? contentTypeFromName(attachment.filename),
    ...(attachment.cid ? { cid: attachment.cid } : {}),
    inline: Boolean(attachment.cid),
  };
}

const ENCODINGS: ReadonlySet<unknown> = new Set(['utf8', 'base64']);
// Standard or URL-safe base64, with or without padding; line breaks and spaces are left out first.
// Buffer.from(text, 'base64') skips whatever is not base64 without a word, so a data: URL, a file
// path or text marked base64 by mistake would go out as other bytes.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

// A string attachment's bytes, read as its `encoding` says (UTF-8 when none is given).
function stringContent(content: string, encoding: unknown, field: string): Buffer {
  if (encoding !== undefined && !ENCODINGS.has(encoding)) {
    throw new MailError('INVALID_MESSAGE', `${field}.encoding ${JSON.stringify(String(encoding).slice(0, 40))} is not one mailroom reads: use "utf8" (the default) or "base64"`, { field: `${field}.encoding` });
  }
  if (encoding !== 'base64') return Buffer.from(content, 'utf8');
  const digits = content.replace(/\s+/g, '');
  if (!BASE64.test(digits) || digits.length % 4 === 1) {
    throw new MailError('INVALID_MESSAGE', `${field}.content is marked base64 but is not base64 text: give the base64 digits alone (without a "data:...;base64," prefix), or the bytes`, { field: `${field}.content` });
  }
  return Buffer.from(digits, 'base64');
}

const MIME_TOKEN = "[A-Za-z0-9!#$&^_.+-]+";
const MIME_TYPE = new RegExp(`^${MIME_TOKEN}/${MIME_TOKEN}$`);

const CONTENT_TYPES: Record<string, string> = {
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif',
  svg: 'image/svg+xml', webp: 'image/webp', txt: 'text/plain', csv: 'text/csv', html: 'text/html',
  ics: 'text/calendar', json: 'application/json', zip: 'application/zip', xml: 'application/xml',
};

/** The MIME type a file name implies by its extension (application/octet-stream when unknown). */
export function contentTypeFromName(filename: string): string {
  const extension = filename.slice(filename.lastIndexOf('.') + 1).toLowerCase();
  // Own entries only: "x.constructor" must not find Object's constructor (found by fuzzing).
  return Object.hasOwn(CONTENT_TYPES, extension) ? CONTENT_TYPES[extension]! : 'application/octet-stream';
}

// A body's line breaks as LF. The wire form is CRLF, which MIME (nodemailer) and the providers make
// from LF; a lone CR, which RFC 5322 does not allow in a body, is read as a break by some readers and
// not by others (mailparser reads "\r\r\n" as one break; found by fuzzing), so it is made the
// break it stands for. Every adapter then sends, and the journal keeps, the same lines.
function withLfBreaks(body: string | undefined): string | undefined {
  return body !== undefined && body.includes('\r') ? body.replace(/\r\n?/g, '\n') : body;
}

// A list given as something else ("promo" for ["promo"], one attachment for a list of them) would
// be read character by character, or throw a TypeError that names no field.
function listField<T>(value: T[] | undefined, field: string): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new MailError('INVALID_MESSAGE', `"${field}" must be a list (an array), got ${kindOf(value)}`, { field });
  return value;
}

// Headers and metadata are name -> text: a string or an array would be read as numbered fields.
function recordField(value: Record<string, string> | undefined, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new MailError('INVALID_MESSAGE', `"${field}" must be an object of name -> text, got ${kindOf(value)}`, { field });
  }
  return value;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  checkString(value, field);
  return value as string;
}

function checkString(value: unknown, field: string): void {
  if (typeof value !== 'string') {
    throw new MailError('INVALID_MESSAGE', `"${field}" must be a string, got ${value === null ? 'null' : typeof value}`, { field });
  }
  // A lone surrogate has no UTF-8 form: it would arrive as U+FFFD (found by fuzzing).
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) {
    throw new MailError('INVALID_MESSAGE', `"${field}" is not valid Unicode text (it has an unpaired surrogate, e.g. half of an emoji cut off)`, { field });
  }
}

function injection(field: string): MailError {
  return new MailError('INVALID_MESSAGE', `"${field}" contains a line break (header injection is refused)`, { field });
}
