// A local Resend API that enforces the documented contract of POST /emails and GET /domains and
// answers like Resend (sources in test/providers/SOURCES.md §3):
// - auth: `Authorization: Bearer <key>`; none: 401 missing_api_key, a wrong one: 403
//   invalid_api_key [P R1, R3]
// - body (Resend's OpenAPI `/emails` post): from, to (string or array, at most 50), subject
//   (required); cc, bcc, reply_to (string or array); html, text; headers {string}; attachments
//   [{content (base64), filename, path, content_type, content_id}]; tags [{name, value}] of ASCII
//   letters, digits, _ and -, 256 chars at most; scheduled_at; template; topic_id [P R1]
// - Idempotency-Key header, 1 to 256 chars (else 400 invalid_idempotency_key): the same key with
//   the same body within 24 hours answers the first id and sends nothing; with another body, 409
//   invalid_idempotent_request [P R1, R2, R3]
// - success: 200 {id}; errors: {statusCode, name, message} (422 for a field, 429 with
//   ratelimit-limit / -remaining / -reset and retry-after) [P R1, R3, R4, R5]
// - an attachment whose file name's extension names another type than its content_type: 200 {id},
//   and the message is never delivered (no arrival) [S A-Rd]
// Stricter than confirmed: unknown members are refused (SOURCES.md "Not confirmed").
import { createHash, randomUUID } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import type { Address } from '../../src/core/address.js';
import type { Arrival } from '../conformance.js';
import { ASCII_ADDRESS, startProviderServer, type ProviderAnswer, type ProviderRequest, type ProviderServer } from './server.js';

const FIELDS = new Set(['from', 'to', 'subject', 'cc', 'bcc', 'reply_to', 'html', 'text', 'template', 'headers', 'scheduled_at', 'attachments', 'tags', 'topic_id']);
const ATTACHMENT_FIELDS = new Set(['content', 'filename', 'path', 'content_type', 'content_id']);
const TAG_TEXT = /^[A-Za-z0-9_-]{1,256}$/;
// "You can send any file attachment types except for those in the following list" (resend.com/docs/knowledge-base/what-attachment-types-are-not-supported).
const UNSUPPORTED_ATTACHMENT = /\.(adp|app|asp|bas|bat|cer|chm|cmd|com|cpl|crt|csh|der|exe|fxp|gadget|hlp|hta|inf|ins|isp|its|js|jse|ksh|lib|lnk|mad|maf|mag|mam|maq|mar|mas|mat|mau|mav|maw|mda|mdb|mde|mdt|mdw|mdz|msc|msh|msh1|msh2|mshxml|msh1xml|msh2xml|msi|msp|mst|ops|pcd|pif|plg|prf|prg|reg|scf|scr|sct|shb|shs|sys|ps1|ps1xml|ps2|ps2xml|psc1|psc2|tmp|url|vb|vbe|vbs|vps|vsmacros|vss|vst|vsw|vxd|ws|wsc|wsf|wsh|xnk)$/i;

const error = (statusCode: number, name: string, message: string): ProviderAnswer => ({ status: statusCode, body: { statusCode, name, message } });

export const RESEND_ERRORS = {
  missingKey: error(401, 'missing_api_key', 'Missing API key in the authorization header.'),
  invalidKey: error(403, 'invalid_api_key', 'API key is invalid.'),
  rateLimited: {
    ...error(429, 'rate_limit_exceeded', 'Too many requests. You can only make 2 requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.'),
    headers: { 'ratelimit-limit': '2', 'ratelimit-remaining': '0', 'ratelimit-reset': '1', 'retry-after': '1' },
  },
  dailyQuota: error(429, 'daily_quota_exceeded', 'You have reached your daily email sending quota.'),
  serverError: error(500, 'internal_server_error', 'An unexpected error occurred.'),
  invalidFrom: error(422, 'invalid_parameter', 'Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format'),
  testingDomain: error(403, 'validation_error', 'You can only send testing emails to your own email address (owner@example.com). To send emails to other recipients, please verify a domain at resend.com/domains, and change the `from` address to an email using this domain.'),
} satisfies Record<string, ProviderAnswer>;

export interface ResendServer extends ProviderServer {
  apiKey: string;
}

export async function startResendServer(apiKey = 're_test_0123456789abcdef'): Promise<ResendServer> {
  // Idempotency-Key -> the request it first came with and the id answered [P R2].
  const seen = new Map<string, { hash: string; id: string }>();
  const server = await startProviderServer({
    faults: { auth: RESEND_ERRORS.invalidKey, 'rate-limit': RESEND_ERRORS.rateLimited, 'server-error': RESEND_ERRORS.serverError, rejected: RESEND_ERRORS.invalidFrom },
    handle(request) {
      const auth = request.headers.authorization;
      if (!auth) return { answer: RESEND_ERRORS.missingKey };
      if (auth !== `Bearer ${apiKey}`) return { answer: RESEND_ERRORS.invalidKey };
      if (request.path === '/domains' && request.method === 'GET') {
        return { answer: { status: 200, body: { object: 'list', has_more: false, data: [{ id: randomUUID(), name: 'example.com', status: 'verified', created_at: new Date().toISOString(), region: 'us-east-1' }] } } };
      }
      if (request.path !== '/emails') return { answer: error(404, 'not_found', 'The requested endpoint does not exist.') };
      if (request.method !== 'POST') return { answer: error(405, 'method_not_allowed', 'Method is not allowed for the requested path.') };
      const key = idempotencyKey(request);
      if (typeof key === 'object') return { answer: key };
      if (!/^application\/json\b/.test(request.headers['content-type'] ?? '') || request.json === undefined) return { answer: error(422, 'validation_error', 'Invalid JSON body.') };
      const body = request.json as Body;
      const problem = check(body);
      if (problem) return { answer: problem };
      if (key !== undefined) {
        const hash = createHash('sha256').update(request.body).digest('hex');
        const earlier = seen.get(key);
        if (earlier && earlier.hash !== hash) return { answer: error(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload. Change your idempotency key or payload.') };
        if (earlier) return { answer: { status: 200, body: { id: earlier.id } } };
        const id = randomUUID();
        seen.set(key, { hash, id });
        if (typeMismatch(body)) return { answer: { status: 200, body: { id } } };
        return { answer: { status: 200, body: { id } }, arrival: { ...toArrival(body), providerMessageId: id } };
      }
      const id = randomUUID();
      // Resend takes the request and drops the message without an error [S A-Rd].
      if (typeMismatch(body)) return { answer: { status: 200, body: { id } } };
      return { answer: { status: 200, body: { id } }, arrival: { ...toArrival(body), providerMessageId: id } };
    },
  });
  return Object.assign(server, { apiKey });
}

interface Body {
  from: string; to: string | string[]; subject: string; cc?: string | string[]; bcc?: string | string[]; reply_to?: string | string[];
  html?: string; text?: string; headers?: Record<string, string>; tags?: { name: string; value: string }[];
  attachments?: { content: string; filename: string; content_type?: string; content_id?: string }[];
}

function idempotencyKey(request: ProviderRequest): string | undefined | ProviderAnswer {
  const value = request.headers['idempotency-key'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length < 1 || value.length > 256) return error(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.');
  return value;
}

function parse(value: string): Address[] {
  return (addressparser(value, { flatten: true }) as { address: string; name: string }[]).map((a) => (a.name ? { address: a.address, name: a.name } : { address: a.address }));
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function check(body: Body): ProviderAnswer | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return error(422, 'validation_error', 'Invalid JSON body.');
  const unknown = Object.keys(body).find((key) => !FIELDS.has(key));
  if (unknown) return error(422, 'validation_error', `The \`${unknown}\` field is not allowed.`);
  for (const field of ['from', 'to', 'subject'] as const) {
    if (body[field] === undefined) return error(422, 'missing_required_field', `Missing \`${field}\` field.`);
  }
  const from = typeof body.from === 'string' ? parse(body.from) : [];
  if (from.length !== 1 || !ASCII_ADDRESS.test(from[0]!.address)) return RESEND_ERRORS.invalidFrom;
  for (const field of ['to', 'cc', 'bcc', 'reply_to'] as const) {
    const value = body[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' && !(Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string'))) return error(422, 'validation_error', `The \`${field}\` field must be a string or an array of strings.`);
    const list = asList(value).flatMap(parse);
    if (list.length === 0 || list.some((a) => !ASCII_ADDRESS.test(a.address))) {
      return error(422, 'validation_error', `Invalid \`${field}\` field. The email address needs to follow the \`email@example.com\` or \`Name <email@example.com>\` format.`);
    }
    if (field === 'to' && list.length > 50) return error(422, 'validation_error', 'The `to` field must have at most 50 recipients.');
  }
  if (typeof body.subject !== 'string') return error(422, 'validation_error', 'The `subject` field must be a string.');
  if (body.html === undefined && body.text === undefined) return error(422, 'validation_error', 'Missing `html` or `text` field.');
  if (body.headers !== undefined && (typeof body.headers !== 'object' || body.headers === null || !Object.values(body.headers).every((v) => typeof v === 'string'))) {
    return error(422, 'validation_error', 'The `headers` field must be an object of strings.');
  }
  for (const tag of body.tags ?? []) {
    if (!tag || typeof tag.name !== 'string' || typeof tag.value !== 'string' || !TAG_TEXT.test(tag.name) || !TAG_TEXT.test(tag.value)) {
      return error(422, 'validation_error', 'Tags should only contain ASCII letters (a–z, A–Z), numbers (0–9), underscores (_), or dashes (-), and can contain no more than 256 characters.');
    }
  }
  for (const a of body.attachments ?? []) {
    if (!a || typeof a.content !== 'string' || typeof a.filename !== 'string' || Object.keys(a).some((k) => !ATTACHMENT_FIELDS.has(k)) || !/^[A-Za-z0-9+/]*={0,2}$/.test(a.content)) {
      return error(422, 'invalid_attachment', 'Attachments need a filename and base64 content.');
    }
  }
  const unsupported = (body.attachments ?? []).find((a) => UNSUPPORTED_ATTACHMENT.test(a.filename));
  // The list is Resend's; the status and text of its refusal are this server's choice.
  if (unsupported) return error(422, 'invalid_attachment', `Attachment type not supported: ${unsupported.filename}`);
  // 40 MB, attachments included, after base64: a third-party figure (SOURCES.md, Not confirmed 11).
  if (Buffer.byteLength(JSON.stringify(body)) > 40 * 1024 * 1024) return error(422, 'validation_error', 'The email is larger than 40 MB.');
  return undefined;
}

// Common extensions and the one type each names (IANA media types registry).
const EXTENSION_TYPES: Record<string, string> = {
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', txt: 'text/plain',
  csv: 'text/csv', html: 'text/html', ics: 'text/calendar', json: 'application/json', zip: 'application/zip',
};

// "Resend silently drops messages with attachments whose filename extensions are inconsistent with
// their content types" (anymail's Resend docs): e.g. a text/csv attachment named "data.txt".
function typeMismatch(body: Body): boolean {
  return (body.attachments ?? []).some((a) => {
    const extension = a.filename.slice(a.filename.lastIndexOf('.') + 1).toLowerCase();
    const implied = a.filename.includes('.') && Object.hasOwn(EXTENSION_TYPES, extension) ? EXTENSION_TYPES[extension] : undefined;
    return implied !== undefined && a.content_type !== undefined && a.content_type.toLowerCase() !== implied;
  });
}

function toArrival(body: Body): Arrival {
  const list = (value: string | string[] | undefined) => asList(value).flatMap(parse);
  // Tags and metadata travel as mailroom's own headers (Resend's native tags allow too few characters).
  const headers = { ...body.headers };
  const tags = headers['X-Mailroom-Tags'];
  const metadata = headers['X-Mailroom-Metadata'];
  return {
    from: parse(body.from)[0]!,
    to: list(body.to),
    cc: list(body.cc),
    bcc: list(body.bcc),
    replyTo: list(body.reply_to),
    subject: body.subject,
    ...(body.text !== undefined ? { text: body.text } : {}),
    ...(body.html !== undefined ? { html: body.html } : {}),
    attachments: (body.attachments ?? []).map((a) => ({
      filename: a.filename, contentType: a.content_type ?? 'application/octet-stream', content: Buffer.from(a.content, 'base64'),
      ...(a.content_id ? { cid: a.content_id } : {}), inline: !!a.content_id,
    })),
    headers,
    tags: tags ? tags.split(',').map((t) => t.trim()) : [],
    metadata: metadata ? (JSON.parse(metadata) as Record<string, string>) : {},
  };
}
