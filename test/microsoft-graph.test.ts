// The Graph adapter against a local Graph that enforces the sendMail contract, with tokens from real
// msal-node and a local HTTPS identity platform: request shape field by field, 202, Graph's error
// envelope mapped to codes and remedies, Retry-After, the token retry, DSN and secrets.
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fromDsn, graphAdapter, type GraphAdapter, type GraphOptions } from '../adapters/microsoft-graph.js';
import { parseDsn } from '../src/core/dsn.js';
import { MailError } from '../src/core/errors.js';
import { normalizeMessage, type MailMessage } from '../src/core/message.js';
import { closedPort, expectArrival, expectFailure, MESSAGES, runConformance, sendContext } from './conformance.js';
import { aadError, networkClient, startIdentityServer, type IdentityServer } from './helpers/identity-server.js';
import { createTestTls, type TestTls } from './helpers/tls.js';
import { GRAPH_ERRORS, graphError, startGraphServer } from './providers/graph.js';
import type { ProviderServer } from './providers/server.js';
import { mailErrorOf } from './helpers/assertions.js';

const MAILBOX = 'orders@corp.example';
const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SECRET = 'Graph8Q~client-secret-value';
let tls: TestTls;
let identity: IdentityServer;
let graph: ProviderServer;

beforeAll(async () => {
  tls = await createTestTls();
  identity = await startIdentityServer({ tls, tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET });
  graph = await startGraphServer(MAILBOX, identity.issued);
});
afterAll(async () => {
  await graph.close();
  await identity.close();
});
beforeEach(() => {
  graph.reset();
  graph.takeArrivals();
  graph.requests.length = 0;
  identity.requests.length = 0;
  identity.error = undefined;
});

function adapter(options: Partial<GraphOptions> = {}): GraphAdapter {
  return graphAdapter({
    mailbox: MAILBOX, tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET,
    authority: identity.url, networkClient: networkClient(tls.ca), baseUrl: graph.url, ...options,
  });
}
const message = (overrides: Partial<MailMessage> = {}) =>
  normalizeMessage({ from: MAILBOX, to: 'customer@example.com', subject: 'Order 1042', text: 'Thank you.', ...overrides });

// Declared differences: Graph keeps one body (the html when there is one), and its verify() only
// asks the identity platform for a token, so an 'auth' fault refuses both the token and the send.
runConformance('graph', async () => {
  const ownTls = await createTestTls();
  const ownIdentity = await startIdentityServer({ tls: ownTls, tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET });
  const server = await startGraphServer(MAILBOX, ownIdentity.issued);
  const port = await closedPort();
  const make = (baseUrl: string) => graphAdapter({
    mailbox: MAILBOX, tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET,
    authority: ownIdentity.url, networkClient: networkClient(ownTls.ca), baseUrl,
  });
  return {
    adapter: make(server.url),
    takeArrivals: async () => server.takeArrivals(),
    expected: (sent) => (sent.html !== undefined ? { ...sent, text: undefined } : sent),
    inject: (fault) => {
      if (fault === 'auth') ownIdentity.error = aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
      server.fail(fault);
    },
    garble: (how) => server.garble(how),
    reset: () => {
      server.reset();
      ownIdentity.error = undefined;
    },
    rateLimitRetryAfterMs: 2000,
    unreachable: () => make(`http://127.0.0.1:${port}`),
    secrets: [SECRET],
    close: async () => {
      await server.close();
      await ownIdentity.close();
    },
  };
}, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'], unreadableSuccess: 'sent' });

describe('graph: the sendMail contract', () => {
  it('posts the documented request and reads 202 as accepted', async () => {
    const full = { ...MESSAGES.full!, replyTo: ['Support <support@example.com>', 'sales@example.com'] } as MailMessage;
    const sent = normalizeMessage(full);
    const receipt = await adapter().send(sent, sendContext());
    const request = graph.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1.0/users/orders%40corp.example/sendMail');
    expect(request.headers.authorization).toBe(`Bearer ${identity.issued.at(-1)}`);
    expect(identity.requests[0]!.form.scope).toBe('https://graph.microsoft.com/.default');
    const body = request.json as { message: Record<string, unknown>; saveToSentItems: boolean };
    expect(body.saveToSentItems).toBe(true);
    expect(body.message.body).toEqual({ contentType: 'HTML', content: sent.html });
    expect(body.message.toRecipients).toEqual([
      { emailAddress: { address: 'ann@example.com', name: "O'Neil, Ann" } },
      { emailAddress: { address: 'bruce@example.org', name: '李小龙' } },
    ]);
    expect((body.message.attachments as Record<string, unknown>[])[1]).toEqual({
      '@odata.type': '#microsoft.graph.fileAttachment', name: 'logo.png', contentType: 'image/png',
      contentBytes: sent.attachments[1]!.content.toString('base64'), isInline: true, contentId: 'logo@mailroom',
    });
    // Graph keeps one body: with html and text, the html goes; the arrival is checked against that.
    const [arrival] = graph.takeArrivals();
    expectArrival(arrival!, { ...sent, text: undefined });
    expect(receipt).toEqual({ accepted: [...sent.to, ...sent.cc, ...sent.bcc].map((a) => a.address), rejected: [] });
  });

  it('reads a 2xx other than Graph\'s 202 as AMBIGUOUS (Graph took the request), not a TRANSIENT failover', async () => {
    graph.script({ status: 200, body: {} });
    const error = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('AMBIGUOUS');
    expect(error.status).toBe(200);
  });

  it('sends a text body, and saveToSentItems=false when asked', async () => {
    await adapter({ saveToSentItems: false }).send(message(), sendContext());
    const body = graph.requests[0]!.json as { message: Record<string, unknown>; saveToSentItems: boolean };
    expect(body.message.body).toEqual({ contentType: 'Text', content: 'Thank you.' });
    expect(body.saveToSentItems).toBe(false);
    expect(body.message.internetMessageHeaders).toBeUndefined();
  });

  it('refuses a non-x- header and an attachment over 3 MB as UNSUPPORTED, before any request', async () => {
    const header = await mailErrorOf(adapter().send(message({ headers: { 'List-Unsubscribe': '<mailto:u@example.com>' } }), sendContext()));
    expect(header.code).toBe('UNSUPPORTED');
    const big = await mailErrorOf(adapter().send(message({ attachments: [{ filename: 'big.bin', content: new Uint8Array(3 * 1024 * 1024 + 1) }] }), sendContext()));
    expect(big.code).toBe('UNSUPPORTED');
    expect(big.message).toMatch(/3 MB/);
    expect(graph.requests).toHaveLength(0);
  });
});

describe('graph: errors', () => {
  it.each([
    ['403 ErrorAccessDenied', GRAPH_ERRORS.forbidden, 'AUTH', /Mail\.Send/, undefined],
    ['429 with Retry-After', GRAPH_ERRORS['rate-limit'], 'RATE_LIMITED', /4 concurrent/, 2000],
    ['503 with Retry-After', GRAPH_ERRORS['server-error'], 'TRANSIENT', undefined, 3000],
    ['400 ErrorInvalidRecipients', GRAPH_ERRORS.rejected, 'REJECTED', undefined, undefined],
    // The sending mailbox is wrong: every message would fail, so the chain must try the next adapter.
    ['404 ErrorInvalidUser', GRAPH_ERRORS.user, 'AUTH', /licence/, undefined],
    ['404 MailboxNotEnabledForRESTAPI', graphError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.'), 'AUTH', /licence/, undefined],
    // Send As refused: not the account's credentials (403 would say AUTH) but this From, which the
    // next adapter should not push at once (repeated refusals get the sender throttled).
    ['403 ErrorSendAsDenied', graphError(403, 'ErrorSendAsDenied', 'The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.'), 'REJECTED', /Send As/, undefined],
  ] as const)('%s', async (_label, answer, code, remedy, retryAfter) => {
    graph.script(answer);
    const error = await mailErrorOf(adapter().send(message(), sendContext()));
    expect(error.code).toBe(code);
    expect(error.status).toBe(answer.status);
    expect(error.provider).toBe('graph');
    expect(error.message).toContain((answer.body as { error: { code: string } }).error.code);
    if (remedy) expect(error.remedy).toMatch(remedy);
    if (retryAfter) expect(error.retryAfterMs).toBe(retryAfter);
  });

  it('retries a 401 once with a fresh token when the refused one came from the cache', async () => {
    const graphAdapterUnderTest = adapter();
    await graphAdapterUnderTest.send(message(), sendContext());
    identity.issued.splice(0, identity.issued.length); // revoke
    await graphAdapterUnderTest.send(message(), sendContext());
    expect(graph.requests).toHaveLength(3);
    expect(graph.requests[1]!.headers.authorization).not.toBe(graph.requests[2]!.headers.authorization);
    expect(identity.requests).toHaveLength(2);
    graph.script(GRAPH_ERRORS.auth, 2);
    const error = await mailErrorOf(graphAdapterUnderTest.send(message(), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(identity.requests).toHaveLength(3);
  });

  it('maps a token error to AUTH with the AADSTS code and sends nothing', async () => {
    identity.error = aadError(401, 'invalid_client', 7000222, `The provided client secret keys for app '${CLIENT_ID}' are expired.`);
    const error = await mailErrorOf(adapter().send(message(), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(error.message).toMatch(/AADSTS7000222/);
    expect(error.remedy).toMatch(/expired/);
    expect(graph.requests).toHaveLength(0);
  });

  it('a connection dropped after the request arrived is AMBIGUOUS', async () => {
    graph.script('drop');
    expect((await mailErrorOf(adapter().send(message(), sendContext()))).code).toBe('AMBIGUOUS');
  });
});

describe('graph: verify, sender advice, DSN and secrets', () => {
  it('verify() fetches a fresh token and sends nothing; a refused credential is AUTH', async () => {
    const graphAdapterUnderTest = adapter();
    await graphAdapterUnderTest.verify();
    await graphAdapterUnderTest.verify();
    expect(identity.requests).toHaveLength(2);
    expect(graph.requests).toHaveLength(0);
    identity.error = aadError(400, 'invalid_grant', 65001, 'The user or administrator has not consented to use the application.');
    const error = await mailErrorOf(graphAdapterUnderTest.verify());
    expect(error.code).toBe('AUTH');
    expect(error.remedy).toMatch(/admin consent/);
  });

  it('advises against an onmicrosoft.com sender', async () => {
    const receipt = await adapter().send(message({ from: 'shop@corp.onmicrosoft.com' }), sendContext());
    expect(receipt.warnings?.[0]).toMatch(/onmicrosoft\.com.*DKIM/);
  });

  it('builds from a DSN and never shows the secret or a token', async () => {
    const fromString = fromDsn(parseDsn(`graph://orders%40corp.example@${TENANT}?client_id=${CLIENT_ID}&client_secret=${encodeURIComponent(SECRET)}&save_to_sent_items=false`));
    expect(String(fromString)).toBe('graph(https://graph.microsoft.com, orders@corp.example)');
    expect(() => fromDsn(parseDsn(`graph://orders%40corp.example@${TENANT}?client_id=${CLIENT_ID}`))).toThrow(/client_secret/);
    const used = adapter();
    graph.script(GRAPH_ERRORS.forbidden);
    const error = await mailErrorOf(used.send(message(), sendContext()));
    for (const shown of [fromString, used].map((a) => `${String(a)} ${inspect(a, { depth: 8, showHidden: true })} ${JSON.stringify(a)}`).concat(`${error.message} ${JSON.stringify(error)}`)) {
      expect(shown).not.toContain(SECRET);
      for (const token of identity.issued) expect(shown).not.toContain(token);
    }
  });
});
