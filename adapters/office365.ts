// Office 365 / Exchange Online SMTP submission: smtp.office365.com:587, STARTTLS, TLS 1.2+, at most
// 3 connections and 30 messages per minute per mailbox. Two ways in: basic (mailbox + password,
// which Microsoft is retiring: a warning says so once per process) and OAuth2 client credentials
// (AUTH XOAUTH2 with a token from src/kit/microsoft-token.ts). The SMTP work is adapters/smtp.ts.
import type { AdapterCapabilities, AdapterEndpoint, AdapterLimits, MailAdapter, SendContext, SendReceipt } from '../src/core/adapter.js';
import { senderAdvice } from '../src/core/diagnose.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { defineDsn, dsnWholeNumber, microsoftAppCredentials, requireDsnPart } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { optionNames, refuseUnknownOptions, type KnownOptions } from '../src/core/known-options.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { MSAL_NODE, requireInstalled } from '../src/kit/optional-package.js';
import { MicrosoftTokenSource, OUTLOOK_SCOPE, type MicrosoftCertificate, type MicrosoftNetworkClient } from '../src/kit/microsoft-token.js';
import type { SendLimiter } from '../src/kit/send-limits.js';
import { OFFICE365_PRESET } from '../src/kit/smtp-presets.js';
import { SmtpAdapter, type SmtpTlsOptions } from './smtp.js';
import { scrubbingErrors, SecretScrubber } from '../src/core/secrets.js';

/** OAuth2 client credentials for the app registered in Entra ID (SMTP.SendAsApp permission). */
export interface Office365OAuthOptions {
  /** Directory (tenant) ID or domain. */
  tenant: string;
  /** Application (client) ID. */
  clientId: string;
  /** A client secret's value; or `certificate`. */
  clientSecret?: string;
  /** A certificate registered on the app (thumbprint + private key), instead of a secret. Default: none. */
  certificate?: MicrosoftCertificate;
  /** Identity platform host. Default https://login.microsoftonline.com. */
  authority?: string;
  /** msal's HTTP client (a proxy, or tests). Default msal's own. */
  networkClient?: MicrosoftNetworkClient;
}

export interface Office365Options {
  /** The sending mailbox's full address, also the SMTP user name. */
  mailbox: string;
  /** Basic auth: the mailbox password. Give this or `oauth` (or `tokenSource`). */
  password?: string;
  /** OAuth2 client credentials: tokens for https://outlook.office365.com/.default. */
  oauth?: Office365OAuthOptions;
  /** A token source to share (e.g. one app sending from several mailboxes). Its scope must be the Outlook one. */
  tokenSource?: MicrosoftTokenSource;
  /** Adapter name. Default "office365". */
  name?: string;
  /** SMTP host. Default smtp.office365.com (STARTTLS is kept whatever the host). */
  host?: string;
  /** Default 587. */
  port?: number;
  /** Extra CAs (a proxy or a test server). Default: certificates checked against the system's CAs, TLS 1.2 or later. */
  tls?: SmtpTlsOptions;
  /** Default 3: Microsoft allows 3 concurrent connections per mailbox. */
  maxConnections?: number;
  /** Default 30 per minute per mailbox (Exchange Online); or a limiter shared by every adapter of this mailbox. */
  messagesPerMinute?: number | SendLimiter;
  /** Longest a message waits for a slot before failing RATE_LIMITED. Default 10,000 ms. */
  maxWaitMs?: number;
  /** Default 30,000 ms. */
  greetingTimeoutMs?: number;
}

/** The process-wide warning code for basic auth, so it is emitted once however many adapters exist. */
export const BASIC_AUTH_WARNING_CODE = 'MAILROOM_O365_BASIC_AUTH';
let basicAuthWarned = false;

// Every option name, for the check of a JavaScript caller's typo (src/core/known-options.ts).
const OFFICE365_OPTIONS: KnownOptions = {
  names: optionNames<Office365Options>({
    mailbox: true, password: true, oauth: true, tokenSource: true, name: true, host: true, port: true, tls: true, maxConnections: true,
    messagesPerMinute: true, maxWaitMs: true, greetingTimeoutMs: true,
  }),
  nested: {
    oauth: optionNames<Office365OAuthOptions>({ tenant: true, clientId: true, clientSecret: true, certificate: true, authority: true, networkClient: true }),
    tls: optionNames<SmtpTlsOptions>({ ca: true, rejectUnauthorized: true, minVersion: true, servername: true }),
  },
};

export class Office365Adapter implements MailAdapter {
  readonly name: string;
  readonly mailbox: string;
  readonly capabilities: AdapterCapabilities;
  readonly mode: 'basic' | 'oauth2';
  readonly #smtp: SmtpAdapter;
  // The SMTP adapter scrubs the password; a token failure may echo the app's client secret.
  readonly #secrets: SecretScrubber;

  constructor(options: Office365Options) {
    refuseUnknownOptions('the office365 adapter', options, OFFICE365_OPTIONS);
    const name = options.name ?? 'office365';
    if (!options.mailbox) throw new MailError('CONFIG', 'the Office 365 adapter needs the sending mailbox (its full address)', { provider: name });
    const tokens = options.tokenSource ?? (options.oauth
      ? new MicrosoftTokenSource({ ...options.oauth, scope: OUTLOOK_SCOPE, provider: name })
      : undefined);
    if (!tokens && !options.password) {
      throw new MailError('CONFIG', 'the Office 365 adapter needs a password (basic auth) or OAuth2 client credentials', { provider: name });
    }
    if (tokens && tokens.scope !== OUTLOOK_SCOPE) {
      throw new MailError('CONFIG', `the token source must request ${OUTLOOK_SCOPE} for SMTP, not ${tokens.scope}`, { provider: name });
    }
    this.name = name;
    this.mailbox = options.mailbox;
    this.mode = tokens ? 'oauth2' : 'basic';
    if (this.mode === 'basic') warnBasicAuth();
    this.#smtp = new SmtpAdapter({
      name,
      host: options.host ?? OFFICE365_PRESET.host,
      port: options.port ?? OFFICE365_PRESET.port,
      secure: false,
      requireTLS: true,
      tls: { minVersion: OFFICE365_PRESET.minVersion, ...options.tls },
      auth: tokens
        ? { user: options.mailbox, token: ({ forceRefresh }) => tokens.getToken({ forceRefresh }) }
        : { user: options.mailbox, pass: options.password! },
      maxConnections: options.maxConnections ?? OFFICE365_PRESET.maxConnections,
      messagesPerMinute: options.messagesPerMinute ?? OFFICE365_PRESET.messagesPerMinute,
      ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
      ...(options.greetingTimeoutMs !== undefined ? { greetingTimeoutMs: options.greetingTimeoutMs } : {}),
      // Exchange Online takes at most 500 recipients per message.
      capabilities: { maxRecipients: 500 },
    });
    this.capabilities = this.#smtp.capabilities;
    this.#secrets = new SecretScrubber([options.password, options.oauth?.clientSecret]);
  }

  async send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
    const receipt = await scrubbingErrors(this.#secrets, () => this.#smtp.send(message, ctx));
    const advice = senderAdvice(message.from.address);
    return advice ? { ...receipt, warnings: [...(receipt.warnings ?? []), advice] } : receipt;
  }

  verify(ctx?: { signal?: AbortSignal }): Promise<void> {
    return scrubbingErrors(this.#secrets, () => this.#smtp.verify(ctx));
  }

  close(): Promise<void> {
    return this.#smtp.close();
  }

  get endpoint(): AdapterEndpoint {
    return this.#smtp.endpoint;
  }

  get limits(): AdapterLimits {
    return this.#smtp.limits;
  }

  toString(): string {
    return `${String(this.#smtp)} [${this.mode}]`;
  }
}

/** Office 365 SMTP: basic (`password`) or OAuth2 (`oauth`). Defaults: 3 connections, 30 messages/minute. */
export function office365Adapter(options: Office365Options): Office365Adapter {
  return new Office365Adapter(options);
}

/**
 * `office365://user%40corp.com:PASSWORD@default` (basic; a host other than `default` replaces
 * smtp.office365.com) or `office365+oauth://user%40corp.com@TENANT?client_id=..&client_secret=..`
 * (options: authority, smtp_host, smtp_port). Both: maxConnections, messagesPerMinute, name.
 */
export function fromDsn(dsn: ParsedDsn): Office365Adapter {
  return office365Adapter(office365OptionsFromDsn(dsn));
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
    requireInstalled(MSAL_NODE, dsn.options.name ?? 'office365');
    const { clientId, clientSecret, tenant } = microsoftAppCredentials(dsn);
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

export const dsn = defineDsn({
  schemes: {
    office365: 'office365://user%40corp.com:PASSWORD@default',
    'office365+oauth': 'office365+oauth://user%40corp.com@TENANT?client_id=...&client_secret=...',
  },
  userIsMailbox: true,
  order: 3,
  options: office365OptionsFromDsn,
  create: office365Adapter,
});

function warnBasicAuth(): void {
  if (basicAuthWarned) return;
  basicAuthWarned = true;
  process.emitWarning(
    'Office 365 basic auth (mailbox + password) for SMTP works only until the tenant\'s administrator or Microsoft turns it off: Microsoft disables it by default for existing tenants from the end of December 2026. Move to OAuth2: register an app with the SMTP.SendAsApp permission, register its service principal in Exchange and grant it the mailbox, then use office365+oauth://mailbox@TENANT?client_id=..&client_secret=.. (or graph:// with Mail.Send). See README "Office 365".',
    { code: BASIC_AUTH_WARNING_CODE, type: 'MailroomWarning' },
  );
}
