// Turns whatever an SMTP exchange throws (nodemailer errors carrying the server's reply, socket and
// TLS errors) into a MailError the chain can act on, with the remedy from the catalogue attached.
// Shared by every SMTP-based adapter (smtp, office365, gmail, zoho).
import { decidedCode, diagnose, explain } from '../core/diagnose.js';
import { MailError, type MailErrorCode } from '../core/errors.js';

/** The fields nodemailer sets on its errors (see nodemailer `_formatError`). */
interface SmtpFailure {
  message?: string;
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  rejected?: string[];
  rejectedErrors?: SmtpFailure[];
  cause?: unknown;
}

export interface SmtpErrorContext {
  provider: string;
  /** True once the whole message, end of DATA included, was written to the server. */
  handedOver: boolean;
}

const ENHANCED = /\b([245]\.\d{1,3}\.\d{1,3})\b/;
// 4xx replies that mean "slow down" rather than "something broke": 4.3.2 is Office 365's
// concurrent-connection limit, 4.7.x/4.4.5 are the usual throttling and greylisting codes. The
// throttling texts are the catalogue's (rule smtp-throttled).
const THROTTLE_ENHANCED = /^4\.(3\.2|4\.5|7\.\d+)$/;
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'EPROTOCOL', 'EABORT', 'EPROXY']);
const CERTIFICATE = /certificate|self[- ]signed|unable to verify|Hostname\/IP does not match|CERT_|ERR_TLS_CERT/i;
const AUTH_COMMANDS = /^AUTH\b/;

/** Maps one SMTP failure to a MailError, with `remedy` from the catalogue when it knows one. */
export function smtpError(error: unknown, context: SmtpErrorContext): MailError {
  const failure = (error ?? {}) as SmtpFailure;
  // A MailError (a token failure, or the mailer's timeout as the abort reason) travels through
  // nodemailer wrapped: unwrap it, unless the message was already handed over. Then only a reply
  // from the server says what happened; anything else (a timeout, an abort) is AMBIGUOUS, whatever
  // wraps it, or the chain would retry a message that the server may be about to accept.
  const carried = error instanceof MailError ? error : failure.cause instanceof MailError ? failure.cause : undefined;
  if (carried && !(context.handedOver && carried.smtpCode === undefined)) return diagnose(carried.withProvider(context.provider));
  if (carried) return diagnose(notConfirmed(carried.detail, error, context.provider));
  return diagnose(classify(failure, error, context));
}

function notConfirmed(what: string, error: unknown, provider: string): MailError {
  return new MailError('AMBIGUOUS', `the whole message was sent but the server did not confirm it (${what}); it may have been delivered`, { provider, cause: error });
}

/** True for nodemailer's "Greeting never received": connected, and the server said nothing. */
export function isGreetingTimeout(error: unknown): boolean {
  const failure = (error ?? {}) as SmtpFailure & { timeoutType?: string };
  return failure.timeoutType === 'GREETING_TIMEOUT' || /Greeting never received/.test(failure.message ?? '');
}

/**
 * An SMTP server that did not answer in time, by where it stopped: "silent" accepted the TCP
 * connection and never sent a byte (no greeting, no TLS handshake), almost always a wrong port or
 * TLS mode; "stalled" answered, then went quiet; "connecting" never accepted the connection. The
 * first two are not retried at this adapter (another full timeout would end the same way).
 */
export function unansweredError(kind: 'silent' | 'stalled' | 'connecting', provider: string, target: string, waitedMs: number, cause: unknown): MailError {
  const waited = `${(waitedMs / 1_000).toFixed(1)} s`;
  const detail = {
    silent: `${target} accepted the connection but never answered in ${waited}: wrong port or TLS mode? 587 is STARTTLS (smtp://), 465 implicit TLS (smtps://)`,
    stalled: `${target} answered, then stopped answering in the middle of the session (nothing for ${waited})`,
    connecting: `the connection to ${target} could not be opened in ${waited} (Connection timeout)`,
  }[kind];
  return diagnose(new MailError('TRANSIENT', detail, { provider, cause, ...(kind === 'connecting' ? {} : { retryable: false }) }));
}

function classify(failure: SmtpFailure, error: unknown, context: SmtpErrorContext): MailError {
  const { provider, handedOver } = context;
  const response = failure.response?.trim();
  const smtpCode = failure.responseCode || undefined;
  const enhancedCode = response ? ENHANCED.exec(response)?.[1] : undefined;
  const command = failure.command ?? '';
  const base = { provider, cause: error, ...(smtpCode ? { smtpCode } : {}), ...(enhancedCode ? { enhancedCode } : {}) };
  const where = command && command !== 'API' && command !== 'CONN' ? ` at ${command.split(' ')[0]}` : '';
  const make = (code: MailErrorCode, detail: string, extra: { retryable?: boolean; rejected?: string[]; retryAfterMs?: number } = {}) =>
    new MailError(code, detail, { ...base, ...extra });

  if (smtpCode) {
    const reply = `the server answered ${response}${where}`;
    // The connection died with a failure reply on its way out (e.g. 421 before closing) after the
    // message was handed over: what happened to the message is unknown.
    if (handedOver && failure.code === 'ECONNECTION') return make('AMBIGUOUS', `${reply}; the message may have been delivered`);
    // Replies whose text settles the code whatever the reply class or phase (the catalogue's
    // `decides` rules): a daily quota is RATE_LIMITED without retries, not a final 5xx; Office 365's
    // 5.7.30 and 5.7.708 on MAIL FROM are about the account, not this message; STARTTLS required is
    // TLS being off on our side, not a wrong password.
    const decided = decidedCode(`${smtpCode} ${response}`);
    if (decided) return make(decided.code, reply, { retryable: decided.retryable });
    if (smtpCode === 421 || smtpCode === 432) return make('RATE_LIMITED', reply);
    if (smtpCode >= 400 && smtpCode < 500) {
      const throttled = explain(`${smtpCode} ${response}`)?.code === 'RATE_LIMITED' || (enhancedCode !== undefined && THROTTLE_ENHANCED.test(enhancedCode));
      return make(throttled ? 'RATE_LIMITED' : 'TRANSIENT', reply);
    }
    if (smtpCode === 530 || smtpCode === 534 || smtpCode === 535 || smtpCode === 538 || AUTH_COMMANDS.test(command) || failure.code === 'EAUTH') {
      return make('AUTH', reply);
    }
    // X.6.7 "Non-ASCII addresses not permitted" (RFC 6531): this server has no SMTPUTF8, so it
    // cannot carry the address; another transport may. Not a refusal of the message itself.
    if (enhancedCode === '5.6.7') return make('UNSUPPORTED', `${reply}: the server cannot carry an address whose part before "@" is not ASCII (no SMTPUTF8)`);
    if (failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE' || /^(MAIL|RCPT|DATA)/.test(command)) {
      const rejected = rejectedRecipients(failure);
      return make('REJECTED', reply, rejected.length > 0 ? { rejected } : {});
    }
    // A 5xx while setting up the session (greeting, EHLO, STARTTLS): retrying will not help, the
    // next adapter might.
    return make('TRANSIENT', reply, { retryable: false });
  }

  const text = failure.message ?? String(error);
  if (failure.code === 'ETLS' || CERTIFICATE.test(text) || CERTIFICATE.test(failure.originalCode ?? '')) {
    return make('TRANSIENT', `TLS failed${where}: ${text}`, { retryable: false });
  }
  if (failure.code === 'EAUTH' || failure.code === 'ENOAUTH' || failure.code === 'EOAUTH2') return make('AUTH', `authentication failed: ${text}`);
  if (failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE') return make('REJECTED', text, { rejected: rejectedRecipients(failure) });
  if (handedOver) {
    return make('AMBIGUOUS', `the connection was lost after the whole message was sent, before the server confirmed it (${text}); it may have been delivered`);
  }
  if (CONNECTION_CODES.has(failure.code ?? '') || /ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ETIMEDOUT/.test(`${failure.originalCode} ${text}`)) {
    return make('TRANSIENT', `connection failed${where}: ${text}`);
  }
  return make('TRANSIENT', text);
}

function rejectedRecipients(failure: SmtpFailure): string[] {
  if (Array.isArray(failure.rejected) && failure.rejected.length > 0) return failure.rejected;
  return [];
}
