// One adapter as the failover chain drives it: each attempt under the chain's timeout, retries with
// exponential backoff and jitter while the error says so (honouring Retry-After), and a cooldown
// that takes the adapter out of the chain after repeated failures and lets one send try it again
// after a period. What is retried and what counts towards a cooldown is the policy table's
// (src/core/policy.ts); this file only counts and waits.
import type { MailAdapter, SendReceipt } from './adapter.js';
import type { HandoverReport } from './handover.js';
import { diagnose } from './diagnose.js';
import { MailError, toMailError, type Attempt, type MailErrorCode } from './errors.js';
import type { NormalizedMessage } from './message.js';
import { moveOnAtOnce, policyFor } from './policy.js';
import { withTimeout } from './timeout.js';

/** Retries through the same adapter (mailer and failover option `retry`). */
export interface RetryOptions {
  /** Attempts per adapter, the first included. Default 3. */
  attempts?: number;
  /** First backoff delay; it doubles each retry, with jitter. Default 200 ms. */
  baseDelayMs?: number;
  /** Longest wait before a retry. A Retry-After longer than this moves on to the next adapter instead. Default 10,000 ms. */
  maxDelayMs?: number;
}

/** Taking a failing adapter out of the chain for a while (mailer and failover option `cooldown`). */
export interface CooldownOptions {
  /** Consecutive failed sends (after retries) that start a cooldown. Default 5. */
  failures?: number;
  /** How long the adapter is skipped; then one send tries it again. Default 60,000 ms. */
  periodMs?: number;
}

/** What the `cooldown` event tells: `adapter` is skipped until `until` after failing with `code`. */
export interface CooldownStart {
  adapter: string;
  code: MailErrorCode;
  until: Date;
}

/** What a lane reports while it sends (the failover chain passes its SendTrace). */
export interface LaneTrace {
  /** Every attempt, appended as it ends. */
  attempts: Attempt[];
  onAttempt?(adapter: MailAdapter, attempt: number): void;
  /** An attempt ended (its record is the last of `attempts`). */
  onAttemptEnd?(adapter: MailAdapter, attempt: Attempt, number: number): void;
  onCooldown?(info: CooldownStart): void;
  /** Told when an attempt hands the message over; the transport waits for it (src/core/handover.ts). */
  onHandover?: HandoverReport;
}

/** What `AdapterLane.send` answers for an adapter taken out of the chain for a while. */
export const COOLING_DOWN = 'cooling-down';

export class AdapterLane {
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly failuresToCool: number;
  private readonly periodMs: number;
  private failures = 0;
  private coolingUntil = 0;
  // After a cooldown, one send tries the adapter again; the others keep skipping it meanwhile.
  private trial = false;

  constructor(
    readonly adapter: MailAdapter,
    private readonly timeoutMs: number,
    retry: RetryOptions = {},
    cooldown: CooldownOptions = {},
  ) {
    this.attempts = Math.max(1, retry.attempts ?? 3);
    this.baseDelayMs = retry.baseDelayMs ?? 200;
    this.maxDelayMs = retry.maxDelayMs ?? 10_000;
    this.failuresToCool = Math.max(1, cooldown.failures ?? 5);
    this.periodMs = cooldown.periodMs ?? 60_000;
  }

  /** When the adapter's cooldown ends, or undefined when it is in the chain. */
  coolingDownUntil(now = Date.now()): Date | undefined {
    return this.coolingUntil > now || this.trial ? new Date(Math.max(this.coolingUntil, now)) : undefined;
  }

  /**
   * Sends through this adapter with retries, appending every attempt to `trace.attempts`. Throws
   * the last MailError; answers COOLING_DOWN without trying when the adapter is cooling down,
   * unless `force`. `nextAvailable`: another member of the chain can take the message after this
   * one (a refused connection then moves on at once, src/core/policy.ts).
   */
  async send(message: NormalizedMessage, trace: LaneTrace, force = false, signal?: AbortSignal, nextAvailable = false): Promise<SendReceipt | typeof COOLING_DOWN> {
    const cooling = this.coolingUntil > 0;
    const trial = !force && cooling;
    if (trial) {
      if (this.trial || this.coolingUntil > Date.now()) return COOLING_DOWN;
      this.trial = true;
    }
    try {
      const receipt = await this.withRetries(message, trace, signal, nextAvailable);
      this.failures = 0;
      this.coolingUntil = 0;
      return receipt;
    } catch (error) {
      // Forced through while cooling down (every other adapter failed): its cooldown already runs.
      if (!(force && cooling)) this.count(error as MailError, trace, trial);
      throw error;
    } finally {
      if (trial) this.trial = false;
    }
  }

  // A failure the policy counts brings the cooldown nearer (a failed trial restarts it at once);
  // any other answer shows the adapter works.
  private count(error: MailError, trace: LaneTrace, trial: boolean): void {
    if (!policyFor(error.code).cooldown) {
      this.failures = 0;
      this.coolingUntil = 0;
      return;
    }
    this.failures += 1;
    if (!trial && this.failures < this.failuresToCool) return;
    this.coolingUntil = Date.now() + this.periodMs;
    trace.onCooldown?.({ adapter: this.adapter.name, code: error.code, until: new Date(this.coolingUntil) });
  }

  private async withRetries(message: NormalizedMessage, trace: LaneTrace, signal: AbortSignal | undefined, nextAvailable: boolean): Promise<SendReceipt> {
    for (let attempt = 1; ; attempt++) {
      trace.onAttempt?.(this.adapter, attempt);
      try {
        return await this.attemptOnce(message, attempt, trace, signal);
      } catch (error) {
        const failure = error as MailError;
        // `retryable` is the policy table's answer for the code, unless the adapter knew better;
        // but what may have been delivered (AMBIGUOUS) is never sent again through the same adapter,
        // whatever its error says: the chain decides, and flags the possible duplicate.
        const retry =
          failure.retryable && failure.code !== 'AMBIGUOUS' && attempt < this.attempts && (failure.retryAfterMs ?? 0) <= this.maxDelayMs && !signal?.aborted && !moveOnAtOnce(failure, nextAvailable);
        if (!retry) throw failure;
        await new Promise((resolve) => setTimeout(resolve, this.backoff(attempt, failure)));
      }
    }
  }

  // Exponential backoff with jitter (half the step fixed, half random), except that a Retry-After
  // the provider sent wins (longer ones were refused above).
  private backoff(attempt: number, error: MailError): number {
    if (error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, this.maxDelayMs);
    const step = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return step / 2 + Math.random() * (step / 2);
  }

  private async attemptOnce(message: NormalizedMessage, attempt: number, trace: LaneTrace, signal: AbortSignal | undefined): Promise<SendReceipt> {
    const startedAt = new Date();
    const started = performance.now();
    const record = (fields: Partial<Attempt>) => {
      const ended: Attempt = { adapter: this.adapter.name, startedAt: startedAt.toISOString(), durationMs: Math.round(performance.now() - started), ok: false, ...fields };
      trace.attempts.push(ended);
      trace.onAttemptEnd?.(this.adapter, ended, attempt);
    };
    try {
      // The one place the idempotency key reaches an adapter.
      const context = { attempt, ...(message.idempotencyKey ? { idempotencyKey: message.idempotencyKey } : {}) };
      const receipt = await withTimeout(this.timeoutMs, this.adapter.name, (attemptSignal) => this.adapter.send(message, { signal: attemptSignal, ...context }), signal, trace.onHandover);
      // A receipt that names every recipient refused (an adapter of one's own) is a refusal of all
      // its recipients: REJECTED, as DESIGN's table says, never "sent" with a warning.
      if (receipt.accepted.length === 0 && receipt.rejected.length > 0) {
        throw new MailError('REJECTED', `${this.adapter.name} refused every recipient: ${receipt.rejected.join(', ')}`, { provider: this.adapter.name, rejected: receipt.rejected });
      }
      record({ ok: true, ...(receipt.providerMessageId ? { providerMessageId: receipt.providerMessageId } : {}) });
      return receipt;
    } catch (thrown) {
      const error = diagnose(toMailError(thrown, { provider: this.adapter.name }));
      record({ error: error.toAttemptError() });
      throw error;
    }
  }
}
