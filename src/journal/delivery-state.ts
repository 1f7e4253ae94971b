// What a journal entry knows of its message after the handover: per-recipient delivery state and
// the provider events that set it. Pure functions over the entry, so the rules (dedupe, "a late
// delivered does not undo a bounce") are tested without a store.
import { createHash } from 'node:crypto';
import type { TrackingEvent } from '../events/types.js';
import { ownField, setOwnField } from '../core/own-field.js';

/** A recipient's delivery state, from the provider's events. */
export type DeliveryState = 'queued' | 'sent' | 'deferred' | 'delivered' | 'bounced' | 'rejected' | 'failed' | 'complained';

export const DELIVERY_STATES: readonly DeliveryState[] = ['queued', 'sent', 'deferred', 'delivered', 'bounced', 'rejected', 'failed', 'complained'];

export interface RecipientDelivery {
  state: DeliveryState;
  /** When the event that set `state` happened. */
  at: string;
  rejectReason?: string;
  description?: string;
  mtaResponse?: string;
}

/** The delivery part of a journal entry. */
export interface EntryDelivery {
  /** Every state some recipient is in (what `journal.list({ delivery })` matches). */
  states: DeliveryState[];
  /** By recipient address, lower case. */
  recipients: Record<string, RecipientDelivery>;
  /** The events, oldest first by arrival; at most MAX_EVENTS (the newest are kept). */
  events: TrackingEvent[];
  /** Keys of the events already applied: providers retry webhooks. */
  seen: string[];
}

const MAX_EVENTS = 50;
const MAX_SEEN = 500;

// Events only move a recipient forward: a deferred or a late "delivered" after a bounce changes
// nothing; a complaint (it was delivered, then reported) outranks everything.
const RANK: Record<DeliveryState, number> = { queued: 1, sent: 2, deferred: 3, delivered: 4, bounced: 5, rejected: 5, failed: 5, complained: 6 };

/** The normalized form of a message id, as indexes compare it: no angle brackets, no case. */
export function deliveryRef(id: string): string {
  return id.trim().replace(/^<|>$/g, '').trim().toLowerCase();
}

/** A stable key per event: the provider's event id when it has one, else what the event says. */
export function eventKey(event: TrackingEvent): string {
  const what = event.providerEventId ?? [event.providerMessageId ?? event.messageIdHeader, event.timestamp, event.description, event.mtaResponse].join('|');
  return createHash('sha256').update([event.provider, what, event.recipient ?? '', event.eventType].join('\n')).digest('base64url').slice(0, 22);
}

/** The state an event puts a recipient in, or undefined when it only adds to the history. */
export function stateOf(event: TrackingEvent): DeliveryState | undefined {
  switch (event.eventType) {
    case 'queued':
    case 'sent':
    case 'deferred':
    case 'delivered':
    case 'bounced':
    case 'rejected':
    case 'failed':
    case 'complained':
      return event.eventType;
    // An open or a click proves it arrived.
    case 'opened':
    case 'clicked':
      return 'delivered';
    default:
      return undefined;
  }
}

export function emptyDelivery(): EntryDelivery {
  return { states: [], recipients: {}, events: [], seen: [] };
}

/** Applies events to a delivery record in place; returns those that were new. */
export function applyEvents(delivery: EntryDelivery, events: TrackingEvent[]): TrackingEvent[] {
  const seen = new Set(delivery.seen);
  const fresh: TrackingEvent[] = [];
  for (const event of events) {
    const key = eventKey(event);
    if (seen.has(key)) continue;
    seen.add(key);
    delivery.seen.push(key);
    delivery.events.push(event);
    fresh.push(event);
    const state = stateOf(event);
    if (!state || !event.recipient) continue;
    // A recipient written "__proto__" (an unsigned webhook can say anything) is a recipient like any other.
    const current = ownField(delivery.recipients, event.recipient);
    if (current && RANK[current.state] >= RANK[state]) continue;
    setOwnField(delivery.recipients, event.recipient, {
      state,
      at: event.timestamp,
      ...(event.rejectReason ? { rejectReason: event.rejectReason } : {}),
      ...(event.description ? { description: event.description } : {}),
      ...(event.mtaResponse ? { mtaResponse: event.mtaResponse } : {}),
    });
  }
  if (delivery.events.length > MAX_EVENTS) delivery.events.splice(0, delivery.events.length - MAX_EVENTS);
  if (delivery.seen.length > MAX_SEEN) delivery.seen.splice(0, delivery.seen.length - MAX_SEEN);
  delivery.states = DELIVERY_STATES.filter((state) => Object.values(delivery.recipients).some((one) => one.state === state));
  return fresh;
}

/**
 * The journal key that maps a message id (provider's or ours) to its entry: the id itself when it
 * is short printable ASCII, else its hash, so any id is a safe key. Ids that begin with the time
 * (our Message-IDs, SES's and Mailgun's) then land side by side in the store's key index: hashed,
 * each landed on a page of its own, and a commit of a few sends' rows wrote a few dozen pages
 * (README "Performance"). "=" is not in the hash's alphabet: the two forms never meet.
 */
export function refKey(id: string): string {
  const ref = deliveryRef(id);
  return ref.length <= MAX_PLAIN_REF && /^[\x21-\x7e]+$/.test(ref) ? `ref:=${ref}` : hashedRefKey(id);
}

// Keys stay well inside a VARCHAR(255) key column with the store's namespace in front.
const MAX_PLAIN_REF = 180;

/** The hashed form: every id's key before plain ones were kept, and still a long or non-ASCII id's. */
export function hashedRefKey(id: string): string {
  return `ref:${createHash('sha256').update(deliveryRef(id)).digest('base64url').slice(0, 27)}`;
}

/** The keys an id's entry may be found under, newest form first (entries journaled before plain keys have the hashed one). */
export function refKeys(id: string): string[] {
  const key = refKey(id);
  const hashed = hashedRefKey(id);
  return key === hashed ? [key] : [key, hashed];
}

export function isRefKey(key: string): boolean {
  return key.startsWith('ref:');
}

/**
 * The ids a provider event may name this entry by: the provider's message id, its other ids for the
 * message (Mailjet's per-recipient MessageIDs and MessageUUIDs) and our Message-ID; each once (over
 * SMTP the provider's id is our Message-ID).
 */
export function entryRefs(entry: { providerMessageId?: string; providerRefs?: string[]; messageId: string }): string[] {
  const refs = new Map<string, string>();
  for (const id of [entry.providerMessageId, ...(entry.providerRefs ?? []), entry.messageId]) {
    if (typeof id !== 'string' || deliveryRef(id) === '' || refs.has(deliveryRef(id))) continue;
    refs.set(deliveryRef(id), id);
  }
  return [...refs.values()];
}
