// The remedy catalogue: turns a failure (a MailError or any pasted text, such as an SMTP reply
// from a log) into a sentence a person can act on. Rules are tried in order; the first match wins.
import { MailError } from './errors.js';

/** What the catalogue knows about a failure. */
export interface Diagnosis {
  /** Short name of the rule that matched, e.g. "o365-smtp-auth-disabled". */
  rule: string;
  /** What the failure means. */
  meaning: string;
  /** What to do about it. */
  remedy: string;
  /** Whether retrying the same adapter can help. */
  retry: boolean;
}

interface Rule extends Diagnosis {
  /** Matched against "<smtpCode> <enhancedCode> <message>". */
  match: RegExp;
}

const RULES: Rule[] = [
  {
    rule: 'o365-smtp-auth-disabled',
    match: /5\.7\.139/,
    meaning: 'SMTP AUTH is disabled for this mailbox or tenant, or blocked by Security Defaults or Conditional Access',
    remedy: 'SMTP AUTH is disabled for this mailbox: enable it in Microsoft 365 admin center > Active users > Mail > Manage email apps > Authenticated SMTP (and for the tenant: Set-TransportConfig -SmtpClientAuthenticationDisabled $false), or switch to OAuth2 (office365+oauth:// or graph://).',
    retry: false,
  },
];

/** Looks a failure text up in the catalogue. */
export function explain(text: string): Diagnosis | undefined {
  const rule = RULES.find((candidate) => candidate.match.test(text));
  if (!rule) return undefined;
  const { match: _match, ...diagnosis } = rule;
  return diagnosis;
}

/** Adds a remedy to the error when the catalogue knows one and the error has none yet. */
export function diagnose(error: MailError): MailError {
  if (error.remedy) return error;
  const diagnosis = explain([error.smtpCode, error.enhancedCode, error.message].filter(Boolean).join(' '));
  if (diagnosis) error.remedy = diagnosis.remedy;
  return error;
}
