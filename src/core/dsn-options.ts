// What an adapter file declares about its DSN schemes, and the helpers its option reader is built
// from. Each adapter in adapters/ exports `dsn = defineDsn({...})`; the DSN table (src/core/dsn.ts)
// is built from those declarations (src/core/adapter-index.ts, generated), not from a second list.
// A reader imports nothing heavy, so `createMailer` can run every reader at setup: a DSN that lacks
// its key, its domain or its tenant is a CONFIG error at boot, while the SDKs (nodemailer, msal,
// the AWS SDK) still load only when an adapter first sends. The errors here carry no remedy: the
// DSN table adds the scheme's example (`dsnRemedy`).
import type { MailAdapter } from './adapter.js';
import type { ParsedDsn } from './dsn.js';
import { MailError } from './errors.js';
import { closestName } from './known-options.js';
import { resolveBaseUrl } from '../kit/http.js';

/** One adapter file's DSN schemes, as `defineDsn` returns it. */
export interface AdapterDsn {
  /** Scheme -> the DSN's shape, shown in every error about it: `{ 'brevo+api': 'brevo+api://KEY@default' }`. */
  readonly schemes: Readonly<Record<string, string>>;
  /**
   * The user part names a mailbox or a login (printed in a redacted DSN). When not declared, the
   * user part is a secret (an API key) and prints as "***".
   */
  readonly userIsMailbox: boolean;
  /** `outbox://./outbox`, `memory://`: a path, no host. */
  readonly pathOnly: boolean;
  /**
   * The password slot holds a public value (Mailgun's sending domain): not one of the DSN's secrets,
   * so scrubbers built from them (alerts, admin answers) leave addresses at that domain readable.
   */
  readonly passwordIsPublic: boolean;
  /** Where the schemes appear in help texts (lower first; default 100, then by scheme). */
  readonly order: number;
  /** Reads and checks the options; throws CONFIG on a mistake. Never loads an SDK. */
  options(dsn: ParsedDsn): object;
  /** The adapter for a DSN that passed `options`. */
  fromDsn(dsn: ParsedDsn): MailAdapter;
}

export interface DsnDeclaration<Options extends object> {
  schemes: Readonly<Record<string, string>>;
  userIsMailbox?: boolean;
  pathOnly?: boolean;
  passwordIsPublic?: boolean | undefined;
  order?: number;
  options(dsn: ParsedDsn): Options;
  create(options: Options): MailAdapter;
}

/** The declaration an adapter file exports as `dsn`. */
export function defineDsn<Options extends object>(declaration: DsnDeclaration<Options>): AdapterDsn {
  return Object.freeze({
    schemes: Object.freeze({ ...declaration.schemes }),
    userIsMailbox: declaration.userIsMailbox ?? false,
    pathOnly: declaration.pathOnly ?? false,
    passwordIsPublic: declaration.passwordIsPublic ?? false,
    order: declaration.order ?? 100,
    options: declaration.options,
    fromDsn: (dsn: ParsedDsn) => declaration.create(declaration.options(dsn)),
  });
}

/** Requires an option or user part, with an error that names it. */
export function requireDsnPart(dsn: ParsedDsn, value: string | undefined, what: string): string {
  if (value) return value;
  // A missing option is often a misspelled one (client_secert): naming it here, since this refusal
  // comes before the check of unknown options would have pointed at the typo.
  const typed = Object.keys(dsn.options).find((name) => closestName(name, [what]) === what);
  throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" lacks ${what}${typed ? ` (it has "${typed}": did you mean "${what}"?)` : ''}`);
}

/**
 * An API DSN's key: its user part. Without any "@" (brevo+api://KEY) the key was read as the host:
 * say that, rather than only "lacks the API key" next to a DSN that visibly holds one.
 */
export function dsnApiKey(dsn: ParsedDsn): string {
  if (dsn.user === undefined && !dsn.isDefaultHost) {
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" has no "@default" (or "@host"): the API key was read as the host name, so the DSN lacks the API key`);
  }
  return requireDsnPart(dsn, dsn.user, 'the API key');
}

/**
 * A query option that counts something (connections, messages per minute, milliseconds): a whole
 * number of at least 1, or undefined when absent. A typo is a CONFIG error, never a silent default
 * (or no limit at all).
 */
export function dsnWholeNumber(dsn: ParsedDsn, key: string): number | undefined {
  const value = dsn.options[key];
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" has ${key}=${value}, which is not a whole number of at least 1`);
  }
  return parsed;
}

/** An option that takes one of a few values, e.g. region=us|eu. */
export function dsnChoice<T extends string>(dsn: ParsedDsn, key: string, choices: readonly T[]): T | undefined {
  const value = dsn.options[key];
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" has ${key}=${value}: use ${choices.join(', ')}`);
  }
  return value as T;
}

/**
 * A yes/no option: true, false, or undefined when absent. Anything else (TRUE, 1, yes) is a CONFIG
 * error: read as "not true" it would silently mean the default.
 */
export function dsnBoolean(dsn: Pick<ParsedDsn, 'options'> & Partial<Pick<ParsedDsn, 'scheme' | 'redacted'>>, key: string): boolean | undefined {
  const value = dsn.options[key];
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') {
    const named = dsn.scheme && dsn.redacted ? `the ${dsn.scheme} DSN "${dsn.redacted}"` : 'the DSN';
    throw new MailError('CONFIG', `${named} has ${key}=${value}: use true, false`);
  }
  return value === 'true';
}

type BaseUrlDsn = { isDefaultHost: boolean; host: string; port?: number; options: Record<string, string> } & Partial<Pick<ParsedDsn, 'scheme' | 'redacted'>>;

/** The base URL a DSN names: undefined for `@default`, else https (or http with `insecure=true`, loopback only). */
export function baseUrlFromDsn(dsn: BaseUrlDsn): string | undefined {
  if (dsn.isDefaultHost) return undefined;
  const insecure = dsnBoolean(dsn, 'insecure') === true;
  const host = dsn.host.includes(':') && !dsn.host.startsWith('[') ? `[${dsn.host}]` : dsn.host;
  const baseUrl = `${insecure ? 'http' : 'https'}://${host}${dsn.port ? `:${dsn.port}` : ''}`;
  if (insecure) requireLoopbackForHttp(dsn, baseUrl);
  return baseUrl;
}

// The adapter refuses plain http to any host but loopback when it is created (resolveBaseUrl), which
// is at the first send. The same check made while the DSN is read fails createMailer instead: a
// production DSN left with insecure=true never leaves its messages pending. The error names the
// DSN redacted, never the URL, whose host is the key when "@default" was forgotten.
function requireLoopbackForHttp(dsn: BaseUrlDsn, baseUrl: string): void {
  try {
    resolveBaseUrl(dsn.scheme ?? 'dsn', { defaultUrl: baseUrl });
  } catch {
    const named = dsn.scheme && dsn.redacted ? `the ${dsn.scheme} DSN "${dsn.redacted}"` : 'the DSN';
    throw new MailError('CONFIG', `${named} has insecure=true (plain http), which is allowed only to a loopback host (127.0.0.1, localhost, [::1]) for a local test server: remove insecure=true to use https`);
  }
}

/**
 * The DSN query options every HTTP adapter (SES and Graph too) takes: `name` (in the chain),
 * `timeout`, the adapter's connect timeout in ms (the attempt as a whole is bounded by the chain's
 * `timeoutMs`), and `messagesPerMinute`, the account's pace (src/kit/adapter-pace.ts).
 */
export function dsnCommonOptions(dsn: ParsedDsn): { name?: string; connectTimeoutMs?: number; messagesPerMinute?: number } {
  const connectTimeoutMs = dsnWholeNumber(dsn, 'timeout');
  const messagesPerMinute = dsnWholeNumber(dsn, 'messagesPerMinute');
  return {
    ...(dsn.options.name ? { name: dsn.options.name } : {}),
    ...(connectTimeoutMs ? { connectTimeoutMs } : {}),
    ...(messagesPerMinute ? { messagesPerMinute } : {}),
  };
}

/** office365+oauth:// and graph://: the host is the tenant, the app's credentials are query options. */
export function microsoftAppCredentials(dsn: ParsedDsn): { tenant: string; clientId: string; clientSecret: string } {
  if (dsn.isDefaultHost) {
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" names no tenant: the part after "@" is the Directory (tenant) ID or the tenant's domain (corp.onmicrosoft.com), not "default"`);
  }
  return {
    tenant: dsn.host,
    clientId: requireDsnPart(dsn, dsn.options.client_id, 'client_id'),
    clientSecret: requireDsnPart(dsn, dsn.options.client_secret, 'client_secret'),
  };
}
