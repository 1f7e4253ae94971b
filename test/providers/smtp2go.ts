// A local SMTP2GO API v3 that enforces the documented contract of POST /v3/email/send (JSON,
// X-Smtp2go-Api-Key or api_key, `additionalProperties: false`; smtp2go-oss/apidocs,
// ../shared/PROVIDERS.md §4) and POST /v3/stats/email_summary, and answers like SMTP2GO:
// {request_id, data:{succeeded, failed, failures, email_id}}, per-recipient failures inside a 200,
// 429 with X-Rate-Limit-* headers and E_ApiResponseCodes error codes.
import { randomBytes, randomUUID } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import type { Address } from '../../src/core/address.js';
import type { Arrival } from '../conformance.js';
import { ASCII_ADDRESS, startProviderServer, type ProviderAnswer, type ProviderServer } from './server.js';

const FIELDS = new Set(['api_key', 'sender', 'to', 'cc', 'bcc', 'subject', 'html_body', 'text_body', 'custom_headers', 'attachments', 'inlines', 'template_id', 'template_data', 'schedule', 'fastaccept']);
const FORBIDDEN_HEADERS = /^(content-type|content-transfer-encoding|mime-version)$/i;

const error = (status: number, text: string, code: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>): ProviderAnswer => ({
  status, ...(headers ? { headers } : {}), body: { request_id: randomUUID(), data: { error: text, error_code: `E_ApiResponseCodes.${code}`, ...extra } },
});

export const SMTP2GO_ERRORS = {
  invalidKey: error(401, 'Invalid API key', 'API_KEY_INVALID'),
  rateLimited: error(429, 'You have exceeded the rate limit for this endpoint', 'REQ_LIMIT_EXCEEDED', {}, { 'X-Rate-Limit-Limit': '250', 'X-Rate-Limit-Remaining': '0', 'X-Rate-Limit-Reset': '5' }),
  serverError: error(500, 'An internal error occurred', 'INTERNAL_ERROR'),
  badSender: error(400, 'An error occurred processing the json data: Field validation failed', 'NON_VALIDATING_IN_PAYLOAD', { field_validation_errors: { fieldname: 'sender', message: "The field 'sender' was expecting a valid RFC-822 formatted email field but found 'shop', Please correct your JSON payload and try again" } }),
  permissionDenied: error(400, 'The API key does not have permission to access this endpoint', 'ENDPOINT_PERMISSION_DENIED'),
} satisfies Record<string, ProviderAnswer>;

/** A 200 in which the given recipients failed (all of them when `failedAll`). */
export function partialFailure(failed: string[], succeeded: number): ProviderAnswer {
  return { status: 200, body: { request_id: randomUUID(), data: { succeeded, failed: failed.length, failures: failed.map((r) => `${r}: 550 recipient address rejected`), ...(succeeded ? { email_id: `1${randomBytes(5).toString('hex')}-${randomBytes(3).toString('hex')}` } : {}) } } };
}

export async function startSmtp2goServer(apiKey: string): Promise<ProviderServer> {
  return startProviderServer({
    faults: { auth: SMTP2GO_ERRORS.invalidKey, 'rate-limit': SMTP2GO_ERRORS.rateLimited, 'server-error': SMTP2GO_ERRORS.serverError, rejected: SMTP2GO_ERRORS.badSender },
    handle(request) {
      if (request.method !== 'POST') return { answer: error(405, 'Only POST is allowed', 'METHOD_NOT_ALLOWED') };
      if (!/^application\/json\b/.test(request.headers['content-type'] ?? '') || !request.json || typeof request.json !== 'object') {
        return { answer: error(400, 'An error occurred processing the json data', 'NON_VALIDATING_IN_PAYLOAD') };
      }
      const body = request.json as Record<string, unknown>;
      if ((request.headers['x-smtp2go-api-key'] ?? body.api_key) !== apiKey) return { answer: SMTP2GO_ERRORS.invalidKey };
      if (request.path === '/v3/stats/email_summary') {
        return { answer: { status: 200, body: { request_id: randomUUID(), data: { cycle_start: '2026-01-01', cycle_end: '2026-02-01', cycle_used: 10, cycle_remaining: 990, cycle_max: 1000, email_count: 10 } } } };
      }
      if (request.path !== '/v3/email/send') return { answer: error(404, 'Endpoint not found', 'ENDPOINT_NOT_FOUND') };
      const problem = check(body);
      if (problem) return { answer: error(400, 'An error occurred processing the json data: Field validation failed', 'NON_VALIDATING_IN_PAYLOAD', { field_validation_errors: problem }) };
      const emailId = `1${randomBytes(5).toString('hex')}-${randomBytes(3).toString('hex')}-${randomBytes(1).toString('hex')}`;
      const recipients = ['to', 'cc', 'bcc'].reduce((n, f) => n + ((body[f] as string[] | undefined)?.length ?? 0), 0);
      return {
        answer: { status: 200, body: { request_id: randomUUID(), data: { succeeded: recipients, failed: 0, failures: [], email_id: emailId } } },
        arrival: { ...toArrival(body as unknown as Body), providerMessageId: emailId },
      };
    },
  });
}

interface Body {
  sender: string; to: string[]; cc?: string[]; bcc?: string[]; subject: string; html_body?: string; text_body?: string;
  custom_headers?: { header: string; value: string }[];
  attachments?: { filename: string; fileblob: string; mimetype: string }[];
  inlines?: { filename: string; fileblob: string; mimetype: string }[];
}

function check(body: Record<string, unknown>): { fieldname: string; message: string } | undefined {
  const fail = (fieldname: string, message: string) => ({ fieldname, message });
  const unknown = Object.keys(body).find((k) => !FIELDS.has(k));
  if (unknown) return fail(unknown, `Additional properties are not allowed ('${unknown}' was unexpected)`);
  const rfc822 = (v: unknown) => typeof v === 'string' && parse(v).length === 1 && ASCII_ADDRESS.test(parse(v)[0]!.address);
  if (!rfc822(body.sender)) return fail('sender', `The field 'sender' was expecting a valid RFC-822 formatted email field but found '${String(body.sender)}'`);
  for (const field of ['to', 'cc', 'bcc']) {
    const list = body[field];
    if (list === undefined && field !== 'to') continue;
    if (!Array.isArray(list) || list.length < 1 || list.length > 100 || !list.every(rfc822)) return fail(field, `'${field}' must be an array of 1 to 100 RFC-822 addresses`);
  }
  if (typeof body.subject !== 'string' || body.subject.length > 255) return fail('subject', "'subject' must be a string of at most 255 characters");
  if (body.html_body === undefined && body.text_body === undefined && body.template_id === undefined) return fail('text_body', 'one of html_body, text_body or template_id is required');
  if (body.custom_headers !== undefined) {
    const headers = body.custom_headers as { header?: unknown; value?: unknown }[];
    if (!Array.isArray(headers) || !headers.every((h) => typeof h.header === 'string' && typeof h.value === 'string' && Object.keys(h).length === 2)) return fail('custom_headers', 'custom_headers items are {header, value}');
    const bad = headers.find((h) => FORBIDDEN_HEADERS.test(String(h.header)));
    if (bad) return fail('custom_headers', `the header '${String(bad.header)}' is not allowed`);
  }
  for (const field of ['attachments', 'inlines']) {
    const files = body[field] as Record<string, unknown>[] | undefined;
    if (files === undefined) continue;
    if (!Array.isArray(files) || !files.every((f) => typeof f.filename === 'string' && typeof f.fileblob === 'string' && typeof f.mimetype === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(f.fileblob))) {
      return fail(field, `${field} items are {filename, fileblob (base64), mimetype}`);
    }
  }
  return undefined;
}

function parse(value: string): Address[] {
  return (addressparser(value, { flatten: true }) as { address: string; name: string }[]).map((a) => (a.name ? { address: a.address, name: a.name } : { address: a.address }));
}

function toArrival(body: Body): Arrival {
  const headers: Record<string, string> = {};
  for (const { header, value } of body.custom_headers ?? []) headers[header] = value;
  const tags = headers['X-Mailroom-Tags'];
  const metadata = headers['X-Mailroom-Metadata'];
  const replyTo = headers['Reply-To'];
  const file = (f: { filename: string; fileblob: string; mimetype: string }, inline: boolean) =>
    ({ filename: f.filename, contentType: f.mimetype, content: Buffer.from(f.fileblob, 'base64'), ...(inline ? { cid: f.filename } : {}), inline });
  return {
    from: parse(body.sender)[0]!,
    to: body.to.flatMap(parse), cc: (body.cc ?? []).flatMap(parse), bcc: (body.bcc ?? []).flatMap(parse),
    replyTo: replyTo ? parse(replyTo) : [],
    subject: body.subject,
    ...(body.text_body !== undefined ? { text: body.text_body } : {}),
    ...(body.html_body !== undefined ? { html: body.html_body } : {}),
    attachments: [...(body.attachments ?? []).map((f) => file(f, false)), ...(body.inlines ?? []).map((f) => file(f, true))],
    headers,
    tags: tags ? tags.split(',').map((t) => t.trim()) : [],
    metadata: metadata ? (JSON.parse(metadata) as Record<string, string>) : {},
  };
}
