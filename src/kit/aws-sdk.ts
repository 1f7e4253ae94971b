// Parts for an adapter whose provider SDK is an AWS SDK v3 client (smithy: Amazon SES today).
// The SDK signs and serializes; the kit still owns what it owns for every HTTP adapter: the request
// goes through src/kit/http.ts (connect timeout, TRANSIENT before the request was written,
// AMBIGUOUS after), and an SDK error maps to a MailError by the catalogue first, then by its
// throttling flag and HTTP status exactly as errorFromResponse maps a status.
import { decidedCode, diagnose } from '../core/diagnose.js';
import { MailError, type MailErrorCode } from '../core/errors.js';
import { codeForStatus, httpRequest } from './http.js';

/** The request a smithy client hands its request handler (@smithy/protocol-http HttpRequest). */
export interface SdkHttpRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

export interface SdkRequestHandlerOptions {
  /** Adapter name, used in errors. */
  provider: string;
  /** Longest wait until the request is written (DNS, TCP, TLS). Default 10,000 ms. */
  connectTimeoutMs?: number;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /**
   * The calls whose success body is the send's proof (SES's SendEmail): a lost body after a 2xx is
   * then AMBIGUOUS instead of the empty success the SDK would read. Default: none.
   */
  needsBody?(request: SdkHttpRequest): boolean;
}

/** A smithy `requestHandler` on src/kit/http.ts: the signed request goes out through fetch unchanged. */
export function sdkRequestHandler(options: SdkRequestHandlerOptions) {
  const { provider } = options;
  return {
    async handle(request: SdkHttpRequest, handlerOptions: { abortSignal?: AbortSignal } = {}) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(request.query ?? {})) for (const one of [value].flat()) if (one !== null) query.append(key, one);
      const url = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}${query.size ? `?${query}` : ''}`;
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([key]) => !/^(host|content-length)$/i.test(key)));
      const response = await httpRequest({
        provider, url, method: request.method, headers,
        ...(typeof request.body === 'string' || request.body instanceof Uint8Array ? { body: request.body } : {}),
        ...(handlerOptions.abortSignal ? { signal: handlerOptions.abortSignal as AbortSignal } : {}),
        connectTimeoutMs: options.connectTimeoutMs, fetch: options.fetch,
      });
      if (response.bodyLost !== undefined && response.status < 300 && options.needsBody?.(request)) {
        throw new MailError('AMBIGUOUS', response.bodyLost, { provider, status: response.status });
      }
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, key) => { responseHeaders[key] = value; });
      return { response: { statusCode: response.status, headers: responseHeaders, body: new TextEncoder().encode(response.text) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
}

/**
 * An AWS SDK error (a ServiceException: `name`, `message`, `$metadata.httpStatusCode`,
 * `$retryable.throttling`) as a MailError. The error's name and text go through the catalogue,
 * which knows each provider's named errors and their remedies; an unknown name falls back to the
 * throttling flag, then to the status as for every HTTP adapter (401/402/403 AUTH, 429
 * RATE_LIMITED, other 4xx REJECTED, 5xx TRANSIENT); no status (a network error) is TRANSIENT.
 * A MailError (from the request handler) only gets the adapter's name.
 */
export function errorFromSdk(error: unknown, provider: string): MailError {
  if (error instanceof MailError) return error.withProvider(provider);
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean } };
  const status = e.$metadata?.httpStatusCode;
  const detail = `${status ? `${status} ` : ''}${e.name ?? 'Error'}: ${e.message ?? 'no message'}`;
  const decided = decidedCode(detail);
  const code: MailErrorCode = decided?.code
    ?? (e.$retryable?.throttling ? 'RATE_LIMITED' : status !== undefined && status >= 400 ? codeForStatus(status) : 'TRANSIENT');
  return diagnose(new MailError(code, detail, {
    provider, cause: error, ...(status ? { status } : {}), ...(decided ? { retryable: decided.retryable } : {}),
  }));
}
