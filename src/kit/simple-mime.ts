// The MIME of a message without attachments, written in one pass: byte for byte what nodemailer's
// composer writes (test/simple-mime.test.ts pins it on arbitrary messages), without its per-message
// machinery: a node tree, an address parser run on addresses the mailer has already parsed, and a
// pipeline of streams for a few hundred bytes. That machinery was a quarter of the CPU of an SMTP
// send (README "Performance"). The encodings are nodemailer's own functions (RFC 2047 words,
// quoted-printable, base64, folding); this file only lays out what they produce. Anything outside
// the common case (attachments, a header nodemailer treats specially, an address that needs
// quoting or SMTPUTF8) answers undefined and goes through the composer as before.
import { createRequire } from 'node:module';
import type { Address } from '../core/address.js';
import { headersWithTags, type NormalizedMessage } from '../core/message.js';
import { randomHex } from '../core/random-pool.js';

type MimeFuncs = typeof import('nodemailer/lib/mime-funcs');
type EncoderClass = new (options: object) => import('node:stream').Transform;
interface Encoders { mime: MimeFuncs; qp: EncoderClass; base64: EncoderClass }

// Loaded on the first message built, like the composer in mime.ts.
let encoders: Encoders | undefined;
function load(): Encoders {
  if (!encoders) {
    const require = createRequire(import.meta.url);
    encoders = { mime: require('nodemailer/lib/mime-funcs'), qp: require('nodemailer/lib/qp').Encoder, base64: require('nodemailer/lib/base64').Encoder };
  }
  return encoders;
}

// An address nodemailer writes as given: a dot-atom local part in ASCII and a lower-case ASCII
// domain whose labels are not IDNA A-labels (those nodemailer re-checks through domainToASCII).
const LABEL = '(?!..--)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const PLAIN = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*@${LABEL}(?:\\.${LABEL})*$`);

// Custom header names nodemailer gives a meaning of its own (address lists, ids, dates, the MIME
// structure) or sets itself: such a message takes the composer's path.
const OWN_HEADERS = new Set([
  'From', 'Sender', 'To', 'Cc', 'Bcc', 'Reply-To', 'In-Reply-To', 'References', 'Subject', 'Message-ID', 'Date',
  'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding', 'Content-Disposition', 'Content-ID', 'OTP-Token', 'Content-features',
]);

// nodemailer's header name casing (MimeNode._normalizeHeaderKey): "x-mailroom-tags" -> "X-Mailroom-Tags".
function headerName(key: string): string {
  return key
    .replace(/[\s\x00-\x20\x7f:]/g, '')
    .toLowerCase()
    .replace(/^X-SMTPAPI$|^(MIME|DKIM|ARC|BIMI)\b|^OTP(?=-Token$)|^[a-z]|-(SPF|FBL|ID|MD5)$|-[a-z]/gi, (c) => c.toUpperCase())
    .replace(/^Content-Features$/i, 'Content-features');
}

// Q when Latin letters outnumber control and non-ASCII characters, else B (MimeNode._getTextEncoding).
function textEncoding(value: string): 'Q' | 'B' {
  let other = 0;
  let latin = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x08 || code === 0x0b || code === 0x0c || (code >= 0x0e && code <= 0x1f) || code >= 0x80) other++;
    else if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) latin++;
  }
  return other < latin ? 'Q' : 'B';
}

// An unstructured header's text: encoded words where needed (MimeNode._encodeHeaderText).
function headerText(mime: MimeFuncs, value: string): string {
  const text = value.replace(/\r?\n|\r/g, ' ');
  return /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)
    ? mime.encodeWord(text, textEncoding(text), 52)
    : mime.encodeWords(text, textEncoding(text), 52, true);
}

function addressList(mime: MimeFuncs, addresses: Address[]): string {
  return addresses
    .map((a) => {
      if (!a.name) return a.address;
      const name = /^[\w ]*$/.test(a.name) ? a.name : /^[\x20-\x7e]*$/.test(a.name) ? mime.quoteString(a.name) : mime.encodeWord(a.name, textEncoding(a.name), 52);
      return `${name} <${a.address}>`;
    })
    .join(', ');
}

interface Part { contentType: string; content: string }

// A text part's Content-Transfer-Encoding and body (MimeNode.getTransferEncoding and stream).
function encodedBody(e: Encoders, content: string): { encoding: string; body: string } {
  if (e.mime.isPlainText(content) && !e.mime.hasLongerLines(content, 76)) return { encoding: '7bit', body: content };
  return textEncoding(content) === 'Q'
    ? { encoding: 'quoted-printable', body: encodeWith(new e.qp({ binary: false }), content) }
    : { encoding: 'base64', body: encodeWith(new e.base64({}), content) };
}

// nodemailer's encoder stream run on the whole body in one call of each of its two steps, as its
// composer feeds it (one chunk), collecting what it pushes: the same bytes without the stream
// plumbing. Its soft line breaks depend on how it holds back trailing blanks, which the plain
// encode-and-wrap functions do not reproduce.
function encodeWith(encoder: import('node:stream').Transform, content: string): string {
  const out: string[] = [];
  const step = encoder as unknown as { push(chunk: Buffer | string | null): boolean; _transform(chunk: Buffer, encoding: string, done: () => void): void; _flush(done: () => void): void };
  step.push = (chunk) => {
    if (chunk !== null) out.push(typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    return true;
  };
  const done = () => {};
  step._transform(Buffer.from(content), 'buffer', done);
  step._flush(done);
  return out.join('');
}

const fold = (mime: MimeFuncs, name: string, value: string) => mime.foldLines(`${name}: ${value}`, 76);

/**
 * The message as nodemailer's composer writes it (Bcc left out), or undefined when the message
 * needs the composer: attachments, an empty body, a custom header nodemailer treats specially, an
 * address that is not a plain ASCII dot-atom at a lower-case ASCII domain.
 */
export function simpleMime(message: NormalizedMessage): string | undefined {
  if (message.attachments.length > 0) return undefined;
  const parts: Part[] = [];
  if (message.text !== undefined) parts.push({ contentType: 'text/plain; charset=utf-8', content: message.text });
  if (message.html !== undefined) parts.push({ contentType: 'text/html; charset=utf-8', content: message.html });
  if (parts.length === 0 || parts.some((part) => part.content === '')) return undefined;
  const { from, to, cc, bcc, replyTo } = message;
  if (!PLAIN.test(from.address) || ![to, cc, bcc, replyTo].every((list) => list.every((a) => PLAIN.test(a.address)))) return undefined;

  const e = load();
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const [key, value] of Object.entries(headersWithTags(message))) {
    const name = headerName(key);
    const text = headerText(e.mime, value);
    if (OWN_HEADERS.has(name) || seen.has(name) || !text.trim()) return undefined;
    seen.add(name);
    lines.push(fold(e.mime, name, text));
  }
  lines.push(fold(e.mime, 'From', addressList(e.mime, [from])));
  if (to.length > 0) lines.push(fold(e.mime, 'To', addressList(e.mime, to)));
  if (cc.length > 0) lines.push(fold(e.mime, 'Cc', addressList(e.mime, cc)));
  if (replyTo.length > 0) lines.push(fold(e.mime, 'Reply-To', addressList(e.mime, replyTo)));
  const subject = headerText(e.mime, message.subject);
  if (subject.trim()) lines.push(fold(e.mime, 'Subject', subject));
  lines.push(fold(e.mime, 'Message-ID', message.messageId));
  lines.push(`Date: ${message.date.toUTCString().replace(/GMT/, '+0000')}`);

  if (parts.length === 1) {
    const { encoding, body } = encodedBody(e, parts[0]!.content);
    lines.push(`Content-Transfer-Encoding: ${encoding}`, 'MIME-Version: 1.0', `Content-Type: ${parts[0]!.contentType}`);
    return withLastNewline(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }
  // nodemailer's boundary shape, random from the pool instead of a crypto call per message.
  const boundary = `--_NmP-${randomHex(8)}-Part_1`;
  lines.push('MIME-Version: 1.0', fold(e.mime, 'Content-Type', `multipart/alternative; boundary="${boundary}"`));
  let out = `${lines.join('\r\n')}\r\n\r\n`;
  parts.forEach((part, index) => {
    const { encoding, body } = encodedBody(e, part.content);
    out += `${index > 0 ? '\r\n' : ''}--${boundary}\r\nContent-Type: ${part.contentType}\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${body}`;
  });
  return `${out}\r\n--${boundary}--\r\n`;
}

// nodemailer's last stage ends the message with a line break when it lacks one.
function withLastNewline(text: string): string {
  return text.endsWith('\n') ? text : text.endsWith('\r') ? `${text}\n` : `${text}\r\n`;
}

/**
 * The SMTP envelope nodemailer derives from the headers: the sender, then To, Cc and Bcc once each.
 * As address objects with a name, which nodemailer takes as they are (a string goes through its
 * address parser).
 */
export function simpleEnvelope(message: NormalizedMessage): { from: EnvelopeAddress; to: EnvelopeAddress[] } {
  const to = new Set<string>();
  for (const list of [message.to, message.cc, message.bcc]) for (const a of list) to.add(a.address);
  return { from: { address: message.from.address, name: '' }, to: [...to].map((address) => ({ address, name: '' })) };
}

export interface EnvelopeAddress {
  address: string;
  name: '';
}
