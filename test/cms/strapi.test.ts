// A real Strapi 5 app (examples/strapi, without the admin panel) with mailroom as its email
// provider: the email service, sendTemplatedEmail, a mailroom template and users-permissions'
// forgot-password request must reach an SMTP server through mailroom (STARTTLS, AUTH), with the
// provider's defaultFrom / defaultReplyTo applied, and be written to mailroom's journal.
import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StrapiEmailProvider } from 'mailroom-js/strapi';
import type { ExampleApp } from './helpers/example-app.js';
import { bootStrapi, type StrapiApp, type StrapiInstance } from './helpers/strapi-app.js';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';

// The slice of Strapi's email service these tests use.
interface EmailService {
  send(options: Record<string, unknown>): Promise<{ id: string; messageId: string; adapter: string }>;
  sendTemplatedEmail(options: Record<string, unknown>, template: Record<string, string>, data: Record<string, unknown>): Promise<{ id: string }>;
}

const FROM = { address: 'shop@example.com', name: 'Example Shop' };
const WEBHOOK_KEY = randomBytes(24).toString('hex');
const BREVO_SECRET = `brevo:${randomBytes(12).toString('hex')}`;
const REPLY_TO = { address: 'support@example.com', name: 'Example Support' };

let sink: SmtpSink;
let cms: StrapiApp;
let app: ExampleApp;
let strapi: StrapiInstance;
let provider: StrapiEmailProvider;
let emailService: EmailService;
let baseUrl: string;

beforeAll(async () => {
  sink = await startSmtpSink();
  cms = await bootStrapi(sink, { MAIL_FROM: `${FROM.name} <${FROM.address}>`, MAIL_REPLY_TO: `${REPLY_TO.name} <${REPLY_TO.address}>`, MAILGUN_WEBHOOK_SIGNING_KEY: WEBHOOK_KEY, BREVO_WEBHOOK_SECRET: BREVO_SECRET });
  ({ app, strapi, baseUrl } = cms);
  provider = strapi.plugin('email').provider as StrapiEmailProvider;
  emailService = strapi.plugin('email').service('email') as EmailService;
});

afterAll(async () => {
  await cms?.stop();
  await sink?.close();
});

describe('Strapi 5 with provider "mailroom-js/strapi"', () => {
  it('loaded mailroom as the email provider, with the admin settings hooks', async () => {
    // verify() waits for the chain, which a DSN builds in the background at startup.
    expect(typeof provider.send).toBe('function');
    await expect(provider.verify()).resolves.toBeUndefined();
    expect(provider.getCapabilities()).toMatchObject({ transport: { host: '127.0.0.1', port: sink.port, secure: true, pool: true }, adapters: ['smtp'] });
    expect(provider.isIdle()).toBe(true);
  });

  it('delivers the email service\'s send over STARTTLS with AUTH, applying defaultFrom and defaultReplyTo', async () => {
    const result = await emailService.send({ to: 'ann@example.org', subject: 'New comment', text: 'A reader left a comment.', replyTo: '' });
    const received = await sink.waitFor((m) => m.mail.subject === 'New comment');
    expect(received.secure).toBe(true);
    expect(received.user).toBe(sink.user);
    expect(received.mail.from?.value).toEqual([FROM]);
    expect(received.mail.replyTo?.value).toEqual([REPLY_TO]);
    expect(received.envelope).toEqual({ from: FROM.address, to: ['ann@example.org'] });
    expect(received.mail.messageId).toBe(result.messageId);
    const entry = await provider.mailer.journal.get(result.id);
    expect(entry).toMatchObject({ status: 'sent', adapter: 'smtp', summary: { subject: 'New comment', from: 'Example Shop <shop@example.com>' } });
    expect(JSON.stringify(entry)).not.toContain(sink.pass);
  });

  it('keeps a sender and reply-to the caller gives', async () => {
    await emailService.send({ to: 'ann@example.org', from: 'Night Desk <desk@example.com>', replyTo: 'night@example.com', subject: 'Own sender', text: 'x' });
    const received = await sink.waitFor((m) => m.mail.subject === 'Own sender');
    expect(received.mail.from?.value).toEqual([{ address: 'desk@example.com', name: 'Night Desk' }]);
    expect(received.mail.replyTo?.value).toEqual([{ address: 'night@example.com', name: '' }]);
  });

  it('delivers sendTemplatedEmail, rendered by Strapi, with the defaults applied', async () => {
    await emailService.sendTemplatedEmail(
      { to: 'ann@example.org' },
      { subject: 'Welcome <%= user.firstname %>', text: 'Hello <%= user.firstname %>, welcome aboard.', html: '<p>Hello <%= user.firstname %>, welcome aboard.</p>' },
      { user: { firstname: 'Ann' } },
    );
    const received = await sink.waitFor((m) => m.mail.subject === 'Welcome Ann');
    expect(received.mail.text?.trim()).toBe('Hello Ann, welcome aboard.');
    expect(received.mail.html).toContain('<p>Hello Ann, welcome aboard.</p>');
    expect(received.mail.from?.value).toEqual([FROM]);
    expect(received.mail.replyTo?.value).toEqual([REPLY_TO]);
  });

  it('renders a mailroom template given as `template: { name, data }`', async () => {
    const mailroomDir = dirname(createRequire(join(app.dir, 'package.json')).resolve('mailroom-js/package.json'));
    const data = JSON.parse(await readFile(join(mailroomDir, 'templates', 'order-confirmation.sample.json'), 'utf8')) as Record<string, unknown>;
    const result = await emailService.send({ to: 'camille.martin@example.com', template: { name: 'order-confirmation', data } });
    const received = await sink.waitFor((m) => m.mail.subject === 'Order 1042 confirmed');
    expect(received.mail.html).toContain('Camille Martin');
    expect(received.mail.text).toContain('1042');
    expect(received.mail.from?.value).toEqual([FROM]);
    const entry = await provider.mailer.journal.get(result.id);
    expect(entry?.summary.template).toBe('order-confirmation');
  });

  it('delivers users-permissions\' forgot-password email with defaultFrom and defaultReplyTo (it sends replyTo "")', async () => {
    const email = 'forgetful@example.org';
    await (strapi.plugin('users-permissions').service('user') as { add(values: Record<string, unknown>): Promise<unknown> }).add({
      username: 'forgetful', email, password: randomBytes(12).toString('base64'), provider: 'local', confirmed: true,
    });
    const response = await fetch(`${baseUrl}/api/auth/forgot-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });

    const received = await sink.waitFor((m) => m.envelope.to.includes(email));
    expect(received.mail.subject).toBe('Reset password');
    expect(received.mail.from?.value).toEqual([FROM]);
    expect(received.mail.replyTo?.value).toEqual([REPLY_TO]);
    const user = await strapi.db.query('plugin::users-permissions.user').findOne({ where: { email } });
    expect(typeof user?.resetPasswordToken).toBe('string');
    expect(received.mail.text).toContain(`code=${String(user?.resetPasswordToken)}`);

    const { entries } = await provider.mailer.journal.list({ to: email });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ status: 'sent', adapter: 'smtp', summary: { subject: 'Reset password', replyTo: ['Example Support <support@example.com>'] } });
  });

  it('answers 400 through the email plugin for a message mailroom refuses, and sends nothing', async () => {
    const before = sink.received.length;
    await expect(emailService.send({ to: 'not-an-address', subject: 'Bad', text: 'x' })).rejects.toMatchObject({ code: 'INVALID_MESSAGE', statusCode: 400 });
    expect(sink.received.length).toBe(before);
  });
});

describe('Strapi 5: what mailroom shows, keeps and closes', () => {
  it('reports the SMTP host and its TLS mode to the settings page, no credential', () => {
    const capabilities = provider.getCapabilities();
    expect(capabilities.endpoints).toEqual([{ adapter: 'smtp', host: '127.0.0.1', port: sink.port, tls: 'starttls', auth: 'password' }]);
    expect(capabilities.features).toEqual(['pool', 'requireTLS']);
    expect(JSON.stringify(capabilities)).not.toContain(sink.pass);
  });

  it('marks users-permissions\' reset mail sensitive: sent with a text part without tags, its code nowhere in the journal, no resend', async () => {
    const email = 'sensitive@example.org';
    await (strapi.plugin('users-permissions').service('user') as { add(values: Record<string, unknown>): Promise<unknown> }).add({
      username: 'sensitive', email, password: randomBytes(12).toString('base64'), provider: 'local', confirmed: true,
    });
    const response = await fetch(`${baseUrl}/api/auth/forgot-password`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
    expect(response.status).toBe(200);
    const received = await sink.waitFor((m) => m.envelope.to.includes(email));
    const user = await strapi.db.query('plugin::users-permissions.user').findOne({ where: { email } });
    const code = String(user?.resetPasswordToken);
    expect(received.mail.html).toContain(`code=${code}`);
    expect(received.mail.text).toContain(`code=${code}`);
    expect(received.mail.text).not.toMatch(/<p>|<\/p>/);

    const { entries } = await provider.mailer.journal.list({ to: email });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ status: 'sent', sensitive: true, summary: { subject: 'Reset password' } });
    expect(JSON.stringify(entries[0])).not.toContain(code);
    await expect(provider.mailer.journal.resend(entries[0]!.id)).rejects.toMatchObject({ code: 'CONFIG', remedy: expect.stringMatching(/new link/) });
  });

  it('hooked strapi.destroy(), so Strapi\'s shutdown closes the mailer (the provider was created with global.strapi set)', () => {
    expect((strapi.destroy as { name: string }).name).toBe('destroyAndCloseMail');
  });
});

describe('Strapi 5: provider delivery webhooks at /api/mailroom/webhooks/<provider>', () => {
  const mailgun = (messageId: string, event: string, key = WEBHOOK_KEY, token = randomBytes(25).toString('hex')) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', key).update(timestamp + token).digest('hex');
    // Mailgun sends the Message-ID header without its angle brackets.
    return JSON.stringify({
      signature: { token, timestamp, signature },
      'event-data': { event, ...(event === 'failed' ? { severity: 'permanent', reason: 'bounce' } : {}), id: randomBytes(8).toString('hex'), timestamp: Date.now() / 1000, recipient: 'ann@example.org', message: { headers: { 'message-id': messageId.replace(/^<|>$/g, '') } }, 'delivery-status': { code: event === 'failed' ? 550 : 250, message: event === 'failed' ? '5.1.1 no such user' : 'OK' } },
    });
  };
  const post = (provider: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${baseUrl}/api/mailroom/webhooks/${provider}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('records a signed Mailgun webhook on the journal entry of a message Strapi sent; a forged one is 401 and changes nothing', async () => {
    const sent = await emailService.send({ to: 'ann@example.org', subject: 'Webhook target', text: 'x' });
    const delivered = await post('mailgun', mailgun(sent.messageId, 'delivered'));
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toEqual({ ok: true, events: 1 });
    const forged = await post('mailgun', mailgun(sent.messageId, 'failed', 'not the signing key'));
    expect(forged.status).toBe(401);
    const entry = await provider.mailer.journal.get(sent.id);
    expect(entry?.delivery?.events.map((event) => [event.provider, event.eventType, event.recipient])).toEqual([['mailgun', 'delivered', 'ann@example.org']]);
    expect(entry?.delivery?.recipients['ann@example.org']?.state).toBe('delivered');
    const bounced = await post('mailgun', mailgun(sent.messageId, 'failed'));
    expect(bounced.status).toBe(200);
    expect((await provider.mailer.journal.get(sent.id))?.delivery?.states).toEqual(['bounced']);
  });

  it('checks the shared secret of an unsigned provider (Brevo basic auth), and answers 404 for one not configured', async () => {
    const sent = await emailService.send({ to: 'ann@example.org', subject: 'Brevo webhook target', text: 'x' });
    const event = JSON.stringify({ event: 'delivered', email: 'ann@example.org', 'message-id': sent.messageId, ts_epoch: Date.now() });
    const refused = await post('brevo', event, { authorization: `Basic ${Buffer.from('brevo:wrong').toString('base64')}` });
    expect(refused.status).toBe(401);
    const accepted = await post('brevo', event, { authorization: `Basic ${Buffer.from(BREVO_SECRET).toString('base64')}` });
    expect(accepted.status).toBe(200);
    expect((await provider.mailer.journal.get(sent.id))?.delivery?.states).toEqual(['delivered']);
    expect((await post('ses', '{}')).status).toBe(404);
  });
});
