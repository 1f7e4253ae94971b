// The generic SMTP adapter against a real SMTP server on loopback (STARTTLS on a generated
// certificate): delivery, pooling, TLS rules, every SMTP outcome's MailError code, drops at each
// phase (AMBIGUOUS only after the end of DATA), presets and DSNs, and no secret anywhere.
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromDsn, smtpAdapter, SmtpAdapter, type SmtpAdapterOptions } from '../adapters/smtp.js';
import { parseDsn } from '../src/core/dsn.js';
import { createMailer } from '../src/core/mailer.js';
import { MailError } from '../src/core/errors.js';
import { normalizeMessage, type MailMessage } from '../src/core/message.js';
import { runConformance, sendContext } from './conformance.js';
import { startSmtpServer, type SmtpPhase, type SmtpReply, type TestSmtpServer } from './helpers/smtp-server.js';
import { createTestTls, type TestTls } from './helpers/tls.js';
import { mailErrorOf } from './helpers/assertions.js';
import { SMTP_FAULTS, smtpConformanceHarness } from './helpers/smtp-conformance.js';

const USER = 'shop@example.com';
const PASSWORD = 'pw-Sup3r-s3cret';
let tls: TestTls;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  tls = await createTestTls();
});
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function server(options: Parameters<typeof startSmtpServer>[0] = {}): Promise<TestSmtpServer> {
  const started = await startSmtpServer({ tls, users: { [USER]: PASSWORD }, ...options });
  open.push(started);
  return started;
}
function adapter(target: TestSmtpServer, options: Partial<SmtpAdapterOptions> = {}): SmtpAdapter {
  const created = smtpAdapter({
    host: 'localhost', port: target.port, auth: { user: USER, pass: PASSWORD }, tls: { ca: tls.ca },
    greetingTimeoutMs: 2000, ...options,
  });
  // Closed before the servers (afterEach pops in reverse order).
  open.push(created as { close(): Promise<void> });
  return created;
}
const message = (overrides: Partial<MailMessage> = {}) =>
  normalizeMessage({ from: USER, to: 'ann@example.com', subject: 'Order 1042', text: 'Thank you.', ...overrides });

runConformance('smtp', async () => {
  const testTls = await createTestTls();
  const target = await startSmtpServer({ tls: testTls, users: { [USER]: PASSWORD } });
  const make = (port: number) => smtpAdapter({ host: 'localhost', port, auth: { user: USER, pass: PASSWORD }, tls: { ca: testTls.ca }, greetingTimeoutMs: 2000 });
  // A pooled connection is already authenticated, so the refusal comes at MAIL FROM (530 5.7.57)
  // for a send, and at AUTH for a new connection (verify).
  return smtpConformanceHarness({
    target, make, secrets: [PASSWORD],
    replies: {
      auth: { code: 535, message: '5.7.3 Authentication unsuccessful' },
      notAuthenticated: { code: 530, message: '5.7.57 Client not authenticated to send mail' },
      rateLimit: { code: 432, message: '4.3.2 Concurrent connections limit exceeded' },
      serverError: { code: 451, message: '4.3.0 Temporary server error' },
      rejected: { code: 550, message: '5.6.0 Message rejected' },
    },
  });
}, { faults: [...SMTP_FAULTS] });

describe('smtp adapter: delivery', () => {
  it('sends over STARTTLS with AUTH, Bcc only in the envelope, and says which recipients were accepted', async () => {
    const target = await server();
    const smtp = adapter(target);
    const sent = message({ to: ['ann@example.com', 'bob@example.org'], bcc: 'audit@example.com' });
    const receipt = await smtp.send(sent, sendContext());
    expect(receipt.accepted.sort()).toEqual(['ann@example.com', 'audit@example.com', 'bob@example.org']);
    expect(receipt.rejected).toEqual([]);
    expect(receipt.providerMessageId).toBe(sent.messageId);
    const [received] = target.messages;
    expect(received!.secure).toBe(true);
    expect(received!.user).toBe(USER);
    expect(received!.to.sort()).toEqual(['ann@example.com', 'audit@example.com', 'bob@example.org']);
    expect(received!.raw.toString()).not.toMatch(/^Bcc:/im);
    expect(received!.raw.toString()).toContain(`Message-ID: ${sent.messageId}`);
    expect(target.commands.indexOf('STARTTLS')).toBeLessThan(target.commands.indexOf('AUTH'));
  });

  it('reuses pooled connections: 12 messages over at most 2 connections', async () => {
    const target = await server();
    const smtp = adapter(target, { maxConnections: 2 });
    const receipts = await Promise.all(Array.from({ length: 12 }, (_, i) => smtp.send(message({ subject: `n${i}` }), sendContext())));
    expect(receipts).toHaveLength(12);
    expect(target.messages).toHaveLength(12);
    expect(target.connections).toBeLessThanOrEqual(2);
    expect(target.auths.filter((a) => a.ok).length).toBeLessThanOrEqual(2);
  });

  it('opens a new connection after maxMessages', async () => {
    const target = await server();
    const smtp = adapter(target, { maxConnections: 1, maxMessages: 2 });
    for (let i = 0; i < 4; i++) await smtp.send(message(), sendContext());
    expect(target.connections).toBe(2);
  });

  it('reports recipients refused at RCPT and delivers to the others', async () => {
    const target = await server({ script: { reply: { RCPT: ({ address }) => (address === 'gone@example.com' ? { code: 550, message: '5.1.1 User unknown' } : undefined) } } });
    const receipt = await adapter(target).send(message({ to: ['ann@example.com', 'gone@example.com'] }), sendContext());
    expect(receipt.accepted).toEqual(['ann@example.com']);
    expect(receipt.rejected).toEqual(['gone@example.com']);
    // The server's reason, not a second copy of the list the mailer gives from `rejected`.
    expect(receipt.warnings).toEqual(["smtp: the server's reply at RCPT TO: gone@example.com: 550 5.1.1 User unknown"]);
  });

  it('relays through a smart host without AUTH, still over STARTTLS', async () => {
    const target = await server({ authOptional: true });
    await adapter(target, { auth: undefined }).send(message(), sendContext());
    expect(target.messages[0]!.secure).toBe(true);
    expect(target.auths).toEqual([]);
  });

  it('sends in plaintext only when TLS is explicitly opted out and the server has none', async () => {
    const target = await server({ tls: undefined, authOptional: true });
    const refused = await mailErrorOf(adapter(target, { auth: undefined }).send(message(), sendContext()));
    expect(refused.code).toBe('TRANSIENT');
    expect(target.messages).toHaveLength(0);
    await adapter(target, { auth: undefined, requireTLS: false }).send(message(), sendContext());
    expect(target.messages[0]!.secure).toBe(false);
  });

  it('sends over implicit TLS (smtps, port 465 style)', async () => {
    const target = await server({ secure: true });
    await adapter(target, { secure: true }).send(message(), sendContext());
    expect(target.messages[0]!.secure).toBe(true);
  });
});

describe('smtp adapter: TLS and connection failures', () => {
  it('refuses to authenticate without STARTTLS: credentials never cross in plaintext', async () => {
    const target = await server({ tls: undefined });
    const error = await mailErrorOf(adapter(target).send(message(), sendContext()));
    expect(error.code).toBe('TRANSIENT');
    expect(error.retryable).toBe(false);
    expect(error.remedy).toMatch(/STARTTLS/);
    expect(target.commands).not.toContain('AUTH');
  });

  // TLS being off on our side, not a refused password: like the case above, TRANSIENT without retries.
  it.each([
    [538, '5.7.11 Encryption required for requested authentication mechanism'],
    [530, '5.7.0 Must issue a STARTTLS command first'],
  ])('maps a server refusing AUTH before STARTTLS (%s) to TRANSIENT, not AUTH, with a TLS remedy', async (code, text) => {
    const target = await server({ tls: undefined, script: { reply: { AUTH: { code, message: text } } } });
    const error = await mailErrorOf(adapter(target, { requireTLS: false }).send(message(), sendContext()));
    expect(error.code).toBe('TRANSIENT');
    expect(error.retryable).toBe(false);
    expect(error.smtpCode).toBe(code);
    expect(error.remedy).toMatch(/requireTLS/);
    expect(error.remedy).toMatch(/587 and STARTTLS/);
  });

  it('rejects a certificate it does not trust', async () => {
    const target = await server({ untrustedCertificate: true });
    const error = await mailErrorOf(adapter(target).send(message(), sendContext()));
    expect(error.code).toBe('TRANSIENT');
    expect(error.retryable).toBe(false);
    expect(error.remedy).toMatch(/certificate/i);
    expect(target.auths).toEqual([]);
  });

  it('explains a wrong port: implicit TLS against a STARTTLS port, STARTTLS against an implicit TLS port', async () => {
    const starttls = await server();
    const wrongTls = await mailErrorOf(adapter(starttls, { secure: true }).send(message(), sendContext()));
    expect(wrongTls.code).toBe('TRANSIENT');
    expect(wrongTls.remedy).toMatch(/587/);
    const implicit = await server({ secure: true });
    const noGreeting = await mailErrorOf(adapter(implicit, { greetingTimeoutMs: 300 }).send(message(), sendContext()));
    expect(noGreeting.code).toBe('TRANSIENT');
    expect(noGreeting.remedy).toMatch(/465/);
  });

  it('fails TRANSIENT when nothing listens, with a remedy about host and port', async () => {
    const error = await mailErrorOf(smtpAdapter({ host: '127.0.0.1', port: 9, tls: { servername: 'localhost' } }).send(message(), sendContext()));
    expect(error.code).toBe('TRANSIENT');
    expect(error.remedy).toMatch(/port/i);
  });

  const phases: [SmtpPhase, 'TRANSIENT' | 'AMBIGUOUS'][] = [
    ['connect', 'TRANSIENT'], ['EHLO', 'TRANSIENT'], ['STARTTLS', 'TRANSIENT'], ['AUTH', 'TRANSIENT'],
    ['MAIL', 'TRANSIENT'], ['RCPT', 'TRANSIENT'], ['DATA', 'TRANSIENT'], ['DATA-END', 'AMBIGUOUS'],
  ];
  it.each(phases)('a connection dropped at %s is %s', async (phase, code) => {
    const target = await server({ script: { reply: {}, drop: phase } });
    const error = await mailErrorOf(adapter(target).send(message(), sendContext()));
    expect(error.code).toBe(code);
    expect(error.provider).toBe('smtp');
    // Nothing was resent behind the caller's back.
    expect(target.messages).toHaveLength(0);
    expect(target.commands.filter((c) => c === 'DATA').length).toBeLessThanOrEqual(1);
  });

  it('a reply to the end of DATA that never comes is AMBIGUOUS when the caller gives up', async () => {
    const target = await server({ dataEndDelayMs: 2000 });
    const error = await mailErrorOf(adapter(target).send(message(), sendContext(500)));
    expect(error.code).toBe('AMBIGUOUS');
  });

  // The mailer's timeout aborts with a MailError of its own (TRANSIENT), which nodemailer carries as
  // the cause of its abort error: the handover decides, not what the error wraps.
  it('a 250 after the end of DATA that comes after the mailer timeout is AMBIGUOUS: one attempt, flagged, never retried', async () => {
    const target = await server({ dataEndDelayMs: 1500 });
    const mailer = createMailer({ adapters: [adapter(target)], journal: 'memory://', timeoutMs: 400, retry: { attempts: 3, baseDelayMs: 10 } });
    try {
      const error = await mailErrorOf(mailer.send({ from: USER, to: 'ann@example.com', subject: 'Order 1042', text: 'Thank you.', idempotencyKey: 'slow-250' }));
      expect(error.attempts?.map((attempt) => attempt.error?.code)).toEqual(['AMBIGUOUS']);
      const entry = await mailer.journal.findByIdempotencyKey('slow-250');
      expect(entry?.possibleDuplicate).toBe(true);
      // The server did take it (its 250 came late): one copy, not one per retry.
      await new Promise((resolve) => setTimeout(resolve, 1600));
      expect(target.messages).toHaveLength(1);
    } finally {
      await mailer.close();
    }
  });
});

// RFC 6531: a local part that is not ASCII goes out only with SMTPUTF8 on MAIL FROM. A server that
// does not announce the extension must not be handed the address at all (a lenient one takes the
// UTF-8 bytes and mangles them); the message is UNSUPPORTED there, so the chain tries the next adapter.
describe('smtp adapter: SMTPUTF8 for a non-ASCII local part', () => {
  const unicode = 'jörg@example.com';

  it('sends it with SMTPUTF8 on MAIL FROM to a server that announces the extension', async () => {
    const target = await server();
    const receipt = await adapter(target).send(message({ to: unicode }), sendContext());
    expect(receipt.accepted).toEqual([unicode]);
    expect(target.messages[0]!.to).toEqual([unicode]);
    expect(target.messages[0]!.smtpUtf8).toBe(true);
  });

  it('refuses it before MAIL FROM where SMTPUTF8 is not announced, naming the address, with a remedy', async () => {
    const target = await server({ smtputf8: false });
    const smtp = adapter(target);
    for (const sent of [message({ to: ['ann@example.com', unicode] }), message({ from: `Jörg <${unicode}>` }), message({ bcc: unicode })]) {
      const error = await mailErrorOf(smtp.send(sent, sendContext()));
      expect(error.code).toBe('UNSUPPORTED');
      expect(error.message).toContain(unicode);
      expect(error.message).toMatch(/SMTPUTF8/);
      expect(error.specificRemedy).toMatch(/SMTPUTF8/);
    }
    expect(target.commands).not.toContain('MAIL');
    expect(target.messages).toEqual([]);
    // An ASCII message still goes, on the same adapter; the server was asked once (the probe's
    // connection, then the pool's).
    await smtp.send(message(), sendContext());
    expect(target.messages.map((received) => received.to)).toEqual([['ann@example.com']]);
    expect(target.connections).toBe(2);
  });

  it('asks over implicit TLS as well', async () => {
    const target = await server({ secure: true, smtputf8: false });
    const error = await mailErrorOf(adapter(target, { secure: true }).send(message({ to: unicode }), sendContext()));
    expect(error.code).toBe('UNSUPPORTED');
    expect(target.commands).not.toContain('MAIL');
  });

  it('a probe that failed is not kept: the next message asks again', async () => {
    let dropped = false;
    const target = await server({ script: { reply: {}, drop: (phase) => phase === 'EHLO' && !dropped && (dropped = true) } });
    const smtp = adapter(target);
    const error = await mailErrorOf(smtp.send(message({ to: unicode }), sendContext()));
    expect(error.code).toBe('TRANSIENT');
    await smtp.send(message({ to: unicode }), sendContext());
    expect(target.messages.map((received) => [received.to, received.smtpUtf8])).toEqual([[[unicode], true]]);
  });

  // After a 4xx to EHLO nodemailer falls back to HELO, which announces nothing: that is "try later",
  // not "no SMTPUTF8", and must not stay as the answer for every later message.
  it.each([
    ['implicit TLS', { secure: true }],
    ['STARTTLS not required', { requireTLS: false }],
  ] as const)('a 4xx to EHLO (%s) is a failure asked again, not a lasting "no SMTPUTF8"', async (_label, options) => {
    const busy = { code: 451, message: '4.3.2 System not accepting network messages' };
    const target = await server({ ...('secure' in options ? { secure: true } : {}), script: { reply: { EHLO: ({ count }) => (count <= 2 ? busy : undefined) } } });
    const smtp = adapter(target, options);
    const error = await mailErrorOf(smtp.send(message({ to: unicode }), sendContext()));
    expect(error.code).not.toBe('UNSUPPORTED');
    expect(error.smtpCode).toBe(451);
    await smtp.send(message({ to: unicode }), sendContext());
    expect(target.messages.map((received) => [received.to, received.smtpUtf8])).toEqual([[[unicode], true]]);
  });

  it('a 4xx to the first EHLO alone: the probe asks again on its connection and the message goes', async () => {
    const target = await server({ secure: true, script: { reply: { EHLO: ({ count }) => (count === 1 ? { code: 451, message: '4.3.2 Try again later' } : undefined) } } });
    await adapter(target, { secure: true }).send(message({ to: unicode }), sendContext());
    expect(target.messages.map((received) => [received.to, received.smtpUtf8])).toEqual([[[unicode], true]]);
  });

  it('an adapter that already sent a message knows the answer: no extra connection for the probe', async () => {
    const target = await server();
    const smtp = adapter(target);
    await smtp.send(message(), sendContext());
    await smtp.send(message({ to: unicode }), sendContext());
    expect(target.messages.map((received) => [received.to, received.smtpUtf8])).toEqual([[['ann@example.com'], false], [[unicode], true]]);
    expect(target.connections).toBe(1);
  });

  it('a chain moves on to an adapter whose server announces SMTPUTF8', async () => {
    const without = await server({ smtputf8: false });
    const withIt = await server();
    const mailer = createMailer({ adapters: [adapter(without, { name: 'relay' }), adapter(withIt, { name: 'smarthost' })], journal: false, retry: { attempts: 2, baseDelayMs: 1 } });
    try {
      const result = await mailer.send({ from: USER, to: unicode, subject: 'Order 1042', text: 'Thank you.' });
      expect(result.adapter).toBe('smarthost');
      expect(result.attempts.map((attempt) => [attempt.adapter, attempt.error?.code])).toEqual([['relay', 'UNSUPPORTED'], ['smarthost', undefined]]);
      expect(without.messages).toEqual([]);
      expect(withIt.messages[0]!.to).toEqual([unicode]);
    } finally {
      await mailer.close();
    }
  });

  it('an ASCII message costs no extra connection', async () => {
    const target = await server({ smtputf8: false });
    const smtp = adapter(target);
    await smtp.send(message(), sendContext());
    await smtp.send(message({ to: 'bob@bücher.example' }), sendContext());
    expect(target.connections).toBe(1);
  });
});

describe('smtp adapter: SMTP replies to MailError codes', () => {
  const cases: [string, SmtpPhase, SmtpReply, string, string[]?][] = [
    ['421 at MAIL', 'MAIL', { code: 421, message: '4.7.0 Too many connections, slow down' }, 'RATE_LIMITED'],
    ['451 4.7.500 throttling at RCPT', 'RCPT', { code: 451, message: '4.7.500 Server busy. Please try again later' }, 'RATE_LIMITED'],
    ['other 4xx at DATA-END', 'DATA-END', { code: 451, message: '4.3.0 Mail server temporarily rejected message' }, 'TRANSIENT'],
    ['535 at AUTH', 'AUTH', { code: 535, message: '5.7.3 Authentication unsuccessful' }, 'AUTH'],
    ['530 at MAIL', 'MAIL', { code: 530, message: '5.7.57 Client not authenticated to send mail' }, 'AUTH'],
    ['550 at RCPT (all)', 'RCPT', { code: 550, message: '5.1.1 User unknown' }, 'REJECTED', ['ann@example.com']],
    ['554 at DATA-END', 'DATA-END', { code: 554, message: '5.6.0 Message content rejected' }, 'REJECTED'],
    ['550 at MAIL', 'MAIL', { code: 550, message: '5.7.1 Sender rejected' }, 'REJECTED'],
    // RFC 6531: a server without SMTPUTF8 cannot carry a non-ASCII local part; the next adapter may.
    ['553 5.6.7 at RCPT', 'RCPT', { code: 553, message: '5.6.7 Non-ASCII addresses not permitted for that recipient' }, 'UNSUPPORTED'],
  ];
  it.each(cases)('%s -> %s', async (_label, phase, reply, code, rejected) => {
    const target = await server({ script: { reply: { [phase]: reply } } });
    const error = await mailErrorOf(adapter(target).send(message(), sendContext()));
    expect(error.code).toBe(code);
    expect(error.smtpCode).toBe(reply.code);
    expect(error.enhancedCode).toBe(reply.message.split(' ')[0]);
    if (rejected) expect(error.rejected).toEqual(rejected);
  });
});

// Enhanced codes Google and Zoho also use mean something else on other servers (RFC 3463: 5.4.6 a
// routing loop; Yahoo's 5.7.9 policy refusal): such a reply must not get their remedy, nor, for
// Zoho's block, the AUTH code that sends every later message elsewhere.
describe('smtp adapter: a shared enhanced code is not taken for Gmail or Zoho', () => {
  const cases: [SmtpReply, RegExp][] = [
    [{ code: 554, message: '5.4.6 Hop count exceeded - possible mail loop' }, /Zoho/],
    [{ code: 554, message: '5.7.9 Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes' }, /app password/],
    [{ code: 550, message: '5.7.14 Trust relationship required' }, /browser/],
  ];
  it.each(cases)('%o', async (reply, wrongRemedy) => {
    const target = await server({ script: { reply: { 'DATA-END': reply } } });
    const error = await mailErrorOf(adapter(target).send(message(), sendContext()));
    expect(error.code).toBe('REJECTED');
    expect(error.remedy ?? '').not.toMatch(wrongRemedy);
  });
});

describe('smtp adapter: verify, DSN and secrets', () => {
  it('verify() connects, upgrades and authenticates without sending', async () => {
    const target = await server();
    await adapter(target).verify();
    expect(target.auths).toEqual([{ method: 'PLAIN', username: USER, ok: true, secure: true }]);
    expect(target.commands).not.toContain('MAIL');
    const bad = await mailErrorOf(adapter(target, { auth: { user: USER, pass: 'wrong' } }).verify());
    expect(bad.code).toBe('AUTH');
    expect(bad.smtpCode).toBe(535);
  });

  it('builds adapters from smtp://, smtps://, gmail:// and zoho:// without showing the password', () => {
    const plain = fromDsn(parseDsn(`smtp://${encodeURIComponent(USER)}:${PASSWORD}@mail.example.com:2525?maxConnections=2`));
    expect(String(plain)).toBe(`smtp(mail.example.com:2525, ${USER})`);
    const implicit = fromDsn(parseDsn('smtps://u:p@mail.example.com'));
    expect(String(implicit)).toBe('smtp(mail.example.com:465 TLS, u)');
    // Port 465 is implicit TLS whatever the scheme: STARTTLS there would wait for a greeting in vain.
    expect(String(fromDsn(parseDsn('smtp://u:p@mail.example.com:465')))).toBe('smtp(mail.example.com:465 TLS, u)');
    const relay = fromDsn(parseDsn('smtp://relay.corp.local:25'));
    expect(String(relay)).toBe('smtp(relay.corp.local:25)');
    const gmail = fromDsn(parseDsn(`gmail://ann%40gmail.com:${PASSWORD}@default`));
    expect(gmail.name).toBe('gmail');
    expect(String(gmail)).toBe('gmail(smtp.gmail.com:587, ann@gmail.com)');
    expect(String(fromDsn(parseDsn('zoho://ann%40corp.eu:p@default?region=eu&organization=true')))).toBe('zoho(smtppro.zoho.eu:587, ann@corp.eu)');
    expect(String(fromDsn(parseDsn('zoho://ann%40zoho.in:p@default?region=in')))).toBe('zoho(smtp.zoho.in:587, ann@zoho.in)');
    expect(() => fromDsn(parseDsn('zoho://ann%40corp.eu:p@default?region=mars'))).toThrow(/unknown Zoho region/);
    expect(() => fromDsn(parseDsn('gmail://ann%40gmail.com@default'))).toThrow(/password/);
    for (const shown of [plain, gmail].map((a) => `${a.name} ${String(a)} ${inspect(a, { depth: 8, showHidden: true })} ${JSON.stringify(a)}`)) {
      expect(shown).not.toContain(PASSWORD);
    }
  });

  it('keeps the password out of errors', async () => {
    const target = await server();
    const error = await mailErrorOf(adapter(target, { auth: { user: USER, pass: `${PASSWORD}-wrong` } }).send(message(), sendContext()));
    expect(`${error.message} ${JSON.stringify(error)} ${inspect(error)}`).not.toContain(PASSWORD);
  });
});
