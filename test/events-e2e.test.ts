// End to end: a message sent through a provider's local contract server, then that provider's
// delivered and bounced webhooks (signed for real) posted to the handler, leave the journal entry
// with both events and the right per-recipient state; a forged, a replayed and a stale webhook
// change nothing. Also the journal side: duplicates, out-of-order events, events that arrive
// before the send result, and list/CLI filters by delivery state (SQLite and memory stores).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailgunAdapter } from '../adapters/mailgun.js';
import { sesAdapter } from '../adapters/ses.js';
import { createMailer, type Mailer } from '../src/core/mailer.js';
import { createWebhookHandler, type TrackingEvent } from '../src/events/index.js';
import { fixture, mailgunBody, sesNotification, startSnsStandIn, type SnsStandIn } from './helpers/webhooks.js';
import { startMailgunServer } from './providers/mailgun.js';
import type { ProviderServer } from './providers/server.js';
import { startSesServer, type SesTestServer } from './providers/ses.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';
import { manualClock, startAlertReceiver } from './helpers/alert-receiver.js';

const API_KEY = 'key-0123456789abcdef0123456789abcdef';
const SIGNING_KEY = 'mailgun-webhook-signing-key-fedcba9876543210';
const DOMAIN = 'mg.example.com';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-events';
const ORDER = { from: 'Shop <shop@mg.example.com>', to: ['Camille <camille@example.com>', 'nobody@example.com'], subject: 'Order 1042 confirmed', text: 'Thank you for your order.' };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailroom-events-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A Mailgun event-data fixture pointed at a message id and recipient. */
function mailgunEvent(name: string, messageId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const data = fixture(name).eventData!;
  const message = data.message as { headers: Record<string, string> };
  // The webhook carries the id without the angle brackets the send response had.
  return { ...data, message: { ...message, headers: { ...message.headers, 'message-id': messageId.replace(/^<|>$/g, '') } }, timestamp: Date.now() / 1000, ...overrides };
}

describe('Mailgun: send through the contract server, then its webhooks', () => {
  let server: ProviderServer;
  let mailer: Mailer;
  const deliveries: TrackingEvent[] = [];
  beforeAll(async () => {
    server = await startMailgunServer(API_KEY, [DOMAIN]);
    mailer = createMailer({ adapters: [mailgunAdapter({ apiKey: API_KEY, domain: DOMAIN, baseUrl: server.url })], journal: join(dir, 'mailgun.sqlite') });
    mailer.on('delivery', (event) => deliveries.push(event));
  });
  afterAll(async () => {
    await mailer.close();
    await server.close();
  });

  it('records delivered and bounced on the entry, per recipient; forged, replayed and stale webhooks change nothing', async () => {
    const sent = await mailer.send(ORDER);
    expect(sent.providerMessageId).toMatch(/^<.+@mg\.example\.com>$/);
    const handler = createWebhookHandler({ mailer, mailgun: { signingKey: SIGNING_KEY } });
    const post = (body: string) => handler(new Request('http://shop.example.com/api/mailroom/webhooks/mailgun', { method: 'POST', headers: { 'content-type': 'application/json' }, body }));

    const delivered = mailgunBody(mailgunEvent('mailgun-delivered', sent.providerMessageId!), SIGNING_KEY);
    const bounced = mailgunBody(mailgunEvent('mailgun-failed-permanent', sent.providerMessageId!), SIGNING_KEY);
    expect((await post(delivered)).status).toBe(200);
    expect((await post(bounced)).status).toBe(200);

    const entry = (await mailer.journal.get(sent.id))!;
    expect(entry.delivery!.events.map((event) => [event.eventType, event.recipient, event.journalId])).toEqual([
      ['delivered', 'camille@example.com', sent.id],
      ['bounced', 'nobody@example.com', sent.id],
    ]);
    expect(entry.delivery!.recipients).toEqual({
      'camille@example.com': { state: 'delivered', at: expect.any(String), mtaResponse: '250 OK' },
      'nobody@example.com': { state: 'bounced', at: expect.any(String), rejectReason: 'bounced', mtaResponse: '550 5.1.1 The email account that you tried to reach does not exist.' },
    });
    expect(entry.delivery!.states).toEqual(['delivered', 'bounced']);
    expect(deliveries.map((event) => event.eventType)).toEqual(['delivered', 'bounced']);

    const before = JSON.stringify(await mailer.journal.get(sent.id));
    // Forged: the right shape, signed with another key, claiming camille bounced.
    const forged = mailgunBody(mailgunEvent('mailgun-failed-permanent', sent.providerMessageId!, { recipient: 'camille@example.com' }), 'an attacker key');
    // Replayed: the delivered webhook again, byte for byte; and its signature re-attached to a complaint.
    const replayed = delivered;
    const reattached = JSON.stringify({ ...JSON.parse(delivered), 'event-data': { ...mailgunEvent('mailgun-delivered', sent.providerMessageId!), event: 'complained' } });
    // Stale: validly signed ten hours ago, past Mailgun's 8-hour retry span.
    const stale = mailgunBody(mailgunEvent('mailgun-failed-permanent', sent.providerMessageId!, { recipient: 'camille@example.com' }), SIGNING_KEY, { timestamp: Math.floor(Date.now() / 1000) - 10 * 3600 });
    expect((await post(forged)).status).toBe(401);
    expect((await post(replayed)).status).toBe(401);
    expect((await post(reattached)).status).toBe(401);
    expect((await post(stale)).status).toBe(401);
    expect(JSON.stringify(await mailer.journal.get(sent.id))).toBe(before);
    expect(deliveries).toHaveLength(2);

    // A retried webhook (same event, freshly signed) is recognized; a late "delivered" does not undo the bounce.
    expect((await post(mailgunBody(mailgunEvent('mailgun-failed-permanent', sent.providerMessageId!, { timestamp: JSON.parse(bounced)['event-data'].timestamp }), SIGNING_KEY))).status).toBe(200);
    expect((await post(mailgunBody(mailgunEvent('mailgun-delivered', sent.providerMessageId!, { recipient: 'nobody@example.com', id: 'late-delivered' }), SIGNING_KEY))).status).toBe(200);
    const after = (await mailer.journal.get(sent.id))!;
    expect(after.delivery!.events).toHaveLength(3);
    expect(after.delivery!.recipients['nobody@example.com']!.state).toBe('bounced');
    expect(handler.stats()).toMatchObject({ recorded: 3, duplicates: 1, unmatched: 0, refused: { unauthorized: 1, replayed: 2, stale: 1 } });
  });

  it('journal.list filters by delivery state on the SQLite store', async () => {
    const quiet = await mailer.send({ ...ORDER, to: 'quiet@example.com' });
    const bouncedEntries = await mailer.journal.list({ delivery: 'bounced' });
    expect(bouncedEntries.entries.length).toBeGreaterThan(0);
    expect(bouncedEntries.entries.every((entry) => entry.delivery?.states.includes('bounced'))).toBe(true);
    expect(bouncedEntries.entries.map((entry) => entry.id)).not.toContain(quiet.id);
    expect((await mailer.journal.list({ delivery: 'complained' })).entries).toEqual([]);
    expect((await mailer.journal.list({ delivery: 'delivered', status: 'sent' })).entries.length).toBe(bouncedEntries.entries.length);
  });

  it('an event for a message the journal does not know is answered 200 and counted', async () => {
    const handler = createWebhookHandler({ mailer, mailgun: { signingKey: SIGNING_KEY }, parkedRetryMs: 0 });
    const response = await handler(new Request('http://x/api/mailroom/webhooks/mailgun', { method: 'POST', body: mailgunBody(mailgunEvent('mailgun-delivered', '<unknown@mg.example.com>'), SIGNING_KEY) }));
    expect(response.status).toBe(200);
    expect(handler.stats()).toMatchObject({ recorded: 0, unmatched: 1 });
  });
});

describe('Amazon SES: send through the SES emulator, then SNS notifications', () => {
  let ses: SesTestServer;
  let sns: SnsStandIn;
  let mailer: Mailer;
  beforeAll(async () => {
    [ses, sns] = await Promise.all([startSesServer({ credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, region: 'eu-west-1' }), startSnsStandIn()]);
    mailer = createMailer({
      adapters: [sesAdapter({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, endpoint: ses.url })],
      journal: 'memory://',
    });
  });
  afterAll(async () => {
    await mailer.close();
    await Promise.all([ses.close(), sns.close()]);
  });

  it('a Delivery event and a Bounce notification leave both recipients in the right state', async () => {
    const sent = await mailer.send({ ...ORDER, from: 'shop@example.com' });
    const handler = createWebhookHandler({ mailer, ses: { topics: [TOPIC], certificateHost: sns.host, ca: sns.tls.ca } });
    const withIds = (name: string) => {
      const record = structuredClone(fixture(name).record!) as { mail: Record<string, unknown> };
      record.mail.messageId = sent.providerMessageId;
      return record;
    };
    const post = (envelope: Record<string, string>) => handler(new Request('https://shop.example.com/api/mailroom/webhooks/ses', { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8' }, body: JSON.stringify(envelope) }));
    const delivery = sesNotification(sns, TOPIC, withIds('ses-delivery-event'));
    expect((await post(delivery)).status).toBe(200);
    expect((await post(sesNotification(sns, TOPIC, withIds('ses-bounce-notification'), { version: '1' }))).status).toBe(200);
    // SNS retrying the same notification: the same MessageId, nothing new.
    expect((await post(delivery)).status).toBe(200);
    const forged = { ...sesNotification(sns, TOPIC, withIds('ses-delivery-event')), Message: JSON.stringify({ ...withIds('ses-bounce-notification') }) };
    expect((await post(forged)).status).toBe(401);

    const entry = (await mailer.journal.get(sent.id))!;
    expect(entry.delivery!.events.map((event) => [event.provider, event.eventType, event.recipient])).toEqual([
      ['ses', 'delivered', 'camille@example.com'],
      ['ses', 'bounced', 'nobody@example.com'],
    ]);
    expect(Object.fromEntries(Object.entries(entry.delivery!.recipients).map(([address, one]) => [address, one.state]))).toEqual({ 'camille@example.com': 'delivered', 'nobody@example.com': 'bounced' });
    expect(handler.stats()).toMatchObject({ recorded: 2, duplicates: 1, refused: { unauthorized: 1 } });
    expect((await mailer.journal.list({ delivery: 'bounced' })).entries.map((one) => one.id)).toEqual([sent.id]);
  });
  it('an Open by one of two recipients leaves the other deferred (an open does not say whose it was)', async () => {
    const sent = await mailer.send({ ...ORDER, from: 'shop@example.com' });
    const handler = createWebhookHandler({ mailer, ses: { topics: [TOPIC], certificateHost: sns.host, ca: sns.tls.ca } });
    const mail = { ...(structuredClone(fixture('ses-delivery-event').record!) as { mail: Record<string, unknown> }).mail, messageId: sent.providerMessageId };
    const post = (record: unknown) => handler(new Request('https://shop.example.com/api/mailroom/webhooks/ses', { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8' }, body: JSON.stringify(sesNotification(sns, TOPIC, record)) }));
    expect((await post({ eventType: 'DeliveryDelay', mail, deliveryDelay: { timestamp: '2026-11-28T10:01:00.000Z', delayType: 'MailboxFull', delayedRecipients: [{ emailAddress: 'nobody@example.com' }] } })).status).toBe(200);
    expect((await post({ eventType: 'Open', mail, open: { timestamp: '2026-11-28T10:05:00.000Z', userAgent: 'Mail', ipAddress: '192.0.2.1' } })).status).toBe(200);
    const entry = (await mailer.journal.get(sent.id))!;
    expect(entry.delivery!.recipients['nobody@example.com']!.state).toBe('deferred');
    expect(entry.delivery!.events.map((event) => event.eventType)).toEqual(['deferred', 'opened']);
  });
});

describe('journal correlation rules', () => {
  const event = (overrides: Partial<TrackingEvent>): TrackingEvent => ({ eventType: 'delivered', provider: 'test', providerMessageId: 'scripted-1', recipient: 'ann@example.com', timestamp: '2026-11-28T10:00:00.000Z', tags: [], metadata: {}, raw: {}, ...overrides });

  it('an event that arrives before the send result is kept and matched once the entry is written', async () => {
    const mailer = createMailer({ adapters: [scriptedAdapter('scripted', ['ok'])], journal: 'memory://' });
    const early = await mailer.journal.recordEvents([event({ eventType: 'bounced', rejectReason: 'bounced' })]);
    expect(early.unmatched).toHaveLength(1);
    const sent = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 's', text: 't' });
    expect(sent.providerMessageId).toBe('scripted-1');
    expect(await mailer.journal.retryParkedEvents()).toBe(1);
    // The late delivered (out of order) is recorded but does not undo the bounce.
    const late = await mailer.journal.recordEvents([event({ timestamp: '2026-11-28T09:59:00.000Z' })]);
    expect(late.recorded).toHaveLength(1);
    const entry = (await mailer.journal.get(sent.id))!;
    expect(entry.delivery!.events.map((one) => one.eventType)).toEqual(['bounced', 'delivered']);
    expect(entry.delivery!.recipients['ann@example.com']).toMatchObject({ state: 'bounced', rejectReason: 'bounced' });
    // The same event again (a provider retry) is a duplicate.
    expect(await mailer.journal.recordEvents([event({ timestamp: '2026-11-28T09:59:00.000Z' })])).toMatchObject({ recorded: [], duplicates: 1 });
    await mailer.close();
  });

  it('an early event is emitted (and alerts) once it finds its entry, with its journalId; an event for mail the journal never sees raises nothing', async () => {
    const hook = await startAlertReceiver();
    const mailer = createMailer({
      adapters: [scriptedAdapter('scripted', ['ok', 'ok'])],
      journal: 'memory://',
      alerts: { site: 'shop.test', clock: manualClock(), pendingOlderThanMinutes: 0, channels: [{ type: 'webhook', url: `${hook.url}/in`, secret: 'whsec-early-0123456789' }] },
    });
    const emitted: TrackingEvent[] = [];
    mailer.on('delivery', (one: TrackingEvent) => emitted.push(one));
    try {
      // Before the send result is written: one bounce for each message to come, one for another application's mail.
      const early = await mailer.journal.recordEvents([
        event({ eventType: 'bounced', rejectReason: 'bounced' }),
        event({ eventType: 'bounced', rejectReason: 'bounced', providerMessageId: 'scripted-2', recipient: 'bob@example.com' }),
        event({ eventType: 'bounced', rejectReason: 'invalid', providerMessageId: 'another-app-77', recipient: 'zoe@example.com' }),
      ]);
      expect(early.unmatched).toHaveLength(3);
      await new Promise((done) => setTimeout(done, 200));
      expect(emitted).toEqual([]);
      expect(hook.requests).toEqual([]);
      const first = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 's', text: 't' });
      const second = await mailer.send({ from: 'shop@example.com', to: 'bob@example.com', subject: 's', text: 't' });
      // The retry timer's path finds the first; the next event for the second brings its bounce along.
      expect(await mailer.journal.retryParkedEvents()).toBeGreaterThanOrEqual(1);
      const next = await mailer.journal.recordEvents([event({ eventType: 'opened', providerMessageId: 'scripted-2', recipient: 'bob@example.com' })]);
      expect(next.recorded).toHaveLength(1);
      expect(emitted.map((one) => `${one.eventType} ${one.recipient} ${one.journalId}`).sort()).toEqual(
        [`bounced ann@example.com ${first.id}`, `bounced bob@example.com ${second.id}`, `opened bob@example.com ${second.id}`].sort(),
      );
      const alerts = (await hook.waitFor(1)).map((request) => request.json as { trigger: string; entryId: string | null });
      expect(alerts).toEqual([expect.objectContaining({ trigger: 'bounce', entryId: expect.stringMatching(new RegExp(`^(${first.id}|${second.id})$`)) })]);
      await new Promise((done) => setTimeout(done, 200));
      // Both bounces share one throttle key (provider, reason): one alert, the other held for the digest; none for the other application's mail.
      expect(hook.requests).toHaveLength(1);
    } finally {
      await mailer.close();
      await hook.close();
    }
  });

  it('an early event that names the message by our Message-ID only (sent through the provider\'s SMTP relay) is matched by the retry', async () => {
    const relay = scriptedAdapter('relay', ['ok']);
    let mailer: Mailer | undefined;
    // The provider's webhook beats the send result to the journal: its event names its own id, unknown here, and our Message-ID.
    const racing = {
      ...relay,
      async send(...args: Parameters<typeof relay.send>) {
        const [message] = args;
        const early = await mailer!.journal.recordEvents([event({ eventType: 'delivered', provider: 'sendgrid', providerMessageId: 'sg-relay-4f2a', messageIdHeader: message.messageId })]);
        expect(early.unmatched).toHaveLength(1);
        const receipt = await relay.send(...args);
        // Over SMTP the provider's id is our Message-ID.
        return { ...receipt, providerMessageId: message.messageId };
      },
    };
    mailer = createMailer({ adapters: [racing], journal: 'memory://' });
    const emitted: TrackingEvent[] = [];
    mailer.on('delivery', (one: TrackingEvent) => emitted.push(one));
    const sent = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 's', text: 't' });
    expect(await mailer.journal.retryParkedEvents()).toBe(1);
    expect((await mailer.journal.get(sent.id))!.delivery!.recipients['ann@example.com']).toMatchObject({ state: 'delivered' });
    expect(emitted.map((one) => one.journalId)).toEqual([sent.id]);
    await mailer.close();
  });

  it('an early event parked by a process that stopped is matched by the webhook handler of the next process on that journal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-parked-'));
    const file = join(dir, 'journal.sqlite');
    try {
      const before = createMailer({ adapters: [scriptedAdapter('scripted', ['ok'])], journal: file });
      expect((await before.journal.recordEvents([event({ eventType: 'bounced', rejectReason: 'bounced' })])).unmatched).toHaveLength(1);
      await before.close();
      // Restarted (a deploy): a new process, a new handler, the same journal.
      const after = createMailer({ adapters: [scriptedAdapter('scripted', ['ok'])], journal: file });
      const handler = createWebhookHandler({ mailer: after, brevo: { secret: 'u:p' }, parkedRetryMs: 50 });
      const sent = await after.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 's', text: 't' });
      expect(sent.providerMessageId).toBe('scripted-1');
      let state: string | undefined;
      for (let tries = 0; state !== 'bounced' && tries < 100; tries++) {
        await new Promise((done) => setTimeout(done, 30));
        state = (await after.journal.get(sent.id))!.delivery?.recipients['ann@example.com']?.state;
      }
      expect(state).toBe('bounced');
      handler.close();
      await after.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('matches by our Message-ID when the provider echoes it (Graph and SMTP return no provider id of their own)', async () => {
    const mailer = createMailer({ adapters: [scriptedAdapter('graph', ['ok'])], journal: 'memory://' });
    const sent = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 's', text: 't' });
    const outcome = await mailer.journal.recordEvents([event({ providerMessageId: undefined, messageIdHeader: sent.messageId.toUpperCase() })]);
    expect(outcome.recorded.map((one) => one.journalId)).toEqual([sent.id]);
    await mailer.close();
  });

  it('deferred then delivered moves forward; a complaint after delivery wins; opens count as delivered', async () => {
    const mailer = createMailer({ adapters: [scriptedAdapter('scripted', ['ok'])], journal: 'memory://' });
    const sent = await mailer.send({ from: 'shop@example.com', to: ['ann@example.com', 'bob@example.com'], subject: 's', text: 't' });
    await mailer.journal.recordEvents([
      event({ eventType: 'deferred', timestamp: '2026-11-28T10:00:00Z' }),
      event({ eventType: 'delivered', timestamp: '2026-11-28T10:05:00Z' }),
      event({ eventType: 'complained', timestamp: '2026-11-28T11:00:00Z', rejectReason: 'spam' }),
      event({ eventType: 'opened', recipient: 'bob@example.com' }),
    ]);
    const entry = (await mailer.journal.get(sent.id))!;
    expect(entry.delivery!.recipients['ann@example.com']!.state).toBe('complained');
    expect(entry.delivery!.recipients['bob@example.com']!.state).toBe('delivered');
    expect(entry.delivery!.states).toEqual(['delivered', 'complained']);
    expect((await mailer.journal.list({ delivery: 'complained' })).entries.map((one) => one.id)).toEqual([sent.id]);
    await mailer.close();
  });
});
