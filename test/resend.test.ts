// The Resend adapter against a local Resend API that enforces its documented contract, including
// the Idempotency-Key header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryAdapter } from '../adapters/memory.js';
import { fromDsn, resendAdapter } from '../adapters/resend.js';
import { parseDsn } from '../src/core/dsn.js';
import { createMailer } from '../src/index.js';
import { normalizeMessage } from '../src/core/message.js';
import { closedPort, expectFailure, MESSAGES, runConformance, sendContext } from './conformance.js';
import { expectRefusedAttachmentsSkipped } from './helpers/refused-attachments.js';
import { RESEND_ERRORS, startResendServer, type ResendServer } from './providers/resend.js';

const KEY = 're_test_0123456789abcdef';

runConformance('resend', async () => {
  const server = await startResendServer(KEY);
  const port = await closedPort();
  return {
    adapter: resendAdapter({ apiKey: KEY, baseUrl: server.url }),
    takeArrivals: async () => server.takeArrivals(),
    inject: (fault) => server.fail(fault),
    garble: (how) => server.garble(how),
    reset: () => server.reset(),
    rateLimitRetryAfterMs: 1000,
    unreachable: () => resendAdapter({ apiKey: KEY, baseUrl: `http://127.0.0.1:${port}` }),
    secrets: [KEY],
    close: () => server.close(),
  };
}, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'], unreadableSuccess: 'sent' });

describe('resend specifics', () => {
  let server: ResendServer;
  beforeAll(async () => {
    server = await startResendServer(KEY);
  });
  afterAll(() => server.close());
  const adapter = (apiKey = KEY) => resendAdapter({ apiKey, baseUrl: server.url });

  it('the local API takes an attachment whose name and type disagree with a 200 and an id, and delivers nothing, as Resend does', async () => {
    const response = await fetch(`${server.url}/emails`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'shop@example.com', to: 'ann@example.com', subject: 'Export', text: 'Attached.', attachments: [{ filename: 'export.txt', content: Buffer.from('a,b').toString('base64'), content_type: 'text/csv' }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: expect.any(String) });
    expect(await server.takeArrivals()).toEqual([]);
  });

  it('skips a message whose attachment type is not the one its name implies as UNSUPPORTED, so it is not silently dropped and the next adapter sends it', async () => {
    const backup = memoryAdapter({ name: 'backup' });
    const mailer = createMailer({ adapters: [adapter(), backup], journal: false, retry: { attempts: 1 } });
    try {
      const before = server.requests.length;
      const result = await mailer.send({ ...MESSAGES['text only']!, attachments: [{ filename: 'export.txt', content: 'a,b', contentType: 'text/csv' }] });
      expect(result.adapter).toBe('backup');
      expect(result.attempts[0]!.error).toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/"export\.txt" is text\/csv, but its name says text\/plain/) });
      expect(server.requests.length, 'nothing sent to Resend').toBe(before);
      expect(backup.messages).toHaveLength(1);
    } finally {
      await mailer.close();
    }
    // A name that matches its type, or whose extension names no known type, still goes to Resend.
    await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, attachments: [
      { filename: 'export.csv', content: 'a,b', contentType: 'text/csv' }, { filename: 'invoice.PDF', content: '%PDF', contentType: 'application/pdf' },
      { filename: 'data.bin7', content: 'x', contentType: 'application/x-custom' }, { filename: 'Rechnung März', content: 'x', contentType: 'application/pdf' },
    ] }), sendContext());
    expect(await server.takeArrivals()).toHaveLength(1);
  });

  it('skips a message with an attachment type Resend refuses (install.js, server.crt) as UNSUPPORTED, so the next adapter sends it (its refusal stopped the chain)', async () => {
    await expectRefusedAttachmentsSkipped(adapter(), () => server.requests.length, ['install.js', 'server.crt']);
  });

  it('sends the documented request: path, Bearer key, Idempotency-Key, snake_case fields, tags and metadata as headers', async () => {
    const message = normalizeMessage({
      ...MESSAGES['text only']!, to: ['"O\'Neil, Ann" <ann@example.com>'], replyTo: ['a@example.com', 'b@example.com'],
      headers: { 'X-Order-Id': '1042' }, tags: ['order'], metadata: { orderId: '1042' }, idempotencyKey: 'order-1042-confirmation',
    });
    const receipt = await adapter().send(message, { ...sendContext(), idempotencyKey: 'order-1042-confirmation' });
    const request = server.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/emails');
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request.headers['idempotency-key']).toBe('order-1042-confirmation');
    expect(request.json).toEqual({
      from: 'shop@example.com',
      to: ['"O\'Neil, Ann" <ann@example.com>'],
      reply_to: ['a@example.com', 'b@example.com'],
      subject: 'Plain text',
      text: 'Only text, with ünïcödé.',
      headers: { 'X-Order-Id': '1042', 'X-Mailroom-Tags': 'order', 'X-Mailroom-Metadata': '{"orderId":"1042"}' },
    });
    expect(receipt.providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends the same email once when a retry repeats the Idempotency-Key: Resend answers the first id', async () => {
    const message = normalizeMessage({ ...MESSAGES['text only']!, idempotencyKey: 'welcome-user/123' });
    server.takeArrivals();
    const first = await adapter().send(message, { ...sendContext(), idempotencyKey: 'welcome-user/123' });
    const again = await adapter().send(message, { ...sendContext(), idempotencyKey: 'welcome-user/123' });
    expect(again.providerMessageId).toBe(first.providerMessageId);
    expect(server.takeArrivals()).toHaveLength(1);
  });

  it('without a key of its own, a message goes with its Message-ID as the key, so the chain\'s retries are one email', async () => {
    const message = normalizeMessage(MESSAGES['text only']!);
    await adapter().send(message, sendContext());
    expect(server.requests.at(-1)!.headers['idempotency-key']).toBe(message.messageId);
  });

  it('an answer cut off after Resend took the email, then the same send again: still one email, and its id comes back', async () => {
    server.takeArrivals();
    server.garble('cut-off');
    const message = normalizeMessage({ ...MESSAGES['text only']!, idempotencyKey: 'order-7-shipped' });
    const lost = await adapter().send(message, { ...sendContext(), idempotencyKey: 'order-7-shipped' });
    expect(lost.providerMessageId).toBeUndefined();
    const [sent] = server.takeArrivals();
    const again = await adapter().send(message, { ...sendContext(), idempotencyKey: 'order-7-shipped' });
    expect(server.takeArrivals()).toHaveLength(0);
    expect(again.providerMessageId).toBe(sent!.providerMessageId);
  });

  it('a journal resend of a sent message is a new email at Resend, not the first one\'s id for the same Idempotency-Key', async () => {
    const mailer = createMailer({ adapters: [adapter()], journal: 'memory://', from: 'shop@example.com' });
    try {
      await server.takeArrivals();
      const sent = await mailer.send({ to: 'ann@example.com', subject: 'Order 1050', text: 'Thanks', idempotencyKey: 'order-1050-confirmation' });
      expect(await server.takeArrivals()).toHaveLength(1);
      // The customer says it never came: the operator resends it on purpose.
      const again = await mailer.journal.resend(sent.id);
      expect(again.status).toBe('sent');
      expect(again.providerMessageId).not.toBe(sent.providerMessageId);
      expect(await server.takeArrivals()).toHaveLength(1);
      // A send of the key itself is still answered from the journal, nothing sent.
      const repeat = await mailer.send({ to: 'ann@example.com', subject: 'Order 1050', text: 'Thanks', idempotencyKey: 'order-1050-confirmation' });
      expect(repeat.deduplicated).toBe(true);
      expect(await server.takeArrivals()).toHaveLength(0);
    } finally {
      await mailer.close();
    }
  });

  it('hashes a key over 256 characters (Resend\'s limit) instead of being refused', async () => {
    await adapter().send(normalizeMessage(MESSAGES['text only']!), { ...sendContext(), idempotencyKey: 'k'.repeat(300) });
    expect(server.requests.at(-1)!.headers['idempotency-key']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('maps the same key with other content (409) to REJECTED with a remedy', async () => {
    await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, subject: 'v1' }), { ...sendContext(), idempotencyKey: 'invoice-9' });
    const error = await expectFailure(adapter().send(normalizeMessage({ ...MESSAGES['text only']!, subject: 'v2' }), { ...sendContext(), idempotencyKey: 'invoice-9' }));
    expect(error.code).toBe('REJECTED');
    expect(error.status).toBe(409);
    expect(error.remedy).toMatch(/new idempotencyKey/);
  });

  it('turns a missing or wrong key into AUTH with a remedy and without the key', async () => {
    const error = await expectFailure(adapter('re_wrong_key_000').send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(error.message).toBe('[mailroom] [resend] 403 Forbidden: invalid_api_key: API key is invalid.');
    expect(error.remedy).toMatch(/Resend > API Keys/);
    expect(JSON.stringify(error)).not.toContain('re_wrong_key_000');
  });

  it('maps a quota used up (429 daily_quota_exceeded) to AUTH, rate_limit_exceeded to RATE_LIMITED with retry-after, and the testing-domain refusal to AUTH', async () => {
    server.script(RESEND_ERRORS.dailyQuota);
    const quota = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(quota.code).toBe('AUTH');
    expect(quota.remedy).toMatch(/quota/);
    server.script(RESEND_ERRORS.rateLimited);
    const rate = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(rate.code).toBe('RATE_LIMITED');
    expect(rate.retryAfterMs).toBe(1000);
    server.script(RESEND_ERRORS.testingDomain);
    const testing = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(testing.code).toBe('AUTH');
    expect(testing.remedy).toMatch(/Resend > Domains/);
  });

  it('verify() accepts a sending-only key (401 restricted_api_key) and refuses a wrong one', async () => {
    await adapter().verify!();
    server.script({ status: 401, body: { statusCode: 401, name: 'restricted_api_key', message: 'This API key is restricted to only send emails.' } });
    await adapter().verify!();
    await expect(adapter('re_wrong_key_000').verify!()).rejects.toMatchObject({ code: 'AUTH' });
  });

  it('builds from a DSN, keeping the key out of String()', async () => {
    const built = fromDsn(parseDsn(`resend+api://${KEY}@127.0.0.1:${server.port}?insecure=true&name=rs`));
    expect(built.name).toBe('rs');
    expect(String(built)).toBe(`resend(http://127.0.0.1:${server.port})`);
    await built.verify!();
    expect(String(fromDsn(parseDsn(`resend+api://${KEY}@default`)))).toBe('resend(https://api.resend.com)');
    expect(parseDsn(`resend+api://${KEY}@default`).redacted).not.toContain(KEY);
  });
});
