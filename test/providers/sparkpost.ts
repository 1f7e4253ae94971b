// A local SparkPost API that enforces the documented contract of POST /api/v1/transmissions and
// GET /api/v1/transmissions/{id} and answers like SparkPost (sources in test/providers/SOURCES.md §4):
// - auth: `Authorization: <key>` (the bare key, no "Bearer"), or Basic with the key as user name
//   and an empty password; else 401 {errors: [{message: "Unauthorized."}]} [P S1; S S-ru]
// - body: recipients [{address: {email, name?, header_to?}, tags?, metadata?, substitution_data?}]
//   (cc and bcc are recipients whose header_to shows the To list; cc also in a Cc header),
//   content {from (string or {email, name}), subject, text | html, reply_to (string), headers
//   (not Subject/From/To/Reply-To/Content-Type/Content-Transfer-Encoding), attachments and
//   inline_images [{name (255 bytes), type, data (base64)}]}, campaign_id (64 bytes), metadata
//   (10 KB), options, description, substitution_data, return_path [P S2, S3]
// - content (text + html + attachments + inline images) at most 20 MB [P S2]
// - success: 200 {results: {total_rejected_recipients, total_accepted_recipients, id}}; with
//   rejected recipients also errors [{code: "2000"}] and results.rcpt_to_errors [P S2]
// - errors: {errors: [{message, description?, code}]}: 422 1400 missing field, 422 1300 bad data,
//   400 7001 unconfigured sending domain, 420 2101/2102/2103 sending limits [P S1, S2, S4]
// Stricter than confirmed: unknown members are refused, and so is a header_to that is not an
// address (an empty one) (SOURCES.md "Not confirmed").
import { randomInt } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import type { Address } from '../../src/core/address.js';
import type { Arrival } from '../conformance.js';
import { ASCII_ADDRESS, startProviderServer, type ProviderAnswer, type ProviderServer } from './server.js';

const FIELDS = new Set(['options', 'recipients', 'content', 'campaign_id', 'description', 'metadata', 'substitution_data', 'return_path']);
const CONTENT_FIELDS = new Set(['from', 'subject', 'text', 'html', 'amp_html', 'reply_to', 'headers', 'attachments', 'inline_images', 'template_id', 'email_rfc822']);
const FORBIDDEN_HEADERS = new Set(['subject', 'from', 'to', 'reply-to', 'content-type', 'content-transfer-encoding']);
const MAX_CONTENT_BYTES = 20 * 1024 * 1024;

const errors = (status: number, code: string, message: string, description?: string): ProviderAnswer =>
  ({ status, body: { errors: [{ message, ...(description ? { description } : {}), code }] } });

export const SPARKPOST_ERRORS = {
  unauthorized: { status: 401, body: { errors: [{ message: 'Unauthorized.' }] } },
  hourlyLimit: errors(420, '2101', 'Exceed Sending Limit (hourly)'),
  dailyLimit: errors(420, '2102', 'Exceed Sending Limit (daily)'),
  serverError: { status: 500, body: { errors: [{ message: 'internal error', code: '1900' }] } },
  missingField: errors(422, '1400', 'required field is missing', 'content object or template_id required'),
  badDomain: errors(400, '7001', 'Invalid domain', 'Unconfigured or unverified sending domain.'),
} satisfies Record<string, ProviderAnswer>;

export interface SparkpostServer extends ProviderServer {
  apiKey: string;
  /** Recipients SparkPost refuses at generation (answered in rcpt_to_errors of a 200). */
  refused: Set<string>;
}

export async function startSparkpostServer(apiKey = '0123456789abcdef0123456789abcdef01234567', domains = ['example.com', 'xn--bcher-kva.example']): Promise<SparkpostServer> {
  const refused = new Set<string>();
  const basic = `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`;
  const server = await startProviderServer({
    faults: { auth: SPARKPOST_ERRORS.unauthorized, 'rate-limit': SPARKPOST_ERRORS.hourlyLimit, 'server-error': SPARKPOST_ERRORS.serverError, rejected: SPARKPOST_ERRORS.missingField },
    handle(request) {
      const auth = request.headers.authorization;
      if (auth !== apiKey && auth !== basic) return { answer: SPARKPOST_ERRORS.unauthorized };
      const one = /^\/api\/v1\/transmissions\/([^/]+)$/.exec(request.path);
      if (one && request.method === 'GET') return { answer: errors(404, '1600', 'resource not found', `Resource not found:transmission id ${decodeURIComponent(one[1]!)}`) };
      if (request.path !== '/api/v1/transmissions') return { answer: errors(404, '1101', 'invalid URI') };
      if (request.method !== 'POST') return { answer: errors(405, '1102', 'invalid HTTP method') };
      if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) return { answer: errors(415, '1300', 'invalid data format/type/length', 'Content-Type must be application/json') };
      if (request.json === undefined) return { answer: errors(400, '1300', 'invalid data format/type/length', 'the request body is not JSON') };
      const body = request.json as Body;
      const problem = check(body, domains);
      if (problem) return { answer: problem };
      const id = String(randomInt(1e9, 2 ** 47)) + String(randomInt(1e6, 1e7));
      const accepted = body.recipients.filter((r) => !refused.has(r.address.email.toLowerCase()));
      const rejected = body.recipients.length - accepted.length;
      const results = { total_rejected_recipients: rejected, total_accepted_recipients: accepted.length, id };
      if (accepted.length === 0) return { answer: { status: 200, body: { results } } };
      if (rejected > 0) {
        return {
          answer: { status: 200, body: { errors: [{ message: 'transmission created, but with validation errors', code: '2000' }], results: { rcpt_to_errors: Array.from({ length: rejected }, () => ({ message: 'recipient address was suppressed due to customer policy', code: '1902' })), ...results } } },
          arrival: { ...toArrival({ ...body, recipients: accepted }), providerMessageId: id },
        };
      }
      return { answer: { status: 200, body: { results } }, arrival: { ...toArrival(body), providerMessageId: id } };
    },
  });
  return Object.assign(server, { apiKey, refused });
}

type From = string | { email: string; name?: string };
interface Recipient { address: { email: string; name?: string; header_to?: string }; tags?: string[]; metadata?: Record<string, unknown> }
type File = { name: string; type: string; data: string };
interface Body {
  recipients: Recipient[]; campaign_id?: string; metadata?: Record<string, unknown>;
  content: { from: From; subject: string; text?: string; html?: string; reply_to?: string; headers?: Record<string, string>; attachments?: File[]; inline_images?: File[] };
  options?: { perform_substitutions?: boolean };
}

// SparkPost's template language as far as a rendered message meets it: it runs over from, subject,
// reply_to and headers, and over text and html unless options.perform_substitutions is false; each
// {{ expression }} (or {{{ }}}) becomes its value: a brace macro's braces, nothing for a variable
// the transmission does not define ("Braces Macros", template-language.apib) [P S2].
const BRACES: Record<string, string> = {
  'opening_single_curly()': '{', 'opening_double_curly()': '{{', 'opening_triple_curly()': '{{{',
  'closing_single_curly()': '}', 'closing_double_curly()': '}}', 'closing_triple_curly()': '}}}',
};

function render(text: string): string {
  return text.replace(/\{\{\{?([^{}]*?)\}\}\}?/g, (_, expression: string) => BRACES[expression.trim()] ?? '');
}

function rendered(body: Body): Body {
  const { content } = body;
  const bodies = body.options?.perform_substitutions !== false;
  const from = typeof content.from === 'string' ? render(content.from) : { ...content.from, ...(content.from.name !== undefined ? { name: render(content.from.name) } : {}) };
  return {
    ...body,
    content: {
      ...content, from, subject: render(content.subject),
      ...(content.reply_to !== undefined ? { reply_to: render(content.reply_to) } : {}),
      ...(content.headers ? { headers: Object.fromEntries(Object.entries(content.headers).map(([name, value]) => [name, render(value)])) } : {}),
      ...(bodies && content.text !== undefined ? { text: render(content.text) } : {}),
      ...(bodies && content.html !== undefined ? { html: render(content.html) } : {}),
    },
  };
}

function parse(value: string): Address[] {
  return (addressparser(value, { flatten: true }) as { address: string; name: string }[]).map((a) => (a.name ? { address: a.address, name: a.name } : { address: a.address }));
}

function fromAddress(from: From): Address | undefined {
  if (typeof from === 'string') return parse(from)[0];
  if (!from || typeof from !== 'object' || typeof from.email !== 'string') return undefined;
  return from.name ? { address: from.email, name: from.name } : { address: from.email };
}

const invalid = (description: string) => errors(422, '1300', 'invalid data format/type/length', description);
const missing = (description: string) => errors(422, '1400', 'required field is missing', description);

function check(body: Body, domains: string[]): ProviderAnswer | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return invalid('the request body must be an object');
  const unknown = Object.keys(body).find((key) => !FIELDS.has(key));
  if (unknown) return invalid(`unknown field '${unknown}'`);
  if (!Array.isArray(body.recipients) || body.recipients.length === 0) return missing('recipients is required');
  for (const r of body.recipients) {
    if (!r || typeof r.address !== 'object' || typeof r.address.email !== 'string') return missing('address.email is required for each recipient');
    if (!ASCII_ADDRESS.test(r.address.email)) return invalid(`invalid email address '${r.address.email}'`);
    // "Email address to display in the To header" [P S3]: an empty one is not (stricter than confirmed).
    if (r.address.header_to !== undefined && (typeof r.address.header_to !== 'string' || parse(r.address.header_to).length === 0 || parse(r.address.header_to).some((a) => !ASCII_ADDRESS.test(a.address)))) {
      return invalid('address.header_to must be the email address(es) to display in the To header');
    }
    if (r.tags !== undefined && (!Array.isArray(r.tags) || !r.tags.every((t) => typeof t === 'string'))) return invalid('recipient tags must be an array of strings');
  }
  const content = body.content;
  if (!content || typeof content !== 'object') return missing('content object or template_id required');
  const extra = Object.keys(content).find((key) => !CONTENT_FIELDS.has(key));
  if (extra) return invalid(`unknown field 'content.${extra}'`);
  const from = fromAddress(content.from);
  if (!from) return missing('content.from is required');
  if (!ASCII_ADDRESS.test(from.address)) return invalid(`invalid from address '${from.address}'`);
  if (!domains.includes(from.address.slice(from.address.lastIndexOf('@') + 1).toLowerCase())) return SPARKPOST_ERRORS.badDomain;
  if (typeof content.subject !== 'string') return missing('content.subject is required');
  if (content.text === undefined && content.html === undefined) return missing('content.html or content.text is required');
  if (content.reply_to !== undefined && (typeof content.reply_to !== 'string' || parse(content.reply_to).some((a) => !ASCII_ADDRESS.test(a.address)))) return invalid('content.reply_to must be a string of valid addresses');
  if (content.headers !== undefined) {
    if (typeof content.headers !== 'object' || !Object.values(content.headers).every((v) => typeof v === 'string')) return invalid('content.headers values must be strings');
    const reserved = Object.keys(content.headers).find((name) => FORBIDDEN_HEADERS.has(name.toLowerCase()));
    if (reserved) return invalid(`header '${reserved}' is not allowed in content.headers`);
  }
  const names = new Set<string>();
  for (const [field, files] of [['attachments', content.attachments], ['inline_images', content.inline_images]] as const) {
    if (files === undefined) continue;
    if (!Array.isArray(files)) return invalid(`content.${field} must be an array`);
    for (const f of files) {
      if (!f || typeof f.name !== 'string' || typeof f.type !== 'string' || typeof f.data !== 'string' || Object.keys(f).length !== 3) return missing(`name, type and data are required for each of content.${field}`);
      if (Buffer.byteLength(f.name) > 255) return invalid(`content.${field} name is longer than 255 bytes`);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(f.data)) return invalid(`content.${field} data is not base64`);
      if (field === 'inline_images' && names.has(f.name)) return invalid('inline image names must be unique');
      if (field === 'inline_images') names.add(f.name);
    }
  }
  const size = [content.text, content.html, ...(content.attachments ?? []).map((f) => f.data), ...(content.inline_images ?? []).map((f) => f.data)]
    .reduce((sum, part) => sum + (part ? Buffer.byteLength(part) : 0), 0);
  if (size > MAX_CONTENT_BYTES) return invalid('the transmission content (text + html + attachments + inline images) is limited to 20 MB');
  if (body.campaign_id !== undefined && (typeof body.campaign_id !== 'string' || Buffer.byteLength(body.campaign_id) > 64)) return invalid('campaign_id is limited to 64 bytes');
  if (body.metadata !== undefined && (typeof body.metadata !== 'object' || Buffer.byteLength(JSON.stringify(body.metadata)) > 10 * 1024)) return invalid('metadata is limited to 10 KB');
  return undefined;
}

function toArrival(sent: Body): Arrival {
  const body = rendered(sent);
  const { content } = body;
  const headers: Record<string, string> = { ...content.headers };
  const ccHeader = headers.Cc;
  delete headers.Cc;
  // The To header is each recipient's header_to, or its own address [P S3]. Our adapter writes one
  // header_to, the To list, on every recipient when the message has a To list; none when it has
  // only cc and bcc (each copy then shows its own recipient in To: nobody else's address).
  const shown = body.recipients.find((r) => r.address.header_to !== undefined)?.address.header_to;
  const to = shown ? parse(shown) : [];
  const cc = ccHeader ? parse(ccHeader) : [];
  const visible = new Set([...to, ...cc].map((a) => a.address.toLowerCase()));
  const file = (f: File, inline: boolean) => ({ filename: f.name, contentType: f.type, content: Buffer.from(f.data, 'base64'), ...(inline ? { cid: f.name } : {}), inline });
  return {
    from: fromAddress(content.from)!,
    to, cc,
    bcc: body.recipients.filter((r) => !visible.has(r.address.email.toLowerCase())).map((r) => ({ address: r.address.email })),
    replyTo: content.reply_to ? parse(content.reply_to) : [],
    subject: content.subject,
    ...(content.text !== undefined ? { text: content.text } : {}),
    ...(content.html !== undefined ? { html: content.html } : {}),
    attachments: [...(content.attachments ?? []).map((f) => file(f, false)), ...(content.inline_images ?? []).map((f) => file(f, true))],
    headers,
    tags: body.campaign_id ? [body.campaign_id] : [],
    metadata: (body.metadata ?? {}) as Record<string, string>,
  };
}
