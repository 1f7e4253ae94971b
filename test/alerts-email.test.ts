// Alerts by email, delivered to a real SMTP server (STARTTLS + AUTH) on loopback: through the
// mailer's chain without the adapter that failed, or through the channel's own DSN chain; never
// through a failing adapter, even when that leaves no adapter at all.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { smtpAdapter } from '../adapters/smtp.js';
import { createMailer, type MailerOptions } from '../src/core/mailer.js';
import { manualClock } from './helpers/alert-receiver.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { createTestTls, type TestTls } from './helpers/tls.js';

const USER = 'shop@example.com';
const PASSWORD = 'smtp-Passw0rd-alerts';
let tls: TestTls;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  tls = await createTestTls();
});
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function server(options: Parameters<typeof startSmtpServer>[0] = { users: { [USER]: PASSWORD } }): Promise<TestSmtpServer> {
  const started = await startSmtpServer({ tls, ...options });
  open.push(started);
  return started;
}

function mailer(options: MailerOptions) {
  const created = createMailer({ journal: false, retry: { attempts: 1 }, from: USER, ...options });
  open.push(created);
  return created;
}

const message = { to: 'camille@example.org', subject: 'Order 1042', text: 'Thank you' };
const headers = (raw: Buffer) => raw.toString('utf8').split(/\r?\n\r?\n/)[0]!;
// The text part as sent (quoted-printable: soft line breaks and =XX escapes undone).
const body = (raw: Buffer) =>
  Buffer.from(raw.toString('utf8').split(/\r?\n\r?\n/).slice(1).join('\n\n').replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8').replace(/\r\n/g, '\n');

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((done) => setTimeout(done, 20));
  }
}

describe('email alerts', () => {
  it('a failover alert goes through the rest of the chain (the SMTP adapter), never through the adapter that failed', async () => {
    const smtp = await server();
    const primary = scriptedAdapter('primary', [{ fail: 'AUTH' }]);
    const backup = smtpAdapter({ host: 'localhost', port: smtp.port, auth: { user: USER, pass: PASSWORD }, tls: { ca: tls.ca } });
    const sender = mailer({ adapters: [primary, backup], alerts: { site: 'shop.test', clock: manualClock(), channels: [{ type: 'email', to: ['ops@example.com', 'owner@example.com'] }] } });
    const result = await sender.send(message);
    expect(result.adapter).toBe('smtp');
    await until(() => smtp.messages.length === 2);
    // The order confirmation and the alert, both through smtp; primary saw only the order.
    expect(primary.calls).toHaveLength(1);
    const alert = smtp.messages.find((received) => received.to.includes('ops@example.com'))!;
    expect(alert.to).toEqual(['ops@example.com', 'owner@example.com']);
    expect(alert.user).toBe(USER);
    expect(alert.secure).toBe(true);
    expect(headers(alert.raw)).toMatch(/^Subject: \[shop\.test\] primary failed, smtp took over$/m);
    const text = body(alert.raw);
    expect(text).toContain('primary failed with AUTH; the message went on to smtp.');
    expect(text).toMatch(/^Failed adapter: +primary$/m);
    expect(text).toMatch(/^Next adapter: +smtp$/m);
    expect(text).toContain(`-- mailroom alert (failover) at 2026-11-28T10:00:00.000Z; see mailroom journal show ${result.id}`);
    expect(text).not.toContain(PASSWORD);
  });

  it('a failure for good goes through the channel\'s own DSN chain', async () => {
    // A plaintext smart host on loopback (no STARTTLS offered), reached with requireTLS=false.
    const relay = await startSmtpServer({ authOptional: true });
    open.push(relay);
    const primary = scriptedAdapter('primary', [{ fail: 'AUTH' }]);
    const secondary = scriptedAdapter('secondary', [{ fail: 'TRANSIENT' }]);
    const sender = mailer({
      adapters: [primary, secondary],
      alerts: { site: 'shop.test', clock: manualClock(), triggers: { failover: false }, channels: [{ type: 'email', to: 'ops@example.com', dsn: `smtp://localhost:${relay.port}?requireTLS=false`, from: 'alerts@example.com' }] },
    });
    await expect(sender.send(message)).rejects.toMatchObject({ code: 'ALL_FAILED' });
    await until(() => relay.messages.length === 1);
    expect(relay.messages[0]).toMatchObject({ from: 'alerts@example.com', to: ['ops@example.com'] });
    expect(headers(relay.messages[0]!.raw)).toMatch(/^Subject: \[shop\.test\] Mail failed for good$/m);
    expect(body(relay.messages[0]!.raw)).toMatch(/^Adapters tried: +primary: AUTH; secondary: TRANSIENT$/m);
    expect(primary.calls).toHaveLength(1);
    expect(secondary.calls).toHaveLength(1);
  });

  it('with every adapter of the chain failing and no DSN of its own, the channel reports it instead of sending through one of them', async () => {
    const smtp = await server();
    smtp.script.reply['DATA-END'] = { code: 451, message: '4.3.0 Temporary failure' };
    const primary = scriptedAdapter('primary', [{ fail: 'AUTH' }]);
    const backup = smtpAdapter({ host: 'localhost', port: smtp.port, auth: { user: USER, pass: PASSWORD }, tls: { ca: tls.ca } });
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }) => warning.code === 'MAILROOM_ALERT_FAILED' && warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const sender = mailer({ adapters: [primary, backup], alerts: { site: 'shop.test', clock: manualClock(), triggers: { failover: false }, channels: [{ type: 'email', to: 'ops@example.com' }] } });
      await expect(sender.send(message)).rejects.toMatchObject({ code: 'ALL_FAILED' });
      await sender.close();
      await new Promise((done) => setImmediate(done));
    } finally {
      process.off('warning', onWarning);
    }
    expect(primary.calls).toHaveLength(1);
    // One DATA for the order (refused), none for an alert.
    expect(smtp.commands.filter((command) => command === 'DATA')).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no adapter is left to email this alert: primary, smtp failed.*Give the email channel a chain of its own/);
  });
});
