// Parses and validates e-mail addresses: display names with quotes and commas, groups, objects and
// internationalized domains. nodemailer's addressparser does the RFC 5322 tokenizing; this file
// decides what is acceptable and says which field is wrong when it is not.
import { domainToASCII } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';
import { MailError } from './errors.js';
import type { NormalizedMessage } from './message.js';

/** Anything callers may pass where an address is expected. "Ann <ann@example.com>" is accepted. */
export type AddressInput = string | { address: string; name?: string };

/** A validated mailbox. `address` keeps the domain as given (Unicode allowed); see `toAsciiAddress`. */
export interface Address {
  address: string;
  name?: string;
}

// RFC 5322 atext plus dots; a quoted local part is accepted separately. Non-ASCII is allowed for
// SMTPUTF8 (RFC 6531) mailboxes.
const LOCAL_ATOM = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
// RFC 5321's quoted string (an envelope cannot carry a tab or a control character in one, which
// RFC 5322's allows), plus UTF-8 (RFC 6531), but without "<" and ">": servers that take the path
// between the first "<" and ">" answer 501 (smtp-server does), and they are the usual lever of an
// address that parsers read differently. Both found by fuzzing.
const LOCAL_QUOTED = /^"([\x20\x21\x23-\x3b\x3d\x3f-\x5b\x5d-\x7e\u0080-\u{10ffff}]|\\[\x20-\x3b\x3d\x3f-\x7e])*"$/u;
const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;
const IP_LITERAL = /^\[(\d{1,3}(\.\d{1,3}){3}|IPv6:[0-9a-f:.]+)\]$/i;
const LINE_BREAK = /[\r\n]/;
// C0 controls but tab, and DEL: never part of an address or a display name.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;
// The forms nearly every message uses, "ann@example.com" and "Ann Smith <ann@example.com>", in plain
// ASCII with no quote, comment, group or list: read directly, as addressparser reads them (a
// property test holds the two to the same answer), because its tokenizer is most of the cost of
// normalizing a message. Everything else goes through addressparser.
const PLAIN_ADDRESS = /^ *([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+) *$/;
// An ASCII domain whose last label starts with a letter and with no punycode ("xn--") label: its
// ASCII form is itself in lower case (domainToASCII only converts Unicode, checks punycode and reads
// a domain ending in a number as an IPv4 address; a property test holds the two together).
const PLAIN_DOMAIN = /^(?:(?!xn--)[a-z0-9-]*\.)*(?!xn--)[a-z][a-z0-9-]*$/i;
const PLAIN_NAMED = /^ *([A-Za-z0-9'_-]+(?: [A-Za-z0-9'_-]+)*) *< *([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+) *> *$/;

/** Parses one field (to, cc, ...) into validated addresses. Groups are flattened. */
export function parseAddressList(input: AddressInput | AddressInput[] | undefined, field: string): Address[] {
  if (input === undefined || input === null) return [];
  const items = Array.isArray(input) ? input : [input];
  const out: Address[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      if (LINE_BREAK.test(item)) throw invalid(field, `"${field}" contains a line break (header injection is refused)`);
      if (item.trim() === '') continue;
      const plain = plainAddress(item);
      if (plain) {
        out.push(checkAddress(plain, field, item));
        continue;
      }
      refuseMalformed(item, field);
      for (const parsed of flatten(addressparser(item))) out.push(checkAddress(asWritten(parsed, item, field), field, item));
    } else if (item && typeof item === 'object' && typeof item.address === 'string') {
      // A name that is not text (a number, an object) has no display form: refused, never coerced.
      if (item.name !== undefined && item.name !== null && typeof item.name !== 'string') {
        throw invalid(field, `"${field}" has a display name that is not a string: ${describe(item.name)}`);
      }
      if (LINE_BREAK.test(item.address) || LINE_BREAK.test(item.name ?? '')) throw invalid(field, `"${field}" contains a line break (header injection is refused)`);
      refuseMalformed(item.address, field);
      if (item.name) refuseMalformed(item.name, field, 'display name');
      out.push(checkAddress({ address: item.address.trim(), name: item.name ?? '' }, field, item.address));
    } else {
      throw invalid(field, `"${field}" holds a value that is not an address: ${describe(item)}`);
    }
  }
  return out;
}

/** `item` read without addressparser when it has one of the plain forms (see PLAIN_ADDRESS), else undefined. */
export function plainAddress(item: string): { address: string; name: string } | undefined {
  const bare = PLAIN_ADDRESS.exec(item);
  if (bare) return { address: bare[1]!, name: '' };
  const named = PLAIN_NAMED.exec(item);
  return named ? { address: named[2]!, name: named[1]! } : undefined;
}

/** Parses a field that takes exactly one address (from). */
export function parseAddress(input: AddressInput, field: string): Address {
  const list = parseAddressList(input, field);
  if (list.length !== 1) {
    throw invalid(field, `"${field}" must be exactly one address, got ${list.length}`);
  }
  return list[0]!;
}

/** "Ann <ann@example.com>" with the name quoted when it needs to be; for logs and summaries. */
export function formatAddress(address: Address): string {
  if (!address.name) return address.address;
  const name = /^[\p{L}\p{N} .'-]*$/u.test(address.name) ? address.name : `"${address.name.replace(/(["\\])/g, '\\$1')}"`;
  return `${name} <${address.address}>`;
}

/** "Ann <ann@example.com>, bob@example.com": one header value for several addresses. */
export function formatAddressList(addresses: Address[]): string {
  return addresses.map(formatAddress).join(', ');
}

/** The address with its domain in ASCII (punycode), for transports that do not speak SMTPUTF8. */
export function toAsciiAddress(address: string): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  if (IP_LITERAL.test(domain)) return address;
  return `${address.slice(0, at)}@${domainToASCII(domain)}`;
}

// addressparser repairs what it cannot parse: it drops control characters, closes an open quote or
// angle bracket, and reads a stray word before an address as its display name, so the message
// would go to an address nobody wrote. What it would have to repair is refused instead.
function refuseMalformed(text: string, field: string, what = 'address'): void {
  const control = CONTROL.exec(text);
  if (control) {
    throw invalid(field, `"${field}" has an invalid ${what} ${JSON.stringify(text)}: it contains a control character (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`);
  }
  if (what !== 'address') return;
  const quotes = text.replace(/\\./g, '').split('"').length - 1;
  if (quotes % 2 === 1) throw invalid(field, `"${field}" has an invalid address ${JSON.stringify(text)}: it has an unterminated quote`);
  const outsideQuotes = text.replace(/\\./g, '').replace(/"[^"]*"/g, '');
  if ((outsideQuotes.match(/</g)?.length ?? 0) !== (outsideQuotes.match(/>/g)?.length ?? 0)) {
    throw invalid(field, `"${field}" has an invalid address ${JSON.stringify(text)}: it has an unterminated angle bracket`);
  }
}

// An address is accepted only as written: bare, in angle brackets after a display name, or with its
// name as a comment ("ann@example.com (Ann)"). Anything else means addressparser rewrote it.
function asWritten(parsed: { address: string; name: string }, item: string, field: string): { address: string; name: string } {
  const { address, name } = parsed;
  if (!address) return parsed;
  // Plain string search, no RegExp built from the address: a very long one made "Invalid regular
  // expression: too large" escape as a SyntaxError (found by fuzzing).
  let inBrackets = false;
  let bare = false;
  for (let at = item.indexOf(address); at !== -1; at = item.indexOf(address, at + 1)) {
    const before = item.slice(0, at).trimEnd();
    const after = item.slice(at + address.length);
    // In brackets, and the pair ends there: a second "<address>" or a word after the ">" would be
    // read into the display name, and that recipient or word silently dropped from where it was written.
    if (before.endsWith('<') && after.trimStart().startsWith('>') && /^(\s*$|\s*[,;(])/.test(after.trimStart().slice(1))) inBrackets = true;
    const previous = item[at - 1];
    const next = after[0];
    if ((previous === undefined || /[\s,:;]/.test(previous)) && (next === undefined || /[\s,;(]/.test(next))) bare = true;
  }
  const nameAsComment = name !== '' && item.includes(`(${name})`);
  // An unquoted "@" cannot be part of a display name ("ann@example.com <bob@example.com>"): it is an
  // address that addressparser took for a name.
  // Quoted as written (escaped quotes inside included), an "@" is the name's own.
  const display = item.slice(0, item.lastIndexOf('<')).trim();
  const quotedName = display.length > 1 && display.startsWith('"') && display.endsWith('"');
  const addressAsName = name.includes('@') && !nameAsComment && !quotedName;
  if ((inBrackets && !addressAsName) || (bare && (name === '' || nameAsComment))) return parsed;
  throw invalid(field, `"${field}" has an invalid address ${JSON.stringify(item)}: it is not one address, a "Name <address>" pair, or a comma-separated list of them`);
}

/** Whether the part before "@" is plain ASCII (else only an SMTPUTF8 transport can carry the address). */
export function isAsciiLocalPart(address: string): boolean {
  return /^[\x00-\x7f]*$/.test(address.slice(0, address.lastIndexOf('@')));
}

/**
 * The message as it goes on the wire: every address's domain in punycode (`café.example` ->
 * `xn--caf-dma.example`), names kept. The one place adapters take addresses from (through
 * `sendWithin`): the HTTP APIs answer 400 to a Unicode domain, and SMTP needs SMTPUTF8 for one.
 */
export function toWireMessage(message: NormalizedMessage): NormalizedMessage {
  const unicode = (a: Address) => a.address.includes('@') && /[^\x00-\x7f]/.test(a.address);
  // Nearly every message is ASCII already: it is its own wire form.
  if (!unicode(message.from) && !message.to.some(unicode) && !message.cc.some(unicode) && !message.bcc.some(unicode) && !message.replyTo.some(unicode)) return message;
  const wire = (list: Address[]) => list.map((a) => (unicode(a) ? { ...a, address: toAsciiAddress(a.address) } : a));
  return { ...message, from: wire([message.from])[0]!, to: wire(message.to), cc: wire(message.cc), bcc: wire(message.bcc), replyTo: wire(message.replyTo) };
}

function checkAddress(parsed: { address: string; name: string }, field: string, original: string): Address {
  const address = parsed.address;
  if (LINE_BREAK.test(address) || LINE_BREAK.test(parsed.name)) {
    throw invalid(field, `"${field}" contains a line break (header injection is refused)`);
  }
  // Written as is, "=?utf-8?q?...?=" in a name is decoded by the receiver into other text (found by
  // fuzzing: a name arrived as something else).
  if (ENCODED_WORD.test(parsed.name) || ENCODED_WORD.test(address)) {
    throw invalid(field, `"${field}" has a display name or address containing an RFC 2047 encoded word ("=?charset?...?="): give the name as plain text`);
  }
  // A lone surrogate has no UTF-8 form: the name would arrive with U+FFFD in it (found by fuzzing).
  if (!isWellFormed(address) || !isWellFormed(parsed.name)) {
    throw invalid(field, `"${field}" is not valid Unicode text (it has an unpaired surrogate, e.g. half of an emoji cut off)`);
  }
  const problem = address ? addressProblem(address) : 'no e-mail address found in it';
  if (problem) throw invalid(field, `"${field}" has an invalid address ${JSON.stringify(original)}: ${problem}`);
  const name = parsed.name.trim();
  return name ? { address, name } : { address };
}

/** ASCII a domain name cannot hold: anything but letters, digits, "-" and "." (Unicode is IDNA's to judge). */
const NOT_IN_A_DOMAIN = /[\x00-\x2c\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]/;

/**
 * A form's address field checked as a send checks it (the package's `addressProblem`): the blanks a
 * send takes off around an address are taken off here too, so "ann@example.com " from a phone's
 * keyboard passes as it would be sent; a value that is not text (a JSON body's number or object)
 * is a problem, not a TypeError.
 */
export function fieldAddressProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return 'it is empty';
  if (typeof value !== 'string') return `it is not text (got ${Array.isArray(value) ? 'an array' : `a ${typeof value}`})`;
  if (/[\r\n]/.test(value)) return 'it contains a line break';
  return addressProblem(value.trim());
}

/** Says what is wrong with an address, or undefined when it is valid. */
export function addressProblem(address: string): string | undefined {
  if (!address) return 'it is empty';
  const at = address.lastIndexOf('@');
  if (at <= 0) return 'it has no local part and domain separated by "@"';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > 64) return 'the local part is longer than 64 characters';
  if (!LOCAL_ATOM.test(local) && !LOCAL_QUOTED.test(local)) return `the local part "${local}" has characters not allowed there`;
  if (!domain) return 'the domain is missing';
  if (IP_LITERAL.test(domain)) return undefined;
  // domainToASCII reads the domain as a URL's host and stops at "#", "?" or "/": checked on its
  // answer alone, "ann@example.com#x" passed and went out to ann@example.com (found by fuzzing).
  if (NOT_IN_A_DOMAIN.test(domain)) return `the domain "${domain}" is not a valid domain name`;
  const ascii = asciiDomain(domain);
  if (!ascii) return `the domain "${domain}" is not a valid (internationalized) domain name`;
  const labels = ascii.split('.');
  if (labels.length < 2) return `the domain "${domain}" has no dot`;
  if (ascii.length > 253 || !labels.every((label) => ASCII_LABEL.test(label))) {
    return `the domain "${domain}" is not a valid domain name`;
  }
  if (address.length > 254) return 'it is longer than 254 characters';
  return undefined;
}

/** The domain's ASCII form, as `domainToASCII` answers it ('' when it is not a valid domain). */
export function asciiDomain(domain: string): string {
  return PLAIN_DOMAIN.test(domain) ? domain.toLowerCase() : domainToASCII(domain);
}

type ParsedEntry = { name: string; address?: string; group?: ParsedEntry[] };

function flatten(entries: ParsedEntry[]): { address: string; name: string }[] {
  const out: { address: string; name: string }[] = [];
  for (const entry of entries) {
    if (entry.group) out.push(...flatten(entry.group));
    else out.push({ address: (entry.address ?? '').trim(), name: entry.name ?? '' });
  }
  return out;
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function invalid(field: string, detail: string): MailError {
  return new MailError('INVALID_MESSAGE', detail, { field });
}

function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** An RFC 2047 encoded word, which receivers decode wherever it stands in a name or a subject. */
export const ENCODED_WORD = /=\?[^?\s]+\?[bq]\?[^?\s]*\?=/i;
