// createWebhookHandler at the HTTP boundary: each provider's authentication done for real (Mailgun
// HMAC with a key, SNS v1/v2 signatures with a certificate served over loopback HTTPS by a test CA,
// shared secrets), and what is refused is refused with the right status before anything is
// written: forged, replayed, stale, foreign topic, oversized, malformed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailError } from '../src/core/errors.js';
import { createMailer } from '../src/core/mailer.js';
import { mailroomAdapter, mailroomWebhooks } from '../src/integrations/payload.js';
import { mountStrapiWebhooks } from '../src/integrations/strapi-webhooks.js';
import { createWebhookHandler, toNodeListener, type EventSink, type TrackingEvent, type WebhookHandlerOptions } from '../src/events/index.js';
import type { DeliveryOutcome } from '../src/journal/delivery.js';
import { fixture, mailgunBody, sendgridHeaders, sendgridKeys, sesNotification, startSnsStandIn, svixHeaders, svixSecret, type SnsStandIn } from './helpers/webhooks.js';

const KEY = 'whsec-mailgun-signing-key-0123456789';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-events';

/** A sink that records what reaches the journal, optionally slow or failing. */
function sink(options: { delayMs?: number; fail?: boolean } = {}): EventSink & { received: TrackingEvent[][] } {
  const received: TrackingEvent[][] = [];
  return {
    received,
    journal: {
      async recordEvents(events): Promise<DeliveryOutcome> {
        if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
        if (options.fail) throw new Error('disk full');
        received.push(events);
        return { recorded: events, unmatched: [], duplicates: 0 };
      },
      retryParkedEvents: async () => 0,
    },
  };
}

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  new Request(`https://shop.example.com/api/mailroom/webhooks/${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
const read = async (response: Response) => (await response.json()) as Record<string, unknown>;
const basic = (credential: string) => ({ authorization: `Basic ${Buffer.from(credential).toString('base64')}` });
const mailgunEvent = fixture('mailgun-delivered').eventData!;

describe('Mailgun signatures', () => {
  const setup = (extra: Partial<WebhookHandlerOptions> = {}) => {
    const target = sink();
    return { target, handler: createWebhookHandler({ mailer: target, mailgun: { signingKey: KEY }, ...extra }) };
  };

  it('accepts a body signed with the signing key and records its event', async () => {
    const { target, handler } = setup();
    const response = await handler(post('mailgun', mailgunBody(mailgunEvent, KEY)));
    expect(response.status).toBe(200);
    expect(await read(response)).toEqual({ ok: true, events: 1 });
    expect(target.received.flat().map((event) => event.eventType)).toEqual(['delivered']);
  });

  it('refuses a signature made with another key, a changed timestamp, or none: 401, nothing recorded', async () => {
    const { target, handler } = setup();
    const signed = JSON.parse(mailgunBody(mailgunEvent, KEY));
    const forged = [
      mailgunBody(mailgunEvent, 'not-the-key'),
      JSON.stringify({ ...signed, signature: { ...signed.signature, timestamp: String(Number(signed.signature.timestamp) + 1) } }),
      JSON.stringify({ 'event-data': mailgunEvent }),
      JSON.stringify({ ...signed, signature: { ...signed.signature, signature: 'zz' } }),
    ];
    for (const body of forged) {
      const response = await handler(post('mailgun', body));
      expect(response.status).toBe(401);
      expect((await read(response)).error).toBe('unauthorized');
    }
    expect(target.received).toEqual([]);
    expect(handler.stats().refused.unauthorized).toBe(4);
  });

  it('refuses a token seen before (a replay, even with another event attached) and a stale timestamp', async () => {
    const { target, handler } = setup();
    const body = mailgunBody(mailgunEvent, KEY, { token: 'ab'.repeat(25) });
    expect((await handler(post('mailgun', body))).status).toBe(200);
    const replay = await handler(post('mailgun', body));
    expect(replay.status).toBe(401);
    expect((await read(replay)).error).toBe('replayed');
    const reattached = JSON.stringify({ ...JSON.parse(body), 'event-data': fixture('mailgun-failed-permanent').eventData });
    expect((await handler(post('mailgun', reattached))).status).toBe(401);
    const stale = await handler(post('mailgun', mailgunBody(mailgunEvent, KEY, { timestamp: Math.floor(Date.now() / 1000) - 9 * 3600 - 60 })));
    expect(stale.status).toBe(401);
    expect((await read(stale)).error).toBe('stale');
    expect(target.received).toHaveLength(1);
    expect(handler.stats().refused).toMatchObject({ replayed: 2, stale: 1 });
  });

  it('refuses a captured signature re-cut so the same signed text reads as another timestamp and token (another event attached)', async () => {
    const { target, handler } = setup();
    // A token that starts with "e0": moved onto the timestamp, "<t>e0" still reads as the same (fresh) time.
    const captured = JSON.parse(mailgunBody(mailgunEvent, KEY, { token: `e0${randomBytes(24).toString('hex')}` }));
    expect((await handler(post('mailgun', JSON.stringify(captured)))).status).toBe(200);
    const { timestamp, token, signature } = captured.signature;
    const forgedEvent = fixture('mailgun-failed-permanent').eventData;
    // timestamp + token is what the HMAC covers: characters moved across the seam keep the signature valid.
    const recuts = [
      { timestamp: `${timestamp}e0`, token: token.slice(2), signature },
      { timestamp: `${timestamp}e`, token: token.slice(1), signature },
    ];
    for (const block of recuts) {
      const response = await handler(post('mailgun', JSON.stringify({ signature: block, 'event-data': forgedEvent })));
      expect(response.status, JSON.stringify(block)).toBe(401);
    }
    expect(target.received.flat().map((event) => event.eventType)).toEqual(['delivered']);
  });

  it('refuses a token that is not the 50 letters and digits Mailgun sends, even when correctly signed', async () => {
    const { target, handler } = setup();
    for (const token of ['t'.repeat(49), 'ab'.repeat(24), 'ab'.repeat(26), `${'ab'.repeat(24)}a-`, `${'ab'.repeat(24)}a.`]) {
      const response = await handler(post('mailgun', mailgunBody(mailgunEvent, KEY, { token })));
      expect(response.status, token).toBe(401);
      expect((await read(response)).error).toBe('unauthorized');
    }
    expect(target.received).toEqual([]);
  });

  it('accepts Mailgun\'s retries, which carry the first attempt\'s signature for up to 8 hours; refuses older, or more than 5 minutes ahead', async () => {
    const signedAt = Date.UTC(2026, 10, 28, 10);
    // Mailgun retries at 5 min, 10 min, 15 min, 1 h, 2 h and 4 h intervals: the last one about 7.5 h
    // after the first attempt, which our endpoint never answered (down, or a 500).
    for (const late of [5 * 60_000 + 1000, 30 * 60_000, 7.5 * 3600_000]) {
      let now = signedAt + late;
      const { target, handler } = setup({ now: () => now });
      const retry = mailgunBody(mailgunEvent, KEY, { timestamp: signedAt / 1000 });
      expect((await handler(post('mailgun', retry))).status, `${late} ms late`).toBe(200);
      expect(target.received.flat().map((event) => event.eventType)).toEqual(['delivered']);
      // The same signature again is still a replay.
      now += 60_000;
      expect((await handler(post('mailgun', retry))).status).toBe(401);
    }
    const { handler } = setup({ now: () => signedAt });
    const tooOld = await handler(post('mailgun', mailgunBody(mailgunEvent, KEY, { timestamp: signedAt / 1000 - 9 * 3600 - 1 })));
    expect([tooOld.status, (await read(tooOld)).error]).toEqual([401, 'stale']);
    const ahead = await handler(post('mailgun', mailgunBody(mailgunEvent, KEY, { timestamp: signedAt / 1000 + 6 * 60 })));
    expect([ahead.status, (await read(ahead)).error]).toEqual([401, 'stale']);
  });

  it('the window follows maxAgeMs and the injected clock', async () => {
    const now = Date.UTC(2026, 10, 28, 10);
    const { handler } = setup({ mailgun: { signingKey: KEY, maxAgeMs: 60_000 }, now: () => now });
    expect((await handler(post('mailgun', mailgunBody(mailgunEvent, KEY, { timestamp: now / 1000 - 50 })))).status).toBe(200);
    expect((await handler(post('mailgun', mailgunBody(mailgunEvent, KEY, { timestamp: now / 1000 - 70 })))).status).toBe(401);
  });
});

describe('Amazon SNS signatures', () => {
  let sns: SnsStandIn;
  beforeAll(async () => {
    sns = await startSnsStandIn();
  });
  afterAll(() => sns.close());
  const setup = (extra: Partial<WebhookHandlerOptions['ses']> = {}) => {
    const target = sink();
    const handler = createWebhookHandler({ mailer: target, ses: { topics: [TOPIC], certificateHost: sns.host, ca: sns.tls.ca, ...extra } });
    return { target, handler };
  };
  const record = fixture('ses-bounce-notification').record!;
  const snsPost = (envelope: Record<string, string>) => post('ses', JSON.stringify(envelope), { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': envelope.Type!, 'x-amz-sns-message-id': envelope.MessageId! });

  it('verifies SignatureVersion 2 (SHA256) and 1 (SHA1), fetching the certificate once', async () => {
    const { target, handler } = setup();
    const before = sns.certificateFetches;
    for (const version of ['2', '1'] as const) {
      const response = await handler(snsPost(sesNotification(sns, TOPIC, record, { version })));
      expect(response.status).toBe(200);
    }
    expect(target.received.flat().map((event) => [event.eventType, event.recipient])).toEqual([['bounced', 'nobody@example.com'], ['bounced', 'nobody@example.com']]);
    expect(sns.certificateFetches - before).toBe(1);
  });

  it('signs with Subject when present and refuses any changed field', async () => {
    const { target, handler } = setup();
    const withSubject = sns.envelope({ Type: 'Notification', MessageId: 'm-subject', TopicArn: TOPIC, Subject: 'Amazon SES Email Event Notification', Message: JSON.stringify(record), Timestamp: new Date().toISOString() });
    expect((await handler(snsPost(withSubject))).status).toBe(200);
    for (const field of ['Message', 'Subject', 'Timestamp', 'MessageId'] as const) {
      const changed = { ...withSubject, [field]: field === 'Message' ? JSON.stringify({ ...record, notificationType: 'Delivery' }) : field === 'Timestamp' ? new Date(Date.now() - 1000).toISOString() : `${withSubject[field]}x` };
      const response = await handler(post('ses', JSON.stringify(changed), { 'content-type': 'text/plain' }));
      expect(response.status, field).toBe(401);
    }
    expect(target.received).toHaveLength(1);
  });

  it('refuses a topic not in the allow-list (403), a certificate host not allowed, a stale message, a header that disagrees with the body', async () => {
    const { target, handler } = setup();
    const other = await handler(snsPost(sesNotification(sns, 'arn:aws:sns:eu-west-1:999999999999:someone-else', record)));
    expect(other.status).toBe(403);
    const elsewhere = sns.envelope({ Type: 'Notification', MessageId: 'm-2', TopicArn: TOPIC, Message: '{}', Timestamp: new Date().toISOString(), SigningCertURL: 'https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem' });
    expect((await handler(snsPost(elsewhere))).status).toBe(401);
    const plainHttp = sns.envelope({ Type: 'Notification', MessageId: 'm-3', TopicArn: TOPIC, Message: '{}', Timestamp: new Date().toISOString(), SigningCertURL: sns.certUrl.replace('https:', 'http:') });
    expect((await handler(snsPost(plainHttp))).status).toBe(401);
    const stale = await handler(snsPost(sesNotification(sns, TOPIC, record, { timestamp: new Date(Date.now() - 3 * 3600_000) })));
    expect(stale.status).toBe(401);
    expect((await read(stale)).error).toBe('stale');
    const envelope = sesNotification(sns, TOPIC, record);
    const mismatch = await handler(post('ses', JSON.stringify(envelope), { 'x-amz-sns-message-type': 'SubscriptionConfirmation' }));
    expect(mismatch.status).toBe(400);
    expect(target.received).toEqual([]);
  });

  it('accepts SNS\'s last retries, which carry the publishing Timestamp an hour and more later; refuses older, or more than 5 minutes ahead', async () => {
    const publishedAt = Date.UTC(2026, 10, 28, 10);
    // The message as SNS signed it when it was published; every retry posts it unchanged. The first
    // attempt came a minute after publishing, the retries may go on for 3,600 s after it.
    const retry = sesNotification(sns, TOPIC, record, { timestamp: new Date(publishedAt) });
    for (const late of [60_000 + 3_600_000, 90 * 60_000]) {
      const target = sink();
      const handler = createWebhookHandler({ mailer: target, now: () => publishedAt + late, ses: { topics: [TOPIC], certificateHost: sns.host, ca: sns.tls.ca } });
      expect((await handler(snsPost(retry))).status, `${late} ms late`).toBe(200);
      expect(target.received.flat().map((event) => event.eventType)).toEqual(['bounced']);
    }
    const handler = createWebhookHandler({ mailer: sink(), now: () => publishedAt, ses: { topics: [TOPIC], certificateHost: sns.host, ca: sns.tls.ca } });
    const tooOld = await handler(snsPost(sesNotification(sns, TOPIC, record, { timestamp: new Date(publishedAt - 2 * 3600_000 - 1000) })));
    expect([tooOld.status, (await read(tooOld)).error]).toEqual([401, 'stale']);
    const ahead = await handler(snsPost(sesNotification(sns, TOPIC, record, { timestamp: new Date(publishedAt + 6 * 60_000) })));
    expect([ahead.status, (await read(ahead)).error]).toEqual([401, 'stale']);
    // maxAgeMs still narrows it.
    const narrow = createWebhookHandler({ mailer: sink(), now: () => publishedAt + 10 * 60_000, ses: { topics: [TOPIC], certificateHost: sns.host, ca: sns.tls.ca, maxAgeMs: 5 * 60_000 } });
    expect((await narrow(snsPost(retry))).status).toBe(401);
  });

  it('the default certificate host is Amazon SNS only: the local server is refused without the test trust roots', async () => {
    const target = sink();
    const handler = createWebhookHandler({ mailer: target, ses: { topics: [TOPIC] } });
    expect((await handler(snsPost(sesNotification(sns, TOPIC, record)))).status).toBe(401);
    // The host allowed, but not the test CA: TLS verification refuses the server.
    const noCa = createWebhookHandler({ mailer: target, ses: { topics: [TOPIC], certificateHost: sns.host } });
    expect((await noCa(snsPost(sesNotification(sns, TOPIC, record)))).status).toBe(401);
    expect(target.received).toEqual([]);
  });

  it('confirms a SubscriptionConfirmation of an allowed topic by GET on SubscribeURL, and no other', async () => {
    const { handler } = setup();
    const confirmation = (topic: string, token: string) =>
      sns.envelope({
        Type: 'SubscriptionConfirmation',
        MessageId: `sub-${token}`,
        Token: token,
        TopicArn: topic,
        Message: `You have chosen to subscribe to the topic ${topic}.`,
        SubscribeURL: `${sns.origin}/confirm?Action=ConfirmSubscription&Token=${token}`,
        Timestamp: new Date().toISOString(),
      });
    const ok = await handler(snsPost(confirmation(TOPIC, 'good')));
    expect(ok.status).toBe(200);
    expect((await read(ok)).note).toBe('subscription confirmed');
    expect((await handler(snsPost(confirmation('arn:aws:sns:eu-west-1:999999999999:theirs', 'theirs')))).status).toBe(403);
    const forged = { ...confirmation(TOPIC, 'forged'), SubscribeURL: `${sns.origin}/confirm?Token=swapped` };
    expect((await handler(snsPost(forged))).status).toBe(401);
    expect(sns.confirmations).toEqual(['/confirm?Action=ConfirmSubscription&Token=good']);
  });

  it('a signing certificate that cannot be fetched now (host down) is 503, which SNS retries, not a 401 it would take as delivered', async () => {
    const { createServer } = await import('node:net');
    const closed = createServer().listen(0, 'localhost');
    await new Promise((resolve) => closed.once('listening', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const target = sink();
    const handler = createWebhookHandler({ mailer: target, ses: { topics: [TOPIC], certificateHost: new RegExp(`^localhost:${port}$`), ca: sns.tls.ca, timeoutMs: 2000 } });
    const envelope = sesNotification(sns, TOPIC, record);
    const response = await handler(snsPost({ ...envelope, SigningCertURL: `https://localhost:${port}/SimpleNotificationService-test.pem` }));
    expect(response.status).toBe(503);
    expect(await read(response)).toMatchObject({ error: 'unavailable' });
    expect(target.received).toEqual([]);
    expect(handler.stats().refused.unavailable).toBe(1);
  });

  it('a topic list is required', () => {
    expect(() => createWebhookHandler({ mailer: sink(), ses: { topics: [] } })).toThrow(MailError);
  });

  it('a topic list holding no topic ARN (an unset environment variable, a typo) is a CONFIG error at setup, not a 403 for every message SNS takes as delivered', () => {
    for (const topics of [[undefined], [''], ['ses-events'], [TOPIC, undefined]] as unknown as string[][]) {
      expect(() => createWebhookHandler({ mailer: sink(), ses: { topics } }), JSON.stringify(topics)).toThrow(expect.objectContaining({ code: 'CONFIG', remedy: expect.stringMatching(/arn:aws:sns:/) }));
    }
    expect(() => createWebhookHandler({ mailer: sink(), ses: { topics: [TOPIC, 'arn:aws-cn:sns:cn-north-1:123456789012:events.fifo'] } })).not.toThrow();
  });
});

describe('shared secrets (Brevo, Mailjet, SMTP2GO)', () => {
  const brevo = JSON.stringify(fixture('brevo-request').body);

  it('accept basic auth or a bearer token from the list, refuse anything else with 401 and WWW-Authenticate', async () => {
    const target = sink();
    const handler = createWebhookHandler({ mailer: target, brevo: { secret: ['brevo:old-secret', 'brevo:new-secret'] }, smtp2go: { secret: 'token-0123456789' } });
    expect((await handler(post('brevo', brevo, basic('brevo:new-secret')))).status).toBe(200);
    expect((await handler(post('brevo', brevo, basic('brevo:old-secret')))).status).toBe(200);
    const smtp2go = JSON.stringify(fixture('smtp2go-delivered').body);
    expect((await handler(post('smtp2go', smtp2go, { authorization: 'Bearer token-0123456789' }))).status).toBe(200);
    for (const headers of [{}, basic('brevo:wrong'), { authorization: 'Bearer another-token' }, { authorization: 'Basic !!!' }]) {
      const response = await handler(post('brevo', brevo, headers));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="mailroom webhooks"');
    }
    expect(target.received).toHaveLength(3);
  });

  it('a provider without a secret is a CONFIG error at setup, not an open endpoint', () => {
    for (const provider of ['brevo', 'mailjet', 'smtp2go'] as const) {
      const error = (() => {
        try {
          createWebhookHandler({ mailer: sink(), [provider]: { secret: '' } });
        } catch (caught) {
          return caught as MailError;
        }
        return undefined;
      })();
      expect(error?.code).toBe('CONFIG');
      expect(error?.remedy).toMatch(/secret/);
    }
    expect(() => createWebhookHandler({ mailer: sink() })).toThrow(/no provider configured/);
    expect(() => createWebhookHandler({ mailer: sink(), mailgun: { signingKey: '' } })).toThrow(/signingKey/);
  });
});

describe('SendGrid signatures (ECDSA P-256, a key pair made for the test)', () => {
  const keys = sendgridKeys();
  const body = JSON.stringify(fixture('sendgrid-batch').body);
  const NOW = Date.parse('2026-11-28T10:00:10Z');
  const at = Math.floor(NOW / 1000);
  const setup = () => {
    const target = sink();
    return { target, handler: createWebhookHandler({ mailer: target, sendgrid: { publicKey: keys.publicKey }, now: () => NOW }) };
  };

  it('accepts a batch signed with the key (base64 DER or PEM) and records each event', async () => {
    const { target, handler } = setup();
    const response = await handler(post('sendgrid', body, sendgridHeaders(body, keys.privateKey, at)));
    expect(response.status).toBe(200);
    expect(await read(response)).toEqual({ ok: true, events: 5 });
    expect(target.received.flat().map((event) => event.eventType)).toEqual(['queued', 'delivered', 'bounced', 'rejected', 'deferred']);
    const pem = `-----BEGIN PUBLIC KEY-----\n${keys.publicKey.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`;
    const fromPem = createWebhookHandler({ mailer: sink(), sendgrid: { publicKey: pem }, now: () => NOW });
    expect((await fromPem(post('sendgrid', body, sendgridHeaders(body, keys.privateKey, at)))).status).toBe(200);
  });

  it('refuses another key, a changed body, a changed timestamp, no headers: 401, nothing recorded', async () => {
    const { target, handler } = setup();
    const other = sendgridKeys();
    const signed = sendgridHeaders(body, keys.privateKey, at);
    const forged = [
      [body, sendgridHeaders(body, other.privateKey, at)],
      [body.replace('"delivered"', '"bounce"'), signed],
      [body, { ...signed, 'x-twilio-email-event-webhook-timestamp': String(at + 1) }],
      [body, { 'x-twilio-email-event-webhook-signature': signed['x-twilio-email-event-webhook-signature']! }],
      [body, {}],
      [body, { ...signed, 'x-twilio-email-event-webhook-signature': 'bm90IGEgc2lnbmF0dXJl' }],
    ] as const;
    for (const [text, headers] of forged) expect((await handler(post('sendgrid', text, headers))).status).toBe(401);
    expect(target.received).toEqual([]);
    expect(handler.stats().refused.unauthorized).toBe(forged.length);
  });

  it('refuses a byte-identical re-post (replayed) and a signature older than the window (stale)', async () => {
    const { target, handler } = setup();
    const headers = sendgridHeaders(body, keys.privateKey, at);
    expect((await handler(post('sendgrid', body, headers))).status).toBe(200);
    expect((await handler(post('sendgrid', body, headers))).status).toBe(401);
    expect((await handler(post('sendgrid', body, sendgridHeaders(body, keys.privateKey, at - 26 * 3600)))).status).toBe(401);
    expect(handler.stats().refused).toMatchObject({ replayed: 1, stale: 1 });
    expect(target.received).toHaveLength(1);
  });

  it('accepts a retry signed 23 hours ago (SendGrid retries for 24 hours), refuses a timestamp 6 minutes ahead, and honours a shorter maxAgeMs', async () => {
    const { target, handler } = setup();
    const late = JSON.stringify([{ ...(fixture('sendgrid-batch').body as object[])[0], sg_event_id: 'late-retry' }]);
    expect((await handler(post('sendgrid', late, sendgridHeaders(late, keys.privateKey, at - 23 * 3600)))).status).toBe(200);
    expect((await handler(post('sendgrid', body, sendgridHeaders(body, keys.privateKey, at + 6 * 60)))).status).toBe(401);
    const strict = createWebhookHandler({ mailer: sink(), sendgrid: { publicKey: keys.publicKey, maxAgeMs: 300_000 }, now: () => NOW });
    expect((await strict(post('sendgrid', body, sendgridHeaders(body, keys.privateKey, at - 3600)))).status).toBe(401);
    expect(handler.stats().refused).toMatchObject({ stale: 1 });
    expect(target.received.length).toBeGreaterThan(0);
  });

  it('refuses the same signed request again under another spelling of its signature (base64url, spaces, no padding, the high-S twin)', async () => {
    const { target, handler } = setup();
    // A signature with padding and a + or / in it, so that each re-spelling below differs from it.
    let headers = sendgridHeaders(body, keys.privateKey, at);
    while (!/[+/].*=$/.test(headers['x-twilio-email-event-webhook-signature']!)) headers = sendgridHeaders(body, keys.privateKey, at);
    const signature = headers['x-twilio-email-event-webhook-signature']!;
    expect((await handler(post('sendgrid', body, headers))).status).toBe(200);
    const respelled = [
      signature.replace(/\+/g, '-').replace(/\//g, '_'),
      signature.replace(/=+$/, ''),
      signature.replace(/(.{8})/g, '$1 '),
      highSTwin(signature),
      // A second signature by the key over the same timestamp and body (ECDSA signs with a fresh nonce).
      sendgridHeaders(body, keys.privateKey, at)['x-twilio-email-event-webhook-signature']!,
    ];
    for (const spelling of respelled) {
      expect(spelling).not.toBe(signature);
      const response = await handler(post('sendgrid', body, { ...headers, 'x-twilio-email-event-webhook-signature': spelling }));
      expect(response.status, spelling).toBe(401);
      expect((await read(response)).error).toBe('replayed');
    }
    expect(target.received).toHaveLength(1);
  });

  it('no key, or a key that is not one, is a CONFIG error at setup', () => {
    expect(() => createWebhookHandler({ mailer: sink(), sendgrid: { publicKey: '' } })).toThrow(/publicKey/);
    expect(() => createWebhookHandler({ mailer: sink(), sendgrid: { publicKey: 'bm90IGEga2V5' } })).toThrow(expect.objectContaining({ code: 'CONFIG', remedy: expect.stringMatching(/verification key/) }));
  });
});

describe('Resend signatures (Svix)', () => {
  const secret = svixSecret();
  const body = JSON.stringify(fixture('resend-delivered').body);
  const NOW = Date.parse('2026-11-28T10:00:10Z');
  const at = Math.floor(NOW / 1000);
  const setup = () => {
    const target = sink();
    return { target, handler: createWebhookHandler({ mailer: target, resend: { signingSecret: secret }, now: () => NOW }) };
  };

  it('accepts a request signed with the secret (or any of several during a rotation)', async () => {
    const { target, handler } = setup();
    const headers = svixHeaders(body, secret, { id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', timestamp: at });
    expect((await handler(post('resend', body, headers))).status).toBe(200);
    expect(target.received.flat()).toMatchObject([{ eventType: 'delivered', providerEventId: 'EMAIL_ID/email.delivered/2026-11-28T10:00:04.126Z' }]);
    const rotated = svixHeaders(body, secret, { timestamp: at });
    rotated['svix-signature'] = `v1,${Buffer.from('old signature').toString('base64')} ${rotated['svix-signature']}`;
    expect((await handler(post('resend', body, rotated))).status).toBe(200);
    const next = svixSecret();
    const both = createWebhookHandler({ mailer: sink(), resend: { signingSecret: [secret, next] }, now: () => NOW });
    expect((await both(post('resend', body, svixHeaders(body, next, { timestamp: at })))).status).toBe(200);
  });

  it('refuses another secret, a changed body, id or timestamp, missing headers: 401, nothing recorded', async () => {
    const { target, handler } = setup();
    const signed = svixHeaders(body, secret, { timestamp: at });
    const forged = [
      [body, svixHeaders(body, svixSecret(), { timestamp: at })],
      [body.replace('email.delivered', 'email.bounced'), signed],
      [body, { ...signed, 'svix-id': 'msg_other' }],
      [body, { ...signed, 'svix-timestamp': String(at - 1) }],
      [body, { ...signed, 'svix-signature': signed['svix-signature']!.replace('v1,', 'v2,') }],
      [body, {}],
    ] as const;
    for (const [text, headers] of forged) expect((await handler(post('resend', text, headers))).status).toBe(401);
    expect(target.received).toEqual([]);
  });

  it('refuses a byte-identical re-post and a stale timestamp; a genuine retry (same svix-id, signed again) is let through for the journal to recognize', async () => {
    const { target, handler } = setup();
    const headers = svixHeaders(body, secret, { id: 'msg_retry', timestamp: at });
    expect((await handler(post('resend', body, headers))).status).toBe(200);
    expect((await handler(post('resend', body, headers))).status).toBe(401);
    expect((await handler(post('resend', body, svixHeaders(body, secret, { timestamp: at - 3600 })))).status).toBe(401);
    expect(handler.stats().refused).toMatchObject({ replayed: 1, stale: 1 });
    expect((await handler(post('resend', body, svixHeaders(body, secret, { id: 'msg_retry', timestamp: at + 30 })))).status).toBe(200);
    expect(target.received.flat()).toHaveLength(2); // the journal recognizes the second as the same event
  });

  it('no signing secret, or one that is not whsec_<base64>, is a CONFIG error at setup', () => {
    expect(() => createWebhookHandler({ mailer: sink(), resend: { signingSecret: '' } })).toThrow(/signingSecret/);
    expect(() => createWebhookHandler({ mailer: sink(), resend: { signingSecret: 'whsec_' } })).toThrow(/whsec_/);
  });

  it('a rotation list whose entries are unset (environment variables not defined) is a CONFIG error, or holds what is set: never a TypeError', () => {
    const unset = [undefined, undefined] as unknown as string[];
    expect(() => createWebhookHandler({ mailer: sink(), resend: { signingSecret: unset } })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    expect(() => createWebhookHandler({ mailer: sink(), brevo: { secret: unset } })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    expect(() => createWebhookHandler({ mailer: sink(), brevo: { secret: ['brevo:new-secret', undefined] as unknown as string[] } })).not.toThrow();
    expect(() => createWebhookHandler({ mailer: sink(), resend: { signingSecret: [undefined, svixSecret()] as unknown as string[] } })).not.toThrow();
  });
});

describe('shared secrets (Postmark, SparkPost)', () => {
  it('accept the webhook\'s basic auth (or a bearer token from a custom header), refuse anything else with 401 and WWW-Authenticate', async () => {
    const target = sink();
    const handler = createWebhookHandler({ mailer: target, postmark: { secret: 'postmark:s3cret-0123456789' }, sparkpost: { secret: ['sparkpost:s3cret-0123456789', 'bearer-token-0123456789'] } });
    const postmark = JSON.stringify(fixture('postmark-bounce').body);
    const sparkpost = JSON.stringify(fixture('sparkpost-batch').body);
    expect((await handler(post('postmark', postmark, basic('postmark:s3cret-0123456789')))).status).toBe(200);
    expect((await handler(post('sparkpost', sparkpost, basic('sparkpost:s3cret-0123456789')))).status).toBe(200);
    expect((await handler(post('sparkpost', sparkpost, { authorization: 'Bearer bearer-token-0123456789' }))).status).toBe(200);
    for (const [provider, text, headers] of [['postmark', postmark, {}], ['postmark', postmark, basic('sparkpost:s3cret-0123456789')], ['sparkpost', sparkpost, basic('postmark:s3cret-0123456789')]] as const) {
      const response = await handler(post(provider, text, headers));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="mailroom webhooks"');
    }
    expect(target.received.map((events) => events.length)).toEqual([1, 3, 3]);
    for (const provider of ['postmark', 'sparkpost'] as const) expect(() => createWebhookHandler({ mailer: sink(), [provider]: { secret: '' } })).toThrow(/no secret/);
  });
});

describe('the HTTP boundary', () => {
  const handler = createWebhookHandler({ mailer: sink(), mailgun: { signingKey: KEY }, brevo: { secret: 'u:p' }, maxBodyBytes: 4096 });

  it('oversized: 413 (declared or streamed); malformed: 400; unknown provider: 404; HEAD: 200; GET: 405', async () => {
    const big = 'x'.repeat(5000);
    expect((await handler(post('mailgun', big))).status).toBe(413);
    const streamed = new Request('https://shop.example.com/api/mailroom/webhooks/mailgun', {
      method: 'POST',
      body: new ReadableStream({ start(controller) { for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(1000))); controller.close(); } }),
      duplex: 'half',
    } as RequestInit);
    expect((await handler(streamed)).status).toBe(413);
    expect((await handler(post('mailgun', '{"signature":'))).status).toBe(400);
    expect((await handler(post('brevo', '[1,2]', basic('u:p')))).status).toBe(400);
    expect((await handler(post('brevo', 'not json', basic('u:p')))).status).toBe(400);
    expect((await handler(post('postmark', '{}'))).status).toBe(404);
    expect((await handler(new Request('https://shop.example.com/api/mailroom/webhooks/mailgun', { method: 'HEAD' }))).status).toBe(200);
    expect((await handler(new Request('https://shop.example.com/api/mailroom/webhooks/mailgun'))).status).toBe(405);
    expect(handler.stats().refused).toMatchObject({ too_large: 2, malformed: 3 });
  });

  it('a batch with one unreadable time is recorded whole; a body no parser can read is 400 (the provider stops retrying), not 500', async () => {
    const target = sink();
    const mailjet = createWebhookHandler({ mailer: target, mailjet: { secret: 'u:p' } });
    const batch = [{ event: 'sent', time: 1e13, MessageID: '1', email: 'a@example.com' }, { event: 'sent', time: 1795860004, MessageID: '2', email: 'b@example.com' }];
    const ok = await mailjet(post('mailjet', JSON.stringify(batch), basic('u:p')));
    expect(ok.status).toBe(200);
    expect(target.received.flat().map((event) => event.recipient)).toEqual(['a@example.com', 'b@example.com']);
    // Nested deeper than a JSON.stringify of the metadata can follow: the parser throws a RangeError of its own.
    const depth = 100_000;
    const nested = `[{"event":"sent","time":1795860004,"MessageID":"3","email":"c@example.com","Payload":{"order":${'['.repeat(depth)}${']'.repeat(depth)}}}]`;
    const refused = await mailjet(post('mailjet', nested, basic('u:p')));
    expect(refused.status).toBe(400);
    expect((await read(refused)).error).toBe('malformed');
    expect(mailjet.stats()).toMatchObject({ failed: 0, refused: { malformed: 1 } });
    expect(target.received).toHaveLength(1);
  });

  it('a batch with one item that is not an event, or cannot be read, records the rest (200); a batch with nothing readable is 400', async () => {
    const target = sink();
    const keys = sendgridKeys();
    const handler = createWebhookHandler({ mailer: target, sendgrid: { publicKey: keys.publicKey }, sparkpost: { secret: 'u:p' }, mailjet: { secret: 'u:p' } });
    const good = (n: number) => ({ email: `r${n}@example.com`, timestamp: Math.floor(Date.now() / 1000), event: 'delivered', sg_event_id: `ev${n}`, sg_message_id: `msg${n}.filterdrecv-1` });
    const sendgrid = JSON.stringify([good(1), null, 'garbage', good(2)]);
    const signed = await handler(post('sendgrid', sendgrid, sendgridHeaders(sendgrid, keys.privateKey)));
    expect(signed.status).toBe(200);
    expect(await read(signed)).toMatchObject({ ok: true, events: 2 });
    const sparkpost = JSON.stringify([{ msys: { message_event: { type: 'delivery', transmission_id: '7', rcpt_to: 's1@example.com', timestamp: '1795860004' } } }, { event: 'not msys' }, { msys: { message_event: { type: 'bounce', bounce_class: '10', transmission_id: '7', rcpt_to: 's2@example.com', timestamp: '1795860005' } } }]);
    expect((await handler(post('sparkpost', sparkpost, basic('u:p')))).status).toBe(200);
    // An item deeper than its parser can follow, between two good ones.
    const depth = 100_000;
    const mailjet = `[{"event":"sent","time":1795860004,"MessageID":"1","email":"m1@example.com"},{"event":"sent","time":1795860004,"MessageID":"2","email":"m2@example.com","Payload":{"order":${'['.repeat(depth)}${']'.repeat(depth)}}},{"event":"sent","time":1795860004,"MessageID":"3","email":"m3@example.com"}]`;
    expect((await handler(post('mailjet', mailjet, basic('u:p')))).status).toBe(200);
    expect(target.received.flat().map((event) => `${event.provider} ${event.eventType} ${event.recipient}`)).toEqual([
      'sendgrid delivered r1@example.com',
      'sendgrid delivered r2@example.com',
      'sparkpost delivered s1@example.com',
      'sparkpost bounced s2@example.com',
      'mailjet delivered m1@example.com',
      'mailjet delivered m3@example.com',
    ]);
    for (const nothing of ['[1,2]', '[null]', '[{"event":"not msys"}]']) {
      const refused = await handler(post('sparkpost', nothing, basic('u:p')));
      expect(refused.status).toBe(400);
    }
    expect(handler.stats().refused.malformed).toBe(3);
    expect(target.received).toHaveLength(3);
  });

  it('a retry period or an acknowledgement wait past 2^31 - 1 ms (Node runs such a timer at once), or a body limit of 0: CONFIG', () => {
    for (const limits of [{ parkedRetryMs: 2 ** 31 }, { ackTimeoutMs: 30 * 24 * 3600_000 }, { maxBodyBytes: 0 }, { parkedRetryMs: -1 }, { ackTimeoutMs: 1.5 }]) {
      expect(() => createWebhookHandler({ mailer: sink(), brevo: { secret: 'u:p' }, ...limits }), JSON.stringify(limits)).toThrow(expect.objectContaining({ code: 'CONFIG', specificRemedy: expect.any(String) }));
    }
    createWebhookHandler({ mailer: sink(), brevo: { secret: 'u:p' }, parkedRetryMs: 2 ** 31 - 1, ackTimeoutMs: 0 }).close();
  });

  it('answers within ackTimeoutMs while a slow journal write goes on, and 500 when the journal fails at once', async () => {
    const slow = sink({ delayMs: 400 });
    const fast = createWebhookHandler({ mailer: slow, mailgun: { signingKey: KEY }, ackTimeoutMs: 50 });
    const started = performance.now();
    const response = await fast(post('mailgun', mailgunBody(mailgunEvent, KEY)));
    const answeredIn = performance.now() - started;
    expect(response.status).toBe(200);
    expect((await read(response)).note).toBe('recording');
    expect(slow.received).toHaveLength(0);
    expect(answeredIn).toBeLessThan(400);
    await fast.settled();
    expect(slow.received).toHaveLength(1);

    const broken = createWebhookHandler({ mailer: sink({ fail: true }), mailgun: { signingKey: KEY } });
    const failed = await broken(post('mailgun', mailgunBody(mailgunEvent, KEY)));
    expect(failed.status).toBe(500);
    expect(broken.stats().failed).toBe(1);
  });

  it('a signed request whose events could not be recorded (500) is not remembered: the same request retried is accepted', async () => {
    const keys = sendgridKeys();
    const secret = svixSecret();
    let failNext = true;
    const received: TrackingEvent[][] = [];
    const flaky: EventSink = {
      journal: {
        async recordEvents(events): Promise<DeliveryOutcome> {
          if (failNext) throw new Error('disk full');
          received.push(events);
          return { recorded: events, unmatched: [], duplicates: 0 };
        },
        retryParkedEvents: async () => 0,
      },
    };
    const handler = createWebhookHandler({ mailer: flaky, mailgun: { signingKey: KEY }, sendgrid: { publicKey: keys.publicKey }, resend: { signingSecret: secret } });
    const sendgridBody = JSON.stringify(fixture('sendgrid-batch').body);
    const resendBody = JSON.stringify(fixture('resend-delivered').body);
    const mailgunSigned = mailgunBody(mailgunEvent, KEY);
    const sendgridSigned = sendgridHeaders(sendgridBody, keys.privateKey);
    const resendSigned = svixHeaders(resendBody, secret);
    const requests = [
      () => post('mailgun', mailgunSigned),
      () => post('sendgrid', sendgridBody, sendgridSigned),
      () => post('resend', resendBody, resendSigned),
    ];
    for (const request of requests) expect((await handler(request())).status).toBe(500);
    failNext = false;
    for (const request of requests) expect((await handler(request())).status).toBe(200);
    expect(received.map((events) => events[0]!.provider)).toEqual(['mailgun', 'sendgrid', 'resend']);
    // Once recorded, the same request again is a replay.
    for (const request of requests) expect((await handler(request())).status).toBe(401);
    expect(handler.stats().refused.replayed).toBe(3);
  });
});

describe('toNodeListener (Node http, Express)', () => {
  it('serves the handler on a Node http server, streaming the body with the size limit', async () => {
    const { createServer } = await import('node:http');
    const target = sink();
    const handler = createWebhookHandler({ mailer: target, brevo: { secret: 'u:p' }, maxBodyBytes: 2048 });
    const server = createServer(toNodeListener(handler)).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/api/mailroom/webhooks/brevo`;
    try {
      const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...basic('u:p') }, body: JSON.stringify(fixture('brevo-request').body) });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ ok: true, events: 1 });
      const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('Basic');
      const big = await fetch(url, { method: 'POST', headers: basic('u:p'), body: 'x'.repeat(4096) });
      expect(big.status).toBe(413);
      expect(target.received.flat().map((event) => event.recipient)).toEqual(['camille@example.com']);
    } finally {
      server.close();
    }
  });

  it('takes a body an Express parser already read (req.body), with the provider from the route', async () => {
    const { IncomingMessage, ServerResponse } = await import('node:http');
    const { Socket } = await import('node:net');
    const target = sink();
    const listener = toNodeListener(createWebhookHandler({ mailer: target, smtp2go: { secret: 'tok' } }), 'smtp2go');
    const req = Object.assign(new IncomingMessage(new Socket()), {
      method: 'POST',
      url: '/hooks/any',
      headers: { host: 'shop.example.com', 'content-type': 'application/json', authorization: 'Bearer tok' },
      body: fixture('smtp2go-delivered').body,
    });
    req.push(null);
    req.resume();
    await new Promise((resolve) => req.once('end', resolve));
    const res = new ServerResponse(req);
    let written = '';
    res.end = ((chunk: Buffer) => {
      written = String(chunk);
      return res;
    }) as typeof res.end;
    await listener(req, res);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(written)).toEqual({ ok: true, events: 1 });
    expect(target.received.flat().map((event) => [event.provider, event.eventType])).toEqual([['smtp2go', 'delivered']]);
  });

  it('takes a form-encoded body an Express urlencoded parser already read as an object (SMTP2GO form output): the bounce is read, not an unknown event', async () => {
    const { IncomingMessage, ServerResponse } = await import('node:http');
    const { Socket } = await import('node:net');
    const target = sink();
    const listener = toNodeListener(createWebhookHandler({ mailer: target, smtp2go: { secret: 'tok' } }), 'smtp2go');
    const raw = fixture('smtp2go-bounce-form').rawBody!;
    // What express.urlencoded() leaves in req.body for that form: one string per field.
    const parsed = Object.fromEntries(new URLSearchParams(raw));
    const req = Object.assign(new IncomingMessage(new Socket()), {
      method: 'POST',
      url: '/api/mailroom/webhooks/smtp2go',
      headers: { host: 'shop.example.com', 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(raw.length), authorization: 'Bearer tok' },
      body: parsed,
    });
    req.push(null);
    req.resume();
    await new Promise((resolve) => req.once('end', resolve));
    const res = new ServerResponse(req);
    res.end = (() => res) as unknown as typeof res.end;
    await listener(req, res);
    expect(res.statusCode).toBe(200);
    expect(target.received.flat().map((event) => [event.eventType, event.recipient, event.providerMessageId])).toEqual([['bounced', 'nobody@example.com', 'EMAIL_ID']]);
  });
});

describe('Strapi route: the signed-body providers need the unparsed body', () => {
  // The route as mountStrapiWebhooks registers it, called with the Koa context Strapi builds
  // (headers, params, the body its body middleware parsed, with or without includeUnparsed).
  const route = () => {
    const registered: Array<{ routes: Array<{ handler: (ctx: unknown) => Promise<void> }> }> = [];
    const mailer = createMailer({ dsn: 'memory://', journal: 'memory://' });
    const keys = sendgridKeys();
    mountStrapiWebhooks({ server: { routes: (one: never) => registered.push(one) } }, mailer, { sendgrid: { publicKey: keys.publicKey } });
    return { keys, mailer, handler: registered[0]!.routes[0]!.handler };
  };
  const ctx = (body: unknown, headers: Record<string, string>) => {
    const out = { method: 'POST', url: '/api/mailroom/webhooks/sendgrid', params: { provider: 'sendgrid' }, request: { headers: { 'content-type': 'application/json', ...headers }, body }, status: 0, body: undefined as unknown, headers: {} as Record<string, string>, set(name: string, value: string) { out.headers[name] = value; } };
    return out;
  };

  it('a SendGrid post whose body Strapi kept only parsed: 500 with the includeUnparsed remedy, not a 401; with the unparsed body: verified', async () => {
    const { keys, mailer, handler } = route();
    const text = JSON.stringify(fixture('sendgrid-batch').body, null, 1);
    const headers = sendgridHeaders(text, keys.privateKey);
    const parsedOnly = ctx(JSON.parse(text), headers);
    await handler(parsedOnly);
    expect(parsedOnly.status).toBe(500);
    expect(JSON.parse(parsedOnly.body as string)).toMatchObject({ error: 'raw_body_unavailable', message: expect.stringContaining('includeUnparsed: true') });
    const withRaw = ctx(Object.assign(JSON.parse(text), { [Symbol.for('unparsedBody')]: text }), headers);
    await handler(withRaw);
    expect(withRaw.status).toBe(200);
    await mailer.close();
  });
});

describe('Payload endpoint: the signed-body providers get the request unread', () => {
  it('a Resend webhook through mailroomWebhooks reaches the journal of the Payload mailer with its exact body; another secret is 401', async () => {
    const email = mailroomAdapter({ dsn: 'memory://', journal: 'memory://', defaultFromAddress: 'shop@example.com', defaultFromName: 'Shop' })({ payload: {} });
    const payload = { email };
    const secret = svixSecret();
    const endpoint = mailroomWebhooks({ resend: { signingSecret: secret } });
    expect(endpoint).toMatchObject({ path: '/mailroom/webhooks/:provider', method: 'post' });
    const sent = (await email.sendEmail({ to: 'camille@example.com', subject: 'Order 1042', text: 'x' })) as { id: string; providerMessageId: string };
    // Pretty-printed: re-serializing it would change the bytes the signature covers.
    const body = JSON.stringify(JSON.parse(JSON.stringify(fixture('resend-delivered').body).replaceAll('EMAIL_ID', sent.providerMessageId)), null, 2);
    const call = (headers: Record<string, string>) => endpoint.handler(Object.assign(new Request('http://cms.example.com/api/mailroom/webhooks/resend', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }), { payload, routeParams: { provider: 'resend' } }) as never);
    expect((await call(svixHeaders(body, svixSecret()))).status).toBe(401);
    expect((await call(svixHeaders(body, secret))).status).toBe(200);
    expect((await email.mailer.journal.get(sent.id))!.delivery!.recipients['camille@example.com']!.state).toBe('delivered');
    await email.mailer.close();
  });
});

// P-256's group order: (r, n - s) verifies wherever (r, s) does, so anyone holding a signature can make its twin.
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** The other valid DER signature of the same content: s replaced by n - s. */
function highSTwin(base64Der: string): string {
  const der = Buffer.from(base64Der, 'base64');
  const rLength = der[3]!;
  const r = der.subarray(4, 4 + rLength);
  const s = BigInt(`0x${der.subarray(6 + rLength).toString('hex')}`);
  const integer = (bytes: Buffer) => Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
  const unsigned = (value: bigint) => {
    const hex = value.toString(16).padStart(64, '0').replace(/^(00)+/, '');
    const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
    return bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  };
  const content = Buffer.concat([integer(r), integer(unsigned(P256_ORDER - s))]);
  return Buffer.concat([Buffer.from([0x30, content.length]), content]).toString('base64');
}
