// End to end for the providers whose adapters speak an HTTP API of their own (SendGrid, Resend,
// Postmark, SparkPost): a message sent through the provider's local contract server, then that
// provider's delivered and bounced webhooks (signed for real where the provider signs) posted to
// the handler, leave the journal entry with both events and the right per-recipient state; a
// forged, a replayed and a stale webhook change nothing. And the delivery-triggered alert: a
// webhook reporting a hard bounce or a complaint reaches the journal, then an alert channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postmarkAdapter } from '../adapters/postmark.js';
import { resendAdapter } from '../adapters/resend.js';
import { sendgridAdapter } from '../adapters/sendgrid.js';
import { sparkpostAdapter } from '../adapters/sparkpost.js';
import { createMailer, type Mailer } from '../src/core/mailer.js';
import { createWebhookHandler, parseWebhookBody, type TrackingEvent } from '../src/events/index.js';
import { startAlertReceiver, type AlertReceiver } from './helpers/alert-receiver.js';
import { fixture, sendgridHeaders, sendgridKeys, svixHeaders, svixSecret } from './helpers/webhooks.js';
import { startPostmarkServer } from './providers/postmark.js';
import { startResendServer } from './providers/resend.js';
import type { ProviderServer } from './providers/server.js';
import { startSendgridServer } from './providers/sendgrid.js';
import { startSparkpostServer } from './providers/sparkpost.js';

const ORDER = { from: 'Shop <shop@example.com>', to: ['Camille <camille@example.com>', 'nobody@example.com'], subject: 'Order 1042 confirmed', text: 'Thank you for your order.' };
const ALERT_SECRET = 'whsec-alerts-0123456789-abcdef';

/** The recorded payload with the fixture's placeholder id replaced by the id the send returned. */
function payload(name: string, placeholder: string, id: string): unknown {
  return JSON.parse(JSON.stringify(fixture(name).body).replaceAll(placeholder, id));
}

const states = (recipients: Record<string, { state: string }>) => Object.fromEntries(Object.entries(recipients).map(([address, one]) => [address, one.state]));

describe('SendGrid: send through the contract server, then its signed Event Webhook', () => {
  let server: ProviderServer;
  let alerts: AlertReceiver;
  let mailer: Mailer;
  const keys = sendgridKeys();
  const deliveries: TrackingEvent[] = [];
  beforeAll(async () => {
    [server, alerts] = await Promise.all([startSendgridServer('SG.test-key.0123456789abcdef'), startAlertReceiver()]);
    mailer = createMailer({
      adapters: [sendgridAdapter({ apiKey: 'SG.test-key.0123456789abcdef', baseUrl: server.url })],
      journal: 'memory://',
      alerts: { site: 'shop.test', channels: [{ type: 'webhook', url: `${alerts.url}/alerts`, secret: ALERT_SECRET }] },
    });
    mailer.on('delivery', (event) => deliveries.push(event));
  });
  afterAll(async () => {
    await mailer.close();
    await Promise.all([server.close(), alerts.close()]);
  });

  it('records delivered and bounced per recipient, matched through the X-Message-Id; forged, replayed and stale posts change nothing; the hard bounce raises one alert', async () => {
    const sent = await mailer.send(ORDER);
    expect(sent.providerMessageId).toMatch(/^[\w-]{16,}$/);
    const handler = createWebhookHandler({ mailer, sendgrid: { publicKey: keys.publicKey } });
    const post = (body: string, headers: Record<string, string>) => handler(new Request('https://shop.example.com/api/mailroom/webhooks/sendgrid', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }));
    // SendGrid posts a batch: the documented processed, delivered and bounce events of this message.
    const events = (payload('sendgrid-batch', 'X_MESSAGE_ID', sent.providerMessageId!) as Array<{ event: string }>).filter((event) => ['delivered', 'bounce'].includes(event.event));
    const body = JSON.stringify(events);
    const headers = sendgridHeaders(body, keys.privateKey);
    expect((await post(body, headers)).status).toBe(200);

    const entry = (await mailer.journal.get(sent.id))!;
    expect(entry.delivery!.events.map((event) => [event.eventType, event.recipient, event.journalId])).toEqual([
      ['delivered', 'camille@example.com', sent.id],
      ['bounced', 'nobody@example.com', sent.id],
    ]);
    expect(entry.delivery!.recipients).toEqual({
      'camille@example.com': { state: 'delivered', at: '2026-11-28T10:00:04.000Z', mtaResponse: '250 2.0.0 OK 1795860004 a1si1234567wrx.12 - gsmtp' },
      'nobody@example.com': { state: 'bounced', at: '2026-11-28T10:00:05.000Z', rejectReason: 'bounced', description: 'Invalid Address', mtaResponse: '5.1.1 550 5.1.1 The email account that you tried to reach does not exist.' },
    });
    expect((await mailer.journal.list({ delivery: 'bounced' })).entries.map((one) => one.id)).toEqual([sent.id]);

    const before = JSON.stringify(await mailer.journal.get(sent.id));
    // Forged: camille "bounced", signed with a key of the attacker's own.
    const forgedBody = JSON.stringify([{ ...events[1], email: 'camille@example.com', sg_event_id: 'forged' }]);
    expect((await post(forgedBody, sendgridHeaders(forgedBody, sendgridKeys().privateKey))).status).toBe(401);
    // Replayed: the same request again, byte for byte; and its signature put on another body.
    expect((await post(body, headers)).status).toBe(401);
    expect((await post(forgedBody, headers)).status).toBe(401);
    // Stale: validly signed 26 hours ago, past SendGrid's 24 hours of retries (the window is 25 h).
    expect((await post(forgedBody, sendgridHeaders(forgedBody, keys.privateKey, Math.floor(Date.now() / 1000) - 26 * 3600))).status).toBe(401);
    expect(JSON.stringify(await mailer.journal.get(sent.id))).toBe(before);
    expect(deliveries.map((event) => event.eventType)).toEqual(['delivered', 'bounced']);
    expect(handler.stats()).toMatchObject({ recorded: 2, duplicates: 0, refused: { unauthorized: 2, replayed: 1, stale: 1 } });

    // SendGrid retrying the batch (signed again): recognized by sg_event_id, nothing new.
    expect((await post(body, sendgridHeaders(body, keys.privateKey, Math.floor(Date.now() / 1000) + 1))).status).toBe(200);
    expect(handler.stats()).toMatchObject({ recorded: 2, duplicates: 2 });

    // The hard bounce went webhook -> journal -> alert channel, once; the delivered event raised none.
    const [alert] = await alerts.waitFor(1);
    expect(alert!.json).toMatchObject({
      trigger: 'bounce',
      adapter: 'sendgrid',
      entryId: sent.id,
      facts: expect.arrayContaining([{ label: 'Recipient', value: 'n***@example.com' }, { label: 'Provider', value: 'sendgrid' }, { label: 'Reason', value: 'bounced' }]),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alerts.requests).toHaveLength(1);
    handler.close();
  });
});

describe('Resend: send through the contract server, then its Svix-signed webhooks', () => {
  let server: ProviderServer;
  let alerts: AlertReceiver;
  let mailer: Mailer;
  const secret = svixSecret();
  beforeAll(async () => {
    [server, alerts] = await Promise.all([startResendServer('re_test_0123456789abcdef'), startAlertReceiver()]);
    mailer = createMailer({
      adapters: [resendAdapter({ apiKey: 're_test_0123456789abcdef', baseUrl: server.url })],
      journal: 'memory://',
      alerts: { site: 'shop.test', channels: [{ type: 'webhook', url: `${alerts.url}/alerts`, secret: ALERT_SECRET }] },
    });
  });
  afterAll(async () => {
    await mailer.close();
    await Promise.all([server.close(), alerts.close()]);
  });

  it('a delayed then bounced message ends bounced, a late delivered does not undo it; forged, replayed and stale posts change nothing; a complaint raises an alert', async () => {
    const sent = await mailer.send({ ...ORDER, to: 'nobody@example.com' });
    expect(sent.providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
    const handler = createWebhookHandler({ mailer, resend: { signingSecret: secret } });
    const post = (body: string, headers: Record<string, string>) => handler(new Request('https://shop.example.com/api/mailroom/webhooks/resend', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }));
    const delivered = payload('resend-delivered', 'EMAIL_ID', sent.providerMessageId!) as { type: string; created_at: string; data: { to: string[] } };
    const delayed = JSON.stringify({ ...delivered, type: 'email.delivery_delayed', created_at: '2026-11-28T10:00:02.000Z', data: { ...delivered.data, to: ['nobody@example.com'] } });
    const bounced = JSON.stringify(payload('resend-bounced', 'EMAIL_ID', sent.providerMessageId!));
    const bouncedHeaders = svixHeaders(bounced, secret);
    expect((await post(delayed, svixHeaders(delayed, secret))).status).toBe(200);
    expect((await post(bounced, bouncedHeaders)).status).toBe(200);

    let entry = (await mailer.journal.get(sent.id))!;
    expect(entry.delivery!.events.map((event) => [event.eventType, event.recipient])).toEqual([
      ['deferred', 'nobody@example.com'],
      ['bounced', 'nobody@example.com'],
    ]);
    expect(entry.delivery!.recipients['nobody@example.com']).toMatchObject({ state: 'bounced', rejectReason: 'bounced', mtaResponse: 'smtp; 550 5.1.1 The email account that you tried to reach does not exist.' });

    const before = JSON.stringify(await mailer.journal.get(sent.id));
    const late = JSON.stringify({ ...delivered, data: { ...delivered.data, to: ['nobody@example.com'] } });
    expect((await post(late, svixHeaders(late, svixSecret()))).status).toBe(401); // forged: another secret
    expect((await post(bounced, bouncedHeaders)).status).toBe(401); // replayed byte for byte
    expect((await post(late, { ...bouncedHeaders })).status).toBe(401); // the bounce's signature on another body
    expect((await post(late, svixHeaders(late, secret, { timestamp: Math.floor(Date.now() / 1000) - 3600 }))).status).toBe(401); // stale
    expect(JSON.stringify(await mailer.journal.get(sent.id))).toBe(before);
    expect(handler.stats().refused).toMatchObject({ unauthorized: 2, replayed: 1, stale: 1 });

    // Resend retrying the bounce (same svix-id, signed again): a duplicate. A genuine late delivered: kept, state unchanged.
    expect((await post(bounced, svixHeaders(bounced, secret, { id: bouncedHeaders['svix-id'], timestamp: Number(bouncedHeaders['svix-timestamp']) + 5 }))).status).toBe(200);
    expect((await post(late, svixHeaders(late, secret))).status).toBe(200);
    entry = (await mailer.journal.get(sent.id))!;
    expect(entry.delivery!.events.map((event) => event.eventType)).toEqual(['deferred', 'bounced', 'delivered']);
    expect(entry.delivery!.recipients['nobody@example.com']!.state).toBe('bounced');
    expect(handler.stats()).toMatchObject({ recorded: 3, duplicates: 1 });
    // The bounce saved from Resend's log and replayed (mailroom events replay runs this parser): already recorded.
    expect(await mailer.journal.recordEvents(parseWebhookBody('resend', bounced))).toMatchObject({ recorded: [], duplicates: 1 });

    const [bounceAlert] = await alerts.waitFor(1);
    expect(bounceAlert!.json).toMatchObject({ trigger: 'bounce', adapter: 'resend', entryId: sent.id });

    // A complaint on another message: webhook -> journal -> a complaint alert.
    const other = await mailer.send({ ...ORDER, to: 'camille@example.com' });
    const complaint = JSON.stringify({ ...delivered, type: 'email.complained', data: { ...delivered.data, email_id: other.providerMessageId } });
    expect((await post(complaint, svixHeaders(complaint, secret))).status).toBe(200);
    const [, complaintAlert] = await alerts.waitFor(2);
    expect(complaintAlert!.json).toMatchObject({ trigger: 'complaint', adapter: 'resend', entryId: other.id });
    expect((await mailer.journal.get(other.id))!.delivery!.recipients['camille@example.com']).toMatchObject({ state: 'complained', rejectReason: 'spam' });
    handler.close();
  });
});

describe('Postmark and SparkPost: the ids their send answers return find the journal entry', () => {
  it('Postmark: Delivery and Bounce webhooks by MessageID, behind basic auth', async () => {
    const server = await startPostmarkServer('pm-server-token-0123456789');
    const mailer = createMailer({ adapters: [postmarkAdapter({ serverToken: 'pm-server-token-0123456789', baseUrl: server.url })], journal: 'memory://' });
    try {
      const sent = await mailer.send(ORDER);
      const handler = createWebhookHandler({ mailer, postmark: { secret: 'postmark:s3cret-0123456789' } });
      const auth = { authorization: `Basic ${Buffer.from('postmark:s3cret-0123456789').toString('base64')}` };
      const post = (name: string, headers: Record<string, string>) => handler(new Request('https://shop.example.com/api/mailroom/webhooks/postmark', { method: 'POST', headers, body: JSON.stringify(payload(name, 'MESSAGE_ID', sent.providerMessageId!)) }));
      expect((await post('postmark-delivery', auth)).status).toBe(200);
      expect((await post('postmark-bounce', auth)).status).toBe(200);
      expect((await post('postmark-bounce', {})).status).toBe(401);
      expect((await post('postmark-bounce', auth)).status).toBe(200); // Postmark retrying: a duplicate
      const entry = (await mailer.journal.get(sent.id))!;
      expect(states(entry.delivery!.recipients)).toEqual({ 'camille@example.com': 'delivered', 'nobody@example.com': 'bounced' });
      expect(entry.delivery!.events).toHaveLength(2);
      expect(handler.stats()).toMatchObject({ recorded: 2, duplicates: 1, unmatched: 0 });
      handler.close();
    } finally {
      await mailer.close();
      await server.close();
    }
  });

  it('SparkPost: a batch naming the transmission id, behind basic auth', async () => {
    const server = await startSparkpostServer('0123456789abcdef0123456789abcdef01234567');
    const mailer = createMailer({ adapters: [sparkpostAdapter({ apiKey: '0123456789abcdef0123456789abcdef01234567', baseUrl: server.url })], journal: 'memory://' });
    try {
      const sent = await mailer.send(ORDER);
      const handler = createWebhookHandler({ mailer, sparkpost: { secret: 'sparkpost:s3cret-0123456789' } });
      const body = JSON.stringify(payload('sparkpost-batch', 'TRANSMISSION_ID', sent.providerMessageId!));
      const response = await handler(new Request('https://shop.example.com/api/mailroom/webhooks/sparkpost', { method: 'POST', headers: { authorization: `Basic ${Buffer.from('sparkpost:s3cret-0123456789').toString('base64')}` }, body }));
      expect(response.status).toBe(200);
      const entry = (await mailer.journal.get(sent.id))!;
      expect(entry.delivery!.events.map((event) => [event.eventType, event.recipient])).toEqual([
        ['delivered', 'camille@example.com'],
        ['bounced', 'nobody@example.com'],
        ['opened', 'camille@example.com'],
      ]);
      expect(states(entry.delivery!.recipients)).toEqual({ 'camille@example.com': 'delivered', 'nobody@example.com': 'bounced' });
      handler.close();
    } finally {
      await mailer.close();
      await server.close();
    }
  });
});
