// Mailjet Send API v3.1: `POST /v3.1/send` with HTTP Basic (API key : secret key) and
// `{"Messages":[…]}` (dev.mailjet.com/email/guides/send-api-v31). One message per call, so a
// per-message error is this message's error.
import type { SendContext } from '../src/core/adapter.js';
import type { Address } from '../src/core/address.js';
import { dsnApiKey, requireDsnPart } from '../src/core/dsn-options.js';
import type { MailError } from '../src/core/errors.js';
import { basicAuth, errorFromResponse, errorText, type HttpResponse } from '../src/kit/http.js';
import { defineHttpAdapter, type HttpAdapterOptions } from '../src/kit/http-adapter.js';
import type { NormalizedMessage } from '../src/core/message.js';

export interface MailjetOptions extends HttpAdapterOptions {
  /** The API key (public part). */
  apiKey: string;
  /** The secret key. */
  secretKey: string;
}

interface MailjetError { ErrorCode?: string; ErrorMessage?: string; StatusCode?: number; ErrorRelatedTo?: string[] }
interface MailjetRecipient { Email: string; MessageID?: string; MessageUUID?: string }
interface MailjetResult {
  Status?: string;
  Errors?: MailjetError[];
  To?: MailjetRecipient[];
  Cc?: MailjetRecipient[];
  Bcc?: MailjetRecipient[];
}

// "List of forbidden headers" of the `Headers` property: headers Mailjet sets itself or that have a
// property of their own; any of them fails the message with send-0011 (Send API v3.1 guide, "Add
// Email Headers", PROVIDERS.md §2 M1).
const MAILJET_FORBIDDEN_HEADERS = [
  'From', 'Sender', 'Subject', 'To', 'Cc', 'Bcc', 'Return-Path', 'Delivered-To', 'DKIM-Signature', 'DomainKey-Status', 'Received-SPF',
  'Authentication-Results', 'Received', 'X-Mailjet-Prio', 'X-Mailjet-Debug', 'User-Agent', 'X-Mailer', 'X-MJ-CustomID', 'X-MJ-EventPayload',
  'X-MJ-Vars', 'X-MJ-TemplateErrorDeliver', 'X-MJ-TemplateErrorReporting', 'X-MJ-TemplateLanguage', 'X-Mailjet-TrackOpen',
  'X-Mailjet-TrackClick', 'X-MJ-TemplateID', 'X-MJ-WorkflowID', 'X-Feedback-Id', 'X-Mailjet-Segmentation', 'List-Id', 'X-MJ-MID',
  'X-MJ-ErrorMessage', 'Date', 'X-CSA-Complaints', 'Message-Id', 'X-Mailjet-Campaign', 'X-MJ-StatisticsContactsListID',
];

const mailjet = defineHttpAdapter<MailjetOptions>({
  name: 'mailjet',
  defaultUrl: 'https://api.mailjet.com',
  required: ['apiKey', 'secretKey'],
  ownOptions: { apiKey: true, secretKey: true },
  whereToFind: 'Mailjet > Account settings > API keys',
  // What Mailjet can carry (Send API v3.1 guide and limits, PROVIDERS.md §2 M1; anymail's Mailjet
  // backend): 15 MB of attachments in all; one `CustomCampaign` per message, so one tag (anymail:
  // "only supports a single tag"); `ReplyTo` is one object; ≤ 50 recipients across To/Cc/Bcc; `To`
  // is mandatory (a missing one is an error, PROVIDERS.md §2 open question 11).
  capabilities: {
    attachments: true,
    inlineImages: true,
    maxAttachmentBytes: 15 * 1024 * 1024,
    maxTotalAttachmentBytes: 15 * 1024 * 1024,
    customHeaders: true,
    tags: true,
    maxTags: 1,
    metadata: true,
    maxReplyTo: 1,
    maxRecipients: 50,
    requiresTo: true,
    // `Subject` ≤ 255 (Send API v3.1 limits; mj-0006 beyond).
    maxSubjectLength: 255,
    refusedHeaders: MAILJET_FORBIDDEN_HEADERS,
  },
  // Only the body says what Mailjet did: a Status per message and an id per recipient, and a call
  // can be partly sent (anymail's test_mixed_status). So a 200 whose body is lost is AMBIGUOUS.
  success: { statuses: [200], unreadableBody: 'ambiguous', source: 'Mailjet Send API v3.1: per-message Status and per-recipient ids in the body, partial sends (PROVIDERS.md §2 M1, A-Mt)' },
  headers: (options) => ({ authorization: basicAuth(options.apiKey, options.secretKey) }),
  // Basic auth sends "KEY:SECRET": the pair is scrubbed as well as each part.
  secrets: (options) => [options.apiKey, options.secretKey],
  logins: (options) => [{ user: options.apiKey, pass: options.secretKey }],
  send: { path: '/v3.1/send' },
  toPayload: (message, ctx) => ({ Messages: [toPayload(message, ctx)] }),
  parseReceipt: (response, { recipients }) => {
    const result = parseResult(response.text);
    if (result?.Status !== 'success') return undefined;
    const first = result.To?.[0];
    // Each recipient has its own ids, and its events name only those: every one is a ref of the
    // entry. The MessageUUID too (events call it Message_GUID): it survives a body parser that
    // rounded MessageID before our webhook handler read it.
    const refs = [...(result.To ?? []), ...(result.Cc ?? []), ...(result.Bcc ?? [])].flatMap((one) => [one.MessageID, one.MessageUUID]).filter((id): id is string => typeof id === 'string' && id !== '');
    return { ...(first?.MessageID ? { providerMessageId: first.MessageID } : {}), ...(refs.length ? { providerRefs: refs } : {}), accepted: recipients, rejected: [] };
  },
  toError: (response, { provider }) => toError(response, provider),
  // GET /v3/REST/apikey: "API key configuration", readable by any valid key pair
  // (dev.mailjet.com/email/reference/settings/api-key-configuration).
  verify: { path: '/v3/REST/apikey' },
  // `mailjet+api://KEY:SECRET@default`; another host[:port] replaces api.mailjet.com.
  dsn: {
    schemes: { 'mailjet+api': 'mailjet+api://KEY:SECRET@default' },
    options: (dsn) => ({ apiKey: dsnApiKey(dsn), secretKey: requireDsnPart(dsn, dsn.password, 'the secret key') }),
  },
});

export const mailjetAdapter = mailjet.create;
export const fromDsn = mailjet.fromDsn;
export const dsn = mailjet.dsn;
export const MAILJET_CAPABILITIES = mailjet.capabilities;

function contact(address: Address): { Email: string; Name?: string } {
  return address.name ? { Email: address.address, Name: address.name } : { Email: address.address };
}

function toPayload(message: NormalizedMessage, ctx: SendContext): Record<string, unknown> {
  const files = message.attachments.filter((a) => !a.inline);
  const inline = message.attachments.filter((a) => a.inline);
  const part = (a: NormalizedMessage['attachments'][number]) => ({ ContentType: a.contentType, Filename: a.filename, Base64Content: a.content.toString('base64') });
  const customId = ctx.idempotencyKey ?? message.idempotencyKey;
  return {
    From: contact(message.from),
    To: message.to.map(contact),
    ...(message.cc.length ? { Cc: message.cc.map(contact) } : {}),
    ...(message.bcc.length ? { Bcc: message.bcc.map(contact) } : {}),
    ...(message.replyTo[0] ? { ReplyTo: contact(message.replyTo[0]) } : {}),
    Subject: message.subject,
    ...(message.text !== undefined ? { TextPart: message.text } : {}),
    ...(message.html !== undefined ? { HTMLPart: message.html } : {}),
    ...(files.length ? { Attachments: files.map(part) } : {}),
    ...(inline.length ? { InlinedAttachments: inline.map((a) => ({ ...part(a), ContentID: a.cid })) } : {}),
    ...(Object.keys(message.headers).length ? { Headers: message.headers } : {}),
    // Mailjet has one campaign per message (maxTags 1: sendWithin drops the others with a warning).
    ...(message.tags[0] ? { CustomCampaign: message.tags[0] } : {}),
    // Metadata comes back in event webhooks as EventPayload (anymail's Mailjet backend does the same).
    ...(Object.keys(message.metadata).length ? { EventPayload: JSON.stringify(message.metadata) } : {}),
    ...(customId ? { CustomID: customId } : {}),
  };
}

// MessageID is an integer above 2^53 (the docs' examples: 70650219165027410), which JSON.parse
// would round; quote it before parsing so the receipt and the journal keep it exactly.
function parseResult(text: string): MailjetResult | undefined {
  try {
    const body = JSON.parse(text.replace(/("MessageID"\s*:\s*)(\d+)/g, '$1"$2"')) as { Messages?: MailjetResult[] };
    return body.Messages?.[0];
  } catch {
    return undefined;
  }
}

function toError(response: HttpResponse, provider: string): MailError {
  const errors = parseResult(response.text)?.Errors ?? [];
  const detail = errors.length
    ? errors.map((e) => `${e.ErrorCode ?? 'error'}: ${e.ErrorMessage ?? ''}${e.ErrorRelatedTo?.length ? ` (${e.ErrorRelatedTo.join(', ')})` : ''}`).join('; ')
    : errorText(response, ['ErrorMessage', 'message']);
  // A per-message error carries its own status (send-0008, a From not authorized, is 403 inside a 400).
  const status = errors.find((e) => e.StatusCode === 401 || e.StatusCode === 403)?.StatusCode ?? response.status;
  return errorFromResponse({ ...response, status }, { provider, detail });
}
