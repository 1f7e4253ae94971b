// The Postmark adapter against a local Postmark API that enforces its documented contract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryAdapter } from '../adapters/memory.js';
import { fromDsn, postmarkAdapter } from '../adapters/postmark.js';
import { parseDsn } from '../src/core/dsn.js';
import { createMailer } from '../src/core/mailer.js';
import { normalizeMessage } from '../src/core/message.js';
import { closedPort, expectFailure, MESSAGES, runConformance, sendContext } from './conformance.js';
import { expectRefusedAttachmentsSkipped } from './helpers/refused-attachments.js';
import { POSTMARK_ERRORS, startPostmarkServer, type PostmarkServer } from './providers/postmark.js';

const TOKEN = 'pm-server-token-0123456789';

runConformance('postmark', async () => {
  const server = await startPostmarkServer(TOKEN);
  const port = await closedPort();
  return {
    adapter: postmarkAdapter({ serverToken: TOKEN, baseUrl: server.url }),
    takeArrivals: async () => server.takeArrivals(),
    inject: (fault) => server.fail(fault),
    garble: (how) => server.garble(how),
    reset: () => server.reset(),
    unreachable: () => postmarkAdapter({ serverToken: TOKEN, baseUrl: `http://127.0.0.1:${port}` }),
    secrets: [TOKEN],
    close: () => server.close(),
  };
}, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'], unreadableSuccess: 'sent' });

describe('postmark specifics', () => {
  let server: PostmarkServer;
  beforeAll(async () => {
    server = await startPostmarkServer(TOKEN);
  });
  afterAll(() => server.close());
  const adapter = (options: { messageStream?: string; serverToken?: string } = {}) => postmarkAdapter({ serverToken: TOKEN, baseUrl: server.url, ...options });

  it('drops a Tag over 1000 characters with a warning, and sends the message', async () => {
    const receipt = await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, tags: ['t'.repeat(1001), 'order'] }), sendContext());
    expect(server.requests.at(-1)!.json).toMatchObject({ Tag: 'order' });
    expect(receipt.warnings?.join(' ')).toMatch(/at most 1000 characters/);
  });

  it('refuses a subject over Postmark\'s 2000 characters as UNSUPPORTED before calling it (its 422 stopped the chain)', async () => {
    const before = server.requests.length;
    // An emoji is two UTF-16 code units, and Postmark counts it as two.
    const long = normalizeMessage({ ...MESSAGES['text only']!, subject: `${'x'.repeat(1999)}🎉` });
    const error = await expectFailure(adapter().send(long, sendContext()));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toMatch(/subject of at most 2000 characters, the message has 2001/);
    expect(server.requests.length).toBe(before);
    await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, subject: 'x'.repeat(2000) }), sendContext());
  });

  it('skips a message with an attachment type Postmark refuses (firmware.bin, setup.EXE) as UNSUPPORTED, so the next adapter sends it (its refusal stopped the chain)', async () => {
    await expectRefusedAttachmentsSkipped(adapter(), () => server.requests.length, ['firmware.bin', 'setup.EXE']);
  });

  it('sends the documented request: path, server-token header, JSON field names, the message stream', async () => {
    const message = normalizeMessage({
      ...MESSAGES['text only']!, to: ['"O\'Neil, Ann" <ann@example.com>', 'bob@example.org'], cc: 'Chloé <chloe@example.net>', replyTo: 'support@example.com',
      headers: { 'X-Order-Id': '1042' }, tags: ['order'], metadata: { orderId: '1042' },
    });
    const receipt = await adapter({ messageStream: 'password-resets' }).send(message, sendContext());
    const request = server.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/email');
    expect(request.headers['x-postmark-server-token']).toBe(TOKEN);
    expect(request.headers.accept).toBe('application/json');
    expect(request.json).toEqual({
      From: 'shop@example.com',
      To: '"O\'Neil, Ann" <ann@example.com>, bob@example.org',
      Cc: 'Chloé <chloe@example.net>',
      ReplyTo: 'support@example.com',
      Subject: 'Plain text',
      TextBody: 'Only text, with ünïcödé.',
      Headers: [{ Name: 'X-Order-Id', Value: '1042' }],
      Tag: 'order',
      Metadata: { orderId: '1042' },
      MessageStream: 'password-resets',
    });
    expect(receipt.providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves MessageStream out unless one is named (Postmark then uses its default transactional stream)', async () => {
    await adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext());
    expect(server.requests.at(-1)!.json).not.toHaveProperty('MessageStream');
  });

  it('sends an inline image with ContentID "cid:<id>" and a file without one', async () => {
    const message = normalizeMessage({ ...MESSAGES['text only']!, html: '<img src="cid:logo@x">', attachments: [{ filename: 'a.pdf', content: 'pdf', contentType: 'application/pdf' }, { filename: 'logo.png', content: 'png', contentType: 'image/png', cid: 'logo@x' }] });
    await adapter().send(message, sendContext());
    expect((server.requests.at(-1)!.json as { Attachments: unknown[] }).Attachments).toEqual([
      { Name: 'a.pdf', Content: Buffer.from('pdf').toString('base64'), ContentType: 'application/pdf' },
      { Name: 'logo.png', Content: Buffer.from('png').toString('base64'), ContentType: 'image/png', ContentID: 'cid:logo@x' },
    ]);
  });

  it('reports the recipients Postmark will not deliver to (inactive) as rejected, with its words', async () => {
    server.inactive.add('bob@example.org');
    try {
      const receipt = await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, to: ['ann@example.com', 'bob@example.org'] }), sendContext());
      expect(receipt.accepted).toEqual(['ann@example.com']);
      expect(receipt.rejected).toEqual(['bob@example.org']);
      expect(receipt.warnings?.join(' ')).toMatch(/inactive addresses: bob@example.org/);
    } finally {
      server.inactive.clear();
    }
  });

  it('maps "every recipient inactive" (422, ErrorCode 406) to REJECTED with a remedy', async () => {
    server.inactive.add('ann@example.com');
    try {
      const error = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
      expect(error.code).toBe('REJECTED');
      expect(error.status).toBe(422);
      expect(error.detail).toMatch(/marked as inactive.*ErrorCode 406/);
      expect(error.remedy).toMatch(/Suppressions/);
    } finally {
      server.inactive.clear();
    }
  });

  it('turns a wrong token into AUTH with a remedy and without the token', async () => {
    const error = await expectFailure(adapter({ serverToken: 'pm-wrong-token-000' }).send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(error.message).toBe('[mailroom] [postmark] 401 Unauthorized: Request does not contain a valid Server token. (Postmark ErrorCode 10)');
    expect(error.remedy).toMatch(/Server API token/);
    expect(JSON.stringify(error)).not.toContain('pm-wrong-token-000');
  });

  it('maps a sender signature that is not confirmed to AUTH (the next adapter can send) and an unknown stream to AUTH', async () => {
    server.script(POSTMARK_ERRORS.senderNotFound);
    const sender = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(sender.code).toBe('AUTH');
    expect(sender.remedy).toMatch(/Sender Signatures/);
    const stream = await expectFailure(adapter({ messageStream: 'no-such-stream' }).send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(stream.code).toBe('AUTH');
    expect(stream.remedy).toMatch(/message_stream/);
  });

  it('maps 429 to RATE_LIMITED (Postmark documents no Retry-After)', async () => {
    server.script(POSTMARK_ERRORS.rateLimited);
    const error = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('refuses more than 50 recipients and a second tag is dropped with a warning', async () => {
    const many = Array.from({ length: 51 }, (_, i) => `r${i}@example.com`);
    await expect(adapter().send(normalizeMessage({ ...MESSAGES['text only']!, to: many }), sendContext())).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    const receipt = await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, tags: ['a', 'b'] }), sendContext());
    expect((server.requests.at(-1)!.json as { Tag: string }).Tag).toBe('a');
    expect(receipt.warnings?.join(' ')).toMatch(/at most 1 tag/);
  });

  it('builds from a DSN with ?message_stream=, keeping the token out of String() and the redacted DSN', async () => {
    const built = fromDsn(parseDsn(`postmark+api://${TOKEN}@127.0.0.1:${server.port}?insecure=true&message_stream=broadcast&name=pm`));
    expect(built.name).toBe('pm');
    expect(String(built)).toBe(`postmark(http://127.0.0.1:${server.port}, stream broadcast)`);
    await built.verify!();
    await built.send(normalizeMessage(MESSAGES['text only']!), sendContext());
    expect((server.requests.at(-1)!.json as { MessageStream: string }).MessageStream).toBe('broadcast');
    expect(String(fromDsn(parseDsn(`postmark+api://${TOKEN}@default`)))).toBe('postmark(https://api.postmarkapp.com)');
    expect(parseDsn(`postmark+api://${TOKEN}@default`).redacted).not.toContain(TOKEN);
    expect(() => fromDsn(parseDsn('postmark+api://default'))).toThrow(/lacks the API key/);
  });
});
