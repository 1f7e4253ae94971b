// Brevo (formerly Sendinblue) transactional email, API v3: `POST /v3/smtp/email` with the
// `api-key` header and a JSON `sendSmtpEmail` body (Brevo's OAS, operation sendTransacEmail).
import type { Address } from '../src/core/address.js';
import { dsnApiKey } from '../src/core/dsn-options.js';
import { defineHttpAdapter, type HttpAdapterOptions } from '../src/kit/http-adapter.js';
import { contentTypeFromName, type NormalizedMessage } from '../src/core/message.js';
import type { SendContext } from '../src/core/adapter.js';

export interface BrevoOptions extends HttpAdapterOptions {
  /** A v3 API key (Brevo > SMTP & API > API keys), not an SMTP key. */
  apiKey: string;
}

const brevo = defineHttpAdapter<BrevoOptions>({
  name: 'brevo',
  defaultUrl: 'https://api.brevo.com',
  required: ['apiKey'],
  ownOptions: { apiKey: true },
  whereToFind: 'a v3 API key from Brevo > SMTP & API',
  // What Brevo can carry (Brevo's OAS `sendSmtpEmail`, PROVIDERS.md §1; anymail's Brevo backend).
  // Its attachments have no Content-ID, so no inline images; no documented size limit (PROVIDERS.md,
  // open question 5: the mailer's own `limits` apply); `replyTo` is one object; `messageVersions`
  // allows 99 recipients per version, the bound for one message; `to` is required (unless
  // messageVersions, which mailroom does not send). Unicode local parts are not documented.
  capabilities: { attachments: true, customHeaders: true, tags: true, metadata: true, maxReplyTo: 1, maxRecipients: 99, requiresTo: true, requiresSubject: true },
  // 201 (202 when scheduled) means Brevo took the message for every recipient: an invalid recipient
  // or sender is a 400 before anything is sent. So a success whose body is lost is a send with an
  // unknown messageId, never a retry.
  success: { statuses: [201, 202], unreadableBody: 'sent', source: 'Brevo OAS sendTransacEmail: 201 "Email sent" for the whole request, errors are 4xx (PROVIDERS.md §1 B1)' },
  headers: (options) => ({ 'api-key': options.apiKey }),
  secrets: (options) => [options.apiKey],
  send: { path: '/v3/smtp/email' },
  toPayload,
  parseReceipt: ({ json }, { recipients, message }) => {
    const messageId = (json as { messageId?: unknown } | undefined)?.messageId;
    if (typeof messageId !== 'string') return undefined;
    const warnings = [...nameWarnings(message), ...typeWarnings(message)];
    return { providerMessageId: messageId, accepted: recipients, rejected: [], ...(warnings.length > 0 ? { warnings } : {}) };
  },
  // A wrong key, no credits, a sender not validated: their codes and remedies are in the catalogue.
  // Brevo's 429 carries its own reset header, in seconds (developers.brevo.com/docs/limit-headers).
  resetHeaders: ['x-sib-ratelimit-reset'],
  // GET /v3/account: "Get account details" (https://developers.brevo.com/reference/get-account).
  verify: { path: '/v3/account' },
  // `brevo+api://KEY@default`; another host[:port] replaces api.brevo.com.
  dsn: { schemes: { 'brevo+api': 'brevo+api://KEY@default' }, options: (dsn) => ({ apiKey: dsnApiKey(dsn) }) },
});

export const brevoAdapter = brevo.create;
export const fromDsn = brevo.fromDsn;
export const dsn = brevo.dsn;
export const BREVO_CAPABILITIES = brevo.capabilities;

// Brevo's attachment has a name and content, no type: Brevo derives the type from the name's
// extension (OAS `sendSmtpEmail.attachment`). A type given that the name does not imply is not sent.
function typeWarnings(message: NormalizedMessage): string[] {
  return message.attachments
    .filter((a) => a.contentType !== contentTypeFromName(a.filename))
    .map((a) => `brevo takes no attachment type and derives it from the file name: ${JSON.stringify(a.filename)} was sent without its type ${a.contentType}`);
}

// Every contact name in `sendSmtpEmail` (sender, to, cc, bcc, replyTo) is at most 70 characters
// ("Maximum allowed characters are 70", Brevo's OAS and SDKs, PROVIDERS.md §1 B1): a longer one is
// a 400 ("You can have max 70 character in to name") that would stop the chain for a display
// name. It is cut, with a warning.
const MAX_NAME = 70;
const NAME_FIELDS = [['from', 'sender'], ['to', 'recipient'], ['cc', 'cc recipient'], ['bcc', 'bcc recipient'], ['replyTo', 'reply-to']] as const;

function cutName(name: string): string {
  let cut = '';
  for (const character of name) {
    if (cut.length + character.length > MAX_NAME) break;
    cut += character;
  }
  return cut;
}

function nameWarnings(message: NormalizedMessage): string[] {
  return NAME_FIELDS.flatMap(([field, label]) => {
    const addresses = field === 'from' ? [message.from] : field === 'replyTo' ? message.replyTo.slice(0, 1) : message[field];
    return addresses
      .filter((a) => a.name && a.name.length > MAX_NAME)
      .map((a) => `brevo takes a ${label} name of at most ${MAX_NAME} characters: ${JSON.stringify(a.name)} was cut to ${JSON.stringify(cutName(a.name!))}`);
  });
}

function contact(address: Address): { email: string; name?: string } {
  return address.name ? { email: address.address, name: cutName(address.name) } : { email: address.address };
}

function toPayload(message: NormalizedMessage, ctx: SendContext): Record<string, unknown> {
  const headers: Record<string, string> = { ...message.headers };
  // Metadata travels as JSON in X-Mailin-custom and comes back in webhooks (anymail's Brevo backend).
  if (Object.keys(message.metadata).length > 0) headers['X-Mailin-custom'] = JSON.stringify(message.metadata);
  // Brevo's headers object accepts `idempotencyKey` (sendSmtpEmail.headers in the spec).
  const idempotencyKey = ctx.idempotencyKey ?? message.idempotencyKey;
  if (idempotencyKey) headers.idempotencyKey = idempotencyKey;
  return {
    sender: contact(message.from),
    to: message.to.map(contact),
    ...(message.cc.length ? { cc: message.cc.map(contact) } : {}),
    ...(message.bcc.length ? { bcc: message.bcc.map(contact) } : {}),
    ...(message.replyTo[0] ? { replyTo: contact(message.replyTo[0]) } : {}),
    subject: message.subject,
    ...(message.html !== undefined ? { htmlContent: message.html } : {}),
    ...(message.text !== undefined ? { textContent: message.text } : {}),
    ...(message.attachments.length ? { attachment: message.attachments.map((a) => ({ name: a.filename, content: a.content.toString('base64') })) } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(message.tags.length ? { tags: message.tags } : {}),
  };
}
