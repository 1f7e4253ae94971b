// A key named "__proto__" in input read as a map (a DSN's query, a webhook's metadata, an event's
// recipient, a CMS message's headers) is kept as that key (src/core/own-field.ts), so it is refused
// or carried like any other, never lost to an assignment that sets an object's prototype instead.
import { describe, expect, it } from 'vitest';
import { adaptersFromDsn } from '../src/core/dsn.js';
import { normalizeMessage } from '../src/core/message.js';
import { parseMailgunEvents, parseSendgridEvents, parseSesRecord } from '../src/events/index.js';
import type { TrackingEvent } from '../src/events/types.js';
import { toMailMessage } from '../src/integrations/cms-message.js';
import { applyEvents, emptyDelivery } from '../src/journal/delivery-state.js';

// As a JSON body arrives: JSON.parse makes "__proto__" an own key.
const parsed = <T>(json: string): T => JSON.parse(json) as T;

describe('a "__proto__" key', () => {
  it('in a DSN query is refused as an option no adapter uses', async () => {
    await expect(adaptersFromDsn('mailgun+api://KEY:example.com@default?__proto__=eu')).rejects.toThrow(/has "__proto__", which this adapter does not use/);
    await expect(adaptersFromDsn('memory://?__proto__=1')).rejects.toThrow(/"__proto__"/);
  });

  it('in webhook metadata is carried as a key (SendGrid custom args, Mailgun user-variables, SES tags)', () => {
    const [sendgrid] = parseSendgridEvents(parsed(`[{"event":"delivered","email":"a@example.com","timestamp":1795860000,"sg_message_id":"abc.filter1","__proto__":"x1","order":"7"}]`));
    expect(Object.getPrototypeOf(sendgrid!.metadata)).toBe(Object.prototype);
    expect(Object.entries(sendgrid!.metadata)).toEqual(expect.arrayContaining([['__proto__', 'x1'], ['order', '7']]));
    const [mailgun] = parseMailgunEvents(parsed(`{"event-data":{"event":"delivered","id":"e1","timestamp":1795860000,"recipient":"a@example.com","message":{"headers":{"message-id":"m1@example.com"}},"user-variables":{"__proto__":"x2"}}}`));
    expect(Object.entries(mailgun!.metadata ?? {})).toEqual([['__proto__', 'x2']]);
    const [ses] = parseSesRecord(parsed(`{"eventType":"Delivery","mail":{"messageId":"M","destination":["a@example.com"],"timestamp":"2026-11-28T10:00:00Z","tags":{"__proto__":["x3"],"tag-order":["true"]}},"delivery":{"recipients":["a@example.com"],"timestamp":"2026-11-28T10:00:01Z","smtpResponse":"250 ok"}}`));
    expect(ses).toMatchObject({ tags: ['order'] });
    expect(Object.entries(ses!.metadata ?? {})).toEqual([['__proto__', 'x3']]);
  });

  it('as a CMS message\'s header reaches the message checks, which refuse it', () => {
    const message = toMailMessage(parsed(`{"to":"a@example.com","from":"shop@example.com","subject":"Hi","text":"Hi","headers":{"__proto__":"x"}}`));
    expect(Object.keys(message.headers ?? {})).toEqual(['__proto__']);
    expect(() => normalizeMessage(message)).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE', field: 'headers.__proto__' }));
  });

  it('as an event\'s recipient is recorded as one, beside the others', () => {
    const delivery = emptyDelivery();
    const event = (recipient: string, eventType: TrackingEvent['eventType'], id: string): TrackingEvent => ({ eventType, provider: 'mailgun', recipient, timestamp: '2026-11-28T10:00:00.000Z', tags: [], metadata: {}, providerEventId: id, raw: {} });
    applyEvents(delivery, [event('__proto__', 'bounced', 'e1'), event('a@example.com', 'delivered', 'e2'), event('__proto__', 'deferred', 'e3')]);
    expect(Object.getPrototypeOf(delivery.recipients)).toBe(Object.prototype);
    expect(delivery.states).toEqual(expect.arrayContaining(['bounced', 'delivered']));
    const stored = JSON.parse(JSON.stringify(delivery)) as typeof delivery;
    expect(Object.entries(stored.recipients).map(([who, one]) => [who, one.state])).toEqual([['__proto__', 'bounced'], ['a@example.com', 'delivered']]);
  });
});
