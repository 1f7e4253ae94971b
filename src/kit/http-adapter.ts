// An HTTP API adapter from its provider-specific parts: what the request body looks like, how the
// answer reads as a receipt, how an error reads as a MailError, and which call checks the
// credentials. Everything else is the same for every provider and lives here once: the options
// block (baseUrl, connectTimeoutMs, fetch, name), the base URL and its https-or-loopback rule, the request
// (src/kit/http.ts: TRANSIENT vs AMBIGUOUS, a lost success body per the SuccessRule), the
// capability check (sendWithin), redaction of the adapter's secrets in everything it throws, and
// the send pace (`messagesPerMinute`), and the DSN declaration with its common options (`?name=`,
// `?timeout=`, `?messagesPerMinute=`, `?insecure=true`).
import { allRecipients, declareCapabilities, httpEndpoint, sendWithin, type AdapterCapabilities, type MailAdapter, type SendContext, type SendReceipt } from '../core/adapter.js';
import type { ParsedDsn } from '../core/dsn.js';
import { baseUrlFromDsn, defineDsn, dsnCommonOptions, type AdapterDsn } from '../core/dsn-options.js';
import { MailError } from '../core/errors.js';
import { refuseUnknownOptions } from '../core/known-options.js';
import type { NormalizedMessage } from '../core/message.js';
import { guardSecrets, SecretScrubber, type SecretLogin } from '../core/secrets.js';
import { adapterPace, type PaceOptions } from './adapter-pace.js';
import { errorFromResponse, errorText, httpRequest, resolveBaseUrl, successReceipt, unlessOtherSuccess, type HttpResponse, type SuccessRule } from './http.js';

/** The options every HTTP adapter takes, beside its credentials (`messagesPerMinute`, `maxWaitMs`: the account's pace). */
export interface HttpAdapterOptions extends PaceOptions {
  /** Replaces the provider's URL (a proxy, a test server): https, or http on loopback only. */
  baseUrl?: string;
  /**
   * Connect timeout: longest wait until the request is written (DNS, TCP, TLS). Default 10,000 ms.
   * The whole attempt is bounded by the chain's `timeoutMs` (README "Timeouts").
   */
  connectTimeoutMs?: number;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Name in a chain, journal and errors. Default: the provider's name. */
  name?: string;
}

// The options block every HTTP adapter takes (HttpAdapterOptions), by name.
const KIT_OPTIONS = ['baseUrl', 'connectTimeoutMs', 'fetch', 'name', 'messagesPerMinute', 'maxWaitMs'] as const satisfies ReadonlyArray<keyof HttpAdapterOptions>;

/** What the provider-specific hooks are given besides the message or the answer. */
export interface HttpAdapterContext<Options> {
  options: Options;
  /** The adapter's name (`options.name` or the provider's). */
  provider: string;
  baseUrl: string;
}

/** A request the adapter makes: a path under the base URL. */
export interface HttpCall<Options> {
  /** e.g. '/v3/smtp/email' (a leading "/" is added when missing), or built from the options: (o) => `/v3/${o.domain}/messages`. */
  path: string | ((options: Options) => string);
  /** Default POST for a send; for verify GET, or POST when it has a `json` body. */
  method?: string;
  /** A JSON body (verify only; a send's body is `toPayload`'s). */
  json?: unknown;
}

export interface HttpAdapterDefinition<Options extends HttpAdapterOptions> {
  /** The provider's name: the default adapter name, and the one in configuration errors. */
  name: string;
  /** The provider's URL, e.g. https://api.brevo.com; a function when it depends on the options (a region). */
  defaultUrl: string | ((options: Options) => string);
  /**
   * Every option of the provider's own beside the kit's (baseUrl, connectTimeoutMs, fetch, name),
   * e.g. { apiKey: true, domain: true, region: true }: any other name given to `create` is a CONFIG
   * error naming the closest known one (a typo would be ignored, its default used). The compiler
   * checks the record against Options. Without it, names are not checked.
   */
  ownOptions?: { [K in Exclude<keyof Options, keyof HttpAdapterOptions>]-?: true };
  /** The options a send cannot do without, e.g. ['apiKey']... */
  required: ReadonlyArray<keyof Options & string>;
  /** ...and where the user finds them: "Brevo > SMTP & API > API keys". */
  whereToFind: string;
  /** What it carries; anything not declared is unsupported (`declareCapabilities`). */
  capabilities: Partial<AdapterCapabilities>;
  /** The statuses that mean the provider took the message, and what one means when its body is lost. */
  success: SuccessRule;
  /** The request headers that authenticate it, e.g. { 'api-key': options.apiKey }. */
  headers(options: Options): Record<string, string>;
  /**
   * Headers of one send on top of `headers`, built from the message as it goes out and its context,
   * e.g. Resend's `Idempotency-Key` from `ctx.idempotencyKey`. Default: none. Not sent with verify.
   */
  requestHeaders?(message: NormalizedMessage, ctx: SendContext, context: HttpAdapterContext<Options>): Record<string, string>;
  /** Every credential in the options: scrubbed from all the adapter throws, in every encoding. */
  secrets(options: Options): Array<string | undefined>;
  /** A user:password pair sent as one piece (HTTP Basic), scrubbed in its combined forms too. */
  logins?(options: Options): SecretLogin[];
  /** How it authenticates, for `endpoint.auth`. Default "api-key". */
  auth?: string;
  /** The send request: its path (and method, default POST). */
  send: HttpCall<Options>;
  /** The request body for one message (already in wire form, within the capabilities): JSON, or FormData for multipart. */
  toPayload(message: NormalizedMessage, ctx: SendContext, context: HttpAdapterContext<Options>): unknown;
  /**
   * The receipt from a success answer, or undefined when the body is not the documented answer (the
   * SuccessRule then decides). May throw a MailError (a 200 that sent nothing).
   */
  parseReceipt(response: HttpResponse, context: HttpAdapterContext<Options> & { recipients: string[]; message: NormalizedMessage }): SendReceipt | undefined;
  /** Any other answer as a MailError. Default: the status and the body's `message`/`error` through the catalogue. */
  toError?(response: HttpResponse, context: HttpAdapterContext<Options>): MailError;
  /** Rate-limit reset headers the default `toError` reads when there is no Retry-After. */
  resetHeaders?: string[];
  /**
   * A call that checks the credentials and sends nothing; `ok` defaults to a 200. An answer that is
   * not ok goes through `toError`; `ok` may instead throw its own MailError, for an answer that
   * authenticates but proves the key cannot send (a missing permission).
   */
  verify: HttpCall<Options> & { ok?(response: HttpResponse, context: HttpAdapterContext<Options>): boolean };
  /** `String(adapter)`. Default "name(baseUrl)". */
  describe?(context: HttpAdapterContext<Options>): string;
  /** The DSN schemes: each with its example, and the provider's own options read from a DSN. */
  dsn: {
    schemes: Readonly<Record<string, string>>;
    /** Its credentials and own options; baseUrl (host or @default, ?insecure), name and timeout are read by the kit. */
    options(dsn: ParsedDsn): Omit<Options, keyof HttpAdapterOptions>;
    /** Help-text position (default 100). */
    order?: number;
    /** The password slot holds no secret (Mailgun's sending domain): never scrubbed as one. */
    passwordIsPublic?: boolean;
  };
}

/** An HTTP adapter ready to export: `create` for code, `dsn` (export it as `dsn`) for DSN strings. */
export interface HttpAdapterKit<Options extends HttpAdapterOptions> {
  create(options: Options): MailAdapter;
  /** The adapter for a parsed DSN (what an adapter module exports as `fromDsn`). */
  fromDsn(dsn: ParsedDsn): MailAdapter;
  /** The options a DSN holds, checked (CONFIG errors name the DSN, redacted). */
  optionsFromDsn(dsn: ParsedDsn): Options;
  dsn: AdapterDsn;
  capabilities: AdapterCapabilities;
}

/** Builds an HTTP API adapter from its provider-specific parts (see the README, "Write your own adapter"). */
export function defineHttpAdapter<Options extends HttpAdapterOptions>(definition: HttpAdapterDefinition<Options>): HttpAdapterKit<Options> {
  const capabilities = declareCapabilities(definition.capabilities);
  const known = definition.ownOptions && { names: [...Object.keys(definition.ownOptions), ...KIT_OPTIONS] };

  function create(options: Options): MailAdapter {
    if (known) refuseUnknownOptions(`the ${definition.name} adapter`, options, known);
    const missing = definition.required.filter((key) => !options?.[key]);
    if (missing.length > 0 || !options) {
      const list = (missing.length ? missing : definition.required).map((key) => `\`${key}\``).join(' and ');
      throw new MailError('CONFIG', `${definition.name} needs ${list} (${definition.whereToFind})`, { provider: definition.name });
    }
    const provider = options.name ?? definition.name;
    const defaultUrl = typeof definition.defaultUrl === 'function' ? definition.defaultUrl(options) : definition.defaultUrl;
    const baseUrl = resolveBaseUrl(definition.name, { baseUrl: options.baseUrl, defaultUrl });
    const context: HttpAdapterContext<Options> = { options, provider, baseUrl };
    const headers = definition.headers(options);
    const pace = adapterPace(options, provider, `${definition.name} ${baseUrl}`, definition.secrets(options));
    const request = (call: HttpCall<Options>, method: string, body: { json?: unknown; form?: FormData }, signal: AbortSignal | undefined, extra?: Record<string, string>) => {
      const given = typeof call.path === 'function' ? call.path(options) : call.path;
      const path = given.startsWith('/') ? given : `/${given}`;
      return httpRequest({ provider, url: `${baseUrl}${path}`, method: call.method ?? method, headers: extra ? { ...headers, ...extra } : headers, ...body, signal, connectTimeoutMs: options.connectTimeoutMs, fetch: options.fetch });
    };
    const byStatus = (response: HttpResponse) => errorFromResponse(response, { provider, detail: errorText(response), resetHeaders: definition.resetHeaders });
    // The adapter's own reading of an error answer; when it throws on a body it did not expect, the
    // answer is read by its status like any other (a 401 stays AUTH), never a foreign error.
    const toError = (response: HttpResponse): MailError => {
      if (!definition.toError) return byStatus(response);
      try {
        return definition.toError(response, context);
      } catch (error) {
        if (error instanceof MailError) return error;
        return byStatus(response);
      }
    };

    const adapter: MailAdapter & { toString(): string } = {
      name: provider,
      capabilities,
      send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
        // Capabilities checked, extra tags dropped, domains in punycode: the message as it goes out.
        return sendWithin(adapter, message, async (wire) => {
          await pace.limiter?.acquire(ctx.signal);
          const payload = definition.toPayload(wire, ctx, context);
          const body = payload instanceof FormData ? { form: payload } : { json: payload };
          const response = await request(definition.send, 'POST', body, ctx.signal, definition.requestHeaders?.(wire, ctx, context));
          const recipients = allRecipients(wire);
          const receipt = successReceipt(response, definition.success, {
            provider,
            recipients,
            read: (answer) => definition.parseReceipt(answer, { ...context, recipients, message: wire }),
          });
          if (receipt) return receipt;
          throw unlessOtherSuccess(response, definition.success, toError(response));
        });
      },
      async verify(ctx: { signal?: AbortSignal } = {}): Promise<void> {
        const { json, ok = (answer: HttpResponse) => answer.status === 200 } = definition.verify;
        // A verify call with a JSON body is a POST unless it names its method: a GET cannot carry a body.
        const response = await request(definition.verify, json === undefined ? 'GET' : 'POST', json === undefined ? {} : { json }, ctx.signal);
        let passed: boolean;
        try {
          passed = ok(response, context);
        } catch (error) {
          if (error instanceof MailError) throw error;
          passed = false;
        }
        if (!passed) throw toError(response);
      },
      endpoint: httpEndpoint(baseUrl, definition.auth ?? 'api-key'),
      ...(pace.limits ? { limits: pace.limits } : {}),
      toString: () => definition.describe?.(context) ?? `${definition.name}(${baseUrl})`,
    };
    return guardSecrets(adapter, new SecretScrubber(definition.secrets(options), definition.logins?.(options) ?? []));
  }

  const optionsFromDsn = (dsn: ParsedDsn): Options =>
    ({ ...definition.dsn.options(dsn), baseUrl: baseUrlFromDsn(dsn), ...dsnCommonOptions(dsn) }) as Options;
  return {
    create,
    fromDsn: (dsn) => create(optionsFromDsn(dsn)),
    optionsFromDsn,
    dsn: defineDsn({ schemes: definition.dsn.schemes, order: definition.dsn.order, passwordIsPublic: definition.dsn.passwordIsPublic, options: optionsFromDsn, create }),
    capabilities,
  };
}
