// Each provider's parser on payloads shaped as its documentation shows (test/fixtures/events, with
// the source of each shape): the normalized TrackingEvent fields, one event per recipient,
// batched bodies, and the provider quirks (Mailjet's ids beyond 2^53, Mailgun's missing angle
// brackets, Brevo's time zones, SES records covering several recipients).
import { describe, expect, it } from 'vitest';
import { parseBrevoEvents, parseMailgunEvents, parseMailjetBody, parseMailjetEvents, parseSesRecord, parseSmtp2goBody, parseSmtp2goEvents, WebhookError } from '../src/events/index.js';
import { fixture } from './helpers/webhooks.js';

describe('Brevo', () => {
  it('reads a request event: queued, UTC time from ts_epoch, tags and X-Mailin-custom metadata', () => {
    const [event] = parseBrevoEvents(fixture('brevo-request').body);
    expect(event).toMatchObject({
      eventType: 'queued',
      provider: 'brevo',
      providerMessageId: '<202611281000.12345678901@smtp-relay.mailin.fr>',
      recipient: 'camille@example.com',
      timestamp: new Date(1795860000123).toISOString(),
      tags: ['order'],
      metadata: { order: '1042' },
    });
    expect(event!.providerEventId).toBeUndefined(); // Brevo's `id` is the webhook's, not the event's
  });

  it('reads a batch (an array): a hard bounce with its reason, and a delivered', () => {
    const events = parseBrevoEvents(fixture('brevo-hard-bounce-batch').body);
    expect(events.map((event) => [event.eventType, event.recipient, event.rejectReason])).toEqual([
      ['bounced', 'nobody@example.com', 'bounced'],
      ['delivered', 'camille@example.com', undefined],
    ]);
    expect(events[0]!.mtaResponse).toBe('RecipientError: 550 5.1.1 The email account that you tried to reach does not exist.');
  });

  it('maps soft bounces to deferred, blocked to rejected, spam to complained, and unknown names to unknown', () => {
    const base = { email: 'a@example.com', 'message-id': '<x@y>', ts_epoch: 1 };
    const types = parseBrevoEvents(['soft_bounce', 'blocked', 'spam', 'invalid_email', 'unique_opened', 'click', 'unsubscribed', 'hardBounce', 'something_new'].map((event) => ({ ...base, event })));
    expect(types.map((event) => event.eventType)).toEqual(['deferred', 'rejected', 'complained', 'bounced', 'opened', 'clicked', 'unsubscribed', 'bounced', 'unknown']);
    expect(types[3]!.rejectReason).toBe('invalid');
  });

  it('refuses a body that is neither an event nor an array of events', () => {
    expect(() => parseBrevoEvents([1, 2])).toThrow(WebhookError);
  });
});

describe('Mailjet', () => {
  const events = parseMailjetEvents(parseMailjetBody(fixture('mailjet-grouped').rawBody!));

  it('keeps MessageID beyond 2^53 digit for digit', () => {
    expect(events.map((event) => event.providerMessageId)).toEqual(['1152921508594251263', '1152921508594251264', '1152921508594251265', '1152921508594251266']);
    // What JSON.parse alone would have made of it:
    expect(String(JSON.parse('1152921508594251263'))).not.toBe('1152921508594251263');
  });

  it('maps sent to delivered, a hard bounce to bounced/invalid, a greylisted soft bounce to deferred, blocked to rejected', () => {
    expect(events.map((event) => [event.eventType, event.recipient, event.rejectReason])).toEqual([
      ['delivered', 'camille@example.com', undefined],
      ['bounced', 'nobody@example.com', 'invalid'],
      ['deferred', 'later@example.com', 'timed_out'],
      ['rejected', 'blocked@example.com', 'invalid'],
    ]);
    expect(events[0]).toMatchObject({ mtaResponse: 'sent (250 2.0.0 OK 1795860004 a1si1234567wrx.12 - gsmtp)', tags: ['order'], metadata: { order: '1042' }, timestamp: new Date(1795860004_000).toISOString() });
    expect(events[1]!.description).toMatch(/^recipient: user unknown: Host or domain name not found/);
  });

  it('reads a single object (group events off)', () => {
    const one = parseMailjetEvents(parseMailjetBody('{"event":"open","time":1795860010,"MessageID":19421777835146490,"email":"a@example.com"}'));
    expect(one).toMatchObject([{ eventType: 'opened', providerMessageId: '19421777835146490' }]);
  });
});

describe('Mailgun', () => {
  const body = (name: string) => ({ signature: {}, 'event-data': { ...fixture(name).eventData, message: { headers: { ...(fixture(name).eventData!.message as { headers: object }).headers, 'message-id': '20261128100001.abc@mg.example.com' } } } });

  it('reads a delivered event: adds the angle brackets the send response had, 250 OK as the MTA reply, user-variables', () => {
    const [event] = parseMailgunEvents(body('mailgun-delivered'));
    expect(event).toMatchObject({
      eventType: 'delivered',
      provider: 'mailgun',
      providerMessageId: '<20261128100001.abc@mg.example.com>',
      recipient: 'camille@example.com',
      mtaResponse: '250 OK',
      tags: ['order'],
      metadata: { order: '1042' },
      timestamp: new Date(1795860004123.456).toISOString(),
    });
    expect(event!.providerEventId).toMatch(/^hK7mQVt1QtqRiOfQXta4sw@/);
  });

  it('maps failed by severity: permanent is bounced (reason bounce), temporary is deferred', () => {
    expect(parseMailgunEvents(body('mailgun-failed-permanent'))[0]).toMatchObject({ eventType: 'bounced', rejectReason: 'bounced', mtaResponse: '550 5.1.1 The email account that you tried to reach does not exist.' });
    expect(parseMailgunEvents(body('mailgun-failed-temporary'))[0]).toMatchObject({ eventType: 'deferred', recipient: 'full@example.com' });
  });

  it('refuses a body without event-data', () => {
    expect(() => parseMailgunEvents({ signature: {} })).toThrow(/no event-data/);
  });
});

describe('SMTP2GO', () => {
  it('reads the JSON output: delivered, email_id as the provider id, our Message-ID, the X-Mailroom headers passed on', () => {
    const [event] = parseSmtp2goEvents(parseSmtp2goBody(JSON.stringify(fixture('smtp2go-delivered').body), 'application/json'));
    expect(event).toMatchObject({
      eventType: 'delivered',
      providerMessageId: 'EMAIL_ID',
      messageIdHeader: 'MESSAGE_ID',
      recipient: 'camille@example.com',
      timestamp: '2026-11-28T10:00:04.000Z',
      mtaResponse: '250 2.0.0 OK 1795860004 a1si1234567wrx.12 - gsmtp',
      tags: ['order'],
      metadata: { order: '1042' },
    });
  });

  it('reads the form-encoded output: a hard bounce', () => {
    const raw = fixture('smtp2go-bounce-form');
    const [event] = parseSmtp2goEvents(parseSmtp2goBody(raw.rawBody!, raw.contentType!));
    expect(event).toMatchObject({ eventType: 'bounced', rejectReason: 'bounced', recipient: 'nobody@example.com', mtaResponse: '550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown' });
  });

  it('a soft bounce is deferred', () => {
    expect(parseSmtp2goEvents({ event: 'bounce', bounce: 'soft', rcpt: 'a@example.com', email_id: 'x' })[0]!.eventType).toBe('deferred');
  });
});

describe('Amazon SES', () => {
  it('reads a bounce notification: one event per bounced recipient with its diagnostic code', () => {
    const events = parseSesRecord(fixture('ses-bounce-notification').record!, 'sns-1');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      eventType: 'bounced',
      provider: 'ses',
      providerMessageId: 'MESSAGE_ID',
      messageIdHeader: 'HEADER_ID',
      recipient: 'nobody@example.com',
      rejectReason: 'bounced',
      description: 'Permanent / General',
      mtaResponse: 'smtp; 550 5.1.1 <nobody@example.com>... User',
      timestamp: '2026-11-28T10:00:05.237Z',
      providerEventId: 'sns-1',
    });
  });

  it('reads a Delivery event record: its recipients, SMTP response, and the tags our adapter set', () => {
    const events = parseSesRecord(fixture('ses-delivery-event').record!);
    expect(events).toMatchObject([{ eventType: 'delivered', recipient: 'camille@example.com', mtaResponse: '250 2.6.0 Message received', tags: ['order'], metadata: { order: '1042' } }]);
  });

  it('Send and Open records become one event per original destination; DeliveryDelay is deferred', () => {
    const mail = { messageId: 'M', destination: ['a@example.com', 'b@example.com'], timestamp: '2026-11-28T10:00:00Z' };
    expect(parseSesRecord({ eventType: 'Send', mail, send: {} }).map((e) => [e.eventType, e.recipient])).toEqual([['sent', 'a@example.com'], ['sent', 'b@example.com']]);
    expect(parseSesRecord({ eventType: 'DeliveryDelay', mail, deliveryDelay: { delayType: 'MailboxFull', delayedRecipients: [{ emailAddress: 'b@example.com' }] } })).toMatchObject([{ eventType: 'deferred', recipient: 'b@example.com', description: 'MailboxFull' }]);
  });
});
