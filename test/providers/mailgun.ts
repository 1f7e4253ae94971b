// A local Mailgun API that enforces the documented contract of POST /v3/{domain}/messages
// (multipart/form-data, Basic api:KEY; Mailgun's OAS, ../shared/PROVIDERS.md §3) and
// GET /v4/domains/{name}, and answers like Mailgun: 200 {id, message}, 401 "Forbidden", 404
// "Domain not found: …" for a domain of the other region, and 200 "Mailgun Magnificent API" for an
// unknown path.
import { randomBytes } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import type { Address } from '../../src/core/address.js';
import type { Arrival } from '../conformance.js';
import { ASCII_ADDRESS, startProviderServer, type ProviderAnswer, type ProviderServer } from './server.js';

const TEXT_FIELDS = new Set(['from', 'to', 'cc', 'bcc', 'subject', 'text', 'html', 'amp-html', 'template', 'recipient-variables', 't:version', 't:text', 't:variables']);
const FILE_FIELDS = new Set(['attachment', 'inline']);

export const MAILGUN_ERRORS = {
  forbidden: { status: 401, body: 'Forbidden' },
  rateLimited: { status: 429, body: { message: 'Domain mg.example.com is not allowed to send: account-requests-per-sec limit exceeded, try again after 120 seconds' } },
  serverError: { status: 500, body: { message: 'Internal Server Error' } },
  badTo: { status: 400, body: { message: "'to' parameter is not a valid address. please check documentation" } },
  magnificent: { status: 200, body: 'Mailgun Magnificent API' },
} satisfies Record<string, ProviderAnswer>;

export async function startMailgunServer(apiKey: string, domains: string[]): Promise<ProviderServer> {
  const expected = `Basic ${Buffer.from(`api:${apiKey}`).toString('base64')}`;
  return startProviderServer({
    faults: { auth: MAILGUN_ERRORS.forbidden, 'rate-limit': MAILGUN_ERRORS.rateLimited, 'server-error': MAILGUN_ERRORS.serverError, rejected: MAILGUN_ERRORS.badTo },
    async handle(request) {
      if (request.headers.authorization !== expected) return { answer: MAILGUN_ERRORS.forbidden };
      const domainInfo = /^\/v4\/domains\/([^/]+)$/.exec(request.path);
      if (domainInfo && request.method === 'GET') {
        const name = decodeURIComponent(domainInfo[1]!);
        if (!domains.includes(name)) return { answer: { status: 404, body: { message: 'Domain not found' } } };
        return { answer: { status: 200, body: { domain: { name, state: 'active', type: 'custom', created_at: 'Tue, 01 Jan 2026 00:00:00 GMT' }, receiving_dns_records: [], sending_dns_records: [] } } };
      }
      const send = /^\/v3\/([^/]+)\/messages$/.exec(request.path);
      if (!send || request.method !== 'POST') return { answer: MAILGUN_ERRORS.magnificent };
      const domain = decodeURIComponent(send[1]!);
      if (!domains.includes(domain)) return { answer: { status: 404, body: { message: `Domain not found: ${domain}` } } };
      if (!/^multipart\/form-data; boundary=/.test(request.headers['content-type'] ?? '') || !request.form) {
        return { answer: { status: 400, body: { message: 'expected multipart/form-data' } } };
      }
      const form = request.form;
      for (const [key, value] of form) {
        // A variable or header name may hold any character, a line or paragraph separator (U+2028/9) included.
        const known = TEXT_FIELDS.has(key) || FILE_FIELDS.has(key) || /^(o|h|v):.+/s.test(key);
        if (!known) return { answer: { status: 400, body: { message: `unknown parameter '${key}'` } } };
        if (FILE_FIELDS.has(key) !== (typeof value !== 'string')) return { answer: { status: 400, body: { message: `'${key}' must be ${FILE_FIELDS.has(key) ? 'a file' : 'a text field'}` } } };
      }
      if (!form.get('from')) return { answer: { status: 400, body: { message: 'from parameter is missing' } } };
      if (!form.get('to')) return { answer: { status: 400, body: { message: "'to' parameter is missing" } } };
      if (form.get('subject') === null) return { answer: { status: 400, body: { message: 'subject parameter is missing' } } };
      if (!form.has('text') && !form.has('html') && !form.has('amp-html') && !form.has('template')) {
        return { answer: { status: 400, body: { message: "Need at least one of 'text', 'html', 'amp-html' or 'template' parameters specified" } } };
      }
      // Tags are ASCII only, at most 128 characters (PROVIDERS.md §3 G3); the refusal's text is the server's own.
      const badTag = form.getAll('o:tag').map(String).find((tag) => tag.length > 128 || !/^[\x00-\x7f]*$/.test(tag));
      if (badTag !== undefined) return { answer: { status: 400, body: { message: `o:tag '${badTag.slice(0, 40)}' is invalid: tags are ASCII, at most 128 characters` } } };
      const optionBytes = [...form].filter(([k]) => /^(o|h|v|t):/.test(k)).reduce((sum, [k, v]) => sum + k.length + (typeof v === 'string' ? Buffer.byteLength(v) : 0), 0);
      if (optionBytes > 16 * 1024) return { answer: { status: 400, body: { message: 'Send options (parameters starting with o:, h:, or v:) are limited to 16KB total' } } };
      const addresses = (key: string) => form.getAll(key).flatMap((v) => parse(String(v)));
      if ([...addresses('to'), ...addresses('cc'), ...addresses('bcc'), ...addresses('from')].some((a) => !ASCII_ADDRESS.test(a.address))) {
        return { answer: MAILGUN_ERRORS.badTo };
      }
      const id = `<${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}.${randomBytes(8).toString('hex')}@${domain}>`;
      const headers: Record<string, string> = {};
      const metadata: Record<string, string> = {};
      for (const [key, value] of form) {
        if (key.startsWith('h:') && key !== 'h:Reply-To') headers[key.slice(2)] = String(value);
        if (key.startsWith('v:')) metadata[key.slice(2)] = String(value);
      }
      const files = await Promise.all(form.getAll('attachment').concat(form.getAll('inline')).map(async (value) => {
        const file = value as File;
        const inline = form.getAll('inline').includes(value);
        return { filename: file.name, contentType: file.type, content: Buffer.from(await file.arrayBuffer()), ...(inline ? { cid: file.name } : {}), inline };
      }));
      const arrival: Arrival = {
        from: addresses('from')[0]!, to: addresses('to'), cc: addresses('cc'), bcc: addresses('bcc'),
        replyTo: form.has('h:Reply-To') ? parse(String(form.get('h:Reply-To'))) : [],
        subject: String(form.get('subject')),
        ...(form.has('text') ? { text: String(form.get('text')) } : {}),
        ...(form.has('html') ? { html: String(form.get('html')) } : {}),
        attachments: files, headers,
        tags: form.getAll('o:tag').map(String),
        metadata,
        providerMessageId: id,
      };
      return { answer: { status: 200, body: { id, message: 'Queued. Thank you.' } }, arrival };
    },
  });
}

function parse(value: string): Address[] {
  return (addressparser(value, { flatten: true }) as { address: string; name: string }[]).map((a) => (a.name ? { address: a.address, name: a.name } : { address: a.address }));
}
