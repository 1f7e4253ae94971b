// A local Mailjet Send API v3.1 (POST /v3.1/send) and API-key endpoint (GET /v3/REST/apikey) that
// enforce the documented contract (dev.mailjet.com Send API v3.1; ../shared/PROVIDERS.md §2) and
// answer with Mailjet's bodies, including per-recipient MessageIDs above 2^53, written into the
// JSON text as bare integers exactly as Mailjet does.
import { randomUUID } from 'node:crypto';
import type { Arrival } from '../conformance.js';
import { ASCII_ADDRESS, startProviderServer, type ProviderAnswer, type ProviderRequest, type ProviderServer } from './server.js';

const MESSAGE_FIELDS = new Set(['From', 'Sender', 'To', 'Cc', 'Bcc', 'ReplyTo', 'Subject', 'TextPart', 'HTMLPart', 'TemplateID', 'TemplateLanguage', 'TemplateErrorReporting', 'TemplateErrorDeliver', 'Attachments', 'InlinedAttachments', 'Priority', 'CustomCampaign', 'DeduplicateCampaign', 'TrackOpens', 'TrackClicks', 'CustomID', 'EventPayload', 'MonitoringCategory', 'URLTags', 'Headers', 'Variables']);

// The guide's "List of forbidden headers" for `Headers` (send-0011) [P M1], and Reply-To, which has
// its own property.
const FORBIDDEN_HEADERS = new Set([
  'from', 'sender', 'subject', 'to', 'cc', 'bcc', 'reply-to', 'return-path', 'delivered-to', 'dkim-signature', 'domainkey-status', 'received-spf',
  'authentication-results', 'received', 'x-mailjet-prio', 'x-mailjet-debug', 'user-agent', 'x-mailer', 'x-mj-customid', 'x-mj-eventpayload',
  'x-mj-vars', 'x-mj-templateerrordeliver', 'x-mj-templateerrorreporting', 'x-mj-templatelanguage', 'x-mailjet-trackopen',
  'x-mailjet-trackclick', 'x-mj-templateid', 'x-mj-workflowid', 'x-feedback-id', 'x-mailjet-segmentation', 'list-id', 'x-mj-mid',
  'x-mj-errormessage', 'date', 'x-csa-complaints', 'message-id', 'x-mailjet-campaign', 'x-mj-statisticscontactslistid',
]);

export const MAILJET_ERRORS = {
  unauthorized: { status: 401, body: { ErrorIdentifier: randomUUID(), StatusCode: 401, ErrorMessage: 'API key authentication/authorization failure. You may be unauthorized to access the API or your API key may be expired. Visit API keys management section to check your keys.' } },
  rateLimited: { status: 429, headers: { 'content-type': 'text/html', 'retry-after': '3' }, body: 'Rate limit exceeded' },
  serverError: { status: 500, body: { ErrorIdentifier: randomUUID(), StatusCode: 500, ErrorMessage: 'Internal Server Error' } },
  invalidTo: { status: 400, body: { Messages: [{ Status: 'error', Errors: [{ ErrorIdentifier: randomUUID(), ErrorCode: 'mj-0013', StatusCode: 400, ErrorMessage: '"ann@@example.com" is an invalid email address.', ErrorRelatedTo: ['Messages[0].To[0].Email'] }] }] } },
  senderNotAllowed: { status: 400, body: { Messages: [{ Status: 'error', Errors: [{ ErrorIdentifier: randomUUID(), ErrorCode: 'send-0008', StatusCode: 403, ErrorMessage: '"shop@example.com" is not an authorized sender email address for your account.', ErrorRelatedTo: ['Messages[0].From'] }] }] } },
} satisfies Record<string, ProviderAnswer>;

export interface MailjetServer extends ProviderServer {
  /** The next MessageID to hand out (above 2^53, as a decimal string). */
  nextMessageId: bigint;
  /** The ids each recipient was given, by address (the latest send's): what its events name. */
  issued: Map<string, { MessageID: string; MessageUUID: string }>;
}

export async function startMailjetServer(apiKey: string, secretKey: string): Promise<MailjetServer> {
  const expected = `Basic ${Buffer.from(`${apiKey}:${secretKey}`).toString('base64')}`;
  const state = { nextMessageId: 70650219165027411n };
  const issued = new Map<string, { MessageID: string; MessageUUID: string }>();
  const server = await startProviderServer({
    faults: { auth: MAILJET_ERRORS.unauthorized, 'rate-limit': MAILJET_ERRORS.rateLimited, 'server-error': MAILJET_ERRORS.serverError, rejected: MAILJET_ERRORS.invalidTo },
    handle(request) {
      if (request.headers.authorization !== expected) return { answer: MAILJET_ERRORS.unauthorized };
      if (request.path === '/v3/REST/apikey' && request.method === 'GET') {
        return { answer: { status: 200, body: { Count: 1, Data: [{ ID: 1, APIKey: apiKey, IsActive: true, IsMaster: true, Name: 'Master API Key', Runlevel: 'Normal' }], Total: 1 } } };
      }
      if (request.path !== '/v3.1/send' || request.method !== 'POST') return { answer: { status: 404, body: { ErrorMessage: 'Object not found', StatusCode: 404 } } };
      const problem = check(request);
      if (problem) return { answer: { status: 400, body: problem.relatedTo ? messageError(problem) : { ErrorIdentifier: randomUUID(), ErrorCode: problem.code, StatusCode: 400, ErrorMessage: problem.message } } };
      const message = (request.json as { Messages: Msg[] }).Messages[0]!;
      const ids = new Map<string, bigint>();
      const recipients = (list: Contact[] = []) => list.map((c) => {
        const id = state.nextMessageId;
        state.nextMessageId += 1n;
        ids.set(c.Email, id);
        const uuid = randomUUID();
        issued.set(c.Email, { MessageID: String(id), MessageUUID: uuid });
        return `{"Email":${JSON.stringify(c.Email)},"MessageUUID":"${uuid}","MessageID":${id},"MessageHref":"https://api.mailjet.com/v3/REST/message/${id}"}`;
      });
      // Written by hand: the MessageID must be a bare integer in the JSON text, too large for a double.
      const body = `{"Messages":[{"Status":"success","CustomID":${JSON.stringify(message.CustomID ?? '')},"To":[${recipients(message.To).join(',')}],"Cc":[${recipients(message.Cc).join(',')}],"Bcc":[${recipients(message.Bcc).join(',')}]}]}`;
      return {
        answer: { status: 200, headers: { 'content-type': 'application/json' }, body },
        arrival: { ...toArrival(message), providerMessageId: String(ids.get(message.To[0]!.Email)) },
      };
    },
  });
  return Object.assign(Object.defineProperty(server, 'nextMessageId', { get: () => state.nextMessageId }), { issued }) as MailjetServer;
}

type Contact = { Email: string; Name?: string };
type File = { ContentType: string; Filename: string; Base64Content: string; ContentID?: string };
interface Msg {
  From: Contact; To: Contact[]; Cc?: Contact[]; Bcc?: Contact[]; ReplyTo?: Contact; Subject: string;
  TextPart?: string; HTMLPart?: string; Attachments?: File[]; InlinedAttachments?: File[];
  Headers?: Record<string, string>; CustomCampaign?: string; EventPayload?: string; CustomID?: string;
}

interface Problem { code: string; message: string; /** The property a per-message error names (Mailjet's ErrorRelatedTo). */ relatedTo?: string }

// A message's own error comes inside Messages[], with the property it relates to [P M1].
function messageError(problem: Problem): unknown {
  return { Messages: [{ Status: 'error', Errors: [{ ErrorIdentifier: randomUUID(), ErrorCode: problem.code, StatusCode: 400, ErrorMessage: problem.message, ErrorRelatedTo: [problem.relatedTo] }] }] };
}

function check(request: ProviderRequest): Problem | undefined {
  const malformed = { code: 'mj-0002', message: 'Malformed JSON, please review the syntax and properties types.' };
  if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) return malformed;
  const body = request.json as { Messages?: unknown } | undefined;
  if (!body || typeof body !== 'object' || !Array.isArray(body.Messages)) return malformed;
  if (body.Messages.length !== 1) return { code: 'mj-0008', message: 'the tests send one message per call' };
  const m = body.Messages[0] as Record<string, unknown>;
  const unknown = Object.keys(m).find((k) => !MESSAGE_FIELDS.has(k));
  if (unknown) return { code: 'mj-0004', message: `Unknown property "${unknown}"` };
  const isContact = (c: unknown) => !!c && typeof c === 'object' && typeof (c as Contact).Email === 'string' && ASCII_ADDRESS.test((c as Contact).Email)
    && Object.keys(c).every((k) => k === 'Email' || k === 'Name') && ((c as Contact).Name === undefined || typeof (c as Contact).Name === 'string');
  if (!isContact(m.From)) return { code: 'mj-0013', message: 'From is not a valid {Email, Name} object' };
  // To is mandatory: the error table's mj-0003 (missing property) and mj-0007 (empty array)
  // (PROVIDERS.md §2; open question 11 asks which code Mailjet really uses).
  if (m.To === undefined) return { code: 'mj-0003', message: 'Missing mandatory property.', relatedTo: 'Messages[0].To' };
  if (Array.isArray(m.To) && m.To.length === 0) return { code: 'mj-0007', message: 'Array must contain at least one element.', relatedTo: 'Messages[0].To' };
  for (const field of ['To', 'Cc', 'Bcc']) {
    if (m[field] === undefined) continue;
    if (!Array.isArray(m[field]) || !(m[field] as unknown[]).every(isContact)) return { code: 'mj-0013', message: `${field} must be an array of {Email, Name}` };
  }
  if (m.ReplyTo !== undefined && !isContact(m.ReplyTo)) return { code: 'mj-0004', message: 'ReplyTo must be one {Email, Name} object' };
  if (typeof m.Subject !== 'string' || m.Subject.length > 255) return { code: 'mj-0006', message: 'Subject must be a string of at most 255 characters' };
  if (m.TextPart === undefined && m.HTMLPart === undefined) return { code: 'send-0003', message: 'At least "HTMLPart", "TextPart" or "TemplateID" must be provided.' };
  for (const field of ['Attachments', 'InlinedAttachments']) {
    if (m[field] === undefined) continue;
    const ok = Array.isArray(m[field]) && (m[field] as Record<string, unknown>[]).every((f) =>
      typeof f.ContentType === 'string' && typeof f.Filename === 'string' && typeof f.Base64Content === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(f.Base64Content)
      && (field === 'Attachments' ? f.ContentID === undefined : typeof f.ContentID === 'string'));
    if (!ok) return { code: 'mj-0004', message: `${field} items need ContentType, Filename, Base64Content${field === 'InlinedAttachments' ? ', ContentID' : ''}` };
  }
  if (m.Headers !== undefined) {
    const headers = m.Headers as Record<string, unknown>;
    if (!Object.values(headers).every((v) => typeof v === 'string')) return { code: 'mj-0004', message: 'Headers values must be strings' };
    const dedicated = Object.keys(headers).find((h) => FORBIDDEN_HEADERS.has(h.toLowerCase()));
    if (dedicated) return { code: 'send-0011', message: `Header "${dedicated}" is forbidden: use the dedicated message property to set it`, relatedTo: `Messages[0].Headers["${dedicated}"]` };
  }
  for (const field of ['CustomCampaign', 'EventPayload', 'CustomID']) if (m[field] !== undefined && typeof m[field] !== 'string') return { code: 'mj-0004', message: `${field} must be a string` };
  return undefined;
}

function toArrival(m: Msg): Arrival {
  const address = (c: Contact) => (c.Name ? { address: c.Email, name: c.Name } : { address: c.Email });
  const file = (f: File, inline: boolean) => ({ filename: f.Filename, contentType: f.ContentType, content: Buffer.from(f.Base64Content, 'base64'), ...(f.ContentID ? { cid: f.ContentID } : {}), inline });
  return {
    from: address(m.From), to: m.To.map(address), cc: (m.Cc ?? []).map(address), bcc: (m.Bcc ?? []).map(address),
    replyTo: m.ReplyTo ? [address(m.ReplyTo)] : [],
    subject: m.Subject,
    ...(m.TextPart !== undefined ? { text: m.TextPart } : {}),
    ...(m.HTMLPart !== undefined ? { html: m.HTMLPart } : {}),
    attachments: [...(m.Attachments ?? []).map((f) => file(f, false)), ...(m.InlinedAttachments ?? []).map((f) => file(f, true))],
    headers: m.Headers ?? {},
    tags: m.CustomCampaign ? m.CustomCampaign.split(',') : [],
    metadata: m.EventPayload ? (JSON.parse(m.EventPayload) as Record<string, string>) : {},
  };
}
