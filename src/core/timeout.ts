// The one owner of the attempt timeout: the failover chain's `timeoutMs` (mailer option) bounds
// every attempt and every verify() check, through the AbortSignal the adapter gets (ctx.signal).
// Adapters keep only a connect timeout of their own. A timeout is classified here, once: before
// the message was handed over it is TRANSIENT (nothing left, the chain may retry), after it
// AMBIGUOUS (the provider may have accepted it). Transports that know better (src/kit/http.ts
// knows whether the request was written) call `timedOutAfterHandover` with what they know.
import { MailError } from './errors.js';
import { handoverReporter, reportHandoverOn, type HandoverReport } from './handover.js';

/** The chain's attempt timeout when the mailer option `timeoutMs` is not given. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 30_000;

/**
 * The longest `timeoutMs` (2^31 - 1 ms, about 24.8 days): Node runs a longer timer after 1 ms, so
 * `timeoutMs: 30 days` would time every attempt out at once.
 */
export const MAX_ATTEMPT_TIMEOUT_MS = 2 ** 31 - 1;

// How long an adapter that ignores the signal gets to give up by itself before it is abandoned.
const GRACE_MS = 1_000;

/** The error an attempt's signal is aborted with when `timeoutMs` has passed. */
export function attemptTimeout(timeoutMs: number, provider: string): MailError {
  return new MailError('TRANSIENT', `no answer within ${timeoutMs} ms (mailer option timeoutMs)`, { provider });
}

/**
 * A timeout (or an abort) met after the message was handed over (end of DATA, HTTP request
 * written): only an answer could have said it was not accepted, so it may have been delivered.
 */
export function timedOutAfterHandover(reason: MailError | string, provider: string, cause?: unknown): MailError {
  const what = typeof reason === 'string' ? reason : reason.detail;
  return new MailError('AMBIGUOUS', `${what} after the request was sent: the provider may have accepted the message`, { provider, cause: cause ?? reason });
}

/**
 * Runs one attempt (or check) with a signal that aborts after `timeoutMs` or when `outer` aborts.
 * An adapter that honours the signal reports its own classification (it knows what it wrote); one
 * that ignores it is abandoned after a short grace: AMBIGUOUS when it had reported the message
 * handed over, else TRANSIENT. `onHandover` (the journal's) is told when the attempt hands the
 * message over; without it, the report of the attempt `outer` belongs to (a chain inside a chain).
 */
export async function withTimeout<T>(timeoutMs: number, provider: string, run: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal, onHandover?: HandoverReport): Promise<T> {
  const controller = new AbortController();
  const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
  let handedOver = false;
  const timedOut = () => (handedOver ? timedOutAfterHandover(attemptTimeout(timeoutMs, provider), provider) : attemptTimeout(timeoutMs, provider));
  let timer: NodeJS.Timeout | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  try {
    // Listens for the handover inside the attempt, and passes it on to whoever listened outside (the journal).
    const passOn = onHandover ?? handoverReporter(outer);
    reportHandoverOn(signal, async () => {
      handedOver = true;
      await passOn?.();
    });
    // Settled by the attempt, or by the grace timer when the attempt ignores the abort.
    return await new Promise<T>((resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort(attemptTimeout(timeoutMs, provider));
        graceTimer = setTimeout(() => reject(timedOut()), Math.min(GRACE_MS, timeoutMs));
      }, timeoutMs);
      run(signal).then(resolve, reject);
    });
  } catch (error) {
    // An adapter that just rethrows the abort reason (fetch rejects with it as it is), or a
    // DOMException, timed out: say so, AMBIGUOUS once handed over. The reason is a MailError with a
    // provider, so it is recognised by identity, not by the test that keeps an adapter's own error.
    if (controller.signal.aborted && (error === controller.signal.reason || !(error instanceof MailError && error.provider))) throw timedOut();
    throw error;
  } finally {
    clearTimeout(timer);
    clearTimeout(graceTimer);
  }
}
