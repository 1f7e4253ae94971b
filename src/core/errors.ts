// The one error type mailroom throws. Every adapter boundary converts whatever it catches into a
// MailError with `cause`, so the chain can decide what to do from `code` alone.
import { genericRemedy } from './diagnose.js';
import { POLICY } from './policy.js';

/** What went wrong, and so what the fallback chain does next (see README "Errors"). */
export type MailErrorCode =
  | 'INVALID_MESSAGE'
  | 'CONFIG'
  | 'TEMPLATE'
  | 'UNSUPPORTED'
  | 'AUTH'
  | 'RATE_LIMITED'
  | 'TRANSIENT'
  | 'REJECTED'
  | 'AMBIGUOUS'
  | 'ALL_FAILED';

/** One delivery attempt through one adapter, as kept in results, errors and the journal. */
export interface Attempt {
  adapter: string;
  /** ISO 8601 start time. */
  startedAt: string;
  durationMs: number;
  ok: boolean;
  providerMessageId?: string;
  error?: AttemptError;
}

/** The serializable part of a MailError that an attempt keeps. Never holds a secret. */
export interface AttemptError {
  code: MailErrorCode;
  message: string;
  status?: number;
  smtpCode?: number;
  enhancedCode?: string;
  remedy?: string;
}

export interface MailErrorOptions {
  /** Adapter or provider name ("brevo", "office365"); never a credential. */
  provider?: string;
  /** Overrides the default for the code (src/core/policy.ts: RATE_LIMITED and TRANSIENT retry, others do not). */
  retryable?: boolean;
  cause?: unknown;
  /** HTTP status of the provider's answer. */
  status?: number;
  /** SMTP reply code, e.g. 535. */
  smtpCode?: number;
  /** RFC 3463 enhanced status code, e.g. "5.7.139". */
  enhancedCode?: string;
  /** How long the provider asked us to wait before trying again. */
  retryAfterMs?: number;
  /** A sentence a person can act on. */
  remedy?: string;
  /** The message field at fault, for INVALID_MESSAGE and TEMPLATE. */
  field?: string;
  /** Recipients the provider refused. */
  rejected?: string[];
  /** Every attempt made, for ALL_FAILED and for the error that stopped the chain. */
  attempts?: Attempt[];
}

export class MailError extends Error {
  override readonly name = 'MailError';
  readonly code: MailErrorCode;
  /** The message without the "[mailroom] [provider]" prefix. */
  readonly detail: string;
  provider?: string;
  retryable: boolean;
  status?: number;
  smtpCode?: number;
  enhancedCode?: string;
  retryAfterMs?: number;
  field?: string;
  rejected?: string[];
  attempts?: Attempt[];
  #remedy?: string;

  constructor(code: MailErrorCode, detail: string, options: MailErrorOptions = {}) {
    super(formatMessage(detail, options.provider), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = detail;
    this.retryable = options.retryable ?? POLICY[code].retry;
    const { cause: _cause, retryable: _retryable, ...fields } = options;
    Object.assign(this, dropUndefined(fields));
  }

  /**
   * A sentence a person can act on: the remedy for this very failure when the catalogue (or the
   * adapter) knows one, else the next step every error with this code has (never empty).
   */
  get remedy(): string {
    return this.#remedy ?? genericRemedy(this.code, this.field);
  }

  set remedy(value: string | undefined) {
    this.#remedy = value;
  }

  /** The remedy for this very failure, when one is known; `remedy` falls back to the code's generic step. */
  get specificRemedy(): string | undefined {
    return this.#remedy;
  }

  /** Sets the provider once it is known (an error made deep inside an adapter may lack it). */
  withProvider(provider: string): this {
    if (!this.provider) {
      this.provider = provider;
      this.message = formatMessage(this.detail, provider);
    }
    return this;
  }

  /** The attempt-sized, secret-free view kept in results and the journal. */
  toAttemptError(): AttemptError {
    return dropUndefined({
      code: this.code,
      message: this.message,
      status: this.status,
      smtpCode: this.smtpCode,
      enhancedCode: this.enhancedCode,
      remedy: this.remedy,
    }) as AttemptError;
  }

  toJSON(): Record<string, unknown> {
    return dropUndefined({
      name: this.name,
      code: this.code,
      message: this.message,
      provider: this.provider,
      retryable: this.retryable,
      status: this.status,
      smtpCode: this.smtpCode,
      enhancedCode: this.enhancedCode,
      retryAfterMs: this.retryAfterMs,
      remedy: this.remedy,
      field: this.field,
      rejected: this.rejected,
      attempts: this.attempts,
    });
  }
}

/** Attempts grouped by adapter, in the order first tried: how many each made, and its last one. */
export function attemptsByAdapter(attempts: Attempt[]): Array<{ adapter: string; count: number; last: Attempt }> {
  const groups = new Map<string, { adapter: string; count: number; last: Attempt }>();
  for (const attempt of attempts) {
    const group = groups.get(attempt.adapter);
    if (group) Object.assign(group, { count: group.count + 1, last: attempt });
    else groups.set(attempt.adapter, { adapter: attempt.adapter, count: 1, last: attempt });
  }
  return [...groups.values()];
}

// The sentence ALL_FAILED ends its message with, for logs that print only an error's message
// (Strapi's). The CLI and the admin screens show the remedy on a line of its own: they read the
// message through remedyApart, so the remedy shows once.
const REMEDY_SENTENCE = '. Last remedy: ';

/** `message` ending with the sentence that names `remedy` (unchanged without a remedy). */
export function withRemedySentence(message: string, remedy: string | undefined): string {
  return remedy ? `${message}${REMEDY_SENTENCE}${remedy}` : message;
}

/**
 * An error's message and its remedy, to show apart: the message without the remedy sentence that
 * withRemedySentence put at its end, and the remedy (undefined when the error has none).
 */
export function remedyApart(error: { message: string; remedy?: string | undefined }): { message: string; remedy?: string } {
  const { message, remedy } = error;
  if (!remedy) return { message };
  const sentence = withRemedySentence('', remedy);
  return { message: message.endsWith(sentence) ? message.slice(0, -sentence.length) : message, remedy };
}

export function isMailError(value: unknown): value is MailError {
  return value instanceof MailError;
}

/**
 * Wraps anything thrown by foreign code (a vendor SDK, a socket) into a MailError, keeping it as
 * `cause`. A MailError passes through unchanged but for its provider. A foreign error becomes
 * `fallback.code` (TRANSIENT unless said otherwise): an adapter that knows better classifies first.
 */
export function toMailError(
  error: unknown,
  fallback: { code?: MailErrorCode; provider?: string; message?: string } = {},
): MailError {
  if (error instanceof MailError) return fallback.provider ? error.withProvider(fallback.provider) : error;
  const text = error instanceof Error ? error.message : String(error);
  const detail = fallback.message ? `${fallback.message}: ${text}` : text;
  return new MailError(fallback.code ?? 'TRANSIENT', detail, { provider: fallback.provider, cause: error });
}

function formatMessage(detail: string, provider?: string): string {
  return provider ? `[mailroom] [${provider}] ${detail}` : `[mailroom] ${detail}`;
}

function dropUndefined<T extends Record<string, unknown>>(object: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}
