// A real Payload 3 (no Next.js) booted from examples/payload with mailroom as its email adapter:
// payload.sendEmail and Payload's own forgot-password email must reach an SMTP server through
// mailroom (STARTTLS, AUTH) and be written to mailroom's journal.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Payload } from 'payload';
import { mailroomAdapter, mailroomEmail, type MailroomPayloadEmail } from 'mailroom-js/payload';
import { copyExample, type ExampleApp } from './helpers/example-app.js';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';

let sink: SmtpSink;
let app: ExampleApp;
let journalDir: string;
let payload: Payload;
let email: MailroomPayloadEmail;
const WEBHOOK_KEY = randomBytes(24).toString('hex');

beforeAll(async () => {
  sink = await startSmtpSink();
  app = await copyExample('payload');
  journalDir = await mkdtemp(join(tmpdir(), 'mailroom-payload-journal-'));
  Object.assign(process.env, {
    MAILROOM_DSN: sink.dsn,
    MAILROOM_JOURNAL: join(journalDir, 'journal.sqlite'),
    DATABASE_URL: ':memory:',
    PAYLOAD_SECRET: randomBytes(24).toString('base64'),
    SERVER_URL: 'http://cms.example.com',
    MAIL_FROM_ADDRESS: 'shop@example.com',
    MAIL_FROM_NAME: 'Example Shop',
    MAILGUN_WEBHOOK_SIGNING_KEY: WEBHOOK_KEY,
  });
  const { default: config } = (await import(pathToFileURL(join(app.dir, 'payload.config.js')).href)) as { default: unknown };
  const { getPayload } = (await import(pathToFileURL(join(app.dir, 'node_modules', 'payload', 'dist', 'index.js')).href)) as typeof import('payload');
  payload = await getPayload({ config: config as Parameters<typeof getPayload>[0]['config'], key: 'mailroom-payload-e2e' });
  email = mailroomEmail(payload);
});

afterAll(async () => {
  await email?.mailer.close();
  await payload?.destroy();
  await sink?.close();
  await app?.remove();
  if (journalDir) await rm(journalDir, { recursive: true, force: true });
});

describe('Payload 3 with mailroomAdapter', () => {
  it('is the email adapter Payload initialized, with the configured default sender', () => {
    expect(email.name).toBe('mailroom');
    expect(email.defaultFromAddress).toBe('shop@example.com');
    expect(email.defaultFromName).toBe('Example Shop');
  });

  it('delivers payload.sendEmail over STARTTLS with AUTH, fills the sender, and journals it', async () => {
    // Payload types the result as unknown; mailroom resolves its SendResult (typed through mailroomEmail).
    const sent = await payload.sendEmail({
      to: 'Ann Editor <ann@example.org>',
      subject: 'Draft ready for review',
      text: 'The draft "Spring sale" is ready.',
      html: '<p>The draft <b>Spring sale</b> is ready.</p>',
    });
    const [result] = (await email.mailer.journal.list({ to: 'ann@example.org', limit: 1 })).entries;
    expect(sent).toMatchObject({ id: result?.id, messageId: result?.messageId });

    const received = await sink.waitFor((m) => m.mail.subject === 'Draft ready for review');
    expect(received.secure).toBe(true);
    expect(received.user).toBe(sink.user);
    expect(received.envelope).toEqual({ from: 'shop@example.com', to: ['ann@example.org'] });
    expect(received.mail.from?.value).toEqual([{ address: 'shop@example.com', name: 'Example Shop' }]);
    expect(received.mail.text?.trim()).toBe('The draft "Spring sale" is ready.');
    expect(received.mail.messageId).toBe(result?.messageId);

    expect(sent).toMatchObject({ status: 'sent', adapter: 'smtp', accepted: ['ann@example.org'] });
    const entry = await email.mailer.journal.get(result!.id);
    expect(entry).toMatchObject({ status: 'sent', adapter: 'smtp', messageId: result?.messageId });
    expect(entry?.summary).toMatchObject({ from: 'Example Shop <shop@example.com>', to: ['Ann Editor <ann@example.org>'], subject: 'Draft ready for review' });
    expect(JSON.stringify(entry)).not.toContain(sink.pass);
  });

  it('mailroomEmail(payload).sendEmail renders a mailroom template and resolves a typed SendResult', async () => {
    const result = await mailroomEmail(payload).sendEmail({
      to: 'lea@example.org',
      template: { name: 'contact-form-receipt', data: { visitor: { name: 'Léa' }, message: 'Hello' }, locale: 'fr' },
    });
    const received = await sink.waitFor((m) => m.envelope.to.includes('lea@example.org'));
    expect(received.mail.subject).toMatch(/^Nous avons bien reçu votre message/);
    expect(result).toMatchObject({ status: 'sent', adapter: 'smtp', accepted: ['lea@example.org'] });
    expect(received.mail.messageId).toBe(result.messageId);
    expect((await email.mailer.journal.get(result.id))?.summary).toMatchObject({ template: 'contact-form-receipt' });
  });

  it.each([
    ['an object', { name: 'Night Desk', address: 'desk@example.com' }],
    ['a quoted string', '"Night Desk" <desk@example.com>'],
  ])('keeps a sender given as %s', async (label, from) => {
    const subject = `Sender as ${label}`;
    await payload.sendEmail({ from, to: 'ann@example.org', subject, text: 'x' });
    const received = await sink.waitFor((m) => m.mail.subject === subject);
    expect(received.mail.from?.value).toEqual([{ address: 'desk@example.com', name: 'Night Desk' }]);
    expect(received.envelope.from).toBe('desk@example.com');
  });

  it('delivers Payload\'s own forgot-password email through mailroom and journals it', async () => {
    const address = 'forgetful@example.org';
    await payload.create({ collection: 'users', data: { email: address, password: randomBytes(12).toString('base64') } });
    const token = await payload.forgotPassword({ collection: 'users', data: { email: address }, disableEmail: false });

    const received = await sink.waitFor((m) => m.envelope.to.includes(address));
    expect(received.mail.subject).toBe('Reset Your Password');
    expect(received.mail.from?.value).toEqual([{ address: 'shop@example.com', name: 'Example Shop' }]);
    expect(received.mail.html).toContain(`http://cms.example.com/admin/reset/${token}`);

    const { entries } = await email.mailer.journal.list({ to: address });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ status: 'sent', adapter: 'smtp', summary: { subject: 'Reset Your Password' } });
    expect(entries[0]?.messageId).toBe(received.mail.messageId);
  });

  it('refuses a message Payload cannot send, with the field named, and sends nothing', async () => {
    const before = sink.received.length;
    await expect(payload.sendEmail({ to: 'not-an-address', subject: 'Bad', text: 'x' })).rejects.toMatchObject({ code: 'INVALID_MESSAGE', field: 'to' });
    expect(sink.received.length).toBe(before);
  });
});

describe('Payload 3: what mailroom keeps and closes', () => {
  it('marks Payload\'s forgot-password mail sensitive: sent with a derived text part, its token nowhere in the journal, no resend', async () => {
    const address = 'sensitive@example.org';
    await payload.create({ collection: 'users', data: { email: address, password: randomBytes(12).toString('base64') } });
    const token = await payload.forgotPassword({ collection: 'users', data: { email: address }, disableEmail: false });
    const received = await sink.waitFor((m) => m.envelope.to.includes(address));
    expect(received.mail.text).toContain(`http://cms.example.com/admin/reset/${token}`);
    expect(received.mail.text).not.toMatch(/<a |<\/a>/);

    const { entries } = await email.mailer.journal.list({ to: address });
    expect(entries[0]).toMatchObject({ status: 'sent', sensitive: true });
    expect(JSON.stringify(entries[0])).not.toContain(String(token));
    await expect(email.mailer.journal.resend(entries[0]!.id)).rejects.toMatchObject({ code: 'CONFIG', remedy: expect.stringMatching(/new link/) });
  });

  it('payload.destroy() closes the mailer its adapter created: sends are refused after it, and the SMTP connection is gone', async () => {
    // A second Payload from a fresh copy of the config: its own adapter, its own mailer.
    const { default: config } = (await import(`${pathToFileURL(join(app.dir, 'payload.config.js')).href}?instance=destroy`)) as { default: unknown };
    const { getPayload } = (await import(pathToFileURL(join(app.dir, 'node_modules', 'payload', 'dist', 'index.js')).href)) as typeof import('payload');
    const second = await getPayload({ config: config as Parameters<typeof getPayload>[0]['config'], key: 'mailroom-payload-destroy' });
    const secondEmail = second.email as unknown as MailroomPayloadEmail;
    expect(secondEmail.mailer).not.toBe(email.mailer);
    await second.sendEmail({ to: 'ann@example.org', subject: 'Before destroy', text: 'x' });
    await second.destroy();
    await expect(secondEmail.mailer.send({ to: 'ann@example.org', subject: 'After destroy', text: 'x' })).rejects.toThrow(/after close\(\)/);
    // The first Payload's mailer is another one, still open.
    expect((await payload.sendEmail({ to: 'ann@example.org', subject: 'Other instance', text: 'x' }) as { status: string }).status).toBe('sent');
  });
});

// Compile-time check (tsc -p test/cms): mailroomAdapter fits Payload's own EmailAdapter type.
export const typeCheck: import('payload').EmailAdapter = mailroomAdapter({ dsn: 'memory://', defaultFromAddress: 'a@example.com', defaultFromName: 'A' });

describe('Payload 3: provider delivery webhooks (mailroomWebhooks endpoint)', () => {
  // Payload (without Next here) serves a root endpoint at /api + path by calling its handler with
  // the Web Request, to which it adds `payload` and `routeParams`: done here the same way.
  const call = async (provider: string, body: string) => {
    const endpoint = (payload.config.endpoints as unknown as { path: string; method: string; handler: (req: unknown) => Promise<Response> }[]).find((one) => one.path === '/mailroom/webhooks/:provider');
    expect(endpoint?.method).toBe('post');
    const request = new Request(`http://cms.example.com/api/mailroom/webhooks/${provider}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return endpoint!.handler(Object.assign(request, { payload, routeParams: { provider } }));
  };
  const mailgun = (messageId: string, key = WEBHOOK_KEY) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const token = randomBytes(25).toString('hex');
    return JSON.stringify({
      signature: { token, timestamp, signature: createHmac('sha256', key).update(timestamp + token).digest('hex') },
      'event-data': { event: 'delivered', id: token.slice(0, 12), timestamp: Date.now() / 1000, recipient: 'ann@example.org', message: { headers: { 'message-id': messageId.replace(/^<|>$/g, '') } } },
    });
  };

  it('records a signed Mailgun event on the entry of a message Payload sent; a forged one is 401', async () => {
    const sent = (await payload.sendEmail({ to: 'ann@example.org', subject: 'Payload webhook target', text: 'x' })) as { id: string; messageId: string };
    expect((await call('mailgun', mailgun(sent.messageId, 'wrong key'))).status).toBe(401);
    const response = await call('mailgun', mailgun(sent.messageId));
    expect(response.status).toBe(200);
    const entry = await email.mailer.journal.get(sent.id);
    expect(entry?.delivery?.recipients['ann@example.org']?.state).toBe('delivered');
    expect(entry?.delivery?.events).toHaveLength(1);
  });
});
