// The README's "Write your own adapter" example (examples/own-adapter/acme-mail.ts), imported as an
// outside package would, through `mailroom-js/adapter-kit`, runs the same conformance suite as the
// built-in adapters against a local server for its (made-up) API.
import { describe, expect, it } from 'vitest';
import { acmeMailAdapter } from '../examples/own-adapter/acme-mail.js';
import type { Arrival } from './conformance.js';
import { closedPort, runConformance } from './conformance.js';
import { ASCII_ADDRESS, startProviderServer, type ProviderAnswer } from './providers/server.js';

const KEY = 'acme_live_0123456789abcdef';

interface Contact { email: string; name?: string }
interface AcmeBody {
  from: Contact; to: Contact[]; cc: Contact[]; bcc: Contact[]; reply_to: Contact[];
  subject: string; text?: string; html?: string; headers: Record<string, string>; tags: string[]; metadata: Record<string, string>;
  attachments: { filename: string; content_type: string; content: string; content_id?: string }[];
}

const ERRORS = {
  auth: { status: 401, body: { error: { type: 'unauthorized', message: 'invalid API key' } } },
  'rate-limit': { status: 429, headers: { 'retry-after': '2' }, body: { error: { type: 'rate_limited', message: 'slow down' } } },
  'server-error': { status: 500, body: { error: { type: 'internal', message: 'try again' } } },
  rejected: { status: 422, body: { error: { type: 'invalid_recipient', message: 'recipient refused' } } },
} satisfies Record<string, ProviderAnswer>;

async function startAcmeServer() {
  let next = 0;
  return startProviderServer({
    faults: ERRORS,
    handle(request) {
      if (request.headers.authorization !== `Bearer ${KEY}`) return { answer: ERRORS.auth };
      if (request.path === '/v1/account' && request.method === 'GET') return { answer: { status: 200, body: { name: 'Shop' } } };
      if (request.path !== '/v1/emails' || request.method !== 'POST') return { answer: { status: 404, body: { error: { type: 'not_found', message: 'no such route' } } } };
      const body = request.json as AcmeBody | undefined;
      const addresses = body ? [body.from, ...body.to, ...body.cc, ...body.bcc, ...body.reply_to] : [];
      if (!body || !body.subject || body.to.length === 0 || addresses.some((a) => !ASCII_ADDRESS.test(a.email))) {
        return { answer: { status: 422, body: { error: { type: 'invalid_request', message: 'from, to and subject are required; addresses in ASCII' } } } };
      }
      const id = `acme-${++next}`;
      return { answer: { status: 202, body: { id } }, arrival: { ...toArrival(body), providerMessageId: id } };
    },
  });
}

function toArrival(body: AcmeBody): Arrival {
  const address = (c: Contact) => (c.name ? { address: c.email, name: c.name } : { address: c.email });
  return {
    from: address(body.from),
    to: body.to.map(address),
    cc: body.cc.map(address),
    bcc: body.bcc.map(address),
    replyTo: body.reply_to.map(address),
    subject: body.subject,
    ...(body.text !== undefined ? { text: body.text } : {}),
    ...(body.html !== undefined ? { html: body.html } : {}),
    attachments: body.attachments.map((a) => ({
      filename: a.filename, contentType: a.content_type, content: Buffer.from(a.content, 'base64'),
      inline: a.content_id !== undefined, ...(a.content_id !== undefined ? { cid: a.content_id } : {}),
    })),
    headers: body.headers,
    tags: body.tags,
    metadata: body.metadata,
  };
}

runConformance('acme (examples/own-adapter)', async () => {
  const server = await startAcmeServer();
  const port = await closedPort();
  return {
    adapter: acmeMailAdapter({ apiKey: KEY, baseUrl: server.url }),
    takeArrivals: async () => server.takeArrivals(),
    inject: (fault) => server.fail(fault),
    garble: (how) => server.garble(how),
    reset: () => server.reset(),
    rateLimitRetryAfterMs: 2000,
    unreachable: () => acmeMailAdapter({ apiKey: KEY, baseUrl: `http://127.0.0.1:${port}` }),
    secrets: [KEY],
    close: () => server.close(),
  };
}, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'], unreadableSuccess: 'sent' });

describe('the example adapter', () => {
  it('is configured like the built-in ones: the key is required, http only on loopback', () => {
    expect(() => acmeMailAdapter({ apiKey: '' })).toThrow(/acme needs `apiKey` \(Acme Mail > Settings > API keys\)/);
    expect(() => acmeMailAdapter({ apiKey: KEY, baseUrl: 'http://mail.example.com' })).toThrow(/must use https/);
    expect(acmeMailAdapter({ apiKey: KEY }).endpoint).toEqual({ host: 'api.acme-mail.example', tls: 'https', auth: 'api-key' });
  });
});
