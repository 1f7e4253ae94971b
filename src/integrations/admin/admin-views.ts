// What the admin screens are shown of a journal entry. Built field by field (never the stored entry
// spread as is) so that message content, which may hold personal data, leaves the server only for a
// caller with the content permission, and a field added to the journal later is not shown by accident.
import { explain, genericRemedy } from '../../core/diagnose.js';
import { remedyApart, type Attempt, type MailErrorCode } from '../../core/errors.js';
import { possibleDeliveryReason, type JournalEntry } from '../../journal/journal.js';

/** One row of the email log. */
export interface LogRow {
  id: string;
  createdAt: string;
  status: JournalEntry['status'];
  subject: string;
  to: string[];
  template?: string;
  /** The adapter that delivered it. */
  adapter?: string;
  /** The adapter of the latest attempt: for a failed entry, the one that failed last. */
  lastAttemptAdapter?: string;
  attempts: number;
  errorCode?: string;
  /** The latest delivery state reported by the provider's events, when the journal has any. */
  delivery?: string;
  possibleDuplicate?: boolean;
  resent: boolean;
}

/** An attempt with the remedy a person can act on, always present for a failed attempt. */
export type AttemptView = Attempt & { error?: Attempt['error'] & { remedy: string } };

/** An entry's page. `content` only for callers allowed to read message content. */
export interface EntryView extends LogRow {
  updatedAt: string;
  messageId: string;
  idempotencyKey?: string;
  summary: JournalEntry['summary'];
  sensitive: boolean;
  providerMessageId?: string;
  error?: JournalEntry['error'];
  attemptsDetail: AttemptView[];
  /** Provider delivery events (delivered, bounced, opened...), oldest first, when the journal has them. */
  events: unknown[];
  /** Why a resend would be refused without confirmation (it may already have been delivered). */
  possibleDelivery?: string;
  resendOf?: string;
  resentAs: string[];
  warnings: string[];
  /** Whether the journal kept what a resend needs. */
  resendable: boolean;
  content?: { subject?: string; html?: string; text?: string; template?: { name: string; locale?: string; data?: Record<string, unknown> } };
}

// Delivery events are written by the webhook side (mailroom-js/events) when it is used; read them
// defensively so the screens work on journals with and without them.
type WithDelivery = JournalEntry & { delivery?: unknown; events?: unknown };

function deliveryState(entry: WithDelivery): string | undefined {
  const delivery = entry.delivery;
  if (typeof delivery === 'string') return delivery;
  if (delivery && typeof delivery === 'object') {
    // The journal's record: every recipient's state, in rank order; the furthest one sums it up.
    const states = (delivery as { states?: unknown }).states;
    if (Array.isArray(states) && typeof states.at(-1) === 'string') return states.at(-1) as string;
    const state = (delivery as { state?: unknown; status?: unknown; event?: unknown }).state ?? (delivery as { status?: unknown }).status ?? (delivery as { event?: unknown }).event;
    if (typeof state === 'string') return state;
  }
  return undefined;
}

function deliveryEvents(entry: WithDelivery): unknown[] {
  if (Array.isArray(entry.events)) return entry.events;
  const delivery = entry.delivery as { events?: unknown } | undefined;
  if (delivery && typeof delivery === 'object' && Array.isArray(delivery.events)) return delivery.events;
  return [];
}

export function logRow(entry: JournalEntry): LogRow {
  const delivery = deliveryState(entry as WithDelivery);
  return {
    id: entry.id,
    createdAt: entry.createdAt,
    status: entry.status,
    subject: entry.summary.subject,
    to: entry.summary.to,
    ...(entry.summary.template ? { template: entry.summary.template } : {}),
    ...(entry.adapter ? { adapter: entry.adapter } : {}),
    ...(entry.attempts.length ? { lastAttemptAdapter: entry.attempts.at(-1)!.adapter } : {}),
    attempts: entry.attempts.length,
    ...(entry.error ? { errorCode: entry.error.code } : {}),
    ...(delivery ? { delivery } : {}),
    ...(entry.possibleDuplicate ? { possibleDuplicate: true } : {}),
    resent: (entry.resentAs?.length ?? 0) > 0,
  };
}

export function entryView(entry: JournalEntry, options: { content: boolean }): EntryView {
  const possibleDelivery = possibleDeliveryReason(entry);
  const stored = entry.content;
  return {
    ...logRow(entry),
    updatedAt: entry.updatedAt,
    messageId: entry.messageId,
    ...(entry.idempotencyKey ? { idempotencyKey: entry.idempotencyKey } : {}),
    summary: entry.summary,
    sensitive: Boolean(entry.sensitive),
    ...(entry.providerMessageId ? { providerMessageId: entry.providerMessageId } : {}),
    ...(entry.error ? { error: errorView(entry.error) } : {}),
    attemptsDetail: entry.attempts.map(attemptView),
    events: deliveryEvents(entry as WithDelivery),
    ...(possibleDelivery ? { possibleDelivery } : {}),
    ...(entry.resendOf ? { resendOf: entry.resendOf } : {}),
    resentAs: entry.resentAs ?? [],
    warnings: entry.warnings ?? [],
    resendable: Boolean(stored || entry.sealedContent) && !entry.sensitive,
    ...(options.content && stored
      ? {
          content: {
            ...(stored.subject !== undefined ? { subject: stored.subject } : {}),
            ...(stored.html !== undefined ? { html: stored.html } : {}),
            ...(stored.text !== undefined ? { text: stored.text } : {}),
            ...(stored.template ? { template: stored.template } : {}),
          },
        }
      : {}),
  };
}

/**
 * An error as the screens show it: the message without the remedy sentence ALL_FAILED ends with
 * (for logs that print only the message), and the remedy apart, always present: the chain attaches
 * catalogue remedies as it goes, but an older entry or a setup error may lack one.
 */
export function errorView<E extends { code: string; message: string; remedy?: string }>(error: E): E & { remedy: string } {
  const { message, remedy } = remedyApart(error);
  return { ...error, message, remedy: remedy ?? explain(message)?.remedy ?? genericRemedy(error.code as MailErrorCode) ?? genericRemedy('TRANSIENT') };
}

function attemptView(attempt: Attempt): AttemptView {
  if (!attempt.error) return attempt as AttemptView;
  return { ...attempt, error: errorView(attempt.error) };
}
