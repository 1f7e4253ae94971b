// An adapter for "Acme Mail", a made-up JSON API, written outside mailroom on its adapter kit:
//   POST /v1/emails   Authorization: Bearer KEY   -> 202 {"id": "..."}
//   GET  /v1/account  (checks the key, sends nothing)
//   errors: {"error": {"type": "...", "message": "..."}}, 429 with Retry-After
// The kit does the rest: options, base URL rules, the request, TRANSIENT vs AMBIGUOUS, the
// capability check, status -> error code, redaction of the key, `verify()`.
import { defineHttpAdapter, errorFromResponse, type HttpAdapterOptions, type NormalizedMessage } from 'mailroom-js/adapter-kit';

export interface AcmeMailOptions extends HttpAdapterOptions {
  apiKey: string;
}

const contact = (a: { address: string; name?: string }) => (a.name ? { email: a.address, name: a.name } : { email: a.address });

function toPayload(message: NormalizedMessage) {
  return {
    from: contact(message.from),
    to: message.to.map(contact),
    cc: message.cc.map(contact),
    bcc: message.bcc.map(contact),
    reply_to: message.replyTo.map(contact),
    subject: message.subject,
    text: message.text,
    html: message.html,
    headers: message.headers,
    tags: message.tags,
    metadata: message.metadata,
    attachments: message.attachments.map((a) => ({
      filename: a.filename,
      content_type: a.contentType,
      content: a.content.toString('base64'),
      ...(a.inline ? { content_id: a.cid } : {}),
    })),
  };
}

const acme = defineHttpAdapter<AcmeMailOptions>({
  name: 'acme',
  defaultUrl: 'https://api.acme-mail.example',
  required: ['apiKey'],
  whereToFind: 'Acme Mail > Settings > API keys',
  // Only what is declared is sent; anything else is refused as UNSUPPORTED before any request.
  capabilities: { attachments: true, inlineImages: true, customHeaders: true, tags: true, maxTags: 10, metadata: true, maxReplyTo: 5, maxRecipients: 50, requiresTo: true },
  // 202 covers the whole message: a 202 whose body is lost is still a send (never a retry).
  success: { statuses: [202], unreadableBody: 'sent', source: 'Acme Mail API reference: 202 for the whole message, refusals are 4xx' },
  headers: ({ apiKey }) => ({ authorization: `Bearer ${apiKey}` }),
  secrets: ({ apiKey }) => [apiKey],
  send: { path: '/v1/emails' },
  toPayload,
  parseReceipt: ({ json }, { recipients }) => {
    const id = (json as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' ? { providerMessageId: id, accepted: recipients, rejected: [] } : undefined;
  },
  // 401 -> AUTH, 429 -> RATE_LIMITED (Retry-After), 5xx -> TRANSIENT, other 4xx -> REJECTED.
  toError: (response, { provider }) => {
    const error = (response.json as { error?: { type?: string; message?: string } } | undefined)?.error;
    return errorFromResponse(response, { provider, detail: error ? `${error.type}: ${error.message}` : response.text });
  },
  verify: { path: '/v1/account' },
  // The DSN form, used if this file is contributed to mailroom's adapters/ folder.
  dsn: { schemes: { 'acme+api': 'acme+api://KEY@default' }, options: (dsn) => ({ apiKey: dsn.user ?? '' }) },
});

export const acmeMailAdapter = acme.create;
