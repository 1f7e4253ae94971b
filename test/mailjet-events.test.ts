// Mailjet delivery events back into the journal, end to end: a message to several recipients sent
// through the local Send API v3.1 (each recipient gets its own MessageID above 2^53 and its own
// MessageUUID), then Mailjet's Event API posts for each recipient reach the webhook handler on a
// real HTTP server, once with the raw body and once behind a JSON body parser (what express.json()
// does), which rounds MessageID. Both must find the entry, for every recipient.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAILJET_CAPABILITIES, mailjetAdapter } from '../adapters/mailjet.js';
import { createMailer, type Mailer } from '../src/core/mailer.js';
import { createWebhookHandler, toNodeListener } from '../src/events/index.js';
import { startMailjetServer, type MailjetServer } from './providers/mailjet.js';

const KEY = 'mj-public-key-0123';
const SECRET = 'mj-secret-key-4567';
const HOOK_SECRET = 'hook:pass-0123456789';
const ORDER = { from: 'Shop <shop@example.com>', to: ['camille@example.com', 'nobody@example.com'], cc: ['desk@example.com'], subject: 'Order 1042 confirmed', text: 'Thank you for your order.' };

/** An app's JSON body parser in front of the handler: JSON.parse, as express.json() does, then our listener. */
// Posts a Mailjet body to the webhook handler behind a Node server (parsing the body first when
// `parse`, as express.json() does); resolves the handler's counts once its journal writes settled.
async function postEvents(mailer: Mailer, body: string, parse: boolean): Promise<ReturnType<ReturnType<typeof createWebhookHandler>['stats']>> {
  const handler = createWebhookHandler({ mailer, mailjet: { secret: HOOK_SECRET }, parkedRetryMs: 0 });
  const app = await parsingServer(toNodeListener(handler, 'mailjet'), parse);
  try {
    const response = await fetch(`${app.url}/api/mailroom/webhooks/mailjet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(HOOK_SECRET).toString('base64')}` },
      body,
    });
    expect(response.status).toBe(200);
    await handler.settled();
    return handler.stats();
  } finally {
    handler.close();
    await app.close();
  }
}

function parsingServer(listener: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>, parse: boolean): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (!parse) return void listener(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      Object.assign(req, { body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      void listener(req, res);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  })));
}

describe('Mailjet events find their journal entry for every recipient, with or without a body parser in front', () => {
  let dir: string;
  let server: MailjetServer;
  let mailer: Mailer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailroom-mailjet-events-'));
    server = await startMailjetServer(KEY, SECRET);
    mailer = createMailer({ adapters: [mailjetAdapter({ apiKey: KEY, secretKey: SECRET, baseUrl: server.url })], journal: join(dir, 'journal.sqlite') });
  });
  afterAll(async () => {
    await mailer.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const parse of [false, true]) {
    it(parse ? 'behind a JSON body parser (MessageID rounded): matched by Message_GUID' : 'raw body: every recipient, not only the first', async () => {
      const sent = await mailer.send(ORDER);
      const ids = (address: string) => server.issued.get(address)!;
      // The ids are beyond 2^53: a double cannot hold them, so a parser changes them.
      expect(String(Number(ids('nobody@example.com').MessageID))).not.toBe(ids('nobody@example.com').MessageID);
      const event = (address: string, fields: Record<string, unknown>) =>
        `{"event":"${fields.event}","time":${fields.time},"MessageID":${ids(address).MessageID},"Message_GUID":"${ids(address).MessageUUID}","email":"${address}","mj_campaign_id":7257,"mj_contact_id":4,"customcampaign":"","CustomID":"","Payload":""${fields.extra ?? ''}}`;
      // Mailjet's grouped form: one array, the events of the last second (Event API guide).
      const body = `[${[
        event('camille@example.com', { event: 'sent', time: 1795860004, extra: ',"smtp_reply":"sent (250 2.0.0 OK)"' }),
        event('nobody@example.com', { event: 'bounce', time: 1795860005, extra: ',"blocked":false,"hard_bounce":true,"error_related_to":"recipient","error":"user unknown","comment":""' }),
        event('desk@example.com', { event: 'sent', time: 1795860006 }),
      ].join(',')}]`;
      expect(await postEvents(mailer, body, parse)).toMatchObject({ recorded: 3, unmatched: 0 });
      const entry = (await mailer.journal.get(sent.id))!;
      expect(Object.fromEntries(Object.entries(entry.delivery!.recipients).map(([address, one]) => [address, one.state]))).toEqual({
        'camille@example.com': 'delivered',
        'nobody@example.com': 'bounced',
        'desk@example.com': 'delivered',
      });
      expect(entry.delivery!.events.map((one) => one.journalId)).toEqual([sent.id, sent.id, sent.id]);
    });
  }
});

// An entry journaled before each recipient's ids were kept holds the first recipient's MessageID
// alone. Events name the message by Message_GUID first, which that entry never indexed: they were
// parked, unmatched, and dropped after 7 days, for every message sent before the upgrade.
describe('Mailjet events for an entry journaled with its MessageID only', () => {
  const MESSAGE_ID = '1152921504606846977';
  const GUID = '1ab23cd4-e567-8901-2345-6789f0ab1c2d';
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailroom-mailjet-older-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const post = async (mailer: Mailer, guid: string) => {
    const body = `[{"event":"bounce","time":1795860005,"MessageID":${MESSAGE_ID},"Message_GUID":"${guid}","email":"ann@example.com","mj_campaign_id":7257,"mj_contact_id":4,"customcampaign":"","CustomID":"","Payload":"","blocked":false,"hard_bounce":true,"error_related_to":"recipient","error":"user unknown","comment":""}]`;
    return postEvents(mailer, body, false);
  };
  // A send whose receipt names one provider id and no other, as every Mailjet receipt did.
  const sender = (refs?: string[]) => ({
    name: 'mailjet',
    capabilities: MAILJET_CAPABILITIES,
    send: async (message: { to: { address: string }[] }) => ({ providerMessageId: MESSAGE_ID, ...(refs ? { providerRefs: refs } : {}), accepted: message.to.map((one) => one.address), rejected: [] }),
  });

  it('is found by the MessageID beside the GUID', async () => {
    const mailer = createMailer({ adapters: [sender() as never], journal: join(dir, 'older.sqlite') });
    try {
      const sent = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 'Order 1042', text: 'x' });
      expect(await post(mailer, GUID)).toMatchObject({ recorded: 1, unmatched: 0 });
      expect((await mailer.journal.get(sent.id))!.delivery!.recipients['ann@example.com']!.state).toBe('bounced');
    } finally {
      await mailer.close();
    }
  });

  it('an entry that holds its GUIDs is not taken by MessageID for another GUID (a rounded id may be a neighbour\'s)', async () => {
    const mailer = createMailer({ adapters: [sender([MESSAGE_ID, GUID]) as never], journal: join(dir, 'newer.sqlite') });
    try {
      const sent = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 'Order 1043', text: 'x' });
      expect(await post(mailer, '99999999-0000-1111-2222-333333333333')).toMatchObject({ recorded: 0, unmatched: 1 });
      expect((await mailer.journal.get(sent.id))!.delivery).toBeUndefined();
    } finally {
      await mailer.close();
    }
  });
});
