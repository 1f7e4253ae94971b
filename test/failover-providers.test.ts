// A real failover chain across three providers, configured by DSN through createMailer: Brevo
// answers 429, Mailgun 500, SES (aws-ses-v2-local) delivers, and the journal keeps all three attempts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../src/core/mailer.js';
import { brevoAdapter } from '../adapters/brevo.js';
import { fitToCapabilities, MESSAGES } from './conformance.js';
import { BREVO_ERRORS, startBrevoServer, type BrevoServer } from './providers/brevo.js';
import { MAILGUN_ERRORS, startMailgunServer } from './providers/mailgun.js';
import type { ProviderServer } from './providers/server.js';
import { startSesServer, type SesTestServer } from './providers/ses.js';

const BREVO_KEY = 'xkeysib-failover-0123456789';
const MAILGUN_KEY = 'key-failover-0123456789abcdef';
const AWS = { id: 'AKIAFAILOVEREXAMPLE', secret: 'failoverSecretKeyEXAMPLE0123456789' };

describe('failover(brevo mailgun ses)', () => {
  let brevo: BrevoServer;
  let mailgun: ProviderServer;
  let ses: SesTestServer;
  beforeAll(async () => {
    [brevo, mailgun, ses] = await Promise.all([startBrevoServer(BREVO_KEY), startMailgunServer(MAILGUN_KEY, ['mg.example.com']), startSesServer({ credentials: { accessKeyId: AWS.id, secretAccessKey: AWS.secret }, region: 'eu-west-1' })]);
  });
  afterAll(async () => {
    await Promise.all([brevo?.close(), mailgun?.close(), ses?.close()]);
  });

  it('delivers through SES after Brevo 429 and Mailgun 500, and journals every attempt with its code', async () => {
    const local = (server: { port: number }) => `127.0.0.1:${server.port}`;
    const dsn = `failover(brevo+api://${BREVO_KEY}@${local(brevo)}?insecure=true `
      + `mailgun+api://${MAILGUN_KEY}:mg.example.com@${local(mailgun)}?insecure=true `
      + `ses+api://${AWS.id}:${AWS.secret}@${local(ses)}?insecure=true&region=eu-west-1)`;
    const mailer = createMailer({ dsn, journal: { store: 'memory://' }, retry: { attempts: 1 } });
    const failovers: string[] = [];
    mailer.on('failover', (...args: unknown[]) => failovers.push(JSON.stringify(args).slice(0, 200)));
    brevo.script(BREVO_ERRORS.rateLimited);
    mailgun.script(MAILGUN_ERRORS.serverError);

    // Everything Brevo can carry (all but the inline image), so its turn is a real attempt.
    const result = await mailer.send(fitToCapabilities(MESSAGES.full!, brevoAdapter({ apiKey: 'capabilities-only' })));
    expect(result.adapter).toBe('ses');
    expect(result.providerMessageId).toMatch(/^ses-\d+$/);
    expect(result.attempts.map((a) => [a.adapter, a.ok, a.error?.code, a.error?.status])).toEqual([
      ['brevo', false, 'RATE_LIMITED', 429],
      ['mailgun', false, 'TRANSIENT', 500],
      ['ses', true, undefined, undefined],
    ]);
    expect(failovers.length).toBeGreaterThanOrEqual(2);

    const entry = await mailer.journal.get(result.id);
    expect(entry?.status).toBe('sent');
    expect(entry?.adapter).toBe('ses');
    expect(entry?.providerMessageId).toBe(result.providerMessageId);
    expect(entry?.attempts.map((a) => [a.adapter, a.ok, a.error?.code])).toEqual([
      ['brevo', false, 'RATE_LIMITED'],
      ['mailgun', false, 'TRANSIENT'],
      ['ses', true, undefined],
    ]);
    expect(entry?.attempts[0]?.error?.message).toContain('429 Too Many Requests: The expected rate limit is exceeded.');
    expect(entry?.attempts[1]?.error?.message).toContain('500 Internal Server Error: Internal Server Error');
    const journaled = JSON.stringify(entry);
    for (const secret of [BREVO_KEY, MAILGUN_KEY, AWS.secret]) expect(journaled).not.toContain(secret);

    // Each provider saw exactly one send; only SES delivered.
    expect(brevo.requests.filter((r) => r.path === '/v3/smtp/email')).toHaveLength(1);
    expect(mailgun.requests.filter((r) => r.path.endsWith('/messages'))).toHaveLength(1);
    expect((await ses.store()).filter((e) => e.messageId === result.providerMessageId)).toHaveLength(1);
    await mailer.close();
  });

  it('an internationalized domain goes through Brevo in punycode; a Unicode local part skips Brevo (UNSUPPORTED, no request) for a transport that carries it', async () => {
    const local = (server: { port: number }) => `127.0.0.1:${server.port}`;
    const mailer = createMailer({ dsn: `failover(brevo+api://${BREVO_KEY}@${local(brevo)}?insecure=true memory://)`, journal: false, retry: { attempts: 1 } });
    const before = brevo.requests.length;
    const idn = await mailer.send({ from: 'shop@bücher.example', to: 'pierre@café.example', subject: 'Commande', text: 'Merci.' });
    expect(idn.adapter).toBe('brevo');
    expect(idn.accepted).toEqual(['pierre@café.example']);
    expect((brevo.requests.at(-1)!.json as { to: { email: string }[] }).to).toEqual([{ email: 'pierre@xn--caf-dma.example' }]);

    const eai = await mailer.send({ from: 'shop@example.com', to: 'pierre.müller@example.com', subject: 'Commande', text: 'Merci.' });
    expect(eai.adapter).toBe('memory');
    expect(eai.attempts[0]).toMatchObject({ adapter: 'brevo', ok: false, durationMs: 0, error: { code: 'UNSUPPORTED' } });
    expect(eai.attempts[0]!.error!.message).toMatch(/pierre\.müller@example\.com.*SMTPUTF8/);
    expect(brevo.requests.length - before).toBe(1);
    await mailer.close();
  });

  it('a message without a subject skips Brevo and SendGrid (UNSUPPORTED, no request), whose 400 would have stopped the chain', async () => {
    const { startSendgridServer } = await import('./providers/sendgrid.js');
    const sendgrid = await startSendgridServer('SG.failover-0123456789');
    const local = (server: { port: number }) => `127.0.0.1:${server.port}`;
    const mailer = createMailer({
      dsn: `failover(brevo+api://${BREVO_KEY}@${local(brevo)}?insecure=true sendgrid+api://SG.failover-0123456789@${local(sendgrid)}?insecure=true memory://)`,
      journal: false,
      retry: { attempts: 1 },
    });
    try {
      const brevoBefore = brevo.requests.length;
      // Before, Brevo answered 400 "subject is missing" (REJECTED): the chain stopped and nothing was sent.
      const result = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', text: 'Your message was received.' });
      expect(result.adapter).toBe('memory');
      expect(result.attempts.map((a) => [a.adapter, a.error?.code])).toEqual([['brevo', 'UNSUPPORTED'], ['sendgrid', 'UNSUPPORTED'], ['memory', undefined]]);
      expect(result.attempts[0]!.error!.message).toContain('it requires a subject, the message has none');
      expect(brevo.requests.length).toBe(brevoBefore);
      expect(sendgrid.requests).toHaveLength(0);
      // With a subject, Brevo takes it as before.
      expect((await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 'Received', text: 'x' })).adapter).toBe('brevo');
    } finally {
      await mailer.close();
      await sendgrid.close();
    }
  });
});
