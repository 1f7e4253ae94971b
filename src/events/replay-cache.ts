// Remembers values (Mailgun tokens) until they are too old to pass the timestamp window anyway, so
// a captured webhook cannot be posted twice. In memory, per process: a restart forgets, and the
// journal's event deduplication is the second line.

export class ReplayCache {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries;
  }

  /** True the first time `value` is seen before `expiresAt`; false when it is a replay. */
  claim(value: string, expiresAt: number, now: number): boolean {
    this.#prune(now);
    if (this.#seen.has(value)) return false;
    // Full of live values: the oldest go first (a Map iterates in insertion order).
    while (this.#seen.size >= this.#maxEntries) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(value, expiresAt);
    return true;
  }

  /** Forgets `value`: the request it came with was not recorded, so the provider's retry must pass. */
  release(value: string): void {
    this.#seen.delete(value);
  }

  #prune(now: number): void {
    for (const [value, expiresAt] of this.#seen) {
      if (expiresAt > now) break;
      this.#seen.delete(value);
    }
  }
}
