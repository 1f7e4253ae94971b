// A local Postmark API that enforces the documented contract of POST /email and GET /server and
// answers with Postmark's own bodies (sources in test/providers/SOURCES.md §1):
// - auth: header X-Postmark-Server-Token (name and value case-insensitive per the docs; a wrong or
//   missing token gets 401) [P K1, K2]
// - body: From, To, Cc, Bcc (comma-separated strings, "Name <addr>" allowed, at most 50 each),
//   Subject, Tag (one), HtmlBody, TextBody, ReplyTo, Headers [{Name, Value}], TrackOpens,
//   TrackLinks, Attachments [{Name, Content (base64), ContentType, ContentID}], Metadata {string:
//   string}, MessageStream ("outbound" by default) [P K2, K3; S A-Pb]
// - success: 200 {To, SubmittedAt, MessageID, ErrorCode: 0, Message: "OK"}; some recipients
//   inactive: 200 with "Message OK, but will not deliver to these inactive addresses: …" [S A-Pb]
// - errors: 422 {ErrorCode, Message}: 300 invalid request, 406 every recipient inactive, 411
//   forbidden attachment type; 401 code 10; 429 code 429 [P K1, K4; S A-Pb]
// - size: the whole message, base64 included, at most 10 MB; each body at most 5 MB [P K5]
// Stricter than confirmed: unknown members are refused here (Postmark's answer to them is not
// documented, SOURCES.md "Not confirmed").
import { randomUUID } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import type { Address } from '../../src/core/address.js';
import type { Arrival } from '../conformance.js';
import { ASCII_ADDRESS, startProviderServer, type ProviderAnswer, type ProviderServer } from './server.js';

const FIELDS = new Set(['From', 'To', 'Cc', 'Bcc', 'Subject', 'Tag', 'HtmlBody', 'TextBody', 'ReplyTo', 'Headers', 'TrackOpens', 'TrackLinks', 'Attachments', 'Metadata', 'MessageStream']);
const ATTACHMENT_FIELDS = new Set(['Name', 'Content', 'ContentType', 'ContentID']);
// Part of Postmark's list of forbidden file types (error 411) [P K4].
const FORBIDDEN = /\.(vbs|exe|bin|bat|chm|com|cpl|crt|hlp|hta|inf|ins|isp|jse|lnk|mdb|pcd|pif|reg|scr|sct|shs|vbe|vba|wsf|wsh|wsl|msc|msi|msp|mst)$/i;
const MAX_PER_FIELD = 50;
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

export const POSTMARK_ERRORS = {
  badToken: { status: 401, body: { ErrorCode: 10, Message: 'Request does not contain a valid Server token.' } },
  rateLimited: { status: 429, body: { ErrorCode: 429, Message: 'Rate limit exceeded.' } },
  serverError: { status: 500, body: { ErrorCode: 100, Message: 'Maintenance' } },
  invalidTo: { status: 422, body: { ErrorCode: 300, Message: "Invalid 'To' address: 'ann@'." } },
  senderNotFound: { status: 422, body: { ErrorCode: 400, Message: "The 'From' address you supplied (shop@unknown.example) is not a Sender Signature on your account. Please add and confirm this address in order to be able to use it in the 'From' field of your messages." } },
} satisfies Record<string, ProviderAnswer>;

export interface PostmarkServer extends ProviderServer {
  token: string;
  /** Addresses Postmark has marked inactive (hard bounce or spam complaint). */
  inactive: Set<string>;
}

export async function startPostmarkServer(token = 'pm-server-token-0123456789', streams = ['outbound', 'broadcast', 'password-resets']): Promise<PostmarkServer> {
  const inactive = new Set<string>();
  const server = await startProviderServer({
    faults: { auth: POSTMARK_ERRORS.badToken, 'rate-limit': POSTMARK_ERRORS.rateLimited, 'server-error': POSTMARK_ERRORS.serverError, rejected: POSTMARK_ERRORS.invalidTo },
    handle(request) {
      const given = request.headers['x-postmark-server-token'];
      if (typeof given !== 'string' || given.toLowerCase() !== token.toLowerCase()) return { answer: POSTMARK_ERRORS.badToken };
      if (request.path === '/server' && request.method === 'GET') {
        return { answer: { status: 200, body: { ID: 1, Name: 'Shop', ApiTokens: [token], Color: 'blue', SmtpApiActivated: true, RawEmailEnabled: false, DeliveryType: 'Live' } } };
      }
      if (request.path !== '/email' || request.method !== 'POST') return { answer: { status: 404, body: { ErrorCode: 404, Message: 'Not found.' } } };
      if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) return { answer: invalid(409, 'JSON required.') };
      if (request.json === undefined) return { answer: invalid(402, 'Invalid JSON.') };
      if (request.body.length > MAX_MESSAGE_BYTES) return { answer: invalid(300, 'Message size exceeds the 10 MB limit.') };
      const body = request.json as Body;
      const problem = check(body, streams);
      if (problem) return { answer: problem };
      const recipients = [...list(body.To), ...list(body.Cc), ...list(body.Bcc)];
      const dead = recipients.filter((a) => inactive.has(a.address.toLowerCase()));
      if (dead.length === recipients.length) {
        return { answer: invalid(406, `You tried to send to recipient(s) that have been marked as inactive. Found inactive addresses: ${dead.map((a) => a.address).join(', ')}. Inactive recipients are ones that have generated a hard bounce or a spam complaint.`) };
      }
      const MessageID = randomUUID();
      const Message = dead.length
        ? `Message OK, but will not deliver to these inactive addresses: ${dead.map((a) => a.address.toLowerCase()).join(', ')}. Inactive recipients are ones that have generated a hard bounce or a spam complaint.`
        : 'OK';
      return {
        answer: { status: 200, body: { To: body.To, SubmittedAt: new Date().toISOString(), MessageID, ErrorCode: 0, Message } },
        arrival: { ...toArrival(body), providerMessageId: MessageID },
      };
    },
  });
  return Object.assign(server, { token, inactive });
}

interface Body {
  From: string; To?: string; Cc?: string; Bcc?: string; Subject?: string; Tag?: string;
  HtmlBody?: string; TextBody?: string; ReplyTo?: string; Headers?: { Name: string; Value: string }[];
  Attachments?: { Name: string; Content: string; ContentType: string; ContentID?: string }[];
  Metadata?: Record<string, string>; MessageStream?: string;
}

function invalid(ErrorCode: number, Message: string): ProviderAnswer {
  return { status: 422, body: { ErrorCode, Message } };
}

function list(value: string | undefined): Address[] {
  if (!value) return [];
  return (addressparser(value, { flatten: true }) as { address: string; name: string }[]).map((a) => (a.name ? { address: a.address, name: a.name } : { address: a.address }));
}

// The first violation, as Postmark words it (error 300 "Invalid email request" and its texts).
function check(body: Body, streams: string[]): ProviderAnswer | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return invalid(402, 'Invalid JSON.');
  const unknown = Object.keys(body).find((key) => !FIELDS.has(key));
  if (unknown) return invalid(403, `Incompatible JSON: '${unknown}' is not a field of the email request.`);
  if (typeof body.From !== 'string' || list(body.From).length !== 1 || !ASCII_ADDRESS.test(list(body.From)[0]!.address)) return invalid(300, `Invalid 'From' address: '${String(body.From)}'.`);
  if (!body.To && !body.Cc && !body.Bcc) return invalid(300, 'Zero recipients specified');
  for (const field of ['To', 'Cc', 'Bcc', 'ReplyTo'] as const) {
    const value = body[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') return invalid(300, `Error parsing '${field}': the value must be a string of comma-separated addresses.`);
    const addresses = list(value);
    const bad = addresses.find((a) => !ASCII_ADDRESS.test(a.address));
    if (bad || addresses.length === 0) return invalid(300, `Invalid '${field}' address: '${bad?.address ?? value}'.`);
    if (field !== 'ReplyTo' && addresses.length > MAX_PER_FIELD) return invalid(300, `Too many '${field}' recipients: at most ${MAX_PER_FIELD}.`);
  }
  if (typeof body.Subject !== 'string') return invalid(300, 'Subject is required.');
  // "The subject line limit is 2000 characters" in UTF-16 code units (Postmark support, subject-line-and-from-address-character-limits).
  if (body.Subject.length > 2000) return invalid(300, 'Subject is too long: the limit is 2000 characters.');
  if (body.HtmlBody === undefined && body.TextBody === undefined) return invalid(300, 'Provide either email TextBody or HtmlBody or both.');
  for (const field of ['HtmlBody', 'TextBody'] as const) {
    const value = body[field];
    if (value !== undefined && (typeof value !== 'string' || Buffer.byteLength(value) > 5 * 1024 * 1024)) return invalid(300, `${field} must be a string of at most 5 MB.`);
  }
  if (body.Tag !== undefined && (typeof body.Tag !== 'string' || body.Tag.length > 1000)) return invalid(300, 'Tag must be one string of at most 1000 characters.');
  if (body.MessageStream !== undefined && !streams.includes(body.MessageStream)) {
    return invalid(1235, `The message stream '${String(body.MessageStream)}' was not found on this server.`);
  }
  if (body.Headers !== undefined) {
    if (!Array.isArray(body.Headers) || !body.Headers.every((h) => h && typeof h.Name === 'string' && typeof h.Value === 'string' && Object.keys(h).length === 2)) {
      return invalid(300, 'Headers must be an array of {Name, Value} strings.');
    }
  }
  if (body.Metadata !== undefined && (typeof body.Metadata !== 'object' || body.Metadata === null || !Object.values(body.Metadata).every((v) => typeof v === 'string'))) {
    return invalid(300, 'Invalid metadata content. Values must be strings.');
  }
  if (body.Attachments !== undefined) {
    if (!Array.isArray(body.Attachments)) return invalid(300, 'Attachments must be an array.');
    for (const a of body.Attachments) {
      if (!a || typeof a.Name !== 'string' || typeof a.Content !== 'string' || typeof a.ContentType !== 'string' || Object.keys(a).some((k) => !ATTACHMENT_FIELDS.has(k))) {
        return invalid(300, 'Attachments need Name, Content (base64) and ContentType; ContentID is optional.');
      }
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(a.Content)) return invalid(300, `Attachment ${a.Name}: Content is not base64.`);
      if (FORBIDDEN.test(a.Name)) return invalid(411, `Forbidden attachment type: ${a.Name}`);
    }
  }
  return undefined;
}

function toArrival(body: Body): Arrival {
  const headers: Record<string, string> = {};
  for (const h of body.Headers ?? []) headers[h.Name] = h.Value;
  return {
    from: list(body.From)[0]!,
    to: list(body.To),
    cc: list(body.Cc),
    bcc: list(body.Bcc),
    replyTo: list(body.ReplyTo),
    subject: body.Subject ?? '',
    ...(body.TextBody !== undefined ? { text: body.TextBody } : {}),
    ...(body.HtmlBody !== undefined ? { html: body.HtmlBody } : {}),
    // Postmark's ContentID is written "cid:name"; the Content-ID it sends is the name [S A-Pb].
    attachments: (body.Attachments ?? []).map((a) => ({
      filename: a.Name, contentType: a.ContentType, content: Buffer.from(a.Content, 'base64'),
      ...(a.ContentID ? { cid: a.ContentID.replace(/^cid:/, '') } : {}), inline: !!a.ContentID,
    })),
    headers,
    tags: body.Tag ? [body.Tag] : [],
    metadata: body.Metadata ?? {},
  };
}
