// The SparkPost adapter against a local SparkPost API that enforces its documented contract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromDsn, sparkpostAdapter } from '../adapters/sparkpost.js';
import { parseDsn } from '../src/core/dsn.js';
import { normalizeMessage } from '../src/core/message.js';
import { closedPort, expectFailure, MESSAGES, runConformance, sendContext } from './conformance.js';
import { SPARKPOST_ERRORS, startSparkpostServer, type SparkpostServer } from './providers/sparkpost.js';

const KEY = '0123456789abcdef0123456789abcdef01234567';

runConformance('sparkpost', async () => {
  const server = await startSparkpostServer(KEY);
  const port = await closedPort();
  return {
    adapter: sparkpostAdapter({ apiKey: KEY, baseUrl: server.url }),
    takeArrivals: async () => server.takeArrivals(),
    inject: (fault) => server.fail(fault),
    garble: (how) => server.garble(how),
    reset: () => server.reset(),
    unreachable: () => sparkpostAdapter({ apiKey: KEY, baseUrl: `http://127.0.0.1:${port}` }),
    secrets: [KEY],
    close: () => server.close(),
  };
}, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'], unreadableSuccess: 'ambiguous' });

describe('sparkpost specifics', () => {
  let server: SparkpostServer;
  beforeAll(async () => {
    server = await startSparkpostServer(KEY);
  });
  afterAll(() => server.close());
  const adapter = (apiKey = KEY) => sparkpostAdapter({ apiKey, baseUrl: server.url });

  it('sends braces as written: SparkPost\'s template language would empty "{{ … }}" in the subject, bodies and headers', async () => {
    const message = normalizeMessage({
      ...MESSAGES['text only']!, from: { address: 'shop@example.com', name: 'Shop {{brand}}' },
      subject: 'Your code {{promo}} and {{{raw}}} }}', text: 'Hello {{name}}, keep {{{ this }}} {', html: '<p style="a{b}">{{#if x}}ok{{/if}}</p>',
      headers: { 'X-Template': '{{order.id}}' },
    });
    await adapter().send(message, sendContext());
    const [arrival] = await server.takeArrivals();
    expect(arrival!.subject).toBe(message.subject);
    expect(arrival!.from.name).toBe('Shop {{brand}}');
    expect(arrival!.text).toBe(message.text);
    expect(arrival!.html).toBe(message.html);
    expect(arrival!.headers['X-Template']).toBe('{{order.id}}');
  });

  it('sends the documented request: path, the bare key as Authorization, recipients with header_to, a Cc header, campaign_id and metadata', async () => {
    const message = normalizeMessage({
      ...MESSAGES['text only']!, to: ['Ann <ann@example.com>', 'bob@example.com'], cc: 'Chloé <chloe@example.com>', bcc: 'audit@example.com', replyTo: 'support@example.com',
      headers: { 'X-Order-Id': '1042' }, tags: ['order'], metadata: { orderId: '1042' },
    });
    const receipt = await adapter().send(message, sendContext());
    const request = server.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/api/v1/transmissions');
    expect(request.headers.authorization).toBe(KEY);
    const headerTo = 'Ann <ann@example.com>, bob@example.com';
    expect(request.json).toEqual({
      recipients: [
        { address: { email: 'ann@example.com', name: 'Ann', header_to: headerTo } },
        { address: { email: 'bob@example.com', header_to: headerTo } },
        { address: { email: 'chloe@example.com', name: 'Chloé', header_to: headerTo } },
        { address: { email: 'audit@example.com', header_to: headerTo } },
      ],
      options: { perform_substitutions: false },
      content: {
        from: { email: 'shop@example.com' },
        subject: 'Plain text',
        text: 'Only text, with ünïcödé.',
        reply_to: 'support@example.com',
        headers: { 'X-Order-Id': '1042', Cc: 'Chloé <chloe@example.com>' },
      },
      campaign_id: 'order',
      metadata: { orderId: '1042' },
    });
    expect(receipt.providerMessageId).toMatch(/^\d{15,}$/);
  });

  it('a message with only cc and bcc sends no header_to (no To list to show): each copy shows its own recipient in To, the cc in a Cc header, no bcc address', async () => {
    server.takeArrivals();
    const receipt = await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, to: [], cc: 'Chloé <chloe@example.com>', bcc: ['audit@example.com', 'ann@example.com'] }), sendContext());
    expect(receipt.accepted.sort()).toEqual(['ann@example.com', 'audit@example.com', 'chloe@example.com']);
    const body = server.requests.at(-1)!.json as { recipients: unknown[]; content: { headers?: Record<string, string> } };
    expect(body.recipients).toEqual([
      { address: { email: 'chloe@example.com', name: 'Chloé' } },
      { address: { email: 'audit@example.com' } },
      { address: { email: 'ann@example.com' } },
    ]);
    expect(body.content.headers).toEqual({ Cc: 'Chloé <chloe@example.com>' });
    const [arrival] = server.takeArrivals();
    expect({ to: arrival!.to, cc: arrival!.cc, bcc: arrival!.bcc }).toEqual({
      to: [],
      cc: [{ address: 'chloe@example.com', name: 'Chloé' }],
      bcc: [{ address: 'audit@example.com' }, { address: 'ann@example.com' }],
    });
  });

  it('drops a tag over campaign_id\'s 64 bytes with a warning, counting bytes not characters, and sends the message', async () => {
    const long = 'é'.repeat(33); // 33 characters, 66 bytes
    const receipt = await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, tags: [long, 'order'] }), sendContext());
    expect(server.requests.at(-1)!.json).toMatchObject({ campaign_id: 'order' });
    expect(receipt.warnings?.join(' ')).toMatch(/at most 64 bytes.*"éé/);
  });

  it('sends an inline image in inline_images named by its Content-ID', async () => {
    await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, html: '<img src="cid:logo@x">', attachments: [{ filename: 'logo.png', content: 'png', contentType: 'image/png', cid: 'logo@x' }] }), sendContext());
    const content = (server.requests.at(-1)!.json as { content: Record<string, unknown> }).content;
    expect(content.inline_images).toEqual([{ name: 'logo@x', type: 'image/png', data: Buffer.from('png').toString('base64') }]);
    expect(content).not.toHaveProperty('attachments');
  });

  it('goes to api.eu.sparkpost.com with ?region=eu, and to api.sparkpost.com by default', async () => {
    const urls: string[] = [];
    // The EU host cannot be reached from a test: fetch records where the adapter went and answers locally.
    const record: typeof fetch = (input, init) => {
      const url = new URL(String(input));
      urls.push(`${url.origin}${url.pathname}`);
      return fetch(`${server.url}${url.pathname}`, init);
    };
    const eu = fromDsn(parseDsn(`sparkpost+api://${KEY}@default?region=eu`));
    expect(String(eu)).toBe('sparkpost(https://api.eu.sparkpost.com)');
    await sparkpostAdapter({ apiKey: KEY, region: 'eu', fetch: record }).send(normalizeMessage(MESSAGES['text only']!), sendContext());
    await sparkpostAdapter({ apiKey: KEY, fetch: record }).send(normalizeMessage(MESSAGES['text only']!), sendContext());
    expect(urls).toEqual(['https://api.eu.sparkpost.com/api/v1/transmissions', 'https://api.sparkpost.com/api/v1/transmissions']);
    expect(() => fromDsn(parseDsn(`sparkpost+api://${KEY}@default?region=de`))).toThrow(/region=de: use us, eu/);
  });

  it('reports a partial refusal (200 with rejected recipients) as sent with a warning, and a full one as REJECTED', async () => {
    server.refused.add('bob@example.com');
    try {
      const partial = await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, to: ['ann@example.com', 'bob@example.com'] }), sendContext());
      expect(partial.providerMessageId).toMatch(/^\d+$/);
      expect(partial.warnings?.join(' ')).toMatch(/rejected 1 of 2 recipients.*suppressed due to customer policy/);
      const error = await expectFailure(adapter().send(normalizeMessage({ ...MESSAGES['text only']!, to: 'bob@example.com' }), sendContext()));
      expect(error.code).toBe('REJECTED');
      expect(error.rejected).toEqual(['bob@example.com']);
      expect(error.remedy).toMatch(/Suppressions/);
    } finally {
      server.refused.clear();
    }
  });

  it('turns a wrong key into AUTH with a remedy naming the EU region, and without the key', async () => {
    const error = await expectFailure(adapter('fedcba9876543210fedcba9876543210fedcba98').send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(error.message).toBe('[mailroom] [sparkpost] 401 Unauthorized: Unauthorized.');
    expect(error.remedy).toMatch(/region=eu/);
    expect(JSON.stringify(error)).not.toContain('fedcba9876543210fedcba9876543210fedcba98');
  });

  it('maps an unverified sending domain (7001) to AUTH and a sending limit (420) to RATE_LIMITED', async () => {
    const domain = await expectFailure(adapter().send(normalizeMessage({ ...MESSAGES['text only']!, from: 'shop@unverified.example' }), sendContext()));
    expect(domain.code).toBe('AUTH');
    expect(domain.detail).toBe('400 Bad Request: Invalid domain: Unconfigured or unverified sending domain. (SparkPost code 7001)');
    expect(domain.remedy).toMatch(/Sending Domains/);
    server.script(SPARKPOST_ERRORS.dailyLimit);
    const limit = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(limit.code).toBe('RATE_LIMITED');
    expect(limit.status).toBe(420);
    expect(limit.remedy).toMatch(/limit resets/);
  });

  it('verify() proves the key with a transmission lookup (404 is fine) and sends nothing', async () => {
    server.takeArrivals();
    await adapter().verify!();
    expect(server.requests.at(-1)!.path).toBe('/api/v1/transmissions/mailroom-verify');
    expect(server.takeArrivals()).toEqual([]);
    await expect(adapter('fedcba9876543210fedcba9876543210fedcba98').verify!()).rejects.toMatchObject({ code: 'AUTH' });
  });

  it('builds from a DSN, keeping the key out of String()', async () => {
    const built = fromDsn(parseDsn(`sparkpost+api://${KEY}@127.0.0.1:${server.port}?insecure=true&name=sp`));
    expect(built.name).toBe('sp');
    expect(String(built)).toBe(`sparkpost(http://127.0.0.1:${server.port})`);
    await built.verify!();
    expect(parseDsn(`sparkpost+api://${KEY}@default?region=eu`).redacted).not.toContain(KEY);
  });
});
