// From a parsed DSN to an adapter's options, for every scheme. These readers import no adapter
// module (only option types), so `createMailer` can run them all at setup: a DSN that lacks its key,
// its domain or its tenant is a CONFIG error at boot, not at the first send, while the adapter
// modules themselves (nodemailer, msal...) still load only when the chain is first used.
import type { BrevoOptions } from '../../adapters/brevo.js';
import type { MailgunOptions } from '../../adapters/mailgun.js';
import type { MailjetOptions } from '../../adapters/mailjet.js';
import type { MemoryOptions } from '../../adapters/memory.js';
import type { GraphOptions } from '../../adapters/microsoft-graph.js';
import type { Office365Options } from '../../adapters/office365.js';
import type { OutboxOptions } from '../../adapters/outbox.js';
import type { PostmarkOptions } from '../../adapters/postmark.js';
import type { ResendOptions } from '../../adapters/resend.js';
import type { SendgridOptions } from '../../adapters/sendgrid.js';
import type { SparkpostOptions } from '../../adapters/sparkpost.js';
import type { SesOptions } from '../../adapters/ses.js';
import type { SmtpAdapterOptions } from '../../adapters/smtp.js';
import type { Smtp2goOptions } from '../../adapters/smtp2go.js';
import type { ParsedDsn } from './dsn.js';
import { MailError } from './errors.js';
import { GMAIL_PRESET, zohoPreset, type SmtpPreset } from '../kit/smtp-presets.js';

/** The shape of each scheme's DSN, shown in every error about one. */
export const DSN_EXAMPLES: Readonly<Record<string, string>> = Object.freeze({
  outbox: 'outbox://./outbox',
  memory: 'memory://',
  smtp: 'smtp://user:pass@smtp.example.com:587',
  smtps: 'smtps://user:pass@smtp.example.com:465',
  gmail: 'gmail://user%40gmail.com:APP_PASSWORD@default',
  zoho: 'zoho://user%40example.com:APP_PASSWORD@default?region=eu',
  office365: 'office365://user%40corp.com:PASSWORD@default',
  'office365+oauth': 'office365+oauth://user%40corp.com@TENANT?client_id=...&client_secret=...',
  graph: 'graph://user%40corp.com@TENANT?client_id=...&client_secret=...',
  'brevo+api': 'brevo+api://KEY@default',
  'mailjet+api': 'mailjet+api://KEY:SECRET@default',
  'mailgun+api': 'mailgun+api://KEY:mg.example.com@default?region=eu',
  'smtp2go+api': 'smtp2go+api://KEY@default',
  'ses+api': 'ses+api://ACCESS_KEY_ID:SECRET@default?region=eu-west-1',
  'postmark+api': 'postmark+api://SERVER_TOKEN@default?message_stream=outbound',
  'sendgrid+api': 'sendgrid+api://KEY@default?region=eu',
  'resend+api': 'resend+api://KEY@default',
  'sparkpost+api': 'sparkpost+api://KEY@default?region=eu',
});

/** "write it as brevo+api://KEY@default (README "Configuration strings")": the remedy of a DSN mistake. */
export function dsnRemedy(scheme: string | undefined): string {
  const example = scheme ? DSN_EXAMPLES[scheme] : undefined;
  const encoding = 'percent-encode "@" as %40, "&" as %26, "%" as %25 inside a value; "+" is kept as it is';
  return example
    ? `write it as ${example} (${encoding}); see README "Configuration strings"`
    : `write the DSN as scheme://..., e.g. ${DSN_EXAMPLES.smtp} or ${DSN_EXAMPLES['brevo+api']} (${encoding}); see README "Configuration strings"`;
}

/** Requires an option or user part, with an error that names it; the remedy shows the DSN's form. */
export function requireDsnPart(dsn: ParsedDsn, value: string | undefined, what: string): string {
  if (!value) throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" lacks ${what}`, { remedy: dsnRemedy(dsn.scheme) });
  return value;
}

// An API DSN's key is its user part. Without any "@" (brevo+api://KEY) the key was read as the
// host: say that, rather than only "lacks the API key" next to a DSN that visibly holds one.
function apiKey(dsn: ParsedDsn): string {
  if (dsn.user === undefined && !dsn.isDefaultHost) {
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" has no "@default" (or "@host"): the API key was read as the host name, so the DSN lacks the API key`, { remedy: dsnRemedy(dsn.scheme) });
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
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" has ${key}=${value}, which is not a whole number of at least 1`, { remedy: dsnRemedy(dsn.scheme) });
  }
  return parsed;
}

/** An option that takes one of a few values, e.g. region=us|eu. */
function dsnChoice<T extends string>(dsn: ParsedDsn, key: string, choices: readonly T[]): T | undefined {
  const value = dsn.options[key];
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" has ${key}=${value}: use ${choices.join(', ')}`, { remedy: dsnRemedy(dsn.scheme) });
  }
  return value as T;
}

/** The base URL a DSN names: undefined for `@default`, else https (or http with `insecure=true`, loopback only). */
export function baseUrlFromDsn(dsn: { isDefaultHost: boolean; host: string; port?: number; options: Record<string, string> }): string | undefined {
  if (dsn.isDefaultHost) return undefined;
  const protocol = dsn.options.insecure === 'true' ? 'http' : 'https';
  const host = dsn.host.includes(':') && !dsn.host.startsWith('[') ? `[${dsn.host}]` : dsn.host;
  return `${protocol}://${host}${dsn.port ? `:${dsn.port}` : ''}`;
}

/**
 * The DSN query options every HTTP adapter takes: `name` (in the chain) and `timeout`, the
 * adapter's connect timeout in ms (the attempt as a whole is bounded by the chain's `timeoutMs`).
 */
export function dsnCommonOptions(dsn: ParsedDsn): { name?: string; connectTimeoutMs?: number } {
  const connectTimeoutMs = dsnWholeNumber(dsn, 'timeout');
  return { ...(dsn.options.name ? { name: dsn.options.name } : {}), ...(connectTimeoutMs ? { connectTimeoutMs } : {}) };
}

export function outboxOptionsFromDsn(dsn: ParsedDsn): OutboxOptions {
  return { dir: dsn.path || './outbox', ...(dsn.options.name ? { name: dsn.options.name } : {}) };
}

export function memoryOptionsFromDsn(dsn: ParsedDsn): MemoryOptions {
  return dsn.options.name ? { name: dsn.options.name } : {};
}

/**
 * `smtp://user:pass@host:587` (STARTTLS), `smtps://user:pass@host:465` or any DSN on port 465 (implicit TLS),
 * `smtp://relay.corp.local:25` (a connector, no AUTH), `gmail://user%40gmail.com:APP_PASSWORD@default`,
 * `zoho://user%40corp.com:pass@default?region=eu&organization=true`.
 * Query options: requireTLS=false, maxConnections, maxMessages, messagesPerMinute, name.
 */
export function smtpOptionsFromDsn(dsn: ParsedDsn): SmtpAdapterOptions {
  const preset = smtpPreset(dsn);
  const host = dsn.isDefaultHost ? preset?.host : dsn.host;
  if (!host) throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" needs a host: ${DSN_EXAMPLES.smtp}`, { remedy: dsnRemedy(dsn.scheme) });
  // Port 465 is implicit TLS (RFC 8314): a STARTTLS client there waits for a greeting that never comes.
  const secure = dsn.scheme === 'smtps' || dsn.port === 465 || (preset?.secure ?? false);
  if (preset) requireDsnPart(dsn, dsn.password, 'a password');
  const auth = dsn.user !== undefined ? { user: dsn.user, pass: dsn.password ?? '' } : undefined;
  return {
    name: dsn.options.name ?? (dsn.scheme === 'smtps' ? 'smtp' : dsn.scheme),
    host,
    port: dsn.port ?? (secure ? 465 : preset?.port ?? 587),
    secure,
    ...(dsn.options.requireTLS === 'false' ? { requireTLS: false } : {}),
    ...(auth ? { auth } : {}),
    ...(preset?.minVersion ? { tls: { minVersion: preset.minVersion } } : {}),
    maxConnections: dsnWholeNumber(dsn, 'maxConnections') ?? preset?.maxConnections,
    maxMessages: dsnWholeNumber(dsn, 'maxMessages'),
    messagesPerMinute: dsnWholeNumber(dsn, 'messagesPerMinute') ?? preset?.messagesPerMinute,
  };
}

function smtpPreset(dsn: ParsedDsn): SmtpPreset | undefined {
  if (dsn.scheme === 'gmail') return GMAIL_PRESET;
  if (dsn.scheme !== 'zoho') return undefined;
  try {
    return zohoPreset(dsn.options.region ?? 'com', dsn.options.organization === 'true');
  } catch (error) {
    throw Object.assign(error as MailError, { remedy: dsnRemedy(dsn.scheme) });
  }
}

export function office365OptionsFromDsn(dsn: ParsedDsn): Office365Options {
  const mailbox = requireDsnPart(dsn, dsn.user, 'the mailbox');
  const maxConnections = dsnWholeNumber(dsn, 'maxConnections');
  const messagesPerMinute = dsnWholeNumber(dsn, 'messagesPerMinute');
  const common = {
    mailbox,
    ...(dsn.options.name ? { name: dsn.options.name } : {}),
    ...(maxConnections ? { maxConnections } : {}),
    ...(messagesPerMinute ? { messagesPerMinute } : {}),
  };
  if (dsn.scheme === 'office365+oauth') {
    const { clientId, clientSecret, tenant } = appCredentials(dsn);
    const smtpPort = dsnWholeNumber(dsn, 'smtp_port');
    return {
      ...common,
      oauth: { tenant, clientId, clientSecret, ...(dsn.options.authority ? { authority: dsn.options.authority } : {}) },
      ...(dsn.options.smtp_host ? { host: dsn.options.smtp_host } : {}),
      ...(smtpPort ? { port: smtpPort } : {}),
    };
  }
  const password = requireDsnPart(dsn, dsn.password, 'the password');
  return { ...common, password, ...(dsn.isDefaultHost ? {} : { host: dsn.host }), ...(dsn.port ? { port: dsn.port } : {}) };
}

export function graphOptionsFromDsn(dsn: ParsedDsn): GraphOptions {
  const mailbox = requireDsnPart(dsn, dsn.user, 'the mailbox');
  const { clientId, clientSecret, tenant } = appCredentials(dsn);
  return {
    mailbox,
    tenant,
    clientId,
    clientSecret,
    ...(dsn.options.authority ? { authority: dsn.options.authority } : {}),
    ...(dsn.options.base_url ? { baseUrl: dsn.options.base_url } : {}),
    ...(dsn.options.save_to_sent_items === 'false' ? { saveToSentItems: false } : {}),
    ...dsnCommonOptions(dsn),
  };
}

// office365+oauth:// and graph://: the host is the tenant, the app's credentials are query options.
function appCredentials(dsn: ParsedDsn): { tenant: string; clientId: string; clientSecret: string } {
  if (dsn.isDefaultHost) {
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" names no tenant: the part after "@" is the Directory (tenant) ID or the tenant's domain (corp.onmicrosoft.com), not "default"`, { remedy: dsnRemedy(dsn.scheme) });
  }
  return {
    tenant: dsn.host,
    clientId: requireDsnPart(dsn, dsn.options.client_id, 'client_id'),
    clientSecret: requireDsnPart(dsn, dsn.options.client_secret, 'client_secret'),
  };
}

export function brevoOptionsFromDsn(dsn: ParsedDsn): BrevoOptions {
  return { apiKey: apiKey(dsn), baseUrl: baseUrlFromDsn(dsn), ...dsnCommonOptions(dsn) };
}

export function mailjetOptionsFromDsn(dsn: ParsedDsn): MailjetOptions {
  return {
    apiKey: apiKey(dsn),
    secretKey: requireDsnPart(dsn, dsn.password, 'the secret key'),
    baseUrl: baseUrlFromDsn(dsn),
    ...dsnCommonOptions(dsn),
  };
}

export function mailgunOptionsFromDsn(dsn: ParsedDsn): MailgunOptions {
  return {
    apiKey: apiKey(dsn),
    domain: requireDsnPart(dsn, dsn.password, 'the sending domain'),
    region: dsnChoice(dsn, 'region', ['us', 'eu'] as const) ?? 'us',
    baseUrl: baseUrlFromDsn(dsn),
    ...dsnCommonOptions(dsn),
  };
}

/** `smtp2go+api://KEY@default` (`?region=eu|us|au`); another host[:port] replaces api.smtp2go.com. */
export function smtp2goOptionsFromDsn(dsn: ParsedDsn): Smtp2goOptions {
  const region = dsnChoice(dsn, 'region', ['us', 'eu', 'au'] as const);
  return {
    apiKey: apiKey(dsn),
    ...(region ? { region } : {}),
    baseUrl: baseUrlFromDsn(dsn),
    ...dsnCommonOptions(dsn),
  };
}

export function sesOptionsFromDsn(dsn: ParsedDsn): SesOptions {
  if ((dsn.user === undefined) !== (dsn.password === undefined)) {
    throw new MailError('CONFIG', `the ses DSN "${dsn.redacted}" needs both ACCESS:SECRET, or neither for the default credential chain`, { remedy: dsnRemedy(dsn.scheme) });
  }
  const base = baseUrlFromDsn(dsn);
  return {
    ...(dsn.options.region ? { region: dsn.options.region } : {}),
    ...(dsn.user && dsn.password ? { credentials: { accessKeyId: dsn.user, secretAccessKey: dsn.password, ...(dsn.options.session_token ? { sessionToken: dsn.options.session_token } : {}) } } : {}),
    ...(dsn.options.configuration_set ? { configurationSet: dsn.options.configuration_set } : {}),
    ...(base ? { endpoint: base } : {}),
    ...dsnCommonOptions(dsn),
  };
}

/** `postmark+api://SERVER_TOKEN@default` (`?message_stream=ID`); another host[:port] replaces api.postmarkapp.com. */
export function postmarkOptionsFromDsn(dsn: ParsedDsn): PostmarkOptions {
  return {
    serverToken: apiKey(dsn),
    ...(dsn.options.message_stream ? { messageStream: dsn.options.message_stream } : {}),
    baseUrl: baseUrlFromDsn(dsn),
    ...dsnCommonOptions(dsn),
  };
}

/** `sendgrid+api://KEY@default` (`?region=eu`: api.eu.sendgrid.com); another host[:port] replaces the region's host. */
export function sendgridOptionsFromDsn(dsn: ParsedDsn): SendgridOptions {
  const region = dsnChoice(dsn, 'region', ['global', 'eu'] as const);
  return { apiKey: apiKey(dsn), ...(region ? { region } : {}), baseUrl: baseUrlFromDsn(dsn), ...dsnCommonOptions(dsn) };
}

/** `resend+api://KEY@default`; another host[:port] replaces api.resend.com. */
export function resendOptionsFromDsn(dsn: ParsedDsn): ResendOptions {
  return { apiKey: apiKey(dsn), baseUrl: baseUrlFromDsn(dsn), ...dsnCommonOptions(dsn) };
}

/** `sparkpost+api://KEY@default` (`?region=eu`: api.eu.sparkpost.com); another host[:port] replaces the region's host. */
export function sparkpostOptionsFromDsn(dsn: ParsedDsn): SparkpostOptions {
  const region = dsnChoice(dsn, 'region', ['us', 'eu'] as const);
  return { apiKey: apiKey(dsn), ...(region ? { region } : {}), baseUrl: baseUrlFromDsn(dsn), ...dsnCommonOptions(dsn) };
}

/** Scheme -> the adapter file in adapters/ and the reader of its options. */
export const DSN_READERS: Readonly<Record<string, { file: string; read: (dsn: ParsedDsn) => object }>> = Object.freeze({
  outbox: { file: 'outbox', read: outboxOptionsFromDsn },
  memory: { file: 'memory', read: memoryOptionsFromDsn },
  smtp: { file: 'smtp', read: smtpOptionsFromDsn },
  smtps: { file: 'smtp', read: smtpOptionsFromDsn },
  gmail: { file: 'smtp', read: smtpOptionsFromDsn },
  zoho: { file: 'smtp', read: smtpOptionsFromDsn },
  office365: { file: 'office365', read: office365OptionsFromDsn },
  'office365+oauth': { file: 'office365', read: office365OptionsFromDsn },
  graph: { file: 'microsoft-graph', read: graphOptionsFromDsn },
  'brevo+api': { file: 'brevo', read: brevoOptionsFromDsn },
  'mailjet+api': { file: 'mailjet', read: mailjetOptionsFromDsn },
  'mailgun+api': { file: 'mailgun', read: mailgunOptionsFromDsn },
  'smtp2go+api': { file: 'smtp2go', read: smtp2goOptionsFromDsn },
  'ses+api': { file: 'ses', read: sesOptionsFromDsn },
  'postmark+api': { file: 'postmark', read: postmarkOptionsFromDsn },
  'sendgrid+api': { file: 'sendgrid', read: sendgridOptionsFromDsn },
  'resend+api': { file: 'resend', read: resendOptionsFromDsn },
  'sparkpost+api': { file: 'sparkpost', read: sparkpostOptionsFromDsn },
});
