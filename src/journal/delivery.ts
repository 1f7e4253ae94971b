// Provider events into the journal: each event is matched to its entry through the index the
// journal writes when a message is sent (provider message id and our Message-ID -> entry id),
// deduplicated, and applied to the entry's per-recipient delivery state. An event that arrives
// before the send result is written is parked under its message id and folded into the entry by
// the next event for that message or by `retryParked()`.
import type { TrackingEvent } from '../events/types.js';
import { applyEvents, deliveryRef, emptyDelivery, entryRefs, eventKey, hashedRefKey, refKeys } from './delivery-state.js';
import type { SendJournal } from './journal.js';

/** What one `record` call did. */
export interface DeliveryOutcome {
  /** New events applied to a journal entry (their `journalId` set). */
  recorded: TrackingEvent[];
  /** New events whose message is not (yet) in the journal: kept, and matched when it appears. */
  unmatched: TrackingEvent[];
  /** Events already recorded before (a provider retrying its webhook). */
  duplicates: number;
  /** Events kept earlier for a message not journaled then, applied now to its entry (their `journalId` set). */
  matched?: TrackingEvent[];
}

// Parked events wait this long for their entry: far longer than a send takes to close.
const PARKED_TTL_MS = 7 * 24 * 3600_000;
const PARKED = 'parked:';
// The refs that have parked events, kept in the journal too: a process that starts (a restart, a
// deploy, another instance, `mailroom events replay` that parked and exited) matches them as well.
const PARKED_REFS = 'parked-refs';
const MAX_PARKED_REFS = 5_000;
// How often that shared list is read again: the events of a process that stopped are not urgent,
// and a list filled by another system's mail on the same provider account costs a read per ref.
const SHARED_REFS_EVERY_MS = 60_000;

export class DeliveryRecorder {
  readonly #journal: SendJournal;
  // One write at a time per process: two events for one entry must not overwrite each other.
  #tail: Promise<unknown> = Promise.resolve();
  readonly #parkedRefs = new Set<string>();
  // Parked under the provider's id, an event may find its entry only by our Message-ID (a message
  // sent through the provider's SMTP relay: the journal has no provider id of its own for it).
  readonly #headerOf = new Map<string, string>();
  #sharedRefsReadAt = Number.NEGATIVE_INFINITY;

  constructor(journal: SendJournal) {
    this.#journal = journal;
  }

  /** Records events (any mix of messages). Resolves once they are written. */
  record(events: TrackingEvent[]): Promise<DeliveryOutcome> {
    const run = this.#tail.then(() => this.#record(events));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Tries again to match parked events (this process's, and each minute those the journal lists); returns those that found their entry. */
  retryParked(): Promise<TrackingEvent[]> {
    const run = this.#tail.then(async () => {
      const matched: TrackingEvent[] = [];
      if (performance.now() - this.#sharedRefsReadAt >= SHARED_REFS_EVERY_MS) {
        this.#sharedRefsReadAt = performance.now();
        const { keyv: store } = await this.#journal.open();
        for (const ref of (await store.get<string[]>(PARKED_REFS)) ?? []) this.#parkedRefs.add(ref);
      }
      for (const ref of [...this.#parkedRefs]) {
        const header = this.#headerOf.get(ref);
        const id = (await this.#entryIdOf(ref)) ?? (header ? await this.#entryIdOf(header) : undefined);
        if (!id) continue;
        const entry = await this.#journal.get(id);
        if (!entry) continue;
        const delivery = entry.delivery ?? emptyDelivery();
        const parked = await this.#takeParked([...entryRefs(entry), ref]);
        matched.push(...applyEvents(delivery, parked.map((event) => ({ ...event, journalId: entry.id }))));
        entry.delivery = delivery;
        await this.#journal.write(entry);
      }
      return matched;
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #record(events: TrackingEvent[]): Promise<DeliveryOutcome> {
    const outcome: DeliveryOutcome = { recorded: [], unmatched: [], duplicates: 0 };
    // Grouped by message, so a batch of twenty events for one message is one entry write.
    const groups = new Map<string, TrackingEvent[]>();
    for (const event of events) {
      const id = event.providerMessageId ?? event.messageIdHeader;
      const ref = id ? deliveryRef(id) : '';
      groups.set(ref, [...(groups.get(ref) ?? []), event]);
    }
    for (const [ref, group] of groups) {
      const first = group[0]!;
      const candidates = [first.providerMessageId, first.messageIdHeader].filter((id): id is string => !!id);
      let entryId: string | undefined;
      for (const id of candidates) entryId ??= first.journalId ?? (await this.#entryIdOf(id));
      let entry = entryId ? await this.#journal.get(entryId) : undefined;
      // The provider's other ids for the message (Mailjet's MessageID beside the GUID) find only an
      // entry journaled before per-recipient refs were kept (no `providerRefs`): it was indexed by
      // that id alone. A newer entry holds the GUID, so a miss there is not its event.
      for (const id of entry ? [] : (first.providerRefs ?? [])) {
        const found = await this.#entryIdOf(id);
        const older = found ? await this.#journal.get(found) : undefined;
        if (older && !older.providerRefs) {
          entry = older;
          break;
        }
      }
      if (!entry) {
        if (!ref) {
          // Nothing names the message: it can never be matched.
          outcome.unmatched.push(...group);
          continue;
        }
        const fresh = await this.#park(ref, group);
        if (first.messageIdHeader && deliveryRef(first.messageIdHeader) !== ref) this.#headerOf.set(ref, first.messageIdHeader);
        outcome.unmatched.push(...fresh);
        outcome.duplicates += group.length - fresh.length;
        continue;
      }
      const delivery = entry.delivery ?? emptyDelivery();
      const parked = await this.#takeParked([...entryRefs(entry), ...candidates]);
      const matched = applyEvents(delivery, parked.map((event) => ({ ...event, journalId: entry.id })));
      if (matched.length > 0) (outcome.matched ??= []).push(...matched);
      const fresh = applyEvents(delivery, group.map((event) => ({ ...event, journalId: entry.id })));
      outcome.recorded.push(...fresh);
      outcome.duplicates += group.length - fresh.length;
      if (fresh.length > 0 || parked.length > 0) {
        entry.delivery = delivery;
        await this.#journal.write(entry);
      }
    }
    return outcome;
  }

  // The entry a message id names, under either form of its index key (see refKey).
  async #entryIdOf(id: string): Promise<string | undefined> {
    const { keyv } = await this.#journal.open();
    for (const key of refKeys(id)) {
      const found = await keyv.get<string>(key);
      if (found) return found;
    }
    return undefined;
  }

  async #park(ref: string, events: TrackingEvent[]): Promise<TrackingEvent[]> {
    const { keyv } = await this.#journal.open();
    const key = PARKED + hashedRefKey(ref);
    const parked = (await keyv.get<TrackingEvent[]>(key)) ?? [];
    const seen = new Set(parked.map(eventKey));
    const fresh = events.filter((event) => {
      const k = eventKey(event);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    if (fresh.length > 0) {
      await keyv.set(key, [...parked, ...fresh], PARKED_TTL_MS);
      const refs = (await keyv.get<string[]>(PARKED_REFS)) ?? [];
      if (!refs.includes(ref)) await keyv.set(PARKED_REFS, [...refs, ref].slice(-MAX_PARKED_REFS), PARKED_TTL_MS);
    }
    this.#parkedRefs.add(ref);
    return fresh;
  }

  async #takeParked(ids: string[]): Promise<TrackingEvent[]> {
    const { keyv } = await this.#journal.open();
    const out: TrackingEvent[] = [];
    const taken: string[] = [];
    for (const ref of new Set(ids.map(deliveryRef))) {
      const key = PARKED + hashedRefKey(ref);
      const parked = await keyv.get<TrackingEvent[]>(key);
      if (parked?.length) {
        out.push(...parked);
        await keyv.delete(key);
        taken.push(ref);
      }
      this.#parkedRefs.delete(ref);
      this.#headerOf.delete(ref);
    }
    if (taken.length > 0) {
      const refs = (await keyv.get<string[]>(PARKED_REFS)) ?? [];
      const left = refs.filter((ref) => !taken.includes(ref));
      if (left.length !== refs.length) await (left.length > 0 ? keyv.set(PARKED_REFS, left, PARKED_TTL_MS) : keyv.delete(PARKED_REFS));
    }
    return out;
  }
}
