// Microsoft Graph sendMail (PROVIDERS.md §6): `POST /v1.0/users/{mailbox}/sendMail` with an app-only
// token (Mail.Send application permission) from src/kit/microsoft-token.ts; JSON message with
// recipients, reply-to, html/text body, file and inline attachments, `x-` headers; 202 means
// accepted (Graph returns no message id). HTTP goes through src/kit/http.ts.
import { allRecipients, httpEndpoint, sendWithin, type AdapterCapabilities, type AdapterEndpoint, type AdapterLimits, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import type { Address } from '../src/core/address.js';
import { senderAdvice } from '../src/core/diagnose.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { defineDsn, dsnBoolean, dsnCommonOptions, microsoftAppCredentials, requireDsnPart } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { optionNames, refuseUnknownOptions, type KnownOptions } from '../src/core/known-options.js';
import { errorFromResponse, httpRequest, resolveBaseUrl, scrub, successReceipt, unlessOtherSuccess, type HttpResponse, type SuccessRule } from '../src/kit/http.js';
import { headersWithTags, type NormalizedMessage } from '../src/core/message.js';
import { MSAL_NODE, requireInstalled } from '../src/kit/optional-package.js';
import { GRAPH_SCOPE, MicrosoftTokenSource, type MicrosoftCertificate, type MicrosoftNetworkClient } from '../src/kit/microsoft-token.js';
import { scrubbingErrors, SecretScrubber } from '../src/core/secrets.js';
import { adapterPace, type PaceOptions } from '../src/kit/adapter-pace.js';
import type { SendLimiter } from '../src/kit/send-limits.js';

export interface GraphOptions extends PaceOptions {
  /** The sending mailbox: its user principal name (usually the address) or object id. */
  mailbox: string;
  /** Directory (tenant) ID or domain. Not needed with `tokenSource`. */
  tenant?: string;
  /** Application (client) ID, with the Mail.Send application permission. */
  clientId?: string;
  /** A client secret's value; or `certificate`. */
  clientSecret?: string;
  /** A certificate registered on the app (thumbprint + private key), instead of a secret. Default: none. */
  certificate?: MicrosoftCertificate;
  /** A token source to share between adapters; its scope must be the Graph one. */
  tokenSource?: MicrosoftTokenSource;
  /** Identity platform host. Default https://login.microsoftonline.com. */
  authority?: string;
  /** msal's HTTP client (a proxy, or tests). Default msal's own. */
  networkClient?: MicrosoftNetworkClient;
  /** Graph host. Default https://graph.microsoft.com (national clouds differ); http only on loopback. */
  baseUrl?: string;
  /** Keep a copy in the mailbox's Sent Items. Default true (Graph's default). */
  saveToSentItems?: boolean;
  /**
   * Connect timeout: longest wait until the request is written (DNS, TCP, TLS). Default 10,000 ms.
   * The whole attempt is bounded by the chain's `timeoutMs` (README "Timeouts").
   */
  connectTimeoutMs?: number;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Name in a chain, journal and errors. Default "graph". */
  name?: string;
}

const DEFAULT_URL = 'https://graph.microsoft.com';

/** What Graph's JSON sendMail can carry (PROVIDERS.md §6 R1, R2, R5). */
export const GRAPH_CAPABILITIES: AdapterCapabilities = Object.freeze({
  attachments: true,
  inlineImages: true,
  // Without an upload session, which sendMail cannot use, an attachment is at most 3 MB (R5).
  maxAttachmentBytes: 3 * 1024 * 1024,
  maxTotalAttachmentBytes: Number.POSITIVE_INFINITY,
  // internetMessageHeaders must be named x-… (R2).
  customHeaders: 'x-only',
  // 400 InvalidInternetMessageHeaderCollection "Maximum number of headers in one message should be
  // less than or equal to 5." (Microsoft Q&A 762243, 2022).
  maxCustomHeaders: 5,
  // Tags and metadata travel as X-Mailroom-Tags / X-Mailroom-Metadata headers, like over SMTP.
  tags: true,
  maxTags: Number.POSITIVE_INFINITY,
  metadata: true,
  maxReplyTo: Number.POSITIVE_INFINITY,
  // 500 recipients per message (R2).
  maxRecipients: 500,
  unicodeLocalParts: false,
});

/**
 * 202 Accepted, with an empty body and no message id, is Graph's whole success answer (user-sendmail,
 * PROVIDERS.md §6 R1): the status alone proves the send, a lost body changes nothing.
 */
export const GRAPH_SUCCESS: SuccessRule = { statuses: [202], unreadableBody: 'sent', source: 'Graph user-sendmail: 202 Accepted with an empty body (PROVIDERS.md §6 R1)' };

// Every option name, for the check of a JavaScript caller's typo (src/core/known-options.ts).
const GRAPH_OPTIONS: KnownOptions = {
  names: optionNames<GraphOptions>({
    mailbox: true, tenant: true, clientId: true, clientSecret: true, certificate: true, tokenSource: true, authority: true, networkClient: true,
    baseUrl: true, saveToSentItems: true, connectTimeoutMs: true, fetch: true, name: true, messagesPerMinute: true, maxWaitMs: true,
  }),
};

export class GraphAdapter implements MailAdapter {
  readonly name: string;
  readonly capabilities = GRAPH_CAPABILITIES;
  readonly mailbox: string;
  /** Graph allows 4 concurrent requests per mailbox (MailboxConcurrency, answered 429 beyond). */
  readonly limits: AdapterLimits;
  readonly #tokens: MicrosoftTokenSource;
  readonly #limiter: SendLimiter | undefined;
  readonly #options: GraphOptions;
  readonly #baseUrl: string;
  // A token failure may echo the client secret; an error answer, the bearer token (scrubbed in #error).
  readonly #secrets: SecretScrubber;

  constructor(options: GraphOptions) {
    refuseUnknownOptions('the graph adapter', options, GRAPH_OPTIONS);
    const name = options.name ?? 'graph';
    if (!options.mailbox) throw new MailError('CONFIG', 'the Graph adapter needs the sending mailbox (user principal name or id)', { provider: name });
    const tokens = options.tokenSource ?? new MicrosoftTokenSource({
      tenant: options.tenant ?? '',
      clientId: options.clientId ?? '',
      ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
      ...(options.certificate ? { certificate: options.certificate } : {}),
      ...(options.authority ? { authority: options.authority } : {}),
      ...(options.networkClient ? { networkClient: options.networkClient } : {}),
      scope: GRAPH_SCOPE,
      provider: name,
    });
    if (tokens.scope !== GRAPH_SCOPE) throw new MailError('CONFIG', `the token source must request ${GRAPH_SCOPE}, not ${tokens.scope}`, { provider: name });
    this.name = name;
    this.mailbox = options.mailbox;
    const pace = adapterPace(options, name, `graph ${options.mailbox}`);
    this.#limiter = pace.limiter;
    this.limits = { account: `graph ${options.mailbox}`, concurrency: 4, ...(pace.limits ? { messagesPerMinute: pace.limits.messagesPerMinute } : {}) };
    this.#tokens = tokens;
    this.#options = options;
    this.#baseUrl = resolveBaseUrl(name, { baseUrl: options.baseUrl, defaultUrl: DEFAULT_URL });
    this.#secrets = new SecretScrubber([options.clientSecret]);
  }

  send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
    // Capabilities checked (x- headers, 5 headers, 3 MB attachments...), domains in punycode.
    return scrubbingErrors(this.#secrets, () => sendWithin(this, message, async (message) => {
      await this.#limiter?.acquire(ctx.signal);
      const body = { message: toGraphMessage(message), saveToSentItems: this.#options.saveToSentItems ?? true };
      let token = await this.#tokens.getToken();
      let response = await this.#post(body, token.accessToken, ctx.signal);
      // A cached token refused (revoked, or consent changed since): one retry with a fresh one.
      if (response.status === 401 && token.fromCache) {
        token = await this.#tokens.getToken({ forceRefresh: true });
        response = await this.#post(body, token.accessToken, ctx.signal);
      }
      const recipients = allRecipients(message);
      // Graph's 202 has no body to read: every answer with that status is the receipt.
      const receipt = successReceipt(response, GRAPH_SUCCESS, { provider: this.name, recipients, read: () => ({ accepted: recipients, rejected: [] }) });
      if (receipt) {
        const advice = senderAdvice(message.from.address);
        return advice ? { ...receipt, warnings: [...(receipt.warnings ?? []), advice] } : receipt;
      }
      throw unlessOtherSuccess(response, GRAPH_SUCCESS, this.#error(response, token.accessToken));
    }));
  }

  /** Checks the app's credentials with the identity platform now (a fresh token); sends nothing. */
  async verify(): Promise<void> {
    await scrubbingErrors(this.#secrets, () => this.#tokens.getToken({ forceRefresh: true }));
  }

  get endpoint(): AdapterEndpoint {
    return httpEndpoint(this.#baseUrl, 'oauth2');
  }

  toString(): string {
    return `${this.name}(${this.#baseUrl}, ${this.mailbox})`;
  }

  #post(json: unknown, accessToken: string, signal: AbortSignal): Promise<HttpResponse> {
    return httpRequest({
      provider: this.name,
      url: `${this.#baseUrl}/v1.0/users/${encodeURIComponent(this.mailbox)}/sendMail`,
      headers: { authorization: `Bearer ${accessToken}` },
      json,
      signal,
      ...(this.#options.connectTimeoutMs ? { connectTimeoutMs: this.#options.connectTimeoutMs } : {}),
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
    });
  }

  #error(response: HttpResponse, accessToken: string): MailError {
    const error = (response.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const detail = error && typeof error.message === 'string'
      ? `${typeof error.code === 'string' ? `${error.code}: ` : ''}${error.message}`
      : response.text;
    // The detail starts with Graph's error code: the catalogue makes an unknown or unlicensed sending
    // mailbox AUTH (it refuses every message: the chain moves on) and Send As refused REJECTED.
    return errorFromResponse(response, { provider: this.name, detail: scrub(detail, [accessToken, this.#options.clientSecret]) });
  }
}

/** Microsoft Graph sendMail with app-only credentials (Mail.Send). */
export function graphAdapter(options: GraphOptions): GraphAdapter {
  return new GraphAdapter(options);
}

/**
 * `graph://user%40corp.com@TENANT?client_id=..&client_secret=..`; options: authority (identity
 * host), base_url (Graph host), save_to_sent_items=false, name, timeout.
 */
export function fromDsn(dsn: ParsedDsn): GraphAdapter {
  return graphAdapter(graphOptionsFromDsn(dsn));
}

export function graphOptionsFromDsn(dsn: ParsedDsn): GraphOptions {
  const mailbox = requireDsnPart(dsn, dsn.user, 'the mailbox');
  const { clientId, clientSecret, tenant } = microsoftAppCredentials(dsn);
  requireInstalled(MSAL_NODE, dsn.options.name ?? 'graph');
  return {
    mailbox,
    tenant,
    clientId,
    clientSecret,
    ...(dsn.options.authority ? { authority: dsn.options.authority } : {}),
    // Checked as the DSN is read, so a base_url in plain http to a public host fails createMailer,
    // not the first send.
    ...(dsn.options.base_url ? { baseUrl: resolveBaseUrl(dsn.options.name ?? 'graph', { baseUrl: dsn.options.base_url, defaultUrl: DEFAULT_URL }) } : {}),
    ...(dsnBoolean(dsn, 'save_to_sent_items') === false ? { saveToSentItems: false } : {}),
    ...dsnCommonOptions(dsn),
  };
}

export const dsn = defineDsn({
  schemes: { graph: 'graph://user%40corp.com@TENANT?client_id=...&client_secret=...' },
  userIsMailbox: true,
  order: 4,
  options: graphOptionsFromDsn,
  create: graphAdapter,
});

function recipient(address: Address) {
  return { emailAddress: address.name ? { address: address.address, name: address.name } : { address: address.address } };
}

/** The Graph `message` resource for a NormalizedMessage (PROVIDERS.md §6, R1/R2). */
export function toGraphMessage(message: NormalizedMessage): Record<string, unknown> {
  const headers = headersWithTags(message);
  // Graph has one body: html when there is one (the text part is then dropped), else text.
  const body = message.html !== undefined ? { contentType: 'HTML', content: message.html } : { contentType: 'Text', content: message.text ?? '' };
  return {
    subject: message.subject,
    body,
    from: recipient(message.from),
    toRecipients: message.to.map(recipient),
    ...(message.cc.length ? { ccRecipients: message.cc.map(recipient) } : {}),
    ...(message.bcc.length ? { bccRecipients: message.bcc.map(recipient) } : {}),
    ...(message.replyTo.length ? { replyTo: message.replyTo.map(recipient) } : {}),
    ...(message.attachments.length
      ? {
          attachments: message.attachments.map((a) => ({
            '@odata.type': '#microsoft.graph.fileAttachment',
            name: a.filename,
            contentType: a.contentType,
            contentBytes: a.content.toString('base64'),
            isInline: a.inline,
            ...(a.cid ? { contentId: a.cid } : {}),
          })),
        }
      : {}),
    ...(Object.keys(headers).length ? { internetMessageHeaders: Object.entries(headers).map(([name, value]) => ({ name, value })) } : {}),
  };
}
