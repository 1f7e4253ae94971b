// The Office 365 adapter against a real SMTP server (STARTTLS, AUTH PLAIN/LOGIN/XOAUTH2 checking
// user and token) and a local HTTPS identity platform driven by real msal-node: basic and OAuth2
// sends, the one retry after a 535 on a cached token, every Office 365 error code with its remedy,
// the basic-auth warning, the onmicrosoft.com advice, connection and per-minute limits, DSNs.
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BASIC_AUTH_WARNING_CODE, fromDsn, office365Adapter, type Office365Adapter, type Office365Options } from '../adapters/office365.js';
import { parseDsn } from '../src/core/dsn.js';
import { MailError, type MailErrorCode } from '../src/core/errors.js';
import { createMailer } from '../src/core/mailer.js';
import { normalizeMessage, type MailMessage } from '../src/core/message.js';
import { SendLimiter } from '../src/kit/send-limits.js';
import { runConformance, sendContext } from './conformance.js';
import { networkClient, startIdentityServer, type IdentityServer } from './helpers/identity-server.js';
import { startSmtpServer, type SmtpPhase, type SmtpReply, type TestSmtpServer } from './helpers/smtp-server.js';
import { createTestTls, type TestTls } from './helpers/tls.js';
import { mailErrorOf } from './helpers/assertions.js';
import { SMTP_FAULTS, smtpConformanceHarness } from './helpers/smtp-conformance.js';

const MAILBOX = 'orders@corp.example';
const PASSWORD = 'Basic-Pa55word!';
const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const SECRET = 'Abc8Q~office365-client-secret';
let tls: TestTls;
let identity: IdentityServer;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  tls = await createTestTls();
  identity = await startIdentityServer({ tls, tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET });
});
afterAll(async () => identity.close());
afterEach(async () => {
  while (open.length) await open.pop()!.close();
  identity.requests.length = 0;
});

async function server(options: Parameters<typeof startSmtpServer>[0] = {}): Promise<TestSmtpServer> {
  // identity.issued is the live list of tokens the identity platform handed out: the SMTP server
  // accepts exactly those for the mailbox (tests revoke one by removing it).
  const started = await startSmtpServer({ tls, users: { [MAILBOX]: PASSWORD }, tokens: { [MAILBOX]: identity.issued }, ...options });
  open.push(started);
  return started;
}
function basic(target: TestSmtpServer, options: Partial<Office365Options> = {}): Office365Adapter {
  const adapter = office365Adapter({ mailbox: MAILBOX, password: PASSWORD, host: 'localhost', port: target.port, tls: { ca: tls.ca }, ...options });
  open.push(adapter);
  return adapter;
}
function oauth(target: TestSmtpServer, options: Partial<Office365Options> = {}): Office365Adapter {
  const adapter = office365Adapter({
    mailbox: MAILBOX, host: 'localhost', port: target.port, tls: { ca: tls.ca },
    oauth: { tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET, authority: identity.url, networkClient: networkClient(tls.ca) },
    ...options,
  });
  open.push(adapter);
  return adapter;
}
const message = (overrides: Partial<MailMessage> = {}) =>
  normalizeMessage({ from: MAILBOX, to: 'customer@example.com', subject: 'Order 1042', text: 'Thank you.', ...overrides });

// Office 365 is SMTP underneath: it carries every field; its declared differences are 500
// recipients per message and Exchange Online's own reply texts for each fault.
runConformance('office365', async () => {
  // OAuth2 (the mode Microsoft keeps), which also leaves the once-per-process basic-auth warning to its own test.
  const ownTls = await createTestTls();
  const ownIdentity = await startIdentityServer({ tls: ownTls, tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET });
  const target = await startSmtpServer({ tls: ownTls, tokens: { [MAILBOX]: ownIdentity.issued } });
  const make = (port: number) => office365Adapter({
    mailbox: MAILBOX, host: 'localhost', port, tls: { ca: ownTls.ca }, greetingTimeoutMs: 2000,
    oauth: { tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET, authority: ownIdentity.url, networkClient: networkClient(ownTls.ca) },
  });
  return smtpConformanceHarness({
    target, make, secrets: [SECRET], closeAlso: () => ownIdentity.close(),
    replies: {
      auth: { code: 535, message: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.' },
      notAuthenticated: { code: 530, message: '5.7.57 Client not authenticated to send mail. [DB8PR09CA0001.eurprd09.prod.outlook.com]' },
      rateLimit: { code: 432, message: '4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information.' },
      serverError: { code: 451, message: '4.3.0 Mail server temporarily rejected message.' },
      rejected: { code: 550, message: '5.6.211 Invalid MIME Content: Single text value size (32777) exceeded allowed maximum (32768)' },
    },
  });
}, { faults: [...SMTP_FAULTS] });

describe('office365: basic auth', () => {
  it('sends with the mailbox and password over STARTTLS, and warns once per process how to move to OAuth2', async () => {
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on('warning', listener);
    const target = await server();
    const first = basic(target);
    basic(target);
    await first.send(message(), sendContext());
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', listener);
    const ours = warnings.filter((w) => (w as Error & { code?: string }).code === BASIC_AUTH_WARNING_CODE);
    expect(ours).toHaveLength(1);
    expect(ours[0]!.message).toMatch(/OAuth2/);
    expect(ours[0]!.message).toMatch(/SMTP\.SendAsApp/);
    expect(ours[0]!.message).not.toContain(PASSWORD);
    expect(target.messages[0]!.secure).toBe(true);
    expect(target.auths[0]).toMatchObject({ username: MAILBOX, ok: true, secure: true });
    expect(first.mode).toBe('basic');
  });

  it('refuses to authenticate where STARTTLS is not offered', async () => {
    const target = await server({ starttls: false });
    const error = await mailErrorOf(basic(target).send(message(), sendContext()));
    expect(error.code).toBe('TRANSIENT');
    expect(error.remedy).toMatch(/STARTTLS/);
    expect(target.auths).toEqual([]);
  });
});

describe('office365: OAuth2 (XOAUTH2 with msal-node client credentials)', () => {
  it('sends with AUTH XOAUTH2 and an Outlook-scoped token, fetched once for many messages', async () => {
    const target = await server();
    const adapter = oauth(target);
    await Promise.all([adapter.send(message(), sendContext()), adapter.send(message(), sendContext()), adapter.send(message(), sendContext())]);
    expect(target.messages).toHaveLength(3);
    expect(target.auths.every((a) => a.method === 'XOAUTH2' && a.ok && a.username === MAILBOX)).toBe(true);
    expect(identity.requests).toHaveLength(1);
    expect(identity.requests[0]!.form.scope).toBe('https://outlook.office365.com/.default');
    expect(adapter.mode).toBe('oauth2');
  });

  it('retries once with a fresh token when a cached token gets 535', async () => {
    const target = await server();
    const adapter = oauth(target, { maxConnections: 1 });
    await adapter.verify(); // token 1, fetched; the verify connection is closed afterwards
    expect(identity.requests).toHaveLength(1);
    identity.issued.splice(0, identity.issued.length); // revoke every token issued so far
    const receipt = await adapter.send(message(), sendContext());
    expect(receipt.accepted).toEqual(['customer@example.com']);
    expect(identity.requests).toHaveLength(2);
    expect(target.auths.map((a) => a.ok)).toEqual([true, false, true]);
  });

  // A burst after a revocation: every connection opens with the same cached token and gets 535;
  // each message gets its own one retry, not only the first to fail.
  it('retries every concurrent message whose connection got 535 on the cached token', async () => {
    const target = await server();
    const adapter = oauth(target);
    await adapter.verify();
    identity.issued.splice(0, identity.issued.length);
    const receipts = await Promise.all([1, 2, 3].map(() => adapter.send(message(), sendContext())));
    expect(receipts.map((receipt) => receipt.accepted)).toEqual([['customer@example.com'], ['customer@example.com'], ['customer@example.com']]);
    expect(target.messages).toHaveLength(3);
    // The first token, then at most one fresh token per retried message.
    expect(identity.requests.length).toBeGreaterThanOrEqual(2);
    expect(identity.requests.length).toBeLessThanOrEqual(4);
  });

  // A long-running process (a CMS's health screen) checks again after the administrator fixed the
  // app's consent or mailbox permission: the check must use a fresh token, as a send would.
  it('verify() retries once with a fresh token when the cached one gets 535', async () => {
    const target = await server();
    const adapter = oauth(target);
    await adapter.verify();
    identity.issued.splice(0, identity.issued.length);
    await adapter.verify();
    expect(identity.requests).toHaveLength(2);
    expect(target.auths.map((a) => a.ok)).toEqual([true, false, true]);
  });

  it('does not retry a 535 on a token it has just fetched', async () => {
    const target = await server({ tokens: { [MAILBOX]: [] } });
    const error = await mailErrorOf(oauth(target).send(message(), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(error.remedy).toMatch(/New-ServicePrincipal/);
    expect(target.auths).toHaveLength(1);
  });

  it('maps a token failure (wrong secret) to AUTH with the AADSTS code, without the secret', async () => {
    const target = await server();
    const adapter = oauth(target, { oauth: { tenant: TENANT, clientId: CLIENT_ID, clientSecret: 'not-the-secret', authority: identity.url, networkClient: networkClient(tls.ca) } });
    const error = await mailErrorOf(adapter.send(message(), sendContext()));
    expect(error.code).toBe('AUTH');
    expect(error.provider).toBe('office365');
    expect(error.message).toMatch(/AADSTS7000215/);
    expect(error.remedy).toMatch(/Secret ID/);
    expect(`${error.message} ${JSON.stringify(error)} ${inspect(error)}`).not.toContain('not-the-secret');
    expect(target.messages).toHaveLength(0);
  });
});

describe('office365: every documented error code gets its code and remedy', () => {
  const cases: [string, SmtpPhase, SmtpReply, MailErrorCode, RegExp][] = [
    ['5.7.139 tenant', 'AUTH', { code: 535, message: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled' }, 'AUTH', /Authenticated SMTP/],
    ['5.7.139 mailbox', 'AUTH', { code: 535, message: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.' }, 'AUTH', /Manage email apps/],
    ['5.7.139 security defaults', 'AUTH', { code: 535, message: "5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator." }, 'AUTH', /Security Defaults/],
    ['5.7.139 conditional access', 'AUTH', { code: 535, message: '5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.' }, 'AUTH', /Conditional Access/],
    ['5.7.139 basic disabled', 'AUTH', { code: 535, message: '5.7.139 Authentication unsuccessful, basic authentication is disabled.' }, 'AUTH', /re-enable Basic auth/],
    ['5.7.139 wrong password', 'AUTH', { code: 535, message: '5.7.139 Authentication unsuccessful, the user credentials were incorrect. [CH2PR15CA0029.namprd15.prod.outlook.com]' }, 'AUTH', /password is wrong/],
    ['5.7.139 account locked', 'AUTH', { code: 535, message: '5.7.139 Authentication unsuccessful, account locked. Contact your administrator.' }, 'AUTH', /account is locked/],
    ['5.7.3', 'AUTH', { code: 535, message: '5.7.3 Authentication unsuccessful' }, 'AUTH', /full mailbox address/],
    ['5.7.30', 'AUTH', { code: 550, message: '5.7.30 Basic authentication is not supported for Client Submission.' }, 'AUTH', /retired.*OAuth2/],
    ['5.7.57', 'MAIL', { code: 530, message: '5.7.57 Client not authenticated to send mail. Error: 535 5.7.139' }, 'AUTH', /not authenticated before MAIL FROM/],
    ['5.7.60', 'MAIL', { code: 550, message: '5.7.60 SMTP; Client does not have permissions to send as this sender' }, 'REJECTED', /Send As/],
    ['5.2.252 SendAsDenied', 'DATA-END', { code: 554, message: '5.2.252 SendAsDenied; orders@corp.example not allowed to send as ceo@corp.example' }, 'REJECTED', /Send As/],
    ['5.2.252 throttled', 'MAIL', { code: 550, message: '5.2.252 Sender throttled due to continuous send as denied errors' }, 'REJECTED', /throttles this sender/],
    ['5.2.0 SendAsDenied', 'DATA-END', { code: 554, message: '5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message' }, 'REJECTED', /Send As/],
    ['5.2.0 SubmissionQuotaExceeded', 'DATA-END', { code: 554, message: '5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message' }, 'RATE_LIMITED', /10,000 recipients/],
    ['4.3.2', 'MAIL', { code: 432, message: '4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending' }, 'RATE_LIMITED', /3 concurrent/],
    ['5.2.2', 'RCPT', { code: 550, message: '5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException' }, 'REJECTED', /mailbox is full/],
    ['5.7.708', 'MAIL', { code: 550, message: '5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.' }, 'AUTH', /administrator/],
  ];
  it.each(cases)('%s', async (_label, phase, reply, code, remedy) => {
    const target = await server({ script: { reply: { [phase]: reply } } });
    const error = await mailErrorOf(basic(target).send(message(), sendContext()));
    expect(error.code).toBe(code);
    expect(error.smtpCode).toBe(reply.code);
    expect(error.enhancedCode).toBe(reply.message.split(' ')[0]);
    expect(error.remedy).toMatch(remedy);
    if (code === 'RATE_LIMITED' && /SubmissionQuota/.test(reply.message)) expect(error.retryable).toBe(false);
  });
});

describe('office365: sending limits and sender advice', () => {
  it('keeps at most 3 connections to the mailbox by default', async () => {
    const target = await server();
    const adapter = basic(target);
    await Promise.all(Array.from({ length: 9 }, () => adapter.send(message(), sendContext())));
    expect(target.messages).toHaveLength(9);
    expect(target.open.max).toBeLessThanOrEqual(3);
  });

  it('queues a message over the per-minute limit when the wait is short', async () => {
    const target = await server();
    const adapter = basic(target, { messagesPerMinute: new SendLimiter({ messagesPerMinute: 2, windowMs: 600, maxWaitMs: 2000 }) });
    const started = Date.now();
    await Promise.all([1, 2, 3].map(() => adapter.send(message(), sendContext())));
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(target.messages).toHaveLength(3);
  });

  it('fails RATE_LIMITED with retryAfterMs when the wait is long', async () => {
    const target = await server();
    const adapter = basic(target, { maxWaitMs: 1000, messagesPerMinute: 2 });
    await adapter.send(message(), sendContext());
    await adapter.send(message(), sendContext());
    const error = await mailErrorOf(adapter.send(message(), sendContext()));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterMs).toBeGreaterThan(50_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(target.messages).toHaveLength(2);
  });

  it('shares one limiter and one token source, both from the adapter kit entry (mailroom-js/adapter-kit), between adapters of one mailbox', async () => {
    const entry = await import('../src/kit/index.js');
    const target = await server();
    const limiter = new entry.SendLimiter({ messagesPerMinute: 2, maxWaitMs: 1000, provider: 'office365' });
    const tokens = new entry.MicrosoftTokenSource({
      tenant: TENANT, clientId: CLIENT_ID, clientSecret: SECRET, scope: entry.OUTLOOK_SCOPE, authority: identity.url, networkClient: networkClient(tls.ca),
    });
    const first = oauth(target, { oauth: undefined, tokenSource: tokens, messagesPerMinute: limiter });
    const second = oauth(target, { oauth: undefined, tokenSource: tokens, messagesPerMinute: limiter, name: 'office365-2' });
    await first.send(message(), sendContext());
    await second.send(message(), sendContext());
    const error = await mailErrorOf(second.send(message(), sendContext()));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterMs).toBeGreaterThan(50_000);
    expect(target.messages).toHaveLength(2);
    expect(identity.requests).toHaveLength(1);
  });

  it('advises against an onmicrosoft.com sender in the receipt warnings', async () => {
    const target = await server({ users: { 'shop@corp.onmicrosoft.com': PASSWORD } });
    const adapter = basic(target, { mailbox: 'shop@corp.onmicrosoft.com' });
    const receipt = await adapter.send(message({ from: 'shop@corp.onmicrosoft.com' }), sendContext());
    expect(receipt.warnings?.join(' ')).toMatch(/onmicrosoft\.com.*custom|own domain.*DKIM/);
    const plain = await basic(await server()).send(message(), sendContext());
    expect(plain.warnings).toBeUndefined();
  });
});

describe('office365: SMTPUTF8', () => {
  // Built on the SMTP adapter: a non-ASCII local part is refused before MAIL FROM where the server
  // does not announce SMTPUTF8, so a chain can move on.
  it('refuses a non-ASCII local part, UNSUPPORTED, where the server does not announce SMTPUTF8', async () => {
    const target = await server({ smtputf8: false });
    const error = await mailErrorOf(basic(target).send(message({ to: 'jörg@example.com' }), sendContext()));
    expect(error.code).toBe('UNSUPPORTED');
    expect(error.message).toContain('jörg@example.com');
    expect(target.commands).not.toContain('MAIL');
  });
});

describe('office365: DSN, mailer and secrets', () => {
  it('builds basic and OAuth2 adapters from DSNs without showing a secret', () => {
    const plain = fromDsn(parseDsn(`office365://orders%40corp.example:${encodeURIComponent(PASSWORD)}@default`));
    expect(String(plain)).toBe('office365(smtp.office365.com:587, orders@corp.example) [basic]');
    const relay = fromDsn(parseDsn('office365://orders%40corp.example:pw@mail.corp.example:2525'));
    expect(String(relay)).toBe('office365(mail.corp.example:2525, orders@corp.example) [basic]');
    const modern = fromDsn(parseDsn(`office365+oauth://orders%40corp.example@${TENANT}?client_id=${CLIENT_ID}&client_secret=${encodeURIComponent(SECRET)}`));
    expect(modern.mode).toBe('oauth2');
    for (const adapter of [plain, modern]) {
      const shown = `${adapter.name} ${String(adapter)} ${inspect(adapter, { depth: 8, showHidden: true })} ${JSON.stringify(adapter)}`;
      expect(shown).not.toContain(PASSWORD);
      expect(shown).not.toContain(SECRET);
    }
    expect(() => fromDsn(parseDsn(`office365+oauth://orders%40corp.example@${TENANT}?client_id=${CLIENT_ID}`))).toThrow(/client_secret/);
    expect(() => fromDsn(parseDsn('office365://orders%40corp.example@default'))).toThrow(/password/);
    expect(() => fromDsn(parseDsn('office365://orders%40corp.example:pw@default?messagesPerMinute=thirty'))).toThrow(/messagesPerMinute=thirty/);
    expect(() => fromDsn(parseDsn('office365://orders%40corp.example:pw@default?maxConnections=0'))).toThrow(MailError);
  });

  it('puts the remedy into the mailer result and journal attempt', async () => {
    const target = await server({ script: { reply: { AUTH: { code: 535, message: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.' } } } });
    const mailer = createMailer({ adapters: [basic(target)], journal: false, retry: { attempts: 1 } });
    const error = await mailErrorOf(mailer.send({ from: MAILBOX, to: 'customer@example.com', subject: 'x', text: 'y' }));
    const attempt = error.attempts?.[0];
    expect(attempt?.error?.code).toBe('AUTH');
    expect(attempt?.error?.enhancedCode).toBe('5.7.139');
    expect(attempt?.error?.remedy).toMatch(/Authenticated SMTP/);
    await mailer.close();
  });
});

describe('office365: the mailbox is the default sender', () => {
  it('a message without from, through a mailer without `from`, is sent as the mailbox (Office 365 refuses any other without Send As)', async () => {
    const target = await server();
    const mailer = createMailer({ adapters: [oauth(target)], journal: false });
    const result = await mailer.send({ to: 'customer@example.com', subject: 'Order 1042', text: 'Thank you.' });
    expect(result.adapter).toBe('office365');
    expect(target.messages.at(-1)!.from).toBe(MAILBOX);
    // The mailer's own `from` still wins.
    await mailer.close();
    const other = await server();
    const withFrom = createMailer({ adapters: [oauth(other)], journal: false, from: 'Shop <shop@corp.example>' });
    await withFrom.send({ to: 'customer@example.com', subject: 'Order 1042', text: 'Thank you.' });
    expect(other.messages.at(-1)!.from).toBe('shop@corp.example');
    await withFrom.close();
  });
});
