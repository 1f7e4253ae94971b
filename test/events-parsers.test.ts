// Each provider's parser on payloads shaped as its documentation shows (test/fixtures/events, with
// the source of each shape): the normalized TrackingEvent fields, one event per recipient,
// batched bodies, and the provider quirks (Mailjet's ids beyond 2^53, Mailgun's missing angle
// brackets, Brevo's time zones, SES records covering several recipients).
import { describe, expect, it } from 'vitest';
import { parseBrevoEvents, parseMailgunEvents, parseMailjetBody, parseMailjetEvents, parsePostmarkEvents, parseResendEvents, parseSendgridEvents, parseSesRecord, parseSmtp2goBody, parseSmtp2goEvents, parseSparkpostEvents, parseWebhookBody, sendgridMessageId, WebhookError } from '../src/events/index.js';
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

  it('names the message by Message_GUID (the send\'s MessageUUID) and keeps MessageID beyond 2^53 digit for digit', () => {
    expect(events.map((event) => event.providerMessageId)).toEqual(['1ab23cd4-e567-8901-2345-6789f0a1b2c3', '1ab23cd4-e567-8901-2345-6789f0a1b2c4', '1ab23cd4-e567-8901-2345-6789f0a1b2c5', '1ab23cd4-e567-8901-2345-6789f0a1b2c6']);
    expect(events.map((event) => (event.raw as { MessageID: string }).MessageID)).toEqual(['1152921508594251263', '1152921508594251264', '1152921508594251265', '1152921508594251266']);
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

  it('an event whose time is out of Date\'s range gets the arrival time, and the rest of the batch is read', () => {
    const now = new Date(Date.UTC(2026, 10, 28, 10));
    const batch = [
      { event: 'sent', time: 1e13, MessageID: '1', email: 'a@example.com' },
      { event: 'sent', time: '1e13', MessageID: '2', email: 'b@example.com' },
      { event: 'sent', time: 1795860004, MessageID: '3', email: 'c@example.com' },
    ];
    const read = parseMailjetEvents(batch, now);
    expect(read.map((event) => event.timestamp)).toEqual([now.toISOString(), now.toISOString(), new Date(1795860004_000).toISOString()]);
  });

  it('reads a single object (group events off); without a Message_GUID, MessageID digit for digit names the message', () => {
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

  it('Send records become one event per original destination; DeliveryDelay is deferred', () => {
    const mail = { messageId: 'M', destination: ['a@example.com', 'b@example.com'], timestamp: '2026-11-28T10:00:00Z' };
    expect(parseSesRecord({ eventType: 'Send', mail, send: {} }).map((e) => [e.eventType, e.recipient])).toEqual([['sent', 'a@example.com'], ['sent', 'b@example.com']]);
    expect(parseSesRecord({ eventType: 'DeliveryDelay', mail, deliveryDelay: { delayType: 'MailboxFull', delayedRecipients: [{ emailAddress: 'b@example.com' }] } })).toMatchObject([{ eventType: 'deferred', recipient: 'b@example.com', description: 'MailboxFull' }]);
  });
  it('Open and Click name no recipient when the message had several (SES does not say whose), and the one when it had one', () => {
    const several = { messageId: 'M', destination: ['a@example.com', 'b@example.com'], timestamp: '2026-11-28T10:00:00Z' };
    const one = { ...several, destination: ['a@example.com'] };
    for (const [eventType, detail] of [['Open', 'open'], ['Click', 'click']] as const) {
      const fromSeveral = parseSesRecord({ eventType, mail: several, [detail]: { timestamp: '2026-11-28T10:05:00Z' } });
      expect(fromSeveral).toHaveLength(1);
      expect(fromSeveral[0]!.recipient).toBeUndefined();
      expect(fromSeveral[0]!.providerMessageId).toBe('M');
      expect(parseSesRecord({ eventType, mail: one, [detail]: {} }).map((e) => e.recipient)).toEqual(['a@example.com']);
    }
  });
});

describe('Postmark', () => {
  const withId = (name: string) => ({ ...(fixture(name).body as object), MessageID: '0a129aee-e1cd-480d-b08d-4f48548ff48d' });

  it('reads a Delivery: the MessageID its send answer returned, Recipient, DeliveredAt (7 fraction digits), Tag and Metadata', () => {
    const [event] = parsePostmarkEvents(withId('postmark-delivery'));
    expect(event).toMatchObject({
      eventType: 'delivered',
      provider: 'postmark',
      providerMessageId: '0a129aee-e1cd-480d-b08d-4f48548ff48d',
      recipient: 'camille@example.com',
      timestamp: '2026-11-28T10:00:04.907Z',
      mtaResponse: 'smtp;250 2.0.0 OK 1795860004 a1si1234567wrx.12 - gsmtp',
      tags: ['order'],
      metadata: { order: '1042' },
    });
    expect(event!.providerEventId).toBeUndefined();
  });

  it('reads a HardBounce: bounced/bounced, the address from Email, the bounce ID as event id', () => {
    const [event] = parsePostmarkEvents(withId('postmark-bounce'));
    expect(event).toMatchObject({
      eventType: 'bounced',
      rejectReason: 'bounced',
      recipient: 'nobody@example.com',
      description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
      mtaResponse: 'smtp;550 5.1.1 The email account that you tried to reach does not exist.',
      timestamp: '2026-11-28T10:00:05.273Z',
    });
    expect(event!.providerEventId).toMatch(/^Bounce:\d+$/);
  });

  it('keeps a bounce ID beyond 2^53 digit for digit when reading the body text (as the handler does)', () => {
    const text = JSON.stringify(withId('postmark-bounce'));
    const [event] = parseWebhookBody('postmark', text.replace(/"ID":\d+/, '"ID":4323372036854775807'));
    expect(event!.providerEventId).toBe('Bounce:4323372036854775807');
  });

  it('maps bounce Types and the other RecordTypes as anymail does', () => {
    const bounce = (Type: string) => ({ RecordType: 'Bounce', Type, MessageID: 'm', Email: 'a@example.com' });
    const mapped = parsePostmarkEvents([bounce('Transient'), bounce('SoftBounce'), bounce('BadEmailAddress'), bounce('Blocked'), bounce('SpamNotification'), bounce('AutoResponder'), bounce('SomethingNew')]);
    expect(mapped.map((event) => [event.eventType, event.rejectReason])).toEqual([
      ['deferred', undefined], ['bounced', 'bounced'], ['rejected', 'invalid'], ['rejected', 'blocked'], ['complained', 'spam'], ['unknown', undefined], ['bounced', 'other'],
    ]);
    const others = parsePostmarkEvents([
      { RecordType: 'SpamComplaint', Type: 'SpamComplaint', MessageID: 'm', Email: 'a@example.com', BouncedAt: '2026-11-28T10:00:00Z' },
      { RecordType: 'Open', MessageID: 'm', Recipient: 'a@example.com', ReceivedAt: '2026-11-28T10:00:00Z' },
      { RecordType: 'Click', MessageID: 'm', Recipient: 'a@example.com', OriginalLink: 'https://example.com' },
      { RecordType: 'SubscriptionChange', MessageID: 'm', Recipient: 'a@example.com', SuppressSending: true, SuppressionReason: 'ManualSuppression', ChangedAt: '2026-11-28T10:00:00Z' },
      { RecordType: 'SubscriptionChange', MessageID: 'm', Recipient: 'a@example.com', SuppressSending: true, SuppressionReason: 'HardBounce' },
      { RecordType: 'SubscriptionChange', MessageID: 'm', Recipient: 'a@example.com', SuppressSending: false },
    ]);
    expect(others.map((event) => [event.eventType, event.rejectReason])).toEqual([
      ['complained', 'spam'], ['opened', undefined], ['clicked', undefined], ['unsubscribed', 'unsubscribed'], ['bounced', 'bounced'], ['unknown', undefined],
    ]);
  });
});

describe('SendGrid', () => {
  const events = parseSendgridEvents((fixture('sendgrid-batch').body as object[]).map((event) => JSON.parse(JSON.stringify(event).replaceAll('X_MESSAGE_ID', 'qBXgN4WzR0eJt6q2qvE3Kw'))));

  it('a batch: one event each, the X-Message-Id taken back out of sg_message_id, sg_event_id as event id', () => {
    expect(events.map((event) => [event.eventType, event.recipient, event.rejectReason])).toEqual([
      ['queued', 'camille@example.com', undefined],
      ['delivered', 'camille@example.com', undefined],
      ['bounced', 'nobody@example.com', 'bounced'],
      ['rejected', 'blocked@example.com', 'bounced'],
      ['deferred', 'later@example.com', undefined],
    ]);
    expect(new Set(events.map((event) => event.providerMessageId))).toEqual(new Set(['qBXgN4WzR0eJt6q2qvE3Kw']));
    expect(events[1]).toMatchObject({ providerEventId: 'rWVYmVk90MjZJ9iohOBa3w==', mtaResponse: '250 2.0.0 OK 1795860004 a1si1234567wrx.12 - gsmtp', timestamp: new Date(1795860004_000).toISOString(), tags: ['order'], metadata: { order: '1042' }, messageIdHeader: '<14c5d75ce93.dfd.64b469@ismtpd-555>' });
    expect(events[2]).toMatchObject({ mtaResponse: '5.1.1 550 5.1.1 The email account that you tried to reach does not exist.', description: 'Invalid Address' });
    expect(events[3]).toMatchObject({ description: 'Bounced Address' });
    expect(events[3]!.mtaResponse).toBeUndefined(); // dropped by SendGrid: no receiving server answered
  });

  it('normalizes sg_message_id in each documented form to the X-Message-Id', () => {
    expect(sendgridMessageId('LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0')).toBe('LRzXl_NHStOGhQ4kofSm_A');
    expect(sendgridMessageId('14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000')).toBe('14c5d75ce93.dfd.64b469');
    expect(sendgridMessageId('qBXgN4WzR0eJt6q2qvE3Kw.recvd-5d8f8bfb4-2tkcr-1-64F1A3B1-7.0')).toBe('qBXgN4WzR0eJt6q2qvE3Kw');
    expect(sendgridMessageId('qBXgN4WzR0eJt6q2qvE3Kw')).toBe('qBXgN4WzR0eJt6q2qvE3Kw');
  });

  it('a blocked bounce, a spam report, unsubscribes, engagement and unknown names', () => {
    const base = { email: 'a@example.com', timestamp: 1795860000, sg_message_id: 'abc.filter1' };
    const mapped = parseSendgridEvents([{ ...base, event: 'bounce', type: 'blocked', reason: '554 blocked' }, { ...base, event: 'dropped', reason: 'Unsubscribed Address' }, { ...base, event: 'dropped', reason: 'Invalid' }, { ...base, event: 'spamreport' }, { ...base, event: 'group_unsubscribe' }, { ...base, event: 'open' }, { ...base, event: 'click', url: 'https://x' }, { ...base, event: 'group_resubscribe' }]);
    expect(mapped.map((event) => [event.eventType, event.rejectReason])).toEqual([
      ['bounced', 'blocked'], ['rejected', 'unsubscribed'], ['rejected', 'invalid'], ['complained', 'spam'], ['unsubscribed', 'unsubscribed'], ['opened', undefined], ['clicked', undefined], ['unknown', undefined],
    ]);
  });

  it('refuses a body that is not an array of event objects', () => {
    expect(() => parseSendgridEvents(['x'])).toThrow(WebhookError);
  });
});

describe('Resend', () => {
  it('reads email.delivered: data.email_id, the one recipient, created_at of the event, tags and metadata from the X-Mailroom headers, an event id made from the body', () => {
    const [event] = parseResendEvents(fixture('resend-delivered').body);
    expect(event).toMatchObject({ eventType: 'delivered', provider: 'resend', providerMessageId: 'EMAIL_ID', recipient: 'camille@example.com', timestamp: '2026-11-28T10:00:04.126Z', tags: ['order'], metadata: { order: '1042' }, providerEventId: 'EMAIL_ID/email.delivered/2026-11-28T10:00:04.126Z' });
  });

  it('reads email.bounced: bounced/bounced, the message as description, the diagnostic code as MTA response', () => {
    const [event] = parseResendEvents(fixture('resend-bounced').body);
    expect(event).toMatchObject({ eventType: 'bounced', rejectReason: 'bounced', recipient: 'nobody@example.com', mtaResponse: 'smtp; 550 5.1.1 The email account that you tried to reach does not exist.' });
    expect(event!.description).toMatch(/hard bounce message/);
  });

  it('maps every email.* type; a suppressed bounce is blocked; several `to` leave the recipient unknown (Resend does not say which)', () => {
    const base = { created_at: '2026-11-28T10:00:00Z', data: { email_id: 'e', to: ['a@example.com'] } };
    const types = ['email.sent', 'email.delivery_delayed', 'email.complained', 'email.failed', 'email.suppressed', 'email.opened', 'email.clicked', 'email.scheduled', 'email.received'];
    expect(parseResendEvents(types.map((type) => ({ ...base, type }))).map((event) => [event.eventType, event.rejectReason])).toEqual([
      ['sent', undefined], ['deferred', undefined], ['complained', 'spam'], ['failed', undefined], ['rejected', 'blocked'], ['opened', undefined], ['clicked', undefined], ['queued', undefined], ['unknown', undefined],
    ]);
    const [suppressed] = parseResendEvents({ type: 'email.bounced', created_at: base.created_at, data: { email_id: 'e', to: ['a@example.com'], bounce: { type: 'Permanent', subType: 'Suppressed', message: "Resend has suppressed sending to this address because it is on the account-level suppression list." } } });
    expect(suppressed!.rejectReason).toBe('blocked');
    const [many] = parseResendEvents({ ...base, type: 'email.delivered', data: { email_id: 'e', to: ['a@example.com', 'b@example.com'] } });
    expect(many!.recipient).toBeUndefined();
  });
});

describe('SparkPost', () => {
  const events = parseSparkpostEvents(fixture('sparkpost-batch').body);

  it('unwraps msys batches, skips the ping, and names the transmission as the message', () => {
    expect(events.map((event) => [event.eventType, event.recipient, event.rejectReason, event.providerMessageId])).toEqual([
      ['delivered', 'camille@example.com', undefined, 'TRANSMISSION_ID'],
      ['bounced', 'nobody@example.com', 'invalid', 'TRANSMISSION_ID'],
      ['opened', 'camille@example.com', undefined, 'TRANSMISSION_ID'],
    ]);
    expect(events[0]).toMatchObject({ timestamp: new Date(1795860004_000).toISOString(), providerEventId: '92356927693813856', tags: ['order'], metadata: { order: '1042' } });
    expect(events[1]).toMatchObject({ mtaResponse: '550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown' });
    expect(parseSparkpostEvents([{ msys: {} }])).toEqual([]);
  });

  it('maps types and bounce classes as anymail does; some classes are not failures', () => {
    const event = (type: string, extra: object = {}) => ({ msys: { message_event: { type, rcpt_to: 'a@example.com', transmission_id: '1', timestamp: '1795860000', ...extra } } });
    const mapped = parseSparkpostEvents([event('injection'), event('delay', { bounce_class: '21' }), event('bounce', { bounce_class: '51' }), event('out_of_band', { bounce_class: '24' }), event('policy_rejection'), event('generation_failure'), event('spam_complaint'), event('list_unsubscribe'), event('bounce', { bounce_class: '60' }), event('bounce', { bounce_class: '90' })]);
    expect(mapped.map((one) => [one.eventType, one.rejectReason])).toEqual([
      ['queued', undefined], ['deferred', 'bounced'], ['bounced', 'spam'], ['bounced', 'timed_out'], ['rejected', 'blocked'], ['failed', undefined], ['complained', 'spam'], ['unsubscribed', 'unsubscribed'], ['unknown', 'other'], ['unsubscribed', 'unsubscribed'],
    ]);
  });

  it('refuses a batch whose events carry no msys object', () => {
    expect(() => parseSparkpostEvents([{ message_event: {} }])).toThrow(WebhookError);
  });
});
