// The one place adapters talk HTTP: Node's fetch (undici, keep-alive by default), a per-request
// timeout combined with the caller's signal, JSON/multipart/raw bodies, and the three mappings every
// HTTP adapter needs: a network failure -> TRANSIENT or AMBIGUOUS, an error status -> MailError, and
// a success status whose body is lost -> sent or AMBIGUOUS, as the adapter declares (SuccessRule).
//
// TRANSIENT vs AMBIGUOUS is decided by whether undici wrote the request to a socket before it
// failed. undici publishes `undici:request:create` in the caller's async context and
// `undici:client:sendHeaders` when it writes the request; an AsyncLocalStorage ties the two to the
// call, so a refused connection, a DNS failure or a connect timeout (nothing sent) is TRANSIENT,
// and a reset or timeout while waiting for the answer (the provider may have accepted it) is
// AMBIGUOUS. When no undici events are seen (an injected non-undici fetch), the error's code decides.
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import { STATUS_CODES } from 'node:http';
import { decidedCode, diagnose } from '../core/diagnose.js';
import type { SendReceipt } from '../core/adapter.js';
import { MailError, type MailErrorCode } from '../core/errors.js';
import { handoverReporter } from '../core/handover.js';
import { timedOutAfterHandover } from '../core/timeout.js';
import { SecretScrubber } from '../core/secrets.js';

export interface HttpRequestOptions {
  /** Adapter name, used in errors ("brevo"). */
  provider: string;
  url: string;
  /** Default 'POST'. */
  method?: string;
  headers?: Record<string, string>;
  /** Serialized with JSON.stringify; sets content-type: application/json. */
  json?: unknown;
  /** Sent as multipart/form-data (fetch writes the boundary). */
  form?: FormData;
  /** Raw body; set content-type yourself. */
  body?: string | Uint8Array;
  /** The SendContext signal: aborting it abandons the request. In a chain it carries the attempt timeout (the chain's `timeoutMs`), the one limit on a whole request. */
  signal?: AbortSignal;
  /**
   * A limit on the whole request, reading the answer included, for a caller without a chain's
   * signal. Default: none when `signal` is given (the signal governs), else 30000.
   */
  timeoutMs?: number;
  /** Longest wait until the request is written to a socket (DNS, TCP and TLS included): past it, TRANSIENT (nothing was sent). Default 10000. */
  connectTimeoutMs?: number;
  /** Injectable fetch. Default globalThis.fetch. */
  fetch?: typeof fetch;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  json: unknown;
  /** Set when the status arrived but the body did not (cut off, reset, timed out): why. `text` is then empty. */
  bodyLost?: string;
}

/** Default whole-request timeout of a call made without a signal. */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;
/** Default connect timeout: until the request is written. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
// Longest provider text kept in an error: an HTML error page must not flood a log line.
const MAX_DETAIL = 500;

// Error codes that can only happen before the request was written to a socket.
const BEFORE_SEND_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const CERT_CODES = /CERT|SSL|TLS/;

interface CallState { created: boolean; sent: boolean; answered: boolean; onCreated?: () => void }
const calls = new AsyncLocalStorage<CallState>();
const requestStates = new WeakMap<object, CallState>();

diagnostics.subscribe('undici:request:create', (message) => {
  const state = calls.getStore();
  const request = (message as { request?: object }).request;
  if (state && request) {
    state.created = true;
    requestStates.set(request, state);
    state.onCreated?.();
  }
});
diagnostics.subscribe('undici:client:sendHeaders', (message) => {
  const request = (message as { request?: object }).request;
  const state = request ? requestStates.get(request) : undefined;
  if (state) {
    state.sent = true;
  }
});
diagnostics.subscribe('undici:request:headers', (message) => {
  const request = (message as { request?: object }).request;
  const state = request ? requestStates.get(request) : undefined;
  if (state) state.answered = true;
});

/**
 * Sends one request and reads the whole answer. Never throws on an HTTP status. Network failure
 * before the request went out -> MailError TRANSIENT; lost after it was sent (reset, or timeout
 * while waiting for the answer) -> AMBIGUOUS; an already aborted signal -> TRANSIENT.
 */
export async function httpRequest(options: HttpRequestOptions): Promise<HttpResponse> {
  const { provider } = options;
  const timeoutMs = options.timeoutMs ?? (options.signal ? undefined : DEFAULT_HTTP_TIMEOUT_MS);
  if (options.signal?.aborted) {
    throw new MailError('TRANSIENT', 'the send was aborted before the request was made', { provider, cause: options.signal.reason });
  }
  const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  const connect = new AbortController();
  const signal = AbortSignal.any([options.signal, timeout, connect.signal].filter((one): one is AbortSignal => one !== undefined));
  const headers = new Headers(options.headers);
  let body: string | Uint8Array | FormData | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers.set('content-type', 'application/json');
  } else if (options.form) {
    body = options.form;
  }
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  const doFetch = options.fetch ?? globalThis.fetch;
  // A request cannot be held back before its last byte as the end of SMTP DATA can: the journal
  // records the handover before the request starts (see src/core/handover.ts), so a process killed
  // mid-request leaves an entry that says the message may have been delivered.
  await handoverReporter(options.signal)?.();
  const state: CallState = { created: false, sent: false, answered: false };
  // The connect timeout runs from the request's creation to its writing; a fetch that undici does
  // not run (injected) reports neither, and only the other limits apply to it.
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  let connectTimer: NodeJS.Timeout | undefined;
  state.onCreated = () => {
    connectTimer = setTimeout(() => {
      if (!state.sent) connect.abort();
    }, connectTimeoutMs);
  };
  const limits = () => ({ provider, timeoutMs, timedOut: timeout?.aborted === true, connectTimeoutMs, connectTimedOut: connect.signal.aborted, url: options.url, injected: options.fetch !== undefined });
  return calls.run(state, async () => {
    try {
      // redirect 'manual': a mail API that redirects a POST is misconfigured, and fetch would
      // silently turn the POST into a GET and drop the message.
      const response = await doFetch(options.url, {
        method: options.method ?? 'POST', headers, body, signal, redirect: 'manual',
      });
      state.answered = true;
      clearTimeout(connectTimer);
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        // The status line is the provider's decision; a body lost after it does not undo it (a 201
        // stays a send, a 500 a refusal), so the status is returned and the adapter decides.
        const lost = networkError(error, state, limits());
        return { status: response.status, headers: response.headers, text: '', json: undefined, bodyLost: lost.detail };
      }
      return { status: response.status, headers: response.headers, text, json: parseJson(text) };
    } catch (error) {
      throw networkError(error, state, limits());
    } finally {
      clearTimeout(connectTimer);
    }
  });
}

function networkError(
  error: unknown,
  state: CallState,
  context: { provider: string; timeoutMs: number | undefined; timedOut: boolean; connectTimeoutMs: number; connectTimedOut: boolean; url: string; injected: boolean },
): MailError {
  const { provider } = context;
  if (error instanceof MailError) {
    // The caller's signal aborted with its own MailError (the chain's attempt timeout), which
    // fetch rejects with as is: a request that had already gone out may still have been accepted.
    if (state.sent || state.answered) return timedOutAfterHandover(error, provider);
    return error.withProvider(provider);
  }
  const cause = (error as { cause?: unknown }).cause;
  const code = errorCode(cause) ?? errorCode(error);
  const where = safeOrigin(context.url);
  if (error instanceof TypeError && !state.created && /invalid url|failed to parse url/i.test(`${error.message} ${String((cause as Error | undefined)?.message)}`)) {
    return new MailError('CONFIG', `the URL ${JSON.stringify(where)} is not valid: check the base URL option`, { provider, cause: error });
  }
  const sent = wasSent(state, code, cause, context.injected);
  const aborted = (error as { name?: string }).name === 'AbortError' || (error as { name?: string }).name === 'TimeoutError';
  let what: string;
  if (context.connectTimedOut && !sent) what = `no connection to ${where} within ${context.connectTimeoutMs} ms (connect timeout)`;
  else if (context.timedOut) what = `no answer from ${where} within ${context.timeoutMs} ms`;
  else if (aborted) what = `the request to ${where} was aborted`;
  else what = `the connection to ${where} failed (${code ?? describe(cause ?? error)})`;
  if (code && CERT_CODES.test(code) && !sent) {
    return new MailError('TRANSIENT', `${what}: the server's TLS certificate was not accepted`, { provider, cause: error, retryable: false });
  }
  if (state.answered) {
    return new MailError('AMBIGUOUS', `${what} while reading the answer: the provider may have accepted the message`, { provider, cause: error });
  }
  if (sent) {
    return new MailError('AMBIGUOUS', `${what} after the request was sent: the provider may have accepted the message`, { provider, cause: error });
  }
  return new MailError('TRANSIENT', `${what} before the request was sent`, { provider, cause: error });
}

// Whether the request may have reached the provider. undici's events are authoritative when seen;
// a socket that closed with nothing written is "not sent" either way.
function wasSent(state: CallState, code: string | undefined, cause: unknown, injected: boolean): boolean {
  const socket = (cause as { socket?: { bytesWritten?: number } } | undefined)?.socket;
  if (socket && socket.bytesWritten === 0) return false;
  if (state.created) return state.sent;
  // Node's own fetch always creates an undici request before writing: none means nothing left
  // (a URL or port the fetch standard refuses, e.g. "bad port").
  if (!injected) return false;
  if (code && BEFORE_SEND_CODES.has(code)) return false;
  return true;
}

/**
 * What a success status proves when the body after it cannot be read (cut off, or not the answer
 * the provider documents). Each HTTP adapter declares its own rule, with the documentation it rests on:
 * - 'sent': the status alone says the provider took the message for every recipient. The send is
 *   reported sent, with a warning that the provider's answer (and so its message id) was lost.
 * - 'ambiguous': only the body says what happened to each recipient (or the status is also given to
 *   requests that sent nothing). The send fails AMBIGUOUS: no retry, and the journal marks a
 *   failover as a possible duplicate.
 * Never TRANSIENT: after a success status, a retry or a silent failover would send the message twice.
 */
export interface SuccessRule {
  /** The statuses that mean the provider took the request. */
  statuses: readonly number[];
  /** What one of those statuses means when its body cannot be read. */
  unreadableBody: 'sent' | 'ambiguous';
  /** Where the decision comes from: the provider's documented success answer. */
  source: string;
}

/**
 * The receipt for an answer whose status is one of `rule.statuses`, or undefined for any other
 * status (the adapter maps that to an error). `read` turns a body into a receipt and returns
 * undefined when the body is not the documented answer; the rule then decides (see SuccessRule).
 */
export function successReceipt(
  response: HttpResponse,
  rule: SuccessRule,
  context: { provider: string; recipients: string[]; read(response: HttpResponse): SendReceipt | undefined },
): SendReceipt | undefined {
  if (!rule.statuses.includes(response.status)) return undefined;
  // A reader may throw a MailError (a 200 that sent nothing). Anything else it throws (a reader that
  // assumed a field the answer lacks) is an answer it could not read: the provider has taken the
  // request, so the rule decides, never a TRANSIENT that a retry would send again.
  let failed: string | undefined;
  let receipt: SendReceipt | undefined;
  if (response.bodyLost === undefined) {
    try {
      receipt = context.read(response);
    } catch (error) {
      if (error instanceof MailError) throw error;
      failed = `reading it failed: ${describe(error)}`;
    }
  }
  if (receipt) return receipt;
  // The body itself is not quoted: it is not the provider's error text, and may be long or binary.
  const why = response.bodyLost ?? failed ?? `it is not the documented answer (${response.text.length} characters${response.json === undefined && response.text ? ', not JSON' : ''})`;
  return unreadableSuccess(rule, { provider: context.provider, status: response.status, why, recipients: context.recipients });
}

/**
 * The error for an answer that `successReceipt` did not take: a 2xx that is not the provider's
 * documented success status (a 200 where it answers 201) means it took the request and may have
 * sent the message, so it is AMBIGUOUS (never a silent failover that could send it twice); any other
 * status keeps `error`, the adapter's reading of it.
 */
export function unlessOtherSuccess(response: HttpResponse, rule: SuccessRule, error: MailError): MailError {
  if (response.status < 200 || response.status >= 300) return error;
  return diagnose(new MailError('AMBIGUOUS', `${error.detail}: the answer is not the documented success (${rule.statuses.join(', ')}), so the provider may have accepted the message`, {
    ...(error.provider ? { provider: error.provider } : {}), status: response.status, cause: error,
  }));
}

/** Applies `rule` to a success status whose answer could not be read: a receipt with a warning, or AMBIGUOUS (thrown). */
export function unreadableSuccess(rule: SuccessRule, context: { provider: string; status: number; why: string; recipients: string[] }): SendReceipt {
  const { provider, status, why } = context;
  const answer = `${status} ${STATUS_CODES[status] ?? ''}`.trim();
  if (rule.unreadableBody === 'sent') {
    return {
      accepted: context.recipients,
      rejected: [],
      warnings: [`${provider} accepted the message (${answer}) but its answer could not be read (${why}): the send is recorded without the provider's message id`],
    };
  }
  throw diagnose(new MailError('AMBIGUOUS', `${answer}: the provider took the request but its answer could not be read (${why}), so whether it sent the message, and to whom, is unknown`, {
    provider,
    status,
  }));
}

/**
 * Maps an HTTP status to a MailError: 401/402/403 AUTH; 429 RATE_LIMITED with retryAfterMs; 408/5xx
 * TRANSIENT but 504/524 (a gateway's timeout: see codeForStatus) AMBIGUOUS; other 4xx REJECTED; a 3xx (a redirected base URL) or an unexpected 2xx TRANSIENT but
 * not retryable. `detail` is the provider's own error text: where the catalogue says the text alone
 * settles the code (a 404 for the sending mailbox is AUTH), it wins over the status; `code`
 * overrides both. The remedy comes from the catalogue (src/core/diagnose.ts).
 */
export function errorFromResponse(
  response: HttpResponse,
  options: { provider: string; detail: string; code?: MailErrorCode; resetHeaders?: string[]; rejected?: string[] },
): MailError {
  const { status } = response;
  const detail = truncate(options.detail.trim() || (response.bodyLost ? `(the body was lost: ${response.bodyLost})` : '(empty body)'));
  const decided = status >= 400 ? decidedCode(`[${options.provider}] ${status} ${detail}`) : undefined;
  const code = options.code ?? decided?.code ?? codeForStatus(status);
  const reason = STATUS_CODES[status] ?? 'Unknown status';
  const location = status >= 300 && status < 400 ? response.headers.get('location') : null;
  const text = `${status} ${reason}: ${detail}${location ? ` (redirected to ${safeOrigin(location)}: set the base URL to the final address)` : ''}`;
  // A redirect or an unexpected 1xx/2xx is a misconfigured endpoint: retrying the same one cannot
  // help, but the next adapter can deliver, so it is TRANSIENT without retries.
  const retryable = status < 400 ? false : !options.code && decided ? decided.retryable : undefined;
  return diagnose(new MailError(code, text, {
    provider: options.provider,
    status,
    ...(retryable !== undefined ? { retryable } : {}),
    ...(code === 'RATE_LIMITED' || status === 503 ? { retryAfterMs: retryAfterMs(response.headers, options.resetHeaders) } : {}),
    ...(options.rejected ? { rejected: options.rejected } : {}),
  }));
}

/**
 * The error code an HTTP status means when the provider's text does not settle it. 402 (no credits
 * left) is the account's problem, not the message's: like AUTH, the chain moves on. 504 and 524
 * (Cloudflare) are a gateway's timeout waiting for the provider behind it, which had the request
 * and may have taken the message (Graph's sendMail is known to send after a 504): AMBIGUOUS, as a
 * timeout of our own after the request was sent.
 */
export function codeForStatus(status: number): MailErrorCode {
  if (status === 401 || status === 402 || status === 403) return 'AUTH';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 504 || status === 524) return 'AMBIGUOUS';
  if (status === 408 || status >= 500) return 'TRANSIENT';
  if (status >= 400) return 'REJECTED';
  return 'TRANSIENT';
}

/**
 * How long the server asked us to wait, in ms: `Retry-After` (seconds or an HTTP date), else the
 * first of `resetHeaders` present. A reset value is read as seconds from now, or as a Unix time
 * when it is that large (above 1e9 seconds, or 1e12 milliseconds).
 */
export function retryAfterMs(headers: Headers, resetHeaders: string[] = [], now = Date.now()): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null) {
    const fromValue = parseWait(retryAfter, now, true);
    if (fromValue !== undefined) return fromValue;
  }
  for (const name of resetHeaders) {
    const value = headers.get(name);
    if (value === null) continue;
    const fromValue = parseWait(value, now, false);
    if (fromValue !== undefined) return fromValue;
  }
  return undefined;
}

function parseWait(value: string, now: number, allowDate: boolean): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const number = Number(trimmed);
    if (number > 1e12) return Math.max(0, Math.round(number - now));
    if (number > 1e9) return Math.max(0, Math.round(number * 1000 - now));
    return Math.round(number * 1000);
  }
  if (!allowDate) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The provider's error text from a JSON body's usual members, else the raw text; never longer than 500 chars. */
export function errorText(response: HttpResponse, members: string[] = ['message', 'ErrorMessage', 'error']): string {
  const json = response.json;
  if (json && typeof json === 'object') {
    for (const member of members) {
      const value = (json as Record<string, unknown>)[member];
      if (typeof value === 'string' && value) return truncate(value);
    }
  }
  return truncate(response.text.trim());
}

/** Replaces every secret in `text`, in every form it travels in, with "***" (see src/core/secrets.ts). */
export function scrub(text: string, secrets: (string | undefined)[]): string {
  return new SecretScrubber(secrets).text(text);
}

/** `Basic base64(user:password)` for an Authorization header. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * The base URL an adapter talks to: the provider's real one, or `https://host[:port]` from a DSN
 * whose host is not `default`. `allowHttp` (DSN `?insecure=true`) keeps http only on loopback, so
 * a test server can stand in while a real key never travels in clear text.
 */
export function resolveBaseUrl(provider: string, options: { baseUrl?: string; defaultUrl: string }): string {
  const raw = options.baseUrl ?? options.defaultUrl;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new MailError('CONFIG', `baseUrl ${JSON.stringify(String(raw).replace(/\/\/[^/]*@/, '//***@'))} is not a URL: write it as https://host[:port]`, { provider });
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new MailError('CONFIG', `baseUrl ${JSON.stringify(url.origin)} must use https (http is allowed only on loopback, for local test servers)`, { provider });
  }
  // fetch refuses a URL with credentials, and its error echoed them; a query or fragment would end
  // up in front of the request's path. Named by origin only: they may hold secrets.
  if (url.username || url.password) {
    throw new MailError('CONFIG', `baseUrl for ${url.origin} holds a user name or password: fetch sends no credentials in a URL; give the proxy's address without them`, { provider });
  }
  if (url.search || url.hash) {
    throw new MailError('CONFIG', `baseUrl for ${url.origin} holds a query or a fragment: give scheme://host[:port] and an optional path only`, { provider });
  }
  return url.href.replace(/\/+$/, '');
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// The origin and path without query or userinfo: a URL may carry a key in its query string.
function safeOrigin(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function truncate(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}
