// The Brevo adapter against a local Brevo API that enforces its documented contract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brevoAdapter, fromDsn } from '../adapters/brevo.js';
import { parseDsn } from '../src/core/dsn.js';
import { normalizeMessage } from '../src/core/message.js';
import { closedPort, expectFailure, MESSAGES, runConformance, sendContext } from './conformance.js';
import { BREVO_ERRORS, startBrevoServer, type BrevoServer } from './providers/brevo.js';

const KEY = 'xkeysib-test-0123456789abcdef';

runConformance('brevo', async () => {
  const server = await startBrevoServer(KEY);
  const port = await closedPort();
  return {
    adapter: brevoAdapter({ apiKey: KEY, baseUrl: server.url }),
    takeArrivals: async () => server.takeArrivals(),
    inject: (fault) => server.fail(fault),
    garble: (how) => server.garble(how),
    reset: () => server.reset(),
    rateLimitRetryAfterMs: 2000,
    unreachable: () => brevoAdapter({ apiKey: KEY, baseUrl: `http://127.0.0.1:${port}` }),
    secrets: [KEY],
    close: () => server.close(),
  };
}, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'], unreadableSuccess: 'sent' });

describe('brevo specifics', () => {
  let server: BrevoServer;
  beforeAll(async () => {
    server = await startBrevoServer(KEY);
  });
  afterAll(() => server.close());

  it('sends the documented request: path, api-key header, JSON field names', async () => {
    const adapter = brevoAdapter({ apiKey: KEY, baseUrl: server.url });
    const message = normalizeMessage({ ...MESSAGES['text only']!, idempotencyKey: 'order-1042' });
    await adapter.send(message, { ...sendContext(), idempotencyKey: 'order-1042' });
    const request = server.requests.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v3/smtp/email');
    expect(request.headers['api-key']).toBe(KEY);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.json).toEqual({
      sender: { email: 'shop@example.com' },
      to: [{ email: 'ann@example.com' }],
      subject: 'Plain text',
      textContent: 'Only text, with ünïcödé.',
      headers: { idempotencyKey: 'order-1042' },
    });
  });

  it('warns when an attachment type is not the one its file name implies: Brevo takes no type, only the name', async () => {
    const adapter = brevoAdapter({ apiKey: KEY, baseUrl: server.url });
    const base = MESSAGES['text only']!;
    const implied = await adapter.send(normalizeMessage({ ...base, attachments: [{ filename: 'facture.pdf', content: '%PDF' }, { filename: 'notes.txt', content: 'x', contentType: 'text/plain' }] }), sendContext());
    expect(implied.warnings).toBeUndefined();
    const other = await adapter.send(normalizeMessage({ ...base, attachments: [{ filename: 'export.txt', content: 'a,b', contentType: 'text/csv' }] }), sendContext());
    expect(other.warnings).toEqual(['brevo takes no attachment type and derives it from the file name: "export.txt" was sent without its type text/csv']);
    // The request carries the name and the bytes only, as Brevo's attachment object has no type.
    expect((server.requests.at(-1)!.json as { attachment: unknown[] }).attachment).toEqual([{ name: 'export.txt', content: Buffer.from('a,b').toString('base64') }]);
  });

  it('cuts a sender name over Brevo\'s 70 characters, with a warning, instead of a 400 that stopped the chain', async () => {
    const adapter = brevoAdapter({ apiKey: KEY, baseUrl: server.url });
    const name = 'Boutique Les Jardins de Provence — Service des confirmations de commande';
    expect(name.length).toBeGreaterThan(70);
    const receipt = await adapter.send(normalizeMessage({ ...MESSAGES['text only']!, from: { address: 'shop@example.com', name } }), sendContext());
    const sender = (server.requests.at(-1)!.json as { sender: { name: string; email: string } }).sender;
    expect(sender).toEqual({ email: 'shop@example.com', name: [...name].slice(0, 70).join('') });
    expect(receipt.warnings).toEqual([`brevo takes a sender name of at most 70 characters: ${JSON.stringify(name)} was cut to ${JSON.stringify(sender.name)}`]);
  });

  it('cuts a to, cc, bcc or reply-to name over Brevo\'s 70 characters too, with a warning each (the local API answers 400 to a longer one, as Brevo does)', async () => {
    const adapter = brevoAdapter({ apiKey: KEY, baseUrl: server.url });
    const long = (who: string) => `${who} — Service comptabilité fournisseurs et clients, Les Jardins de Provence SARL`;
    const message = normalizeMessage({
      ...MESSAGES['text only']!,
      to: { address: 'ann@example.com', name: long('Ann') }, cc: { address: 'bob@example.com', name: long('Bob') },
      bcc: { address: 'audit@example.com', name: long('Audit') }, replyTo: { address: 'help@example.com', name: long('Help') },
    });
    const receipt = await adapter.send(message, sendContext());
    const sent = server.requests.at(-1)!.json as Record<string, { name: string } | { name: string }[]>;
    const cut = (who: string) => [...long(who)].slice(0, 70).join('');
    expect(sent).toMatchObject({ to: [{ name: cut('Ann') }], cc: [{ name: cut('Bob') }], bcc: [{ name: cut('Audit') }], replyTo: { name: cut('Help') } });
    expect(receipt.warnings).toEqual([
      `brevo takes a recipient name of at most 70 characters: ${JSON.stringify(long('Ann'))} was cut to ${JSON.stringify(cut('Ann'))}`,
      `brevo takes a cc recipient name of at most 70 characters: ${JSON.stringify(long('Bob'))} was cut to ${JSON.stringify(cut('Bob'))}`,
      `brevo takes a bcc recipient name of at most 70 characters: ${JSON.stringify(long('Audit'))} was cut to ${JSON.stringify(cut('Audit'))}`,
      `brevo takes a reply-to name of at most 70 characters: ${JSON.stringify(long('Help'))} was cut to ${JSON.stringify(cut('Help'))}`,
    ]);
    const response = await fetch(`${server.url}/v3/smtp/email`, {
      method: 'POST', headers: { 'api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ sender: { email: 'shop@example.com' }, to: [{ email: 'ann@example.com', name: long('Ann') }], subject: 'S', textContent: 'T' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ code: 'invalid_parameter', message: 'You can have max 70 character in to name' });
  });

  it('turns a wrong key into AUTH with a remedy and without the key', async () => {
    const adapter = brevoAdapter({ apiKey: 'xkeysib-wrong-key-000', baseUrl: server.url });
    const error = await expectFailure(adapter.send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(error.message).toBe('[mailroom] [brevo] 401 Unauthorized: Key not found');
    expect(error.remedy).toMatch(/v3 API key/);
    expect(JSON.stringify(error)).not.toContain('xkeysib-wrong-key-000');
  });

  it('maps 402 not_enough_credits to AUTH (the next provider can send) and keeps Brevo\'s text', async () => {
    server.script(BREVO_ERRORS.noCredits);
    const error = await expectFailure(brevoAdapter({ apiKey: KEY, baseUrl: server.url }).send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(error.detail).toContain('You do not have enough credits');
    expect(error.remedy).toMatch(/credits/);
  });

  it('refuses two reply-to addresses as UNSUPPORTED without calling Brevo', async () => {
    const before = server.requests.length;
    const adapter = brevoAdapter({ apiKey: KEY, baseUrl: server.url });
    const message = normalizeMessage({ ...MESSAGES['text only']!, replyTo: ['a@example.com', 'b@example.com'] });
    await expect(adapter.send(message, sendContext())).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    expect(server.requests.length).toBe(before);
  });

  it('refuses inline images as UNSUPPORTED', async () => {
    const adapter = brevoAdapter({ apiKey: KEY, baseUrl: server.url });
    const message = normalizeMessage({ ...MESSAGES['text only']!, html: '<img src="cid:x">', attachments: [{ filename: 'x.png', content: 'x', cid: 'x' }] });
    await expect(adapter.send(message, sendContext())).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/inline images/) });
  });

  it('builds from a DSN, keeping the key out of String()', async () => {
    const adapter = fromDsn(parseDsn(`brevo+api://${KEY}@127.0.0.1:${server.port}?insecure=true&name=brevo-eu`));
    expect(adapter.name).toBe('brevo-eu');
    expect(String(adapter)).toBe(`brevo(http://127.0.0.1:${server.port})`);
    await adapter.verify!();
    expect(String(fromDsn(parseDsn(`brevo+api://${KEY}@default`)))).toBe('brevo(https://api.brevo.com)');
    expect(String(fromDsn(parseDsn(`brevo+api://${KEY}@proxy.example.com:8443`)))).toBe('brevo(https://proxy.example.com:8443)');
    expect(() => fromDsn(parseDsn('brevo+api://default'))).toThrow(/lacks the API key/);
    expect(() => fromDsn(parseDsn(`brevo+api://${KEY}@proxy.example.com?insecure=true`))).toThrow(/https/);
  });
});
