// A local SendGrid v3 API that enforces the documented contract of POST /v3/mail/send and GET
// /v3/scopes and answers like SendGrid (sources in test/providers/SOURCES.md §2):
// - auth: `Authorization: Bearer <key>`; else 401 {errors: [{field: null, message}]} [P G1, G3; S A-Si]
// - body (OAS `POST_mail-send`): personalizations[1..1000] {to (required), cc, bcc, subject,
//   headers, custom_args, ...}, from {email, name?}, reply_to | reply_to_list (not both), subject,
//   content [{type, value}] (text/plain first, then text/html), attachments [{content (base64),
//   filename (required), type, disposition: inline|attachment, content_id}], headers {string},
//   categories (at most 10, unique, 255 chars each), custom_args {string}, ... [P G1]
// - at most 1000 recipients (to + cc + bcc) per request, and an address only once per
//   personalization [P G2]; the whole JSON payload under 30 MB [P G8]
// - success: 202 with an empty body and the message id in the X-Message-Id header [P G1, G4]
// - 429 with X-RateLimit-Limit / -Remaining / -Reset (a Unix time) [P G5]
// Stricter than confirmed: unknown members are refused (SOURCES.md "Not confirmed").
import { randomBytes } from 'node:crypto';
import type { Address } from '../../src/core/address.js';
import type { Arrival } from '../conformance.js';
import { ASCII_ADDRESS, startProviderServer, type ProviderAnswer, type ProviderServer } from './server.js';

const FIELDS = new Set(['personalizations', 'from', 'reply_to', 'reply_to_list', 'subject', 'content', 'attachments', 'template_id', 'headers', 'categories', 'custom_args', 'send_at', 'batch_id', 'asm', 'ip_pool_name', 'mail_settings', 'tracking_settings']);
const PERSONALIZATION_FIELDS = new Set(['from', 'to', 'cc', 'bcc', 'subject', 'headers', 'substitutions', 'dynamic_template_data', 'custom_args', 'send_at']);
const ATTACHMENT_FIELDS = new Set(['content', 'type', 'filename', 'disposition', 'content_id']);
// Headers SendGrid does not let a request set (OAS, personalizations.headers) [P G1].
const RESERVED = new Set(['x-sg-id', 'x-sg-eid', 'received', 'dkim-signature', 'content-type', 'content-transfer-encoding', 'to', 'from', 'subject', 'reply-to', 'cc', 'bcc']);
const MAX_BYTES = 30 * 1024 * 1024;

const errors = (message: string, field: string | null = null) => ({ errors: [{ message, field, help: null }] });

export const SENDGRID_ERRORS = {
  unauthorized: { status: 401, body: errors('The provided authorization grant is invalid, expired, or revoked') },
  rateLimited: { status: 429, headers: { 'x-ratelimit-limit': '600', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '' }, body: errors('too many requests') },
  serverError: { status: 500, body: { errors: [{ message: 'Internal server error' }] } },
  badTo: { status: 400, body: errors('Does not contain a valid address.', 'personalizations.0.to.0.email') },
  senderIdentity: { status: 403, body: errors('The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements', 'from') },
} satisfies Record<string, ProviderAnswer>;

export interface SendgridServer extends ProviderServer {
  apiKey: string;
  /** The key's scopes, as GET /v3/scopes lists them. */
  scopes: string[];
}

export async function startSendgridServer(apiKey = 'SG.test-key.0123456789abcdef'): Promise<SendgridServer> {
  const scopes = ['mail.send', 'user.profile.read'];
  const rateLimited = (): ProviderAnswer => ({ ...SENDGRID_ERRORS.rateLimited, headers: { ...SENDGRID_ERRORS.rateLimited.headers, 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3) } });
  const server = await startProviderServer({
    faults: { auth: SENDGRID_ERRORS.unauthorized, 'server-error': SENDGRID_ERRORS.serverError, rejected: SENDGRID_ERRORS.badTo },
    handle(request) {
      if (request.headers.authorization !== `Bearer ${apiKey}`) return { answer: SENDGRID_ERRORS.unauthorized };
      if (request.path === '/v3/scopes' && request.method === 'GET') return { answer: { status: 200, body: { scopes } } };
      if (request.path !== '/v3/mail/send') return { answer: { status: 404, body: errors('resource not found') } };
      if (request.method !== 'POST') return { answer: { status: 405, body: errors('method not allowed') } };
      if (request.body.length > MAX_BYTES) return { answer: { status: 413, body: errors('The JSON payload you have included in your request is too large.') } };
      if (!/^application\/json\b/.test(request.headers['content-type'] ?? '') || request.json === undefined) return { answer: bad('Bad Request') };
      const body = request.json as Body;
      const problem = check(body);
      if (problem) return { answer: problem };
      const id = randomBytes(16).toString('base64url');
      return { answer: { status: 202, headers: { 'x-message-id': id }, body: '' }, arrival: { ...toArrival(body), providerMessageId: id } };
    },
  });
  // The rate-limit answer carries a reset time computed when it is played.
  const fail = server.fail;
  server.fail = (fault) => (fault === 'rate-limit' ? server.script(rateLimited()) : fail(fault));
  return Object.assign(server, { apiKey, scopes });
}

type Email = { email: string; name?: string };
interface Personalization { to: Email[]; cc?: Email[]; bcc?: Email[]; subject?: string; headers?: Record<string, string>; custom_args?: Record<string, string> }
interface Body {
  personalizations: Personalization[]; from: Email; reply_to?: Email; reply_to_list?: Email[]; subject?: string;
  content?: { type: string; value: string }[]; headers?: Record<string, string>; categories?: string[]; custom_args?: Record<string, string>;
  attachments?: { content: string; type?: string; filename: string; disposition?: 'inline' | 'attachment'; content_id?: string }[];
}

function bad(message: string, field: string | null = null): ProviderAnswer {
  return { status: 400, body: errors(message, field) };
}

const isEmail = (value: unknown): value is Email =>
  !!value && typeof value === 'object' && typeof (value as Email).email === 'string' && ASCII_ADDRESS.test((value as Email).email)
  && ((value as Email).name === undefined || typeof (value as Email).name === 'string') && Object.keys(value).every((k) => k === 'email' || k === 'name');

const stringMap = (value: unknown) => !!value && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');

// The first violation, in the words of SendGrid's error reference [P G2].
function check(body: Body): ProviderAnswer | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return bad('Bad Request');
  const unknown = Object.keys(body).find((key) => !FIELDS.has(key));
  if (unknown) return bad(`The ${unknown} field is not recognized.`, unknown);
  if (!Array.isArray(body.personalizations) || body.personalizations.length === 0) return bad('You must have at least one personalization.', 'personalizations');
  if (body.personalizations.length > 1000) return bad(`The personalization block is limited to 1000 personalizations per API request. You have provided ${body.personalizations.length} personalizations.`, 'personalizations');
  let total = 0;
  for (const [i, p] of body.personalizations.entries()) {
    const extra = Object.keys(p).find((key) => !PERSONALIZATION_FIELDS.has(key));
    if (extra) return bad(`The ${extra} field is not recognized.`, `personalizations.${i}.${extra}`);
    if (!Array.isArray(p.to) || p.to.length === 0) return bad('The to array is required for all personalization objects, and must have at least one email object with a valid email address.', `personalizations.${i}.to`);
    const seen = new Set<string>();
    for (const field of ['to', 'cc', 'bcc'] as const) {
      const list = p[field];
      if (list === undefined) continue;
      if (!Array.isArray(list) || list.length === 0) return bad(`The ${field} array must have at least one email object.`, `personalizations.${i}.${field}`);
      for (const [j, email] of list.entries()) {
        if (!isEmail(email)) return bad('Does not contain a valid address.', `personalizations.${i}.${field}.${j}.email`);
        const key = email.email.toLowerCase();
        if (seen.has(key)) return bad('Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [' + email.email + '] in the personalizations.' + i + '.' + field + ' field.', `personalizations.${i}.${field}`);
        seen.add(key);
      }
      total += list.length;
    }
    if (p.headers !== undefined && !stringMap(p.headers)) return bad('Invalid type. Expected: object, given: string.', `personalizations.${i}.headers`);
    if (p.custom_args !== undefined && !stringMap(p.custom_args)) return bad('Invalid type. Expected: string, given: integer.', `personalizations.${i}.custom_args`);
  }
  if (total > 1000) return bad('There is a limit of 1000 total recipients (to + cc + bcc) per request.', 'personalizations');
  if (!isEmail(body.from)) return bad('The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.', 'from.email');
  if (body.reply_to !== undefined && body.reply_to_list !== undefined) return bad('reply_to is mutually exclusive with reply_to_list.', 'reply_to_list');
  if (body.reply_to !== undefined && !isEmail(body.reply_to)) return bad('Does not contain a valid address.', 'reply_to');
  if (body.reply_to_list !== undefined && (!Array.isArray(body.reply_to_list) || !body.reply_to_list.every(isEmail))) return bad('The reply_to_list email does not contain a valid address.', 'reply_to_list');
  const subjects = body.personalizations.every((p) => typeof p.subject === 'string' && p.subject);
  if (!subjects && (typeof body.subject !== 'string' || !body.subject)) return bad('The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.', 'subject');
  if (!Array.isArray(body.content) || body.content.length === 0) return bad('Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.', 'content');
  for (const [i, part] of body.content.entries()) {
    if (!part || typeof part.type !== 'string' || !part.type || typeof part.value !== 'string' || !part.value) return bad('The content value must be a string at least one character in length.', `content.${i}.value`);
  }
  const types = body.content.map((part) => part.type);
  if (new Set(types).size !== types.length) return bad('If present, text/plain and text/html may only be provided once.', 'content');
  const html = types.indexOf('text/html');
  if (types.includes('text/plain') && types[0] !== 'text/plain') return bad('If present, text/plain must be first, followed by text/html, followed by any other content.', 'content');
  if (html > (types.includes('text/plain') ? 1 : 0)) return bad('If present, text/plain must be first, followed by text/html, followed by any other content.', 'content');
  if (body.headers !== undefined) {
    if (!stringMap(body.headers)) return bad('Invalid type. Expected: string, given: integer.', 'headers');
    const reserved = Object.keys(body.headers).find((name) => RESERVED.has(name.toLowerCase()));
    if (reserved) return bad(`The header ${reserved} is a reserved header and cannot be set.`, 'headers');
  }
  if (body.categories !== undefined) {
    if (!Array.isArray(body.categories) || !body.categories.every((c) => typeof c === 'string' && c.length <= 255)) return bad('Categories must be an array of strings of at most 255 characters.', 'categories');
    if (body.categories.length > 10) return bad('Too many categories. There is a limit of 10 categories per request.', 'categories');
    if (new Set(body.categories).size !== body.categories.length) return bad('The categories must be unique.', 'categories');
  }
  if (body.custom_args !== undefined) {
    if (!stringMap(body.custom_args)) return bad('Invalid type. Expected: string, given: integer.', 'custom_args');
    if (Buffer.byteLength(JSON.stringify(body.custom_args)) > 10_000) return bad('The total custom_args size may not exceed 10,000 bytes.', 'custom_args');
  }
  for (const [i, a] of (body.attachments ?? []).entries()) {
    if (!a || typeof a.content !== 'string' || !a.content || Object.keys(a).some((k) => !ATTACHMENT_FIELDS.has(k))) return bad('The attachment content is required.', `attachments.${i}.content`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(a.content)) return bad('The attachment content must be base64 encoded.', `attachments.${i}.content`);
    if (typeof a.filename !== 'string' || !a.filename) return bad('The attachment filename parameter is required.', `attachments.${i}.filename`);
    if (a.disposition !== undefined && a.disposition !== 'inline' && a.disposition !== 'attachment') return bad('The disposition of your attachment can be either "inline" or "attachment".', `attachments.${i}.disposition`);
    if (a.disposition === 'inline' && !a.content_id) return bad('The content_id parameter is required if your attachment is inline.', `attachments.${i}.content_id`);
  }
  return undefined;
}

// A header value as a reader shows it: each run of adjacent RFC 2047 UTF-8 encoded words (B or Q)
// decoded as one byte sequence, the white space between them dropped (RFC 2047 §6.2).
function decodeWords(value: string): string {
  const word = /=\?UTF-8\?([BQ])\?([^?]*)\?=/gi;
  return value.replace(/=\?UTF-8\?[BQ]\?[^?]*\?=(?:\s+=\?UTF-8\?[BQ]\?[^?]*\?=)*/gi, (run) => Buffer.concat([...run.matchAll(word)].map(([, encoding, text]) => (encoding!.toUpperCase() === 'B'
    ? Buffer.from(text!, 'base64')
    : Buffer.from(text!.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1')))).toString('utf8'));
}

function toArrival(body: Body): Arrival {
  const address = (e: Email): Address => (e.name ? { address: e.email, name: e.name } : { address: e.email });
  const p = body.personalizations[0]!;
  const text = body.content!.find((c) => c.type === 'text/plain')?.value;
  const html = body.content!.find((c) => c.type === 'text/html')?.value;
  const replyTo = body.reply_to_list ?? (body.reply_to ? [body.reply_to] : []);
  return {
    from: address(body.from),
    to: p.to.map(address),
    cc: (p.cc ?? []).map(address),
    bcc: (p.bcc ?? []).map(address),
    replyTo: replyTo.map(address),
    subject: p.subject ?? body.subject ?? '',
    ...(text !== undefined ? { text } : {}),
    ...(html !== undefined ? { html } : {}),
    attachments: (body.attachments ?? []).map((a) => ({
      filename: a.filename, contentType: a.type ?? 'application/octet-stream', content: Buffer.from(a.content, 'base64'),
      ...(a.content_id ? { cid: a.content_id } : {}), inline: a.disposition === 'inline',
    })),
    // SendGrid copies header values into the message as given; a reader decodes encoded words.
    headers: Object.fromEntries(Object.entries({ ...body.headers, ...p.headers }).map(([name, value]) => [name, decodeWords(value)])),
    tags: body.categories ?? [],
    metadata: { ...body.custom_args, ...p.custom_args },
  };
}
