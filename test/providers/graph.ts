// A local Microsoft Graph that enforces the documented sendMail contract (PROVIDERS.md §6):
// `POST /v1.0/users/{mailbox}/sendMail`, a Bearer token the local identity platform issued for the
// Graph scope, a JSON body `{ message, saveToSentItems }` with fileAttachment types and `x-`
// headers only; 202 with an empty body, Graph's error envelope otherwise.
import type { Arrival } from '../conformance.js';
import { ASCII_ADDRESS, ContractError, startProviderServer, type ProviderAnswer, type ProviderServer } from './server.js';

class InvalidRecipient extends Error {}

interface GraphRecipient { emailAddress?: { address?: unknown; name?: unknown } }

export const graphError = (status: number, code: string, message: string, headers?: Record<string, string>): ProviderAnswer => ({
  status,
  ...(headers ? { headers } : {}),
  body: { error: { code, message, innerError: { date: '2026-01-01T00:00:00', 'request-id': 'r-1', 'client-request-id': 'c-1' } } },
});

export const GRAPH_ERRORS = {
  auth: graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.'),
  forbidden: graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.'),
  'rate-limit': graphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'retry-after': '2' }),
  'server-error': graphError(503, 'serviceNotAvailable', 'Service unavailable', { 'retry-after': '3' }),
  rejected: graphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.'),
  user: graphError(404, 'ErrorInvalidUser', "The requested user 'nobody@corp.example' is invalid."),
};

/** `validTokens`: the live list of tokens to accept (the identity server's `issued`). */
export function startGraphServer(mailbox: string, validTokens: string[]): Promise<ProviderServer> {
  return startProviderServer({
    faults: { auth: GRAPH_ERRORS.auth, 'rate-limit': GRAPH_ERRORS['rate-limit'], 'server-error': GRAPH_ERRORS['server-error'], rejected: GRAPH_ERRORS.rejected },
    handle(request) {
      if (request.method !== 'POST' || request.path !== `/v1.0/users/${encodeURIComponent(mailbox)}/sendMail`) {
        return { answer: request.path.startsWith('/v1.0/users/') ? GRAPH_ERRORS.user : graphError(404, 'UnknownError', `no route ${request.method} ${request.path}`) };
      }
      const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
      if (!token || !validTokens.includes(token) || !token.endsWith('graph.microsoft.com')) return { answer: GRAPH_ERRORS.auth };
      if (!/^application\/json\b/.test(String(request.headers['content-type']))) throw new ContractError('Content-Type must be application/json');
      const body = request.json as { message?: Record<string, unknown>; saveToSentItems?: unknown } | undefined;
      const unknown = Object.keys(body ?? {}).filter((k) => k !== 'message' && k !== 'saveToSentItems');
      if (!body?.message || unknown.length) return { answer: graphError(400, 'RequestBodyRead', `The property '${unknown[0] ?? 'message'}' is missing or unknown.`) };
      if (typeof body.saveToSentItems !== 'boolean') throw new ContractError('saveToSentItems must be a boolean');
      const m = body.message;
      const bodyPart = m.body as { contentType?: unknown; content?: unknown } | undefined;
      if (!bodyPart || (bodyPart.contentType !== 'Text' && bodyPart.contentType !== 'HTML') || typeof bodyPart.content !== 'string') {
        throw new ContractError('message.body must be { contentType: "Text" | "HTML", content }');
      }
      if (((m.internetMessageHeaders as unknown[] | undefined) ?? []).length > 5) {
        return { answer: graphError(400, 'InvalidInternetMessageHeaderCollection', 'Maximum number of headers in one message should be less than or equal to 5.') };
      }
      for (const header of (m.internetMessageHeaders as { name: string; value: string }[] | undefined) ?? []) {
        if (!/^x-/i.test(header.name)) {
          return { answer: graphError(400, 'InvalidInternetMessageHeader', `The internet message header name '${header.name}' should start with 'x-' or 'X-'.`) };
        }
      }
      const attachments = (m.attachments as Record<string, unknown>[] | undefined) ?? [];
      for (const a of attachments) {
        if (a['@odata.type'] !== '#microsoft.graph.fileAttachment') throw new ContractError('an attachment lacks "@odata.type": "#microsoft.graph.fileAttachment"');
        if (typeof a.contentBytes !== 'string' || typeof a.name !== 'string') throw new ContractError('an attachment needs name and contentBytes');
      }
      const people = (list: unknown) => ((list as GraphRecipient[] | undefined) ?? []).map((r) => {
        const e = r.emailAddress;
        if (!e || typeof e.address !== 'string') throw new ContractError('a recipient must be { emailAddress: { address, name? } }');
        if (!ASCII_ADDRESS.test(e.address)) throw new InvalidRecipient();
        return typeof e.name === 'string' ? { address: e.address, name: e.name } : { address: e.address };
      });
      try {
        people(m.toRecipients); people(m.ccRecipients); people(m.bccRecipients); people(m.replyTo); people([m.from]);
      } catch (error) {
        if (error instanceof InvalidRecipient) return { answer: GRAPH_ERRORS.rejected };
        throw error;
      }
      if (people(m.toRecipients).length + people(m.ccRecipients).length + people(m.bccRecipients).length === 0) {
        return { answer: GRAPH_ERRORS.rejected };
      }
      const headers = Object.fromEntries(((m.internetMessageHeaders as { name: string; value: string }[] | undefined) ?? []).map((h) => [h.name, h.value]));
      const header = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
      const arrival: Arrival = {
        from: people([m.from])[0] ?? { address: mailbox },
        to: people(m.toRecipients),
        cc: people(m.ccRecipients),
        bcc: people(m.bccRecipients),
        replyTo: people(m.replyTo),
        subject: String(m.subject ?? ''),
        ...(bodyPart.contentType === 'HTML' ? { html: bodyPart.content } : { text: bodyPart.content }),
        attachments: attachments.map((a) => ({
          filename: String(a.name),
          contentType: String(a.contentType),
          content: Buffer.from(String(a.contentBytes), 'base64'),
          ...(typeof a.contentId === 'string' ? { cid: a.contentId } : {}),
          inline: a.isInline === true,
        })),
        headers,
        tags: header('x-mailroom-tags')?.split(',').map((t) => t.trim()) ?? [],
        metadata: header('x-mailroom-metadata') ? (JSON.parse(header('x-mailroom-metadata')!) as Record<string, string>) : {},
      };
      return { answer: { status: 202 }, arrival };
    },
  });
}
