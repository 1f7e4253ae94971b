// The SMTP2GO adapter against a local SMTP2GO API that enforces its documented JSON contract,
// including per-recipient failures inside a 200.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromDsn, smtp2goAdapter } from '../adapters/smtp2go.js';
import { parseDsn } from '../src/core/dsn.js';
import { normalizeMessage } from '../src/core/message.js';
import { closedPort, expectFailure, MESSAGES, runConformance, sendContext } from './conformance.js';
import { partialFailure, SMTP2GO_ERRORS, startSmtp2goServer } from './providers/smtp2go.js';
import type { ProviderServer } from './providers/server.js';

const KEY = 'api-0123456789ABCDEF0123456789ABCDEF';

runConformance('smtp2go', async () => {
  const server = await startSmtp2goServer(KEY);
  const port = await closedPort();
  return {
    adapter: smtp2goAdapter({ apiKey: KEY, baseUrl: server.url }),
    takeArrivals: async () => server.takeArrivals(),
    inject: (fault) => server.fail(fault),
    garble: (how) => server.garble(how),
    reset: () => server.reset(),
    rateLimitRetryAfterMs: 5000,
    unreachable: () => smtp2goAdapter({ apiKey: KEY, baseUrl: `http://127.0.0.1:${port}` }),
    secrets: [KEY],
    close: () => server.close(),
  };
}, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'], unreadableSuccess: 'ambiguous' });

describe('smtp2go specifics', () => {
  let server: ProviderServer;
  beforeAll(async () => {
    server = await startSmtp2goServer(KEY);
  });
  afterAll(() => server.close());
  const adapter = () => smtp2goAdapter({ apiKey: KEY, baseUrl: server.url });
  const two = () => normalizeMessage({ ...MESSAGES['html only']! });

  it('sends the documented request: header key, address strings, custom_headers', async () => {
    await adapter().send(normalizeMessage({ ...MESSAGES['text only']!, replyTo: 'Desk <desk@example.com>' }), sendContext());
    const request = server.requests.at(-1)!;
    expect(request.path).toBe('/v3/email/send');
    expect(request.headers['x-smtp2go-api-key']).toBe(KEY);
    expect(request.json).toEqual({
      sender: '<shop@example.com>', to: ['<ann@example.com>'], subject: 'Plain text', text_body: 'Only text, with ünïcödé.',
      custom_headers: [{ header: 'Reply-To', value: 'Desk <desk@example.com>' }],
    });
  });

  it('refuses a subject over SMTP2GO\'s 255 characters as UNSUPPORTED before calling it (its 400 stopped the chain)', async () => {
    const long = normalizeMessage({ ...MESSAGES['text only']!, subject: 'y'.repeat(256) });
    const error = await expectFailure(adapter().send(long, sendContext()));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toMatch(/subject of at most 255 characters/);
  });

  it('reports recipients that failed inside a 200 as rejected, and delivers to the rest', async () => {
    server.script(partialFailure(['bob@example.org'], 1));
    const receipt = await adapter().send(two(), sendContext());
    expect(receipt.accepted).toEqual(['ann@example.com']);
    expect(receipt.rejected).toEqual(['bob@example.org']);
    expect(receipt.providerMessageId).toMatch(/^1/);
    expect(receipt.warnings?.[0]).toMatch(/refused 1 recipient.*bob@example.org: 550/);
  });

  it('marks only the recipient a failure names, not one whose address is part of it (ann@ inside joann@), in any case', async () => {
    const message = normalizeMessage({ ...MESSAGES['text only']!, to: ['ann@example.com', 'joann@example.com', 'Bob@Example.org'] });
    server.script({ status: 200, body: { request_id: 'r-2', data: { succeeded: 1, failed: 2, failures: ['joann@example.com: 550 rejected', { email: 'bob@example.org', error: '550' }], email_id: '1abc-def' } } });
    const receipt = await adapter().send(message, sendContext());
    expect(receipt.accepted).toEqual(['ann@example.com']);
    expect(receipt.rejected).toEqual(['joann@example.com', 'Bob@Example.org']);
  });

  it('warns about a failure inside a 200 even when its text names no recipient', async () => {
    server.script({ status: 200, body: { request_id: 'r-1', data: { succeeded: 1, failed: 1, failures: ['550 mailbox unavailable'], email_id: '1abc-def' } } });
    const receipt = await adapter().send(two(), sendContext());
    expect(receipt.rejected).toEqual([]);
    expect(receipt.warnings).toEqual(['SMTP2GO refused 1 recipient(s): 550 mailbox unavailable']);
  });

  it('fails REJECTED when every recipient failed inside a 200', async () => {
    server.script(partialFailure(['ann@example.com', 'bob@example.org'], 0));
    const error = await expectFailure(adapter().send(two(), sendContext()));
    expect(error.code).toBe('REJECTED');
    expect(error.rejected).toEqual(['ann@example.com', 'bob@example.org']);
    expect(error.detail).toMatch(/no recipient: ann@example.com: 550/);
  });

  it('keeps SMTP2GO\'s field validation text, and moves on when the key lacks the permission', async () => {
    server.script(SMTP2GO_ERRORS.badSender);
    const invalid = await expectFailure(adapter().send(two(), sendContext()));
    expect(invalid.code).toBe('REJECTED');
    expect(invalid.detail).toMatch(/NON_VALIDATING_IN_PAYLOAD.*'sender' was expecting a valid RFC-822/);
    server.script(SMTP2GO_ERRORS.permissionDenied);
    const denied = await expectFailure(adapter().send(two(), sendContext()));
    expect(denied.code).toBe('AUTH');
    expect(denied.remedy).toMatch(/permissions/);
  });

  it('refuses more than 100 recipients as UNSUPPORTED', async () => {
    const many = normalizeMessage({ ...MESSAGES['text only']!, to: Array.from({ length: 101 }, (_, i) => `r${i}@example.com`) }, { limits: { maxRecipients: 1000 } });
    await expect(adapter().send(many, sendContext())).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('builds from a DSN with a region and verifies through the stats endpoint', async () => {
    expect(String(fromDsn(parseDsn(`smtp2go+api://${KEY}@default?region=eu`)))).toBe('smtp2go(https://eu-api.smtp2go.com)');
    expect(String(fromDsn(parseDsn(`smtp2go+api://${KEY}@default`)))).toBe('smtp2go(https://api.smtp2go.com)');
    expect(() => fromDsn(parseDsn(`smtp2go+api://${KEY}@default?region=mars`))).toThrow(/region=mars/);
    const local = fromDsn(parseDsn(`smtp2go+api://${KEY}@127.0.0.1:${server.port}?insecure=true`));
    await local.verify!();
    expect(server.requests.at(-1)!.path).toBe('/v3/stats/email_summary');
  });
});
