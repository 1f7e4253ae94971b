// What the failover chain does with each error code: the one table every part reads (MailError's
// default `retryable`, the retry loop, the cooldown count, the chain's next-or-stop). The README's
// "Errors" table says the same in words.
import type { MailErrorCode } from './errors.js';

export interface CodePolicy {
  /**
   * Try the same adapter again, after a backoff. The default of `MailError.retryable`: an adapter
   * that knows a failure will not change (a TLS certificate refused, a daily quota) says so on the error.
   */
  retry: boolean;
  /** A failed send with this code counts towards the adapter's cooldown: the adapter is unwell, not the message. */
  cooldown: boolean;
  /** Once the adapter gives up: try the next adapter of the chain, or stop the send with this error. */
  then: 'next' | 'stop';
}

export const POLICY: Readonly<Record<MailErrorCode, Readonly<CodePolicy>>> = Object.freeze({
  // The message's own faults: every adapter would fail the same way.
  INVALID_MESSAGE: { retry: false, cooldown: false, then: 'stop' },
  TEMPLATE: { retry: false, cooldown: false, then: 'stop' },
  REJECTED: { retry: false, cooldown: false, then: 'stop' },
  // A mistake in the setup: fixing it is the only way on.
  CONFIG: { retry: false, cooldown: false, then: 'stop' },
  // This adapter cannot carry this message (decided before the message is sent): another one may.
  UNSUPPORTED: { retry: false, cooldown: false, then: 'next' },
  // The adapter is unwell.
  AUTH: { retry: false, cooldown: true, then: 'next' },
  RATE_LIMITED: { retry: true, cooldown: true, then: 'next' },
  TRANSIENT: { retry: true, cooldown: true, then: 'next' },
  // It may have been delivered: never again through the same adapter (mailer option onAmbiguous
  // chooses between the next adapter, marked possible duplicate, and stopping).
  AMBIGUOUS: { retry: false, cooldown: true, then: 'next' },
  // A nested chain whose every adapter failed: each has counted its own cooldown.
  ALL_FAILED: { retry: false, cooldown: false, then: 'next' },
});

/**
 * A connection that was refused carried nothing (no byte of the message was written): it is
 * certainly not delivered. With another member of the chain ready to take the message, the chain
 * moves on at once instead of retrying here with backoff (as Symfony's FailoverTransport does); the
 * failure still counts towards the cooldown, which then spares later sends the refused member. A
 * single adapter, or the last member of a chain, still retries as TRANSIENT says.
 */
export function moveOnAtOnce(error: { code: MailErrorCode; cause?: unknown; message?: string }, nextAvailable: boolean): boolean {
  return nextAvailable && error.code === 'TRANSIENT' && connectionRefused(error);
}

// ECONNREFUSED anywhere in the cause chain (a socket's code, or the text an adapter kept of it).
function connectionRefused(error: unknown): boolean {
  for (let at = error, depth = 0; at && typeof at === 'object' && depth < 5; at = (at as { cause?: unknown }).cause, depth++) {
    const { code, originalCode, message } = at as { code?: unknown; originalCode?: unknown; message?: unknown };
    if (code === 'ECONNREFUSED' || originalCode === 'ECONNREFUSED') return true;
    if (typeof message === 'string' && /\bECONNREFUSED\b/.test(message)) return true;
  }
  return false;
}

/** What the chain does with `code`; `onAmbiguous: 'stop'` turns AMBIGUOUS into a stop. */
export function policyFor(code: MailErrorCode, onAmbiguous: 'failover' | 'stop' = 'failover'): Readonly<CodePolicy> {
  const policy = POLICY[code];
  return code === 'AMBIGUOUS' && onAmbiguous === 'stop' ? { ...policy, then: 'stop' } : policy;
}
