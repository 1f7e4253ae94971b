// The remedy catalogue: each pasted failure text finds the rule a person needs, specific codes win
// over generic ones, diagnose() fills MailError.remedy once, and the sending limiter's arithmetic.
import { describe, expect, it } from 'vitest';
import { diagnose, explain, genericRemedy, senderAdvice } from '../src/core/diagnose.js';
import { MailError } from '../src/core/errors.js';
import { SendLimiter } from '../src/kit/send-limits.js';

describe('explain', () => {
  const cases: [string, string][] = [
    ['535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.', 'o365-smtp-auth-disabled'],
    ["535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy.", 'o365-security-defaults'],
    ['535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully.', 'o365-conditional-access'],
    ['535 5.7.139 Authentication unsuccessful, basic authentication is disabled.', 'o365-basic-auth-disabled'],
    ['535 5.7.3 Authentication unsuccessful', 'o365-bad-credentials'],
    ['535 5.7.139 Authentication unsuccessful, the user credentials were incorrect. [CH2PR15CA0029.namprd15.prod.outlook.com]', 'o365-wrong-password'],
    ['535 5.7.139 Authentication unsuccessful, account locked. Contact your administrator.', 'o365-account-locked'],
    // A 5.7.57 that quotes a specific 5.7.139 cause gets the remedy of that cause.
    ['530 5.7.57 Client not authenticated to send mail. Error: 535 5.7.139 Authentication unsuccessful, account locked. Contact your administrator.', 'o365-account-locked'],
    ['530 5.7.57 Client not authenticated to send mail. Error: 535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.', 'o365-wrong-password'],
    ['550 5.7.30 Basic authentication is not supported for Client Submission.', 'o365-basic-auth-retired'],
    ['530 5.7.57 Client not authenticated to send mail. Error: 535 5.7.139 Authentication unsuccessful', 'o365-not-authenticated'],
    ['550 5.7.60 SMTP; Client does not have permissions to send as this sender', 'o365-send-as-denied'],
    ['554 5.2.252 SendAsDenied; a@corp.example not allowed to send as b@corp.example', 'o365-send-as-denied'],
    ['550 5.2.252 Sender throttled due to continuous send as denied errors', 'o365-send-as-throttled'],
    ['554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied', 'o365-send-as-denied'],
    ['554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException', 'o365-daily-quota'],
    ['432 4.3.2 Concurrent connections limit exceeded', 'o365-concurrent-connections'],
    ['550 5.2.2 mailbox full', 'o365-mailbox-full'],
    ['550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.', 'o365-ip-blocked'],
    ['535 5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials', 'gmail-app-password'],
    ['534 5.7.9 Application-specific password required.', 'gmail-app-password-required'],
    ['[mailroom] [zoho] the server answered 535 Authentication Failed', 'zoho-auth'],
    ['AADSTS7000215: Invalid client secret provided.', 'aad-invalid-secret'],
    ['AADSTS7000222: The provided client secret keys for app are expired.', 'aad-expired-secret'],
    ['AADSTS65001: The user or administrator has not consented to use the application.', 'aad-consent-missing'],
    ["AADSTS90002: Tenant 'x' not found.", 'aad-unknown-tenant'],
    ['AADSTS700016: Application with identifier was not found in the directory', 'aad-unknown-app'],
    ['AADSTS50126: Error validating credentials due to invalid username or password.', 'aad-wrong-user-password'],
    ['403 Forbidden: ErrorAccessDenied: Access is denied. Check credentials and try again.', 'graph-access-denied'],
    ['TLS failed: write EPROTO 0080:error:0A00010B:SSL routines:ssl3_get_record:wrong version number', 'tls-wrong-mode'],
    ['connection failed: Greeting never received', 'tls-no-greeting'],
    ['TLS failed: self-signed certificate', 'tls-certificate'],
    ['TLS failed at STARTTLS: Error upgrading connection with STARTTLS: 500 Error: command not recognized', 'tls-starttls-refused'],
    ['538 5.7.11 Encryption required for requested authentication mechanism', 'tls-encryption-required'],
    ['connect ECONNREFUSED 127.0.0.1:587', 'connection-refused'],
    ['535 Incorrect authentication data', 'smtp-auth-failed'],
    ['550 5.7.1 Message rejected from shop@corp.onmicrosoft.com', 'onmicrosoft-sender'],
    // Last resort, for any server: the reply code's own meaning.
    ['550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown', 'smtp-recipient-unknown'],
    ['550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', 'smtp-recipient-unknown'],
    ['554 5.7.1 <x@example.org>: Relay access denied', 'smtp-relay-denied'],
    ['550 5.7.1 Message rejected as spam by Content Filtering', 'smtp-policy-rejected'],
    ['421 4.7.0 Try again later, closing connection', 'smtp-throttled'],
    ['451 4.7.1 Greylisted, please try again in 300 seconds', 'smtp-temporary'],
  ];
  it.each(cases)('%s -> %s', (text, rule) => {
    const diagnosis = explain(text);
    expect(diagnosis?.rule).toBe(rule);
    expect(diagnosis?.remedy.length).toBeGreaterThan(30);
  });

  it('knows nothing about text it has no rule for', () => {
    expect(explain('250 OK')).toBeUndefined();
    // A tenant named corp.onmicrosoft.com is not a sender on that domain.
    expect(explain('getting a token for tenant contoso.onmicrosoft.com failed: no_tokens_found')).toBeUndefined();
  });

  it('says whether retrying can help', () => {
    expect(explain('432 4.3.2 Concurrent connections limit exceeded')?.retry).toBe(true);
    expect(explain('535 5.7.139 Authentication unsuccessful')?.retry).toBe(false);
  });
});

describe('diagnose', () => {
  it('fills the remedy from code fields and message, and keeps a remedy already set', () => {
    const error = diagnose(new MailError('AUTH', 'the server answered 535 5.7.139 Authentication unsuccessful', { provider: 'office365', smtpCode: 535, enhancedCode: '5.7.139' }));
    expect(error.remedy).toMatch(/Authenticated SMTP/);
    const own = diagnose(new MailError('AUTH', '535 5.7.139', { remedy: 'already known' }));
    expect(own.remedy).toBe('already known');
    // No rule knows it: the code's generic next step, never nothing.
    const unknown = diagnose(new MailError('TRANSIENT', 'something new'));
    expect(unknown.specificRemedy).toBeUndefined();
    expect(unknown.remedy).toBe(genericRemedy('TRANSIENT'));
  });

  it('answers a MailError with a code and a remedy for anything a catch-all hands it (a socket error, a string, undefined)', async () => {
    const { diagnose: fromPackage } = await import('../src/index.js');
    const refused = fromPackage(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:587'), { code: 'ECONNREFUSED' }));
    expect(refused).toBeInstanceOf(MailError);
    expect(refused).toMatchObject({ code: 'TRANSIENT', remedy: expect.stringMatching(/Nothing listens at this host and port/) });
    expect(refused.cause).toBeInstanceOf(Error);
    // The text settles the code when a rule knows it.
    expect(fromPackage('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant').code).toBe('AUTH');
    const nothing = fromPackage(undefined);
    expect(nothing).toBeInstanceOf(MailError);
    expect(nothing.remedy).toBe(genericRemedy('TRANSIENT'));
  });

  it('advises about onmicrosoft.com senders only', () => {
    expect(senderAdvice('shop@corp.onmicrosoft.com')).toMatch(/DKIM/);
    expect(senderAdvice('shop@corp.example')).toBeUndefined();
  });
});

describe('SendLimiter', () => {
  it('admits N per window, queues the next when the wait is short, refuses with retryAfterMs when long', async () => {
    let now = 1_000_000;
    const limiter = new SendLimiter({ messagesPerMinute: 2, maxWaitMs: 0, now: () => now });
    await limiter.acquire();
    now += 10_000;
    await limiter.acquire();
    const refused = await limiter.acquire().then(() => undefined, (e: unknown) => e as MailError);
    expect(refused?.code).toBe('RATE_LIMITED');
    expect(refused?.retryAfterMs).toBe(50_000);
    now += 50_000; // the first slot leaves the window
    await limiter.acquire();
    expect(() => new SendLimiter({ messagesPerMinute: 0 })).toThrow(/at least 1/);
  });

  it('gives back the slot of a send aborted while waiting', async () => {
    const limiter = new SendLimiter({ messagesPerMinute: 1, windowMs: 300, maxWaitMs: 1000 });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal).then(() => undefined, (e: unknown) => e as MailError);
    controller.abort();
    expect((await waiting)?.code).toBe('TRANSIENT');
    const started = Date.now();
    await limiter.acquire(); // the aborted reservation no longer pushes this one back a window
    expect(Date.now() - started).toBeLessThan(500);
  });
});
