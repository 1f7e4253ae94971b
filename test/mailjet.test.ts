// The Mailjet adapter against a local Send API v3.1 that enforces its documented contract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromDsn, mailjetAdapter } from '../adapters/mailjet.js';
import { memoryAdapter } from '../adapters/memory.js';
import { parseDsn } from '../src/core/dsn.js';
import { createMailer } from '../src/core/mailer.js';
import { normalizeMessage } from '../src/core/message.js';
import { closedPort, expectFailure, MESSAGES, runConformance, sendContext } from './conformance.js';
import { MAILJET_ERRORS, startMailjetServer, type MailjetServer } from './providers/mailjet.js';

const KEY = 'mjpublic0123456789abcdef01234567';
const SECRET = 'mjsecret0123456789abcdef01234567';

runConformance('mailjet', async () => {
  const server = await startMailjetServer(KEY, SECRET);
  const port = await closedPort();
  return {
    adapter: mailjetAdapter({ apiKey: KEY, secretKey: SECRET, baseUrl: server.url }),
    takeArrivals: async () => server.takeArrivals(),
    inject: (fault) => server.fail(fault),
    garble: (how) => server.garble(how),
    reset: () => server.reset(),
    rateLimitRetryAfterMs: 3000,
    unreachable: () => mailjetAdapter({ apiKey: KEY, secretKey: SECRET, baseUrl: `http://127.0.0.1:${port}` }),
    secrets: [KEY, SECRET],
    close: () => server.close(),
  };
}, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'], unreadableSuccess: 'ambiguous' });

describe('mailjet specifics', () => {
  let server: MailjetServer;
  beforeAll(async () => {
    server = await startMailjetServer(KEY, SECRET);
  });
  afterAll(() => server.close());
  const adapter = () => mailjetAdapter({ apiKey: KEY, secretKey: SECRET, baseUrl: server.url });

  it('keeps a MessageID above 2^53 exactly, as a string, in the receipt and the journal', async () => {
    const expected = server.nextMessageId;
    expect(expected > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    const receipt = await adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext());
    expect(receipt.providerMessageId).toBe(expected.toString());
    expect(BigInt(Number(receipt.providerMessageId))).not.toBe(expected); // a double would have rounded it

    const mailer = createMailer({ adapters: [adapter()], journal: { store: 'memory://' } });
    const next = server.nextMessageId;
    const result = await mailer.send(MESSAGES['text only']!);
    expect(result.providerMessageId).toBe(next.toString());
    const entry = await mailer.journal.get(result.id);
    expect(entry?.providerMessageId).toBe(next.toString());
    expect(entry?.attempts[0]?.providerMessageId).toBe(next.toString());
    await mailer.close();
  });

  it('sends the documented request: Basic auth, /v3.1/send, Messages[0] field names; one tag as the campaign', async () => {
    const receipt = await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, tags: ['a', 'b'], metadata: { k: 'v' }, idempotencyKey: 'order-7' }), sendContext());
    const request = server.requests.at(-1)!;
    expect(request.path).toBe('/v3.1/send');
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`);
    expect(request.json).toEqual({
      Messages: [{
        From: { Email: 'shop@example.com' }, To: [{ Email: 'ann@example.com' }], Subject: 'Plain text',
        TextPart: 'Only text, with ünïcödé.', CustomCampaign: 'a', EventPayload: '{"k":"v"}', CustomID: 'order-7',
      }],
    });
    expect(receipt.warnings).toEqual(['mailjet takes at most 1 tag(s): sent without "b"']);
  });

  it('reports a per-message error with its code and the field it relates to', async () => {
    server.script(MAILJET_ERRORS.invalidTo);
    const error = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('REJECTED');
    expect(error.detail).toBe('400 Bad Request: mj-0013: "ann@@example.com" is an invalid email address. (Messages[0].To[0].Email)');
  });

  it('treats send-0008 (From not authorized, 403 inside a 400) as AUTH with a remedy', async () => {
    server.script(MAILJET_ERRORS.senderNotAllowed);
    const error = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(error.remedy).toMatch(/Senders & domains/);
  });

  it('the local Send API answers a message without To as Mailjet documents (To is mandatory), per message and naming To', async () => {
    const send = async (to: unknown) => {
      const message = { From: { Email: 'shop@example.com' }, ...(to === undefined ? {} : { To: to }), Bcc: [{ Email: 'audit@example.com' }], Subject: 'S', TextPart: 'T' };
      const response = await fetch(`${server.url}/v3.1/send`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ Messages: [message] }),
      });
      return { status: response.status, body: await response.json() as { Messages: { Status: string; Errors: { ErrorCode: string; ErrorRelatedTo: string[] }[] }[] } };
    };
    for (const [to, code] of [[undefined, 'mj-0003'], [[], 'mj-0007']] as const) {
      const { status, body } = await send(to);
      expect(status).toBe(400);
      expect(body.Messages[0]!.Status).toBe('error');
      expect(body.Messages[0]!.Errors[0]).toMatchObject({ ErrorCode: code, ErrorRelatedTo: ['Messages[0].To'] });
    }
  });

  it('the local Send API refuses a header from the guide\'s forbidden list with send-0011, naming it', async () => {
    const response = await fetch(`${server.url}/v3.1/send`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Messages: [{ From: { Email: 'shop@example.com' }, To: [{ Email: 'ann@example.com' }], Subject: 'S', TextPart: 'T', Headers: { 'X-Mailer': 'Shop 2.1' } }] }),
    });
    expect(response.status).toBe(400);
    const body = await response.json() as { Messages: { Errors: { ErrorCode: string; ErrorRelatedTo: string[] }[] }[] };
    expect(body.Messages[0]!.Errors[0]).toMatchObject({ ErrorCode: 'send-0011', ErrorRelatedTo: ['Messages[0].Headers["X-Mailer"]'] });
  });

  it('skips a message with a header Mailjet forbids (X-Mailer, List-Id...) as UNSUPPORTED, so the next adapter sends it (its send-0011 stopped the chain)', async () => {
    const backup = memoryAdapter({ name: 'backup' });
    const mailer = createMailer({ adapters: [adapter(), backup], journal: false, retry: { attempts: 1 } });
    try {
      for (const header of ['X-Mailer', 'List-Id', 'X-Feedback-ID']) {
        const before = server.requests.length;
        const result = await mailer.send({ ...MESSAGES['text only']!, headers: { [header]: 'shop-2.1' } });
        expect(result.adapter, header).toBe('backup');
        expect(result.attempts[0]!.error).toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining(`"${header}"`) });
        expect(server.requests.length, `${header}: nothing sent to Mailjet`).toBe(before);
      }
      expect(backup.messages).toHaveLength(3);
    } finally {
      await mailer.close();
    }
    // Any other header still goes to Mailjet.
    await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, headers: { 'X-Order': '1042' } }), sendContext());
  });

  it('refuses a message without To as UNSUPPORTED before calling Mailjet', async () => {
    const before = server.requests.length;
    const error = await expectFailure(adapter().send(normalizeMessage({ ...MESSAGES['text only']!, to: [], bcc: 'audit@example.com' }), sendContext()));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toMatch(/"to" recipient/);
    expect(server.requests.length).toBe(before);
  });

  it('refuses a second reply-to and a 51st recipient as UNSUPPORTED', async () => {
    const two = normalizeMessage({ ...MESSAGES['text only']!, replyTo: ['a@example.com', 'b@example.com'] });
    await expect(adapter().send(two, sendContext())).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const many = normalizeMessage({ ...MESSAGES['text only']!, to: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`) });
    await expect(adapter().send(many, sendContext())).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/at most 50 recipients/) });
  });

  it('refuses a subject over Mailjet\'s 255 characters as UNSUPPORTED before calling it (its 400 stopped the chain)', async () => {
    const before = server.requests.length;
    const long = normalizeMessage({ ...MESSAGES['text only']!, subject: `Order 1042: ${'x'.repeat(250)}` });
    const error = await expectFailure(adapter().send(long, sendContext()));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toMatch(/subject of at most 255 characters, the message has 262/);
    expect(server.requests.length).toBe(before);
    await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, subject: 'x'.repeat(255) }), sendContext());
  });

  it('builds from a DSN with key and secret, and needs both', async () => {
    const built = fromDsn(parseDsn(`mailjet+api://${KEY}:${SECRET}@127.0.0.1:${server.port}?insecure=true`));
    await built.verify!();
    expect(String(built)).toBe(`mailjet(http://127.0.0.1:${server.port})`);
    expect(() => fromDsn(parseDsn(`mailjet+api://${KEY}@default`))).toThrow(/lacks the secret key/);
    const wrong = mailjetAdapter({ apiKey: KEY, secretKey: 'wrong-secret', baseUrl: server.url });
    const error = await expectFailure(wrong.verify!());
    expect(error.code).toBe('AUTH');
    expect(error.message).not.toContain('wrong-secret');
  });
});
