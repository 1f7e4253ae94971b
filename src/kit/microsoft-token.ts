// App-only access tokens from the Microsoft identity platform (client credentials, PROVIDERS.md §7)
// on @azure/msal-node, for Office 365 SMTP (XOAUTH2) and Microsoft Graph. Tokens are cached and
// renewed a few minutes before they expire; `forceRefresh` fetches a new one (after a 535 on a
// cached token). Failures become MailError: AADSTS errors are AUTH with the code in the message.
import type { ConfidentialClientApplication, Configuration, INetworkModule } from '@azure/msal-node';

/**
 * msal-node's `INetworkModule` (the HTTP client it reaches the identity platform with), declared
 * here by shape so that mailroom's type declarations compile without msal-node, an optional peer.
 */
export interface MicrosoftNetworkClient {
  sendGetRequestAsync<T>(url: string, options?: never, timeout?: number): Promise<{ headers: Record<string, string>; body: T; status: number }>;
  sendPostRequestAsync<T>(url: string, options?: never): Promise<{ headers: Record<string, string>; body: T; status: number }>;
}
import { diagnose } from '../core/diagnose.js';
import { MailError } from '../core/errors.js';
import { loadOptional, MSAL_NODE, requireInstalled } from './optional-package.js';

/** The scope of Office 365 SMTP AUTH XOAUTH2 tokens. */
export const OUTLOOK_SCOPE = 'https://outlook.office365.com/.default';
/** The scope of Microsoft Graph tokens. */
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

export interface MicrosoftCertificate {
  /** Hex SHA-256 thumbprint of the certificate registered on the app. */
  thumbprintSha256: string;
  /** PEM private key of that certificate. */
  privateKey: string;
  /** PEM public certificate chain, sent as x5c (needed for subject name + issuer auth). */
  x5c?: string;
}

export interface MicrosoftTokenOptions {
  /** Directory (tenant) ID, or a domain such as corp.onmicrosoft.com. */
  tenant: string;
  /** Application (client) ID. */
  clientId: string;
  /** A client secret's value. One of `clientSecret` or `certificate` is required. */
  clientSecret?: string;
  /** A certificate registered on the app (thumbprint + private key), instead of a secret. Default: none. */
  certificate?: MicrosoftCertificate;
  /** e.g. OUTLOOK_SCOPE or GRAPH_SCOPE. */
  scope: string;
  /** Authority host; the tenant is appended. Default https://login.microsoftonline.com (sovereign clouds differ). */
  authority?: string;
  /** msal's HTTP client (`system.networkClient`): a proxy, or a local identity server in tests. Default msal's own. */
  networkClient?: MicrosoftNetworkClient;
  /** Renew a cached token this long before it expires. Default 300,000 ms (5 minutes). */
  renewBeforeMs?: number;
  /** Adapter name for errors. Default "microsoft". */
  provider?: string;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

export interface MicrosoftToken {
  accessToken: string;
  expiresOn: Date;
  /** True when no request was made for it. */
  fromCache: boolean;
}

const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';
// Hosts msal knows; any other authority host must be declared or msal asks Microsoft about it.
const KNOWN_CLOUDS = /^(login\.microsoftonline\.(com|us)|login\.chinacloudapi\.cn|login\.partner\.microsoftonline\.cn)$/i;

/** A client-credentials token source. One per (tenant, app, scope); share it between adapters. */
export class MicrosoftTokenSource {
  readonly scope: string;
  readonly tenant: string;
  readonly #options: MicrosoftTokenOptions;
  #app: Promise<ConfidentialClientApplication> | undefined;
  #cached: MicrosoftToken | undefined;
  #inFlight: Promise<MicrosoftToken> | undefined;

  constructor(options: MicrosoftTokenOptions) {
    const provider = options.provider ?? 'microsoft';
    if (!options.tenant) throw new MailError('CONFIG', 'the Microsoft tenant (directory ID or domain) is missing', { provider });
    if (!options.clientId) throw new MailError('CONFIG', 'the application (client) ID is missing', { provider });
    if (!options.clientSecret && !options.certificate) {
      throw new MailError('CONFIG', 'a client secret or a certificate is needed for app-only tokens', { provider });
    }
    // An optional peer dependency: missing, it is a CONFIG error at setup with the install command.
    requireInstalled(MSAL_NODE, provider);
    this.scope = options.scope;
    this.tenant = options.tenant;
    this.#options = options;
  }

  /** A token valid for at least `renewBeforeMs`; `forceRefresh` skips every cache. */
  async getToken(options: { forceRefresh?: boolean } = {}): Promise<MicrosoftToken> {
    const now = (this.#options.now ?? Date.now)();
    const margin = this.#options.renewBeforeMs ?? 300_000;
    const cached = this.#cached;
    if (!options.forceRefresh && cached && cached.expiresOn.getTime() - margin > now) return { ...cached, fromCache: true };
    // Concurrent callers (several pooled connections opening at once) share one request.
    if (!this.#inFlight) {
      // A cached token that is merely close to expiry would still be handed back by msal: skip its cache too.
      const skipCache = Boolean(options.forceRefresh || cached);
      this.#inFlight = this.#acquire(skipCache).finally(() => {
        this.#inFlight = undefined;
      });
    }
    return this.#inFlight;
  }

  toString(): string {
    return `MicrosoftTokenSource(${this.tenant}, ${this.#options.clientId}, ${this.scope})`;
  }

  async #acquire(skipCache: boolean): Promise<MicrosoftToken> {
    const app = await this.#client();
    let result;
    try {
      result = await app.acquireTokenByClientCredential({ scopes: [this.scope], skipCache });
    } catch (error) {
      const reason = (error as { errorCode?: string }).errorCode === 'endpoints_resolution_error' ? await this.#metadataFailure() : undefined;
      throw tokenError(reason ? Object.assign(error as object, { errorMessage: reason }) : error, this.#options);
    }
    if (!result?.accessToken) {
      throw new MailError('AUTH', `the Microsoft identity platform returned no access token for tenant ${this.tenant}`, { provider: this.#options.provider ?? 'microsoft' });
    }
    const token: MicrosoftToken = {
      accessToken: result.accessToken,
      expiresOn: result.expiresOn ?? new Date((this.#options.now ?? Date.now)() + 3_600_000),
      fromCache: Boolean(result.fromCache),
    };
    this.#cached = { ...token, fromCache: false };
    return token;
  }

  // msal says only "endpoints_resolution_error" when the tenant's metadata cannot be read, for an
  // unknown tenant (400 AADSTS90002) as for a network failure: ask once more to tell them apart.
  async #metadataFailure(): Promise<string | undefined> {
    const url = `${(this.#options.authority ?? DEFAULT_AUTHORITY).replace(/\/+$/, '')}/${this.#options.tenant}/v2.0/.well-known/openid-configuration`;
    try {
      const response = this.#options.networkClient
        ? await (this.#options.networkClient as INetworkModule).sendGetRequestAsync<unknown>(url, {})
        : await fetch(url, { signal: AbortSignal.timeout(10_000) }).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
      const description = (response.body as { error_description?: unknown } | undefined)?.error_description;
      return response.status >= 400 && typeof description === 'string' ? description : undefined;
    } catch (error) {
      // No answer at all (refused, DNS, an untrusted certificate): name that cause, not msal's bare code.
      const cause = (error as { cause?: { message?: unknown; code?: unknown } }).cause;
      const text = typeof cause?.message === 'string' ? cause.message : (error as Error).message;
      const code = typeof cause?.code === 'string' && !text.includes(cause.code) ? ` (${cause.code})` : '';
      return `the identity platform at ${new URL(url).origin} did not answer: ${text}${code}`;
    }
  }

  // msal-node is loaded on first use: importing mailroom must stay fast for a CMS that never uses it.
  #client(): Promise<ConfidentialClientApplication> {
    this.#app ??= loadOptional(MSAL_NODE, this.#options.provider ?? 'microsoft', () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ '@azure/msal-node')).then(({ ConfidentialClientApplication: Client }) => {
      const options = this.#options;
      const base = (options.authority ?? DEFAULT_AUTHORITY).replace(/\/+$/, '');
      const host = new URL(base).host;
      const configuration: Configuration = {
        auth: {
          clientId: options.clientId,
          authority: `${base}/${options.tenant}`,
          ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
          ...(options.certificate ? { clientCertificate: { ...options.certificate } } : {}),
          ...(KNOWN_CLOUDS.test(host) ? {} : { knownAuthorities: [host] }),
        },
        ...(options.networkClient ? { system: { networkClient: options.networkClient as INetworkModule } } : {}),
      };
      return new Client(configuration);
    });
    return this.#app;
  }
}

/** Maps an msal failure: AADSTS codes are AUTH (the code kept in the message), the network TRANSIENT. */
export function tokenError(error: unknown, options: Pick<MicrosoftTokenOptions, 'tenant' | 'provider'>): MailError {
  const provider = options.provider ?? 'microsoft';
  const failure = (error ?? {}) as { errorCode?: string; errorMessage?: string; message?: string; status?: number };
  const text = `${failure.errorMessage ?? ''} ${failure.message ?? ''}`;
  const aadsts = /AADSTS\d+/.exec(text)?.[0];
  const where = `getting a token for tenant ${options.tenant}`;
  if (aadsts) {
    // The first line is the explanation; the trace and correlation ids that follow are noise here.
    const description = /AADSTS\d+:[^\r\n]*/.exec(text)?.[0]?.trim() ?? aadsts;
    return diagnose(new MailError('AUTH', `${where} failed: ${description}`, { provider, cause: error, ...(failure.status ? { status: failure.status } : {}) }));
  }
  const code = failure.errorCode ?? '';
  const retryable = /network|timeout|ECONN|ENOTFOUND|fetch failed|endpoints_resolution|5\d\d/i.test(`${code} ${text}`);
  const detail = `${where} failed: ${code ? `${code}: ` : ''}${(failure.errorMessage ?? failure.message ?? String(error)).split(/\r?\n/)[0]}`;
  return diagnose(new MailError(retryable ? 'TRANSIENT' : 'AUTH', detail, { provider, cause: error }));
}
