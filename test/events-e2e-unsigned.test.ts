// End to end for the providers that do not sign their webhooks (Brevo, Mailjet, SMTP2GO): a message
// sent through the provider's local contract server, then that provider's delivered and bounced
// webhooks posted to the handler with the shared secret, leave the journal entry with both events
// and the right per-recipient state. A forged post (no or a wrong credential) is refused and a
// replayed one (the same body again) changes nothing. These providers put no signed timestamp on a
// request, so there is no "stale" to refuse: an event never seen before is recorded, however late.
import { afterAll, describe, expect, it } from 'vitest';
import { brevoAdapter } from '../adapters/brevo.js';
import { mailjetAdapter } from '../adapters/mailjet.js';
import { smtp2goAdapter } from '../adapters/smtp2go.js';
import type { MailAdapter } from '../src/core/adapter.js';
import { createMailer, type Mailer } from '../src/core/mailer.js';
import { createWebhookHandler, parseMailjetBody } from '../src/events/index.js';
import { fixture } from './helpers/webhooks.js';
import { startBrevoServer } from './providers/brevo.js';
import { startMailjetServer } from './providers/mailjet.js';
import type { ProviderServer } from './providers/server.js';
import { startSmtp2goServer } from './providers/smtp2go.js';

const ORDER = { from: 'Shop <shop@example.com>', to: ['Camille <camille@example.com>', 'nobody@example.com'], subject: 'Order 1042 confirmed', text: 'Thank you for your order.' };
const basic = (credential: string) => ({ authorization: `Basic ${Buffer.from(credential).toString('base64')}` });
const states = (recipients: Record<string, { state: string }>) => Object.fromEntries(Object.entries(recipients).map(([address, one]) => [address, one.state]));

const open: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  while (open.length) await open.pop()!.close();
});

async function setup(server: ProviderServer, adapter: (baseUrl: string) => MailAdapter): Promise<Mailer> {
  open.push(server);
  const mailer = createMailer({ adapters: [adapter(server.url)], journal: 'memory://' });
  open.push(mailer);
  return mailer;
}

describe('Brevo: send through the contract server, then its webhooks (basic auth in the URL)', () => {
  it('a batch with a delivered and a hard bounce sets both recipients; forged and replayed posts change nothing', async () => {
    const mailer = await setup(await startBrevoServer('xkeysib-test-0123456789abcdef'), (baseUrl) => brevoAdapter({ apiKey: 'xkeysib-test-0123456789abcdef', baseUrl }));
    const sent = await mailer.send(ORDER);
    expect(sent.providerMessageId).toMatch(/^<.+@smtp-relay\.mailin\.fr>$/);
    const handler = createWebhookHandler({ mailer, brevo: { secret: 'brevo:s3cret-0123456789' } });
    const post = (body: string, headers: Record<string, string>) => handler(new Request('https://shop.example.com/api/mailroom/webhooks/brevo', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }));
    const batch = JSON.stringify((fixture('brevo-hard-bounce-batch').body as Array<Record<string, unknown>>).map((event) => ({ ...event, 'message-id': sent.providerMessageId })));
    expect((await post(batch, basic('brevo:s3cret-0123456789'))).status).toBe(200);
    const entry = (await mailer.journal.get(sent.id))!;
    expect(entry.delivery!.events.map((event) => [event.eventType, event.recipient, event.journalId])).toEqual([
      ['bounced', 'nobody@example.com', sent.id],
      ['delivered', 'camille@example.com', sent.id],
    ]);
    expect(states(entry.delivery!.recipients)).toEqual({ 'camille@example.com': 'delivered', 'nobody@example.com': 'bounced' });

    const before = JSON.stringify(await mailer.journal.get(sent.id));
    const forged = JSON.stringify([{ ...JSON.parse(batch)[0], email: 'camille@example.com' }]);
    expect((await post(forged, {})).status).toBe(401);
    expect((await post(forged, basic('brevo:guess'))).status).toBe(401);
    expect((await post(batch, basic('brevo:s3cret-0123456789'))).status).toBe(200); // replayed: recognized
    expect(JSON.stringify(await mailer.journal.get(sent.id))).toBe(before);
    expect(handler.stats()).toMatchObject({ recorded: 2, duplicates: 2, refused: { unauthorized: 2 } });
    handler.close();
  });
});

describe('Mailjet: send through the contract server, then its Event API posts (basic auth in the URL)', () => {
  it('MessageIDs beyond 2^53 find their entries digit for digit; forged and replayed posts change nothing', async () => {
    const mailer = await setup(await startMailjetServer('mj-key-0123456789', 'mj-secret-0123456789'), (baseUrl) => mailjetAdapter({ apiKey: 'mj-key-0123456789', secretKey: 'mj-secret-0123456789', baseUrl }));
    // One recipient per message: Mailjet gives each recipient its own MessageID and the adapter's
    // receipt records the first one (README "Delivery events", limits).
    const toCamille = await mailer.send({ ...ORDER, to: 'camille@example.com' });
    const toNobody = await mailer.send({ ...ORDER, to: 'nobody@example.com' });
    expect(toCamille.providerMessageId).toMatch(/^\d{17,}$/);
    expect(Number(toCamille.providerMessageId)).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    const handler = createWebhookHandler({ mailer, mailjet: { secret: 'mailjet:s3cret-0123456789' } });
    const post = (body: string, headers: Record<string, string>) => handler(new Request('https://shop.example.com/api/mailroom/webhooks/mailjet', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }));
    // The documented sent and bounce events, pointed at the two messages; MessageID stays a bare JSON integer.
    const [sentEvent, bounceEvent] = parseMailjetBody(fixture('mailjet-grouped').rawBody!) as Array<Record<string, unknown>>;
    // Each event names its recipient's message by MessageID and by Message_GUID (the MessageUUID the send returned), as Mailjet's do.
    const guid = async (id: string) => (await mailer.journal.get(id))!.providerRefs!.find((ref) => !/^\d+$/.test(ref));
    const body = JSON.stringify([
      { ...sentEvent, MessageID: toCamille.providerMessageId, Message_GUID: await guid(toCamille.id) },
      { ...bounceEvent, MessageID: toNobody.providerMessageId, Message_GUID: await guid(toNobody.id) },
    ]).replace(/"MessageID":"(\d+)"/g, '"MessageID":$1');
    expect(body).toMatch(/"MessageID":\d{17,}/);
    expect((await post(body, basic('mailjet:s3cret-0123456789'))).status).toBe(200);
    expect(states((await mailer.journal.get(toCamille.id))!.delivery!.recipients)).toEqual({ 'camille@example.com': 'delivered' });
    expect((await mailer.journal.get(toNobody.id))!.delivery!.recipients['nobody@example.com']).toMatchObject({ state: 'bounced', rejectReason: 'invalid' });

    const before = JSON.stringify([await mailer.journal.get(toCamille.id), await mailer.journal.get(toNobody.id)]);
    expect((await post(body.replace('"sent"', '"spam"'), basic('mailjet:wrong'))).status).toBe(401);
    expect((await post(body, basic('mailjet:s3cret-0123456789'))).status).toBe(200); // replayed: recognized
    expect(JSON.stringify([await mailer.journal.get(toCamille.id), await mailer.journal.get(toNobody.id)])).toBe(before);
    expect(handler.stats()).toMatchObject({ recorded: 2, duplicates: 2, unmatched: 0, refused: { unauthorized: 1 } });
    handler.close();
  });
});

describe('SMTP2GO: send through the contract server, then its webhooks (Authorization header)', () => {
  it('a JSON delivered and a form-encoded hard bounce set both recipients; forged and replayed posts change nothing', async () => {
    const mailer = await setup(await startSmtp2goServer('api-0123456789ABCDEF0123456789ABCDEF'), (baseUrl) => smtp2goAdapter({ apiKey: 'api-0123456789ABCDEF0123456789ABCDEF', baseUrl }));
    const sent = await mailer.send(ORDER);
    expect(sent.providerMessageId).toBeTruthy();
    const handler = createWebhookHandler({ mailer, smtp2go: { secret: 'bearer-token-0123456789' } });
    const auth = { authorization: 'Bearer bearer-token-0123456789' };
    const post = (body: string, headers: Record<string, string>) => handler(new Request('https://shop.example.com/api/mailroom/webhooks/smtp2go', { method: 'POST', headers, body }));
    const delivered = JSON.stringify(fixture('smtp2go-delivered').body).replaceAll('EMAIL_ID', sent.providerMessageId!).replaceAll('MESSAGE_ID', sent.messageId);
    const bounce = fixture('smtp2go-bounce-form').rawBody!.replaceAll('EMAIL_ID', encodeURIComponent(sent.providerMessageId!)).replaceAll('MESSAGE_ID', encodeURIComponent(sent.messageId));
    expect((await post(delivered, { 'content-type': 'application/json', ...auth })).status).toBe(200);
    expect((await post(bounce, { 'content-type': 'application/x-www-form-urlencoded', ...auth })).status).toBe(200);
    const entry = (await mailer.journal.get(sent.id))!;
    expect(entry.delivery!.events.map((event) => [event.eventType, event.recipient])).toEqual([
      ['delivered', 'camille@example.com'],
      ['bounced', 'nobody@example.com'],
    ]);
    expect(states(entry.delivery!.recipients)).toEqual({ 'camille@example.com': 'delivered', 'nobody@example.com': 'bounced' });

    const before = JSON.stringify(await mailer.journal.get(sent.id));
    expect((await post(bounce.replace('nobody%40', 'camille%40'), { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer guessed' })).status).toBe(401);
    expect((await post(bounce, { 'content-type': 'application/x-www-form-urlencoded', ...auth })).status).toBe(200); // replayed: recognized
    expect(JSON.stringify(await mailer.journal.get(sent.id))).toBe(before);
    expect(handler.stats()).toMatchObject({ recorded: 2, duplicates: 1, refused: { unauthorized: 1 } });
    handler.close();
  });
});
