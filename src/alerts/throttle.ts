// One outage, one alert plus a digest. Alerts are keyed by (trigger, adapter, code): the first of a
// key goes out at once and opens a window; the ones that follow inside it are only counted. When
// the window ends with a count, one digest says "and N more like this" and a new window opens (a
// long outage sends one digest per window, never a storm); a window that ends quiet forgets the key.

/** The clock and timers the throttle runs on; injectable so tests need no sleeps. */
export interface AlertClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real time; timers are unref'd so alerts never keep a process alive. */
export const systemClock: AlertClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Window<T> {
  first: T;
  held: number;
  firstHeldAt?: number;
  lastHeldAt?: number;
  timer: unknown;
}

export class AlertThrottle<T> {
  readonly #windows = new Map<string, Window<T>>();

  /**
   * `release(item, held)`: called with the first item of a key (held undefined) at once, and with
   * that same first item and the held-back count and times when a window ends with a count.
   */
  constructor(
    private readonly windowMs: number,
    private readonly clock: AlertClock,
    private readonly release: (item: T, held?: { count: number; firstAt: number; lastAt: number }) => void,
  ) {}

  /** Lets `item` through or counts it; answers whether it went through. */
  offer(key: string, item: T): boolean {
    const open = this.#windows.get(key);
    if (open) {
      const now = this.clock.now();
      open.held += 1;
      open.firstHeldAt ??= now;
      open.lastHeldAt = now;
      return false;
    }
    this.#windows.set(key, { first: item, held: 0, timer: this.#schedule(key) });
    this.release(item);
    return true;
  }

  /** Alerts held back so far, per key (for status displays and tests). */
  held(): Record<string, number> {
    return Object.fromEntries([...this.#windows].map(([key, window]) => [key, window.held]));
  }

  /** Sends every pending digest now and stops (used when the mailer closes). */
  flush(): void {
    for (const key of [...this.#windows.keys()]) this.#end(key, false);
  }

  #schedule(key: string): unknown {
    return this.clock.setTimeout(() => this.#end(key, true), this.windowMs);
  }

  #end(key: string, reopen: boolean): void {
    const window = this.#windows.get(key);
    if (!window) return;
    this.clock.clearTimeout(window.timer);
    if (window.held === 0) {
      this.#windows.delete(key);
      return;
    }
    const held = { count: window.held, firstAt: window.firstHeldAt!, lastAt: window.lastHeldAt! };
    if (reopen) {
      // The outage goes on: the next window counts again, and ends with a digest only if it has to.
      this.#windows.set(key, { first: window.first, held: 0, timer: this.#schedule(key) });
    } else {
      this.#windows.delete(key);
    }
    this.release(window.first, held);
  }
}
