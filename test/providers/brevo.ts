// A local Brevo API v3 that enforces the documented contract of POST /v3/smtp/email and
// GET /v3/account (Brevo's OAS `sendSmtpEmail`; ../shared/PROVIDERS.md §1) and answers with Brevo's
// own bodies: 201 {messageId}, errorModel {code, message}, 429 with x-sib-ratelimit-* headers.
import { randomInt } from 'node:crypto';
import type { Arrival } from '../conformance.js';
import { ASCII_ADDRESS, startProviderServer, type ProviderAnswer, type ProviderRequest, type ProviderServer } from './server.js';

const SEND_FIELDS = new Set(['sender', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'htmlContent', 'textContent', 'attachment', 'headers', 'templateId', 'params', 'tags', 'scheduledAt', 'batchId', 'messageVersions']);
// The spec's list of attachment extensions Brevo accepts (abridged to what tests send and common ones).
const EXTENSIONS = /\.(xlsx|xls|ods|docx|docm|doc|csv|pdf|txt|gif|jpg|jpeg|png|tif|tiff|rtf|bmp|cgm|css|shtml|html|htm|zip|xml|ppt|pptx|tar|ez|ics|mobi|msg|pub|eps|odt|mp3|m4a|m4v|wma|ogg|flac|wav|aif|aifc|aiff|mp4|mov|avi|mkv|mpeg|mpg|wmv|pkpass|xlsm)$/i;

export const BREVO_ERRORS = {
  unauthorized: { status: 401, body: { code: 'unauthorized', message: 'Key not found' } },
  rateLimited: { status: 429, headers: { 'x-sib-ratelimit-limit': '1000', 'x-sib-ratelimit-remaining': '0', 'x-sib-ratelimit-reset': '2' }, body: { code: 'too_many_requests', message: 'The expected rate limit is exceeded.' } },
  serverError: { status: 500, body: { code: 'internal_error', message: 'Internal server error' } },
  invalidSender: { status: 400, body: { code: 'invalid_parameter', message: 'valid sender email required' } },
  noCredits: { status: 402, body: { code: 'not_enough_credits', message: 'You do not have enough credits to send this email' } },
} satisfies Record<string, ProviderAnswer>;

export interface BrevoServer extends ProviderServer {
  apiKey: string;
}

export async function startBrevoServer(apiKey = 'xkeysib-test-0123456789abcdef'): Promise<BrevoServer> {
  const server = await startProviderServer({
    faults: { auth: BREVO_ERRORS.unauthorized, 'rate-limit': BREVO_ERRORS.rateLimited, 'server-error': BREVO_ERRORS.serverError, rejected: BREVO_ERRORS.invalidSender },
    handle(request) {
      if (request.headers['api-key'] !== apiKey) return { answer: BREVO_ERRORS.unauthorized };
      if (request.path === '/v3/account') {
        if (request.method !== 'GET') return { answer: methodNotAllowed(request) };
        return { answer: { status: 200, body: { email: 'owner@example.com', firstName: 'Test', lastName: 'Owner', companyName: 'Example', plan: [{ type: 'free', credits: 300, creditsType: 'sendLimit' }], relay: { enabled: true, data: { userName: 'owner@example.com', relay: 'smtp-relay.brevo.com', port: 587 } } } } };
      }
      if (request.path !== '/v3/smtp/email') return { answer: { status: 404, body: { code: 'not_found', message: 'Invalid route' } } };
      if (request.method !== 'POST') return { answer: methodNotAllowed(request) };
      if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) return { answer: bad('bad_request', 'Content-Type must be application/json') };
      const problem = checkSend(request.json);
      if (problem) return { answer: bad('invalid_parameter', problem) };
      const messageId = `<${Date.now()}${randomInt(1e6)}.${randomInt(1e6)}@smtp-relay.mailin.fr>`;
      return { answer: { status: 201, body: { messageId } }, arrival: { ...toArrival(request.json as Body), providerMessageId: messageId } };
    },
  });
  return Object.assign(server, { apiKey });
}

type Contact = { email: string; name?: string };
interface Body {
  sender: Contact; to: Contact[]; cc?: Contact[]; bcc?: Contact[]; replyTo?: Contact; subject: string;
  htmlContent?: string; textContent?: string; attachment?: { name: string; content: string }[];
  headers?: Record<string, string>; tags?: string[];
}

function methodNotAllowed(request: ProviderRequest): ProviderAnswer {
  return { status: 405, body: { code: 'method_not_allowed', message: `${request.method} Method is not allowed on this path` } };
}

function bad(code: string, message: string): ProviderAnswer {
  return { status: 400, body: { code, message } };
}

// Field names and types of sendSmtpEmail; the first violation found, as Brevo's message would say.
function checkSend(json: unknown): string | undefined {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return 'body must be a JSON object';
  const body = json as Record<string, unknown>;
  const unknown = Object.keys(body).find((key) => !SEND_FIELDS.has(key));
  if (unknown) return `${unknown} is not a valid parameter`;
  const isContact = (value: unknown) =>
    !!value && typeof value === 'object' && typeof (value as Contact).email === 'string' && ASCII_ADDRESS.test((value as Contact).email)
    && ((value as Contact).name === undefined || typeof (value as Contact).name === 'string')
    && Object.keys(value).every((k) => k === 'email' || k === 'name');
  if (!isContact(body.sender)) return 'valid sender email required';
  for (const field of ['to', 'cc', 'bcc'] as const) {
    const list = body[field];
    if (list === undefined && field !== 'to') continue;
    if (!Array.isArray(list) || list.length === 0 || !list.every(isContact)) return `email is not valid in ${field}`;
  }
  if (body.replyTo !== undefined && !isContact(body.replyTo)) return 'replyTo must be one object {email, name}';
  // Every contact's name: "Maximum allowed characters are 70" (OAS); the text is Brevo's own, from a reported 400.
  for (const field of ['sender', 'to', 'cc', 'bcc', 'replyTo'] as const) {
    const long = [body[field] ?? []].flat().find((c) => typeof (c as Contact).name === 'string' && (c as Contact).name!.length > 70);
    if (long) return `You can have max 70 character in ${field} name`;
  }
  if (typeof body.subject !== 'string' || !body.subject) return 'subject is missing';
  if (body.htmlContent === undefined && body.textContent === undefined) return 'htmlContent or textContent is missing';
  for (const field of ['htmlContent', 'textContent'] as const) if (body[field] !== undefined && typeof body[field] !== 'string') return `${field} must be a string`;
  if (body.attachment !== undefined) {
    if (!Array.isArray(body.attachment)) return 'attachment must be an array';
    for (const a of body.attachment as Record<string, unknown>[]) {
      if (typeof a.name !== 'string' || typeof a.content !== 'string' || Object.keys(a).some((k) => k !== 'name' && k !== 'content')) return 'attachment items need name and content (base64)';
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(a.content)) return `attachment ${a.name} content is not base64`;
      if (!EXTENSIONS.test(a.name)) return `Unsupported file extension in attachment ${a.name}`;
    }
  }
  if (body.headers !== undefined) {
    if (typeof body.headers !== 'object' || body.headers === null) return 'headers must be an object';
    if (!Object.values(body.headers).every((v) => typeof v === 'string')) return 'header values must be strings';
  }
  if (body.tags !== undefined && (!Array.isArray(body.tags) || !body.tags.every((t) => typeof t === 'string'))) return 'tags must be an array of strings';
  return undefined;
}

function toArrival(body: Body): Arrival {
  const address = (c: Contact) => (c.name ? { address: c.email, name: c.name } : { address: c.email });
  const headers = { ...body.headers };
  const custom = headers['X-Mailin-custom'];
  delete headers['X-Mailin-custom'];
  return {
    from: address(body.sender),
    to: body.to.map(address),
    cc: (body.cc ?? []).map(address),
    bcc: (body.bcc ?? []).map(address),
    replyTo: body.replyTo ? [address(body.replyTo)] : [],
    subject: body.subject,
    ...(body.textContent !== undefined ? { text: body.textContent } : {}),
    ...(body.htmlContent !== undefined ? { html: body.htmlContent } : {}),
    attachments: (body.attachment ?? []).map((a) => ({ filename: a.name, contentType: contentTypeOf(a.name), content: Buffer.from(a.content, 'base64'), inline: false })),
    headers,
    tags: body.tags ?? [],
    metadata: custom ? (JSON.parse(custom) as Record<string, string>) : {},
  };
}

// Brevo derives the attachment type from the file name; it takes no content type.
export function contentTypeOf(name: string): string {
  const types: Record<string, string> = { pdf: 'application/pdf', png: 'image/png', txt: 'text/plain', jpg: 'image/jpeg', csv: 'text/csv' };
  return types[name.slice(name.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
}
