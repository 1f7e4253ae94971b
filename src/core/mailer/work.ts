// The sends a mailer has running: two concurrent sends with one idempotency key share one delivery,
// and close() waits for every send (keyed or not, resends included) to close its journal entry.
import { MailError } from '../errors.js';
import type { SendResult } from './types.js';

export class RunningSends {
  private readonly byKey = new Map<string, Promise<SendResult>>();
  private readonly running = new Set<Promise<unknown>>();
  closed = false;

  /** Runs a send; one with the key of a send still running answers that send's result, deduplicated. */
  start(key: string | undefined, send: () => Promise<SendResult>, what = 'send()'): Promise<SendResult> {
    this.refuseIfClosed(what);
    if (!key) return this.track(send());
    const first = this.byKey.get(key);
    if (first) return first.then((result) => ({ ...result, deduplicated: true }));
    const promise = this.track(send()).finally(() => this.byKey.delete(key));
    this.byKey.set(key, promise);
    return promise;
  }

  /** CONFIG once close() was called: a closed mailer's chain and journal are closed too. */
  refuseIfClosed(what: string): void {
    if (this.closed) throw new MailError('CONFIG', `${what} was called after close(): this mailer is closed; create a new one with createMailer()`);
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const forget = () => this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Marks the mailer closed and waits for every send still running. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
