// SMTP2GO API v3: `POST /v3/email/send` with JSON and the `X-Smtp2go-Api-Key` header
// (developers.smtp2go.com/reference/introduction-1). A 200 can still hold per-recipient failures
// (`data.failed`, `data.failures[]`): those recipients are reported rejected, and a send in which
// every recipient failed is REJECTED.
import type { SendReceipt } from '../src/core/adapter.js';
import { formatAddress, formatAddressList, type Address } from '../src/core/address.js';
import { dsnApiKey, dsnChoice } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { errorFromResponse, type HttpResponse } from '../src/kit/http.js';
import { defineHttpAdapter, type HttpAdapterOptions } from '../src/kit/http-adapter.js';
import { headersWithTags, type NormalizedMessage } from '../src/core/message.js';

export interface Smtp2goOptions extends HttpAdapterOptions {
  /** An API key ("api-" + 32 characters) from SMTP2GO > Sending > API Keys. */
  apiKey: string;
  /** Regional endpoint; default the global one, which routes to the nearest region. */
  region?: 'us' | 'eu' | 'au';
}

interface Smtp2goData { succeeded?: number; failed?: number; failures?: unknown[]; email_id?: string; error?: string; error_code?: string; field_validation_errors?: unknown }

const dataOf = (response: HttpResponse) => (response.json as { data?: Smtp2goData } | undefined)?.data;

const smtp2go = defineHttpAdapter<Smtp2goOptions>({
  name: 'smtp2go',
  defaultUrl: ({ region }) => (region ? `https://${region}-api.smtp2go.com` : 'https://api.smtp2go.com'),
  required: ['apiKey'],
  ownOptions: { apiKey: true, region: true },
  whereToFind: 'SMTP2GO > Sending > API Keys',
  // What SMTP2GO can carry (the /email/send schema, PROVIDERS.md §4 T3, T4). The schema has no tag
  // or metadata field: both travel as the X-Mailroom-* headers the MIME adapters write. Reply-To is
  // a custom header, which takes a list; at most 100 addresses per to/cc/bcc field, taken as the
  // bound for one message; `to` is required (1 to 100 addresses); `subject` ≤ 255 characters.
  capabilities: { attachments: true, inlineImages: true, customHeaders: true, tags: true, metadata: true, maxReplyTo: Number.POSITIVE_INFINITY, maxRecipients: 100, requiresTo: true, maxSubjectLength: 255 },
  // A 200 can hold per-recipient failures (`data.failed`, `data.failures[]`; the 2017 schema and the
  // official WordPress plugin): only the body says who got the message. A 200 whose body is lost is
  // AMBIGUOUS, never a retry.
  success: { statuses: [200], unreadableBody: 'ambiguous', source: 'SMTP2GO /email/send: recipients can fail inside a 200, data.failed/failures (PROVIDERS.md §4 T4, T6)' },
  headers: (options) => ({ 'X-Smtp2go-Api-Key': options.apiKey }),
  secrets: (options) => [options.apiKey],
  send: { path: '/v3/email/send' },
  toPayload,
  parseReceipt: (response, { recipients, provider }) => {
    const data = dataOf(response);
    return data && typeof data.succeeded === 'number' ? receiptFrom(data, recipients, provider) : undefined;
  },
  toError: (response, { provider }) => toError(response, provider),
  // POST /v3/stats/email_summary: an account report that sends nothing (developers.smtp2go.com/docs/endpoints).
  verify: { path: '/v3/stats/email_summary', method: 'POST', json: {} },
  // `smtp2go+api://KEY@default` (`?region=eu|us|au`); another host[:port] replaces api.smtp2go.com.
  dsn: {
    schemes: { 'smtp2go+api': 'smtp2go+api://KEY@default' },
    options: (dsn) => {
      const region = dsnChoice(dsn, 'region', ['us', 'eu', 'au'] as const);
      return { apiKey: dsnApiKey(dsn), ...(region ? { region } : {}) };
    },
  },
});

export const smtp2goAdapter = smtp2go.create;
export const fromDsn = smtp2go.fromDsn;
export const dsn = smtp2go.dsn;
export const SMTP2GO_CAPABILITIES = smtp2go.capabilities;

// The official SDK writes "<a@b>" when there is no display name.
function mailbox(address: Address): string {
  return address.name ? formatAddress(address) : `<${address.address}>`;
}

function toPayload(message: NormalizedMessage): Record<string, unknown> {
  const headers = Object.entries(headersWithTags(message)).map(([header, value]) => ({ header, value }));
  if (message.replyTo.length) headers.push({ header: 'Reply-To', value: formatAddressList(message.replyTo) });
  const file = (a: NormalizedMessage['attachments'][number], filename: string) => ({ filename, fileblob: a.content.toString('base64'), mimetype: a.contentType });
  const files = message.attachments.filter((a) => !a.inline);
  // Inline parts are referenced as cid:<filename>, so an inline part is named by its cid.
  const inlines = message.attachments.filter((a) => a.inline);
  return {
    sender: mailbox(message.from),
    to: message.to.map(mailbox),
    ...(message.cc.length ? { cc: message.cc.map(mailbox) } : {}),
    ...(message.bcc.length ? { bcc: message.bcc.map(mailbox) } : {}),
    subject: message.subject,
    ...(message.html !== undefined ? { html_body: message.html } : {}),
    ...(message.text !== undefined ? { text_body: message.text } : {}),
    ...(headers.length ? { custom_headers: headers } : {}),
    ...(files.length ? { attachments: files.map((a) => file(a, a.filename)) } : {}),
    ...(inlines.length ? { inlines: inlines.map((a) => file(a, a.cid!)) } : {}),
  };
}

// The recipients SMTP2GO took; a send in which every recipient failed is REJECTED.
function receiptFrom(data: Smtp2goData, recipients: string[], provider: string): SendReceipt {
  const rejected = failedRecipients(data, recipients);
  if (data.succeeded === 0) {
    throw new MailError('REJECTED', `SMTP2GO accepted the request but no recipient: ${describeFailures(data)}`, { provider, status: 200, rejected: recipients });
  }
  const accepted = recipients.filter((r) => !rejected.includes(r));
  // A failure whose text names no recipient we sent to is still reported, as a warning.
  const failed = rejected.length || data.failed || 0;
  return {
    ...(data.email_id ? { providerMessageId: data.email_id } : {}),
    accepted,
    rejected,
    ...(failed ? { warnings: [`SMTP2GO refused ${failed} recipient(s): ${describeFailures(data)}`] } : {}),
  };
}

// failures[] entries are not documented precisely: strings, or objects naming the address.
function failedRecipients(data: Smtp2goData, recipients: string[]): string[] {
  const failed = new Set((data.failures ?? []).flatMap(addressesIn));
  const named = recipients.filter((r) => failed.has(r.toLowerCase()));
  if (named.length > 0 || !data.failed) return named;
  return data.succeeded === 0 ? recipients : [];
}

// Anything that looks like an address, whole, in lower case: a recipient is failed only when a
// failure names exactly it (a substring test took ann@ for failed when joann@ was).
const ADDRESS_LIKE = /[^\s<>"(),;:[\]{}]+@[^\s<>"(),;:[\]{}]+/g;

function addressesIn(failure: unknown): string[] {
  const text = typeof failure === 'string' ? failure : JSON.stringify(failure) ?? '';
  // Quotes and a sentence's full stop around an address are not part of it.
  return (text.match(ADDRESS_LIKE) ?? []).map((found) => found.replace(/^['.]+|['.]+$/g, '').toLowerCase());
}

function describeFailures(data: Smtp2goData): string {
  return (data.failures ?? []).map((f) => (typeof f === 'string' ? f : JSON.stringify(f))).join('; ') || `${data.failed ?? 0} failed`;
}

function toError(response: HttpResponse, provider: string): MailError {
  const data = dataOf(response);
  const field = data?.field_validation_errors ? ` ${JSON.stringify(data.field_validation_errors)}` : '';
  const detail = data?.error ? `${data.error}${data.error_code ? ` (${data.error_code})` : ''}${field}` : response.text.trim();
  // The detail names SMTP2GO's error_code: the catalogue turns a key without permission for the
  // endpoint (a 400) into AUTH, the account's problem rather than the message's, and gives each remedy.
  return errorFromResponse(response, { provider, detail, resetHeaders: ['x-rate-limit-reset'] });
}
