// The Microsoft token source with real msal-node against a local HTTPS identity platform: tokens
// acquired with a secret or a certificate, cached, renewed before expiry, forced anew, and
// AADSTS errors mapped to AUTH with the code in the message and a remedy.
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MailError } from '../src/core/errors.js';
import { GRAPH_SCOPE, MicrosoftTokenSource, OUTLOOK_SCOPE, type MicrosoftTokenOptions } from '../src/kit/microsoft-token.js';
import { aadError, networkClient, startIdentityServer, type IdentityServer } from './helpers/identity-server.js';
import { createTestTls, type TestTls } from './helpers/tls.js';
import { mailErrorOf } from './helpers/assertions.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SECRET = 'Abc8Q~client-secret-value';
let tls: TestTls;
let identity: IdentityServer;

beforeAll(async () => {
  tls = await createTestTls();
  identity = await startIdentityServer({ tls, tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET });
});
afterAll(async () => identity.close());
beforeEach(() => {
  identity.error = undefined;
  identity.expiresIn = 3599;
  identity.requests.length = 0;
});

function source(options: Partial<MicrosoftTokenOptions> = {}): MicrosoftTokenSource {
  return new MicrosoftTokenSource({
    tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET, scope: OUTLOOK_SCOPE,
    authority: identity.url, networkClient: networkClient(tls.ca), ...options,
  });
}

describe('MicrosoftTokenSource', () => {
  it('acquires a client-credentials token for the scope, with the secret, over HTTPS', async () => {
    const token = await source().getToken();
    expect(token.accessToken).toMatch(/^token-\d+-outlook\.office365\.com$/);
    expect(token.fromCache).toBe(false);
    expect(token.expiresOn.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
    const [request] = identity.requests;
    expect(request!.tenant).toBe(TENANT);
    expect(request!.form).toMatchObject({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: SECRET, scope: OUTLOOK_SCOPE });
  });

  it('caches the token: one request for many calls, concurrent ones included', async () => {
    const tokens = source();
    const [a, b] = await Promise.all([tokens.getToken(), tokens.getToken()]);
    const c = await tokens.getToken();
    expect(identity.requests).toHaveLength(1);
    expect(new Set([a.accessToken, b.accessToken, c.accessToken]).size).toBe(1);
    expect(c.fromCache).toBe(true);
  });

  it('renews a token before it expires, and on forceRefresh', async () => {
    let now = Date.now();
    const tokens = source({ now: () => now, renewBeforeMs: 60_000 });
    identity.expiresIn = 600;
    const first = await tokens.getToken();
    now += 500_000; // 100 s left, still outside the 60 s margin
    expect((await tokens.getToken()).accessToken).toBe(first.accessToken);
    now += 50_000; // 50 s left: renew
    const renewed = await tokens.getToken();
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect(renewed.fromCache).toBe(false);
    const forced = await tokens.getToken({ forceRefresh: true });
    expect(forced.accessToken).not.toBe(renewed.accessToken);
    expect(identity.requests).toHaveLength(3);
  });

  it('keeps one cache per scope (SMTP and Graph tokens differ)', async () => {
    const graph = await source({ scope: GRAPH_SCOPE }).getToken();
    expect(graph.accessToken).toMatch(/graph\.microsoft\.com$/);
    expect(identity.requests[0]!.form.scope).toBe(GRAPH_SCOPE);
  });

  it('signs in with a certificate (client assertion) instead of a secret', async () => {
    const thumbprintSha256 = createHash('sha256').update(Buffer.from(tls.cert.replace(/-----[^-]+-----|\s/g, ''), 'base64')).digest('hex');
    const token = await source({ clientSecret: undefined, certificate: { thumbprintSha256, privateKey: tls.key } }).getToken();
    expect(token.accessToken).toMatch(/^token-/);
    const form = identity.requests[0]!.form;
    expect(form.client_secret).toBeUndefined();
    expect(form.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const header = JSON.parse(Buffer.from(form.client_assertion!.split('.')[0]!, 'base64url').toString()) as Record<string, string>;
    expect(header['x5t#S256']).toBe(Buffer.from(thumbprintSha256, 'hex').toString('base64url'));
  });

  const errors: [string, () => void, RegExp, RegExp][] = [
    ['a wrong secret', () => {}, /AADSTS7000215/, /Value \(not the Secret ID\)/],
    ['an expired secret', () => { identity.error = aadError(401, 'invalid_client', 7000222, `The provided client secret keys for app '${CLIENT_ID}' are expired.`); }, /AADSTS7000222/, /expired/],
    ['missing consent', () => { identity.error = aadError(400, 'invalid_grant', 65001, "The user or administrator has not consented to use the application."); }, /AADSTS65001/, /Grant admin consent/],
  ];
  it.each(errors)('maps %s to AUTH with the AADSTS code and a remedy', async (_label, arrange, code, remedy) => {
    arrange();
    const tokens = _label === 'a wrong secret' ? source({ clientSecret: 'wrong-secret-value' }) : source();
    const error = await mailErrorOf(tokens.getToken());
    expect(error.code).toBe('AUTH');
    expect(error.message).toMatch(code);
    expect(error.message).not.toMatch(/Trace ID/);
    expect(error.remedy).toMatch(remedy);
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(SECRET);
  });

  it('maps an unknown tenant to AUTH with a remedy about the tenant', async () => {
    const error = await mailErrorOf(source({ tenant: 'not-my-tenant.onmicrosoft.com' }).getToken());
    expect(error.code).toBe('AUTH');
    expect(error.message).toMatch(/AADSTS90002/);
    expect(error.remedy).toMatch(/tenant/i);
  });

  it('maps an unreachable identity platform to TRANSIENT, naming the cause', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const error = await mailErrorOf(source({ authority: `https://127.0.0.1:${closed}`, networkClient: undefined }).getToken());
    expect(error.code).toBe('TRANSIENT');
    expect(error.message).toContain(`the identity platform at https://127.0.0.1:${closed} did not answer: connect ECONNREFUSED`);
    expect(error.remedy).toMatch(/Nothing listens/);
  });

  it('explains an identity platform whose certificate is not trusted, and an http authority', async () => {
    // msal's own HTTP client trusts only the system CAs (the test CA is not among them).
    const untrusted = await mailErrorOf(source({ networkClient: undefined }).getToken());
    expect(untrusted.code).toBe('TRANSIENT');
    expect(untrusted.message).toMatch(/did not answer: .*certificate/);
    expect(untrusted.remedy).toMatch(/NODE_EXTRA_CA_CERTS/);
    const insecure = await mailErrorOf(source({ authority: identity.url.replace('https:', 'http:') }).getToken());
    expect(insecure.message).toMatch(/authority_uri_insecure/);
    expect(insecure.remedy).toMatch(/https:\/\//);
    // The tenant's onmicrosoft.com name in these messages is not a sender address.
    expect(untrusted.remedy).not.toMatch(/SPF/);
  });

  it('never shows the secret', () => {
    const tokens = source();
    expect(`${String(tokens)} ${inspect(tokens, { depth: 8, showHidden: true })} ${JSON.stringify(tokens)}`).not.toContain(SECRET);
    expect(() => new MicrosoftTokenSource({ tenant: TENANT, clientId: CLIENT_ID, scope: OUTLOOK_SCOPE })).toThrow(/secret or a certificate/);
  });
});
