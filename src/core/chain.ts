// Delivery through one adapter, as the chain sees it: a per-attempt timeout, retries with
// exponential backoff and jitter on retryable errors (honouring Retry-After), and a cooldown that
// takes an adapter out of the chain after repeated failures and brings it back after a period.
// cockatiel provides the retry loop and the circuit breaker; this file decides what counts.
import {
  BrokenCircuitError,
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
  type RetryPolicy,
} from 'cockatiel';
import type { MailAdapter, SendReceipt } from './adapter.js';
import { diagnose } from './diagnose.js';
import { MailError, toMailError, type Attempt } from './errors.js';
import { withHandoverReport } from './handover.js';
import type { NormalizedMessage } from './message.js';

/** Retries through the same adapter (mailer option `retry`). */
export interface RetryOptions {
  /** Attempts per adapter, the first included. Default 3. */
  attempts?: number;
  /** First backoff delay; it doubles each retry, with jitter. Default 200 ms. */
  baseDelayMs?: number;
  /** Longest wait before a retry. A Retry-After longer than this moves on to the next adapter instead. Default 10,000 ms. */
  maxDelayMs?: number;
}

/** Taking a failing adapter out of the chain for a while (mailer option `cooldown`). */
export interface CooldownOptions {
  /** Consecutive failed sends (after retries) that start a cooldown. Default 5. */
  failures?: number;
  /** How long the adapter is skipped; then one send tries it again. Default 60,000 ms. */
  periodMs?: number;
}

/** Codes that say the adapter (not the message) is unwell, and so count towards a cooldown. */
const ADAPTER_FAULTS = new Set(['AUTH', 'RATE_LIMITED', 'TRANSIENT', 'AMBIGUOUS']);

export class AdapterLane {
  private readonly retryPolicy: RetryPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private coolingUntil = 0;

  constructor(
    readonly adapter: MailAdapter,
    private readonly timeoutMs: number,
    retryOptions: RetryOptions = {},
    cooldown: CooldownOptions = {},
    onCooldown?: (info: { code: string; until: Date }) => void,
  ) {
    const attempts = Math.max(1, retryOptions.attempts ?? 3);
    const maxDelayMs = retryOptions.maxDelayMs ?? 10_000;
    this.retryPolicy = retry(
      handleWhen((error) => error instanceof MailError && error.retryable && (error.retryAfterMs ?? 0) <= maxDelayMs),
      { maxAttempts: attempts - 1, backoff: new RetryAfterBackoff(retryOptions.baseDelayMs ?? 200, maxDelayMs) },
    );
    const periodMs = cooldown.periodMs ?? 60_000;
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof MailError && ADAPTER_FAULTS.has(error.code)),
      { halfOpenAfter: periodMs, breaker: new ConsecutiveBreaker(Math.max(1, cooldown.failures ?? 5)) },
    );
    this.breaker.onBreak((reason) => {
      this.coolingUntil = Date.now() + periodMs;
      const code = 'error' in reason && reason.error instanceof MailError ? reason.error.code : 'TRANSIENT';
      onCooldown?.({ code, until: new Date(this.coolingUntil) });
    });
    this.breaker.onReset(() => {
      this.coolingUntil = 0;
    });
  }

  /** When the adapter's cooldown ends, or undefined when it is in the chain. */
  coolingDownUntil(now = Date.now()): Date | undefined {
    return this.coolingUntil > now ? new Date(this.coolingUntil) : undefined;
  }

  /**
   * Sends through this adapter with retries, appending every attempt to `attempts`. Throws the last
   * MailError; answers COOLING_DOWN without trying when the adapter is cooling down, unless `force`.
   * `onHandover` hears when a transport reports the message handed over (see src/core/handover.ts);
   * `onAttempt` hears as each attempt starts (for progress displays).
   */
  async send(
    message: NormalizedMessage,
    attempts: Attempt[],
    force = false,
    hooks: { onHandover?: (adapter: string) => void; onAttempt?: (attempt: number) => void } = {},
  ): Promise<SendReceipt | typeof COOLING_DOWN> {
    const run = () =>
      this.retryPolicy.execute(({ attempt }) => {
        hooks.onAttempt?.(attempt + 1);
        return this.attemptOnce(message, attempt + 1, attempts, hooks.onHandover);
      });
    if (force) return run();
    try {
      return await this.breaker.execute(run);
    } catch (error) {
      if (error instanceof BrokenCircuitError) return COOLING_DOWN;
      throw error;
    }
  }

  private async attemptOnce(message: NormalizedMessage, attempt: number, attempts: Attempt[], onHandover?: (adapter: string) => void): Promise<SendReceipt> {
    const startedAt = new Date();
    const started = performance.now();
    const record = (fields: Partial<Attempt>) =>
      attempts.push({ adapter: this.adapter.name, startedAt: startedAt.toISOString(), durationMs: Math.round(performance.now() - started), ok: false, ...fields });
    try {
      const send = (signal: AbortSignal) => this.adapter.send(message, { signal, attempt, ...(message.idempotencyKey ? { idempotencyKey: message.idempotencyKey } : {}) });
      const receipt = await withTimeout(this.timeoutMs, this.adapter.name, (signal) =>
        onHandover ? withHandoverReport(() => onHandover(this.adapter.name), () => send(signal)) : send(signal),
      );
      record({ ok: true, ...(receipt.providerMessageId ? { providerMessageId: receipt.providerMessageId } : {}) });
      return receipt;
    } catch (thrown) {
      const error = diagnose(toMailError(thrown, { provider: this.adapter.name }));
      record({ error: error.toAttemptError() });
      throw error;
    }
  }
}

/** What `AdapterLane.send` answers for an adapter taken out of the chain for a while. */
export const COOLING_DOWN = 'cooling-down';

// Exponential backoff with cockatiel's decorrelated jitter, except that a Retry-After the provider
// sent wins (the retry predicate has already refused waits longer than maxDelayMs).
class RetryAfterBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  private readonly exponential: ExponentialBackoff<unknown>;

  constructor(baseDelayMs: number, private readonly maxDelayMs: number) {
    this.exponential = new ExponentialBackoff({ initialDelay: baseDelayMs, maxDelay: maxDelayMs });
  }

  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    return this.wrap(this.exponential.next(), context);
  }

  private wrap(inner: IBackoff<unknown>, context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const error = 'error' in context.result ? context.result.error : undefined;
    const asked = error instanceof MailError ? error.retryAfterMs : undefined;
    return {
      duration: asked === undefined ? inner.duration : Math.min(asked, this.maxDelayMs),
      next: (nextContext) => this.wrap(inner.next(undefined), nextContext),
    };
  }
}

/**
 * Runs one attempt (or check) with an AbortSignal that fires after `timeoutMs`. An adapter that
 * honours the signal reports its own classification (it knows whether the message was handed
 * over); one that ignores it is abandoned after a short grace period with TRANSIENT.
 */
export async function withTimeout<T>(timeoutMs: number, provider: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timeoutError = () => new MailError('TRANSIENT', `no answer within ${timeoutMs} ms (mailer option timeoutMs)`, { provider });
  let timer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(timeoutError());
      graceTimer = setTimeout(() => reject(timeoutError()), Math.min(1_000, timeoutMs));
    }, timeoutMs);
  });
  abandoned.catch(() => undefined);
  try {
    return await Promise.race([run(controller.signal), abandoned]);
  } catch (error) {
    // An adapter that just rethrows the abort reason, or a DOMException, timed out: say so.
    if (controller.signal.aborted && !(error instanceof MailError && error.provider)) throw timeoutError();
    throw error;
  } finally {
    clearTimeout(timer);
    clearTimeout(graceTimer);
  }
}
