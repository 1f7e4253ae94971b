// The Mailgun adapter against a local Mailgun API that enforces its documented multipart contract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromDsn, mailgunAdapter } from '../adapters/mailgun.js';
import { parseDsn } from '../src/core/dsn.js';
import { normalizeMessage } from '../src/core/message.js';
import { closedPort, expectFailure, MESSAGES, runConformance, sendContext } from './conformance.js';
import { MAILGUN_ERRORS, startMailgunServer } from './providers/mailgun.js';
import type { ProviderServer } from './providers/server.js';

const KEY = 'key-0123456789abcdef0123456789abcdef';
const DOMAIN = 'mg.example.com';

runConformance('mailgun', async () => {
  const server = await startMailgunServer(KEY, [DOMAIN]);
  const port = await closedPort();
  return {
    adapter: mailgunAdapter({ apiKey: KEY, domain: DOMAIN, baseUrl: server.url }),
    takeArrivals: async () => server.takeArrivals(),
    inject: (fault) => server.fail(fault),
    garble: (how) => server.garble(how),
    reset: () => server.reset(),
    rateLimitRetryAfterMs: 120_000,
    unreachable: () => mailgunAdapter({ apiKey: KEY, domain: DOMAIN, baseUrl: `http://127.0.0.1:${port}` }),
    secrets: [KEY],
    close: () => server.close(),
  };
}, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'], unreadableSuccess: 'ambiguous' });

describe('mailgun specifics', () => {
  let server: ProviderServer;
  beforeAll(async () => {
    server = await startMailgunServer(KEY, [DOMAIN]);
  });
  afterAll(() => server.close());
  const message = () => normalizeMessage({ ...MESSAGES['text only']!, replyTo: ['a@example.com', 'B <b@example.com>'], tags: ['welcome'], metadata: { user: '42' }, headers: { 'List-Unsubscribe': '<mailto:u@example.com>' } });

  it('posts multipart fields with h:, o:tag and v: names to /v3/{domain}/messages', async () => {
    await mailgunAdapter({ apiKey: KEY, domain: DOMAIN, baseUrl: server.url }).send(message(), sendContext());
    const request = server.requests.at(-1)!;
    expect(request.path).toBe('/v3/mg.example.com/messages');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`api:${KEY}`).toString('base64')}`);
    expect(Object.fromEntries(request.form!)).toEqual({
      from: 'shop@example.com', to: 'ann@example.com', subject: 'Plain text', text: 'Only text, with ünïcödé.',
      'h:Reply-To': 'a@example.com, B <b@example.com>', 'h:List-Unsubscribe': '<mailto:u@example.com>', 'o:tag': 'welcome', 'v:user': '42',
    });
  });

  it('drops a tag over 128 characters or not ASCII with a warning (Mailgun takes ASCII tags of at most 128), and sends the message', async () => {
    const tags = ['t'.repeat(129), 'café', 'welcome'];
    const receipt = await mailgunAdapter({ apiKey: KEY, domain: DOMAIN, baseUrl: server.url }).send(normalizeMessage({ ...MESSAGES['text only']!, tags }), sendContext());
    expect(server.requests.at(-1)!.form!.getAll('o:tag')).toEqual(['welcome']);
    const warnings = receipt.warnings?.join(' ');
    expect(warnings).toMatch(/at most 128 characters.*"ttt/);
    expect(warnings).toMatch(/ASCII.*"café"/);
  });

  it('the local Mailgun refuses a tag over 128 characters or not ASCII, as documented', async () => {
    for (const tag of ['t'.repeat(129), 'café']) {
      const form = new FormData();
      for (const [key, value] of Object.entries({ from: 'shop@example.com', to: 'ann@example.com', subject: 'S', text: 'T', 'o:tag': tag })) form.append(key, value);
      const response = await fetch(`${server.url}/v3/${DOMAIN}/messages`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`api:${KEY}`).toString('base64')}` }, body: form });
      expect(response.status, tag).toBe(400);
    }
  });

  it('treats a 200 "Mailgun Magnificent API" as a failure, not a send', async () => {
    server.script(MAILGUN_ERRORS.magnificent);
    const error = await expectFailure(mailgunAdapter({ apiKey: KEY, domain: DOMAIN, baseUrl: server.url }).send(message(), sendContext()));
    expect(error.code).toBe('TRANSIENT');
    expect(error.retryable).toBe(false);
    expect(error.detail).toBe('200 OK: Mailgun Magnificent API');
    expect(error.remedy).toMatch(/check the domain/);
  });

  it('names the regions on 404 Domain not found, and moves on (AUTH) rather than stopping', async () => {
    const usDomain = mailgunAdapter({ apiKey: KEY, domain: 'eu-only.example.com', region: 'eu', baseUrl: server.url });
    const error = await expectFailure(usDomain.send(message(), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(error.status).toBe(404);
    expect(error.detail).toBe('404 Not Found: Domain not found: eu-only.example.com');
    expect(error.remedy).toMatch(/set region=eu in the DSN for a domain in the EU region, region=us \(the default\) otherwise/);
    const verifyError = await expectFailure(mailgunAdapter({ apiKey: KEY, domain: 'other.example.com', baseUrl: server.url }).verify!());
    expect(verifyError.code).toBe('AUTH');
    expect(verifyError.remedy).toMatch(/set region=eu/);
  });

  it('reads the wait from the 429 text when there is no Retry-After', async () => {
    server.script(MAILGUN_ERRORS.rateLimited);
    const error = await expectFailure(mailgunAdapter({ apiKey: KEY, domain: DOMAIN, baseUrl: server.url }).send(message(), sendContext()));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterMs).toBe(120_000);
  });

  it('names the region hosts and parses the DSN', async () => {
    expect(String(fromDsn(parseDsn(`mailgun+api://${KEY}:${DOMAIN}@default?region=eu`)))).toBe(`mailgun(https://api.eu.mailgun.net, ${DOMAIN})`);
    expect(String(fromDsn(parseDsn(`mailgun+api://${KEY}:${DOMAIN}@default`)))).toBe(`mailgun(https://api.mailgun.net, ${DOMAIN})`);
    expect(() => fromDsn(parseDsn(`mailgun+api://${KEY}:${DOMAIN}@default?region=asia`))).toThrow(/region=asia/);
    expect(() => fromDsn(parseDsn(`mailgun+api://${KEY}@default`))).toThrow(/lacks the sending domain/);
    const local = fromDsn(parseDsn(`mailgun+api://${KEY}:${DOMAIN}@127.0.0.1:${server.port}?insecure=true`));
    await local.verify!();
    expect(String(local)).not.toContain(KEY);
  });
});
