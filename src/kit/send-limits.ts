// Sending limits per mailbox, so a burst of order confirmations does not get the mailbox blocked:
// at most N messages in any 60-second window. A message over the limit waits for its slot when
// the wait is short, and otherwise fails at once with RATE_LIMITED and `retryAfterMs`, so the
// chain can hand it to the next adapter instead of holding the caller.
import { MailError } from '../core/errors.js';

export interface SendLimitOptions {
  /** Most messages started in any 60 s window. Required; Office 365 allows 30 per mailbox. */
  messagesPerMinute: number;
  /** Longest a message may wait for its slot before failing RATE_LIMITED. Default 10,000 ms. */
  maxWaitMs?: number;
  /** Adapter name for errors. Default "smtp". */
  provider?: string;
  /** Length of the window the limit counts over. Default 60,000 ms (tests use less). */
  windowMs?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/** A sliding-window limiter. Share one instance between adapters that use the same mailbox. */
export class SendLimiter {
  readonly messagesPerMinute: number;
  readonly maxWaitMs: number;
  private readonly provider: string;
  private readonly now: () => number;
  private readonly windowMs: number;
  // Start times handed out (past or reserved in the future), oldest first.
  private readonly slots: number[] = [];

  constructor(options: SendLimitOptions) {
    if (!Number.isInteger(options.messagesPerMinute) || options.messagesPerMinute < 1) {
      throw new MailError('CONFIG', `messagesPerMinute must be a whole number of at least 1, got ${options.messagesPerMinute}`);
    }
    this.messagesPerMinute = options.messagesPerMinute;
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.provider = options.provider ?? 'smtp';
    this.now = options.now ?? Date.now;
    this.windowMs = options.windowMs ?? 60_000;
  }

  /**
   * Reserves the next slot and waits for it. Throws RATE_LIMITED (with `retryAfterMs`) when the
   * slot is further away than `maxWaitMs`, and TRANSIENT when aborted while waiting.
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    while (this.slots.length > 0 && this.slots[0]! <= now - this.windowMs) this.slots.shift();
    // The slot opens when the message `messagesPerMinute` places back leaves the window.
    const blocking = this.slots.length >= this.messagesPerMinute ? this.slots[this.slots.length - this.messagesPerMinute]! : undefined;
    const start = blocking === undefined ? now : Math.max(now, blocking + this.windowMs);
    const waitMs = start - now;
    if (waitMs > this.maxWaitMs) {
      throw new MailError('RATE_LIMITED', `the sending limit of ${this.messagesPerMinute} messages per ${this.windowMs === 60_000 ? 'minute' : `${this.windowMs} ms`} is reached; the next slot is in ${Math.ceil(waitMs / 1000)} s`, {
        provider: this.provider,
        retryAfterMs: waitMs,
        remedy: `Wait ${Math.ceil(waitMs / 1000)} s, send through another adapter, or raise messagesPerMinute if the provider allows more.`,
      });
    }
    this.slots.push(start);
    if (waitMs > 0) {
      await sleep(waitMs, signal, () => this.release(start)).catch((reason: unknown) => {
        throw new MailError('TRANSIENT', 'the send was aborted while waiting for a slot under the sending limit', { provider: this.provider, cause: reason });
      });
    }
  }

  // Gives back a reserved slot nobody will use (the waiting send was aborted).
  private release(slot: number): void {
    const index = this.slots.lastIndexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined, onAbort: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      onAbort();
      return reject(signal.reason);
    }
    const abort = () => {
      clearTimeout(timer);
      onAbort();
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
