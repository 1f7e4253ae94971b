// What the CMSs show and log about mailroom: Strapi's settings page (it labels encryption from the
// provider's transport), an ALL_FAILED message that is useful on its own (Strapi's log prints only
// the message), failover events that always name the next adapter, `provider: 'mailroom-js'` in
// Strapi, and a text part for the html-only mails both CMSs send.
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brevoAdapter } from '../adapters/brevo.js';
import { memoryAdapter } from '../adapters/memory.js';
import { smtpAdapter } from '../adapters/smtp.js';
import { createMailer, MailError } from '../src/index.js';
import { mailroomAdapter } from '../src/integrations/payload.js';
import { init, type StrapiProviderCapabilities } from '../src/integrations/strapi.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { createTestTls, type TestTls } from './helpers/tls.js';

// Strapi 5's settings page (packages/core/email/admin/src/pages/Settings.tsx), as written there.
function strapiEncryptionLabel(capabilities: StrapiProviderCapabilities): string {
  const transport = capabilities.transport;
  return transport?.secure === true ? 'TLS' : transport?.port === 587 ? 'STARTTLS' : transport?.port === 465 ? 'TLS' : 'None';
}

async function capabilitiesFor(dsn: string): Promise<StrapiProviderCapabilities> {
  const provider = init({ dsn, journal: false }, {});
  await provider.mailer.adapters();
  const capabilities = provider.getCapabilities();
  await provider.close();
  return capabilities;
}

describe('Strapi\'s settings page', () => {
  it('shows STARTTLS, host and port for an SMTP adapter on 587, and no credential', async () => {
    const capabilities = await capabilitiesFor('smtp://ann%40corp.com:hunter2-secret@smtp.corp.example:587');
    expect(strapiEncryptionLabel(capabilities)).toBe('STARTTLS');
    expect(capabilities.transport).toMatchObject({ host: 'smtp.corp.example', port: 587, pool: true });
    expect(capabilities.auth).toEqual({ type: 'password' });
    expect(capabilities.features).toEqual(['pool', 'requireTLS']);
    expect(JSON.stringify(capabilities)).not.toMatch(/hunter2|ann%40corp|ann@corp/);
  });

  it('shows TLS for implicit TLS, STARTTLS on another port, or a chain that encrypts everywhere, with each adapter\'s host and mode', async () => {
    expect(strapiEncryptionLabel(await capabilitiesFor('smtps://u:p@smtp.corp.example:465'))).toBe('TLS');
    expect(strapiEncryptionLabel(await capabilitiesFor('smtp://u:p@smtp.corp.example:2525'))).toBe('TLS');
    const chain = await capabilitiesFor('failover(office365://ann%40corp.com:pw@default brevo+api://xkeysib-KEY@default)');
    expect(strapiEncryptionLabel(chain)).toBe('TLS');
    expect(chain.transport?.host).toBe('office365 smtp.office365.com:587 STARTTLS → brevo api.brevo.com HTTPS');
    expect(chain.auth).toEqual({ type: 'password → api-key' });
    expect(chain.endpoints).toEqual([
      { adapter: 'office365', host: 'smtp.office365.com', port: 587, tls: 'starttls', auth: 'password' },
      { adapter: 'brevo', host: 'api.brevo.com', tls: 'https', auth: 'api-key' },
    ]);
    expect(JSON.stringify(chain)).not.toContain('xkeysib-KEY');
  });

  it('says None only where the chain may really send in plaintext', async () => {
    const relay = await capabilitiesFor('smtp://relay.corp.local:25?requireTLS=false');
    expect(strapiEncryptionLabel(relay)).toBe('None');
    expect(relay.endpoints[0]).toMatchObject({ tls: 'starttls-optional', auth: 'none' });
  });
});

describe('an ALL_FAILED error', () => {
  let tls: TestTls;
  let smtp: TestSmtpServer;
  let closedPort: number;
  beforeAll(async () => {
    tls = await createTestTls();
    smtp = await startSmtpServer({ tls, users: { 'shop@example.com': 'right-password' } });
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
  });
  afterAll(async () => {
    await smtp?.close();
  });

  it('names each adapter with its host and TLS mode, once, with its last code, and ends with the last remedy', async () => {
    const mailer = createMailer({
      adapters: [
        smtpAdapter({ host: smtp.host, port: smtp.port, auth: { user: 'shop@example.com', pass: 'wrong-password-7' }, tls: { ca: tls.ca } }),
        brevoAdapter({ apiKey: 'xkeysib-test-key-9', baseUrl: `http://127.0.0.1:${closedPort}` }),
      ],
      journal: false,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
    });
    let error: MailError | undefined;
    try {
      await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 'x', text: 'x' });
    } catch (thrown) {
      error = thrown as MailError;
    }
    await mailer.close();
    expect(error?.code).toBe('ALL_FAILED');
    expect(error!.message).toContain(`smtp (127.0.0.1:${smtp.port} STARTTLS): AUTH`);
    expect(error!.message).toContain(`brevo (127.0.0.1:${closedPort} no TLS): TRANSIENT after 2 attempts`);
    expect(error!.message.match(/brevo \(/g)).toHaveLength(1);
    expect(error!.remedy).toBeTruthy();
    expect(error!.message).toContain(`Last remedy: ${error!.remedy}`);
    expect(error!.message).not.toMatch(/wrong-password-7|xkeysib-test-key-9/);
  });
});

describe('the failover event', () => {
  const message = { from: 'shop@example.com', to: 'ann@example.com', subject: 'x', text: 'x', attachments: [{ filename: 'a.txt', content: 'a' }] };

  it('is not emitted after the last adapter (the failed event says it), and always names the adapter tried next', async () => {
    const events: Array<{ from: string; to: string }> = [];
    const alone = createMailer({ adapters: [scriptedAdapter('a', [{ fail: 'AUTH' }])], journal: false });
    alone.on('failover', ({ from, to }) => events.push({ from, to }));
    await expect(alone.send(message)).rejects.toThrow();
    expect(events).toEqual([]);

    // b cannot carry attachments: it is skipped, so the failover goes from a to c.
    const chain = createMailer({
      adapters: [scriptedAdapter('a', [{ fail: 'AUTH' }]), scriptedAdapter('b', ['ok'], { attachments: false }), scriptedAdapter('c', [{ fail: 'TRANSIENT' }]), scriptedAdapter('d', ['ok'])],
      journal: false,
      retry: { attempts: 1 },
    });
    chain.on('failover', ({ from, to }) => events.push({ from, to }));
    await chain.send(message);
    expect(events).toEqual([{ from: 'a', to: 'c' }, { from: 'c', to: 'd' }]);
  });
});

describe('provider: \'mailroom-js\' in Strapi', () => {
  it('works: Strapi require()s the package main and finds the same init as mailroom-js/strapi', () => {
    // What @strapi/email's bootstrap does with a provider name that is no @strapi/provider-email-*.
    const script = `
      const main = require('mailroom-js');
      const provider = main.init({ dsn: 'memory://', journal: false }, {});
      process.stdout.write([typeof main.init, main.init === require('mailroom-js/strapi').init, typeof provider.send].join(' '));
    `;
    const run = spawnSync(process.execPath, ['-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test' } });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.stdout).toBe('function true function');
  });
});

describe('html-only mail from the CMSs gets a text part', () => {
  const payloadReset = `You are receiving this because you (or someone else) have requested the reset of the password for your account. Please click on the following link, or paste this into your browser to complete the process:\n    <a href="http://cms.example.com/admin/reset/abc">http://cms.example.com/admin/reset/abc</a>\n    If you did not request this, please ignore this email and your password will remain unchanged.`;

  it('Payload: sendEmail({ html }) is sent with a text part derived from the html', async () => {
    const memory = memoryAdapter();
    const email = mailroomAdapter({ adapters: [memory], journal: false, defaultFromAddress: 'shop@example.com', defaultFromName: 'Shop' })({ payload: {} });
    await email.sendEmail({ to: 'ann@example.org', subject: 'Reset your password', html: payloadReset });
    const sent = memory.messages[0]!;
    expect(sent.html).toBe(payloadReset);
    expect(sent.text).toContain('http://cms.example.com/admin/reset/abc');
    expect(sent.text).toContain('please ignore this email');
    expect(sent.text).not.toMatch(/<a |<\/a>/);
  });

  it('Strapi: html passed as text (users-permissions sends its html template as both) is not sent as text', async () => {
    const memory = memoryAdapter();
    const provider = init({ adapters: [memory], journal: false }, { defaultFrom: 'shop@example.com' });
    const body = '<p>We heard that you lost your password. Sorry about that!</p>\n<p>http://cms.example.com/reset-password?code=abc</p>';
    await provider.send({ to: 'ann@example.org', subject: 'Reset password', text: body, html: body });
    await provider.send({ to: 'ann@example.org', subject: 'Only text, but html', text: body });
    for (const sent of memory.messages) {
      expect(sent.html).toBe(body);
      expect(sent.text).toContain('We heard that you lost your password.');
      expect(sent.text).not.toContain('<p>');
    }
  });

  it('leaves real text alone, "<3" and "a < b" included', async () => {
    const memory = memoryAdapter();
    const provider = init({ adapters: [memory], journal: false }, { defaultFrom: 'shop@example.com' });
    await provider.send({ to: 'ann@example.org', subject: 'x', text: 'Thanks <3, and 2 < 3 > 1', html: '<p>Thanks</p>' });
    expect(memory.messages[0]).toMatchObject({ text: 'Thanks <3, and 2 < 3 > 1', html: '<p>Thanks</p>' });
  });
});
