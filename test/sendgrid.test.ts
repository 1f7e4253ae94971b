// The SendGrid adapter against a local SendGrid v3 API that enforces its documented contract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryAdapter } from '../adapters/memory.js';
import { fromDsn, sendgridAdapter } from '../adapters/sendgrid.js';
import { parseDsn } from '../src/core/dsn.js';
import { createMailer } from '../src/core/mailer.js';
import { normalizeMessage } from '../src/core/message.js';
import { closedPort, expectFailure, MESSAGES, runConformance, sendContext } from './conformance.js';
import { SENDGRID_ERRORS, startSendgridServer, type SendgridServer } from './providers/sendgrid.js';

const KEY = 'SG.test-key.0123456789abcdef';

runConformance('sendgrid', async () => {
  const server = await startSendgridServer(KEY);
  const port = await closedPort();
  return {
    adapter: sendgridAdapter({ apiKey: KEY, baseUrl: server.url }),
    takeArrivals: async () => server.takeArrivals(),
    inject: (fault) => server.fail(fault),
    garble: (how) => server.garble(how),
    reset: () => server.reset(),
    unreachable: () => sendgridAdapter({ apiKey: KEY, baseUrl: `http://127.0.0.1:${port}` }),
    secrets: [KEY],
    close: () => server.close(),
  };
}, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'], unreadableSuccess: 'sent' });

describe('sendgrid specifics', () => {
  let server: SendgridServer;
  beforeAll(async () => {
    server = await startSendgridServer(KEY);
  });
  afterAll(() => server.close());
  const adapter = (apiKey = KEY) => sendgridAdapter({ apiKey, baseUrl: server.url });

  it('sends the documented request: path, Bearer key, one personalization, content text first, categories and custom_args', async () => {
    const message = normalizeMessage({
      ...MESSAGES['text only']!, html: '<p>hi</p>', cc: 'Chloé <chloe@example.net>', bcc: 'audit@example.com', replyTo: ['a@example.com', 'B <b@example.com>'],
      headers: { 'X-Order-Id': '1042' }, tags: ['order', 'confirmation'], metadata: { orderId: '1042' },
    });
    const receipt = await adapter().send(message, sendContext());
    const request = server.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v3/mail/send');
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request.json).toEqual({
      personalizations: [{ to: [{ email: 'ann@example.com' }], cc: [{ email: 'chloe@example.net', name: 'Chloé' }], bcc: [{ email: 'audit@example.com' }] }],
      from: { email: 'shop@example.com' },
      reply_to_list: [{ email: 'a@example.com' }, { email: 'b@example.com', name: 'B' }],
      subject: 'Plain text',
      content: [{ type: 'text/plain', value: 'Only text, with ünïcödé.' }, { type: 'text/html', value: '<p>hi</p>' }],
      headers: { 'X-Order-Id': '1042' },
      categories: ['order', 'confirmation'],
      custom_args: { orderId: '1042' },
    });
    // 202 with an empty body: the id is the X-Message-Id header.
    expect(receipt.providerMessageId).toBe(server.takeArrivals().at(-1)!.providerMessageId);
    expect(receipt.providerMessageId).toMatch(/^[\w-]{16,}$/);
  });

  it('sends an address once across to, cc and bcc (SendGrid refuses a repeat, case-insensitively), keeping the first, and the receipt lists every recipient', async () => {
    const message = normalizeMessage({ ...MESSAGES['text only']!, to: 'ann@example.com', cc: ['Ann <ANN@example.com>', 'chloe@example.net'], bcc: ['ann@example.com', 'audit@example.com', 'Chloe@Example.net'] });
    const receipt = await adapter().send(message, sendContext());
    expect((server.requests.at(-1)!.json as { personalizations: unknown[] }).personalizations).toEqual([
      { to: [{ email: 'ann@example.com' }], cc: [{ email: 'chloe@example.net' }], bcc: [{ email: 'audit@example.com' }] },
    ]);
    expect(receipt.accepted).toEqual(['ann@example.com', 'ANN@example.com', 'chloe@example.net', 'ann@example.com', 'audit@example.com', 'Chloe@Example.net']);
  });

  it('skips a message with a header SendGrid reserves (Received, DKIM-Signature, X-SG-ID) as UNSUPPORTED, so the next adapter sends it (its 400 stopped the chain)', async () => {
    const backup = memoryAdapter({ name: 'backup' });
    const mailer = createMailer({ adapters: [adapter(), backup], journal: false, retry: { attempts: 1 } });
    try {
      for (const header of ['Received', 'DKIM-Signature', 'X-SG-ID']) {
        const before = server.requests.length;
        const result = await mailer.send({ ...MESSAGES['text only']!, headers: { [header]: 'from relay.example.com' } });
        expect(result.adapter, header).toBe('backup');
        expect(result.attempts[0]!.error).toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining(`"${header}"`) });
        expect(server.requests.length, `${header}: nothing sent to SendGrid`).toBe(before);
      }
    } finally {
      await mailer.close();
    }
  });

  it('encodes a non-ASCII header value as RFC 2047 words (SendGrid copies values as given and asks for them encoded), which arrive as written', async () => {
    const note = 'Livraison à Zoë — « fragile » 📦';
    await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, headers: { 'X-Note': note, 'X-Order-Id': '1042' } }), sendContext());
    const sent = (server.requests.at(-1)!.json as { headers: Record<string, string> }).headers;
    expect(sent['X-Note']).toMatch(/^[\x20-\x7e]+$/);
    expect(sent['X-Note']).toMatch(/^=\?UTF-8\?Q\?/);
    expect(sent['X-Order-Id']).toBe('1042');
    const arrival = (await server.takeArrivals()).at(-1);
    expect(arrival!.headers).toMatchObject({ 'X-Note': note, 'X-Order-Id': '1042' });
  });

  it('skips a message whose text, html and attachments in base64 pass SendGrid\'s 30 MB as UNSUPPORTED, so the next adapter sends it (its 413 stopped the chain)', async () => {
    const backup = memoryAdapter({ name: 'backup' });
    const mailer = createMailer({ adapters: [adapter(), backup], journal: false, retry: { attempts: 1 } });
    try {
      const before = server.requests.length;
      // 22 MB of attachment is 29.3 MB in base64, under the attachment limit; with 2 MB of html the payload passes 30 MB.
      const result = await mailer.send({ ...MESSAGES['text only']!, html: `<p>${'x'.repeat(2 * 1024 * 1024)}</p>`, attachments: [{ filename: 'scan.pdf', content: new Uint8Array(22 * 1024 * 1024) }] });
      expect(result.adapter).toBe('backup');
      expect(result.attempts[0]!.error).toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/text \+ html \+ attachments after base64\) is 31\.3 MB/) });
      expect(server.requests.length).toBe(before);
    } finally {
      await mailer.close();
    }
  });

  it('drops a category over 255 characters with a warning, and sends the message with the others', async () => {
    const long = 'c'.repeat(256);
    const receipt = await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, tags: ['order', long] }), sendContext());
    expect(server.requests.at(-1)!.json).toMatchObject({ categories: ['order'] });
    expect(receipt.warnings?.join(' ')).toMatch(/at most 255 characters.*"ccc/);
  });

  it('sends one reply-to as reply_to, and an inline image with disposition inline and its content_id', async () => {
    const message = normalizeMessage({ ...MESSAGES['text only']!, replyTo: 'support@example.com', html: '<img src="cid:logo@x">', attachments: [{ filename: 'logo.png', content: 'png', contentType: 'image/png', cid: 'logo@x' }] });
    await adapter().send(message, sendContext());
    const json = server.requests.at(-1)!.json as Record<string, unknown>;
    expect(json.reply_to).toEqual({ email: 'support@example.com' });
    expect(json).not.toHaveProperty('reply_to_list');
    expect(json.attachments).toEqual([{ content: Buffer.from('png').toString('base64'), filename: 'logo.png', type: 'image/png', disposition: 'inline', content_id: 'logo@x' }]);
  });

  it('goes to api.eu.sendgrid.com with region "eu" (?region=eu), and to api.sendgrid.com by default', async () => {
    const urls: string[] = [];
    // The EU host cannot be reached from a test: fetch records where the adapter went and answers locally.
    const record: typeof fetch = (input, init) => {
      const url = new URL(String(input));
      urls.push(url.origin);
      return fetch(`${server.url}${url.pathname}`, init);
    };
    const eu = fromDsn(parseDsn(`sendgrid+api://${KEY}@default?region=eu`));
    expect(String(eu)).toBe('sendgrid(https://api.eu.sendgrid.com)');
    await sendgridAdapter({ apiKey: KEY, region: 'eu', fetch: record }).send(normalizeMessage(MESSAGES['text only']!), sendContext());
    await sendgridAdapter({ apiKey: KEY, fetch: record }).send(normalizeMessage(MESSAGES['text only']!), sendContext());
    expect(urls).toEqual(['https://api.eu.sendgrid.com', 'https://api.sendgrid.com']);
    expect(String(fromDsn(parseDsn(`sendgrid+api://${KEY}@default`)))).toBe('sendgrid(https://api.sendgrid.com)');
    expect(() => fromDsn(parseDsn(`sendgrid+api://${KEY}@default?region=us`))).toThrow(/region=us: use global, eu/);
  });

  it('turns a wrong key into AUTH with a remedy naming the EU region, and without the key', async () => {
    const error = await expectFailure(adapter('SG.wrong-key.000').send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(error.message).toBe('[mailroom] [sendgrid] 401 Unauthorized: The provided authorization grant is invalid, expired, or revoked');
    expect(error.remedy).toMatch(/region=eu/);
    expect(JSON.stringify(error)).not.toContain('SG.wrong-key.000');
  });

  it('maps an unverified sender identity (403) to AUTH and a refused field (400) to REJECTED naming the field', async () => {
    server.script(SENDGRID_ERRORS.senderIdentity);
    const sender = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(sender.code).toBe('AUTH');
    expect(sender.remedy).toMatch(/Sender Authentication/);
    // An address SendGrid does not take: it refuses the field and names it.
    server.script(SENDGRID_ERRORS.badTo);
    const refused = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(refused.code).toBe('REJECTED');
    expect(refused.detail).toMatch(/Does not contain a valid address\. \(personalizations\.0\.to\.0\.email\)/);
  });

  it('maps 429 to RATE_LIMITED with the wait from X-RateLimit-Reset (a Unix time)', async () => {
    server.fail('rate-limit');
    const error = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterMs).toBeGreaterThan(1000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(3000);
  });

  it('verify() checks that the key has the mail.send scope', async () => {
    await adapter().verify!();
    server.scopes.splice(0, server.scopes.length, 'user.profile.read');
    try {
      const error = await expectFailure(adapter().verify!());
      expect(error.code).toBe('AUTH');
      expect(error.detail).toMatch(/mail\.send/);
      expect(error.remedy).toMatch(/Mail Send permission/);
    } finally {
      server.scopes.splice(0, server.scopes.length, 'mail.send', 'user.profile.read');
    }
  });

  it('builds from a DSN, keeping the key out of String()', async () => {
    const built = fromDsn(parseDsn(`sendgrid+api://${KEY}@127.0.0.1:${server.port}?insecure=true&name=sg`));
    expect(built.name).toBe('sg');
    expect(String(built)).toBe(`sendgrid(http://127.0.0.1:${server.port})`);
    await built.verify!();
    expect(parseDsn(`sendgrid+api://${KEY}@default`).redacted).not.toContain(KEY);
  });
});
