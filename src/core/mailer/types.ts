// The mailer's public shapes: its options, what a send answers, its events and its journal.
import type { TrackingEvent } from '../../events/types.js';
import type { DeliveryOutcome } from '../../journal/delivery.js';
import type Keyv from 'keyv';
import type { MailAdapter } from '../adapter.js';
import type { AddressInput } from '../address.js';
import type { CooldownOptions, CooldownStart, RetryOptions } from '../chain.js';
import type { Attempt, MailError } from '../errors.js';
import type { VerifyResult } from '../failover.js';
import type { JournalEntry, JournalOptions, JournalPage, JournalQuery } from '../../journal/journal.js';
import type { MailMessage, MessageLimits } from '../message.js';
import type { TemplateOptions } from '../../templates/templates.js';
import type { AlertOptions } from '../../alerts/options.js';
import type { KeyClaimOptions } from '../../journal/idempotency.js';
import type { SharedLimitsOptions } from '../../kit/shared-limits.js';
import type { QueueOption } from '../../queue/queue-options.js';
import type { SendQueue } from '../../queue/send-queue.js';

export type { VerifyResult } from '../failover.js';

export interface MailerOptions {
  /** The chain, in fallback order (a `failover(...)` chain is an adapter too). Give this or `dsn`. */
  adapters?: MailAdapter[];
  /** One adapter or `failover(a b c)`; see README "Configuration strings". Default: `MAILROOM_DSN`, else `outbox://./outbox`. */
  dsn?: string;
  /** Sender used when a message has no `from`. Default: the mailbox the chain's first signed-in adapter uses (Office 365, Graph, SMTP with an address as user). */
  from?: AddressInput;
  /** Reply-To used when neither a message nor its template gives one. Default: none. */
  replyTo?: AddressInput | AddressInput[];
  /** The send journal: false turns it off; a string or Keyv is the store. Default SQLite `.mailroom/journal.sqlite`. */
  journal?: false | string | Keyv | JournalOptions;
  /** Retries per adapter. */
  retry?: RetryOptions;
  /** Cooldown of a repeatedly failing adapter. */
  cooldown?: CooldownOptions;
  /** Longest one attempt (and one verify() check) may take: the one attempt timeout; adapters get it as `ctx.signal`. Default 30,000 ms. */
  timeoutMs?: number;
  /** Template lookup and layout options. */
  templates?: TemplateOptions;
  /** Recipient and size limits checked before any I/O. */
  limits?: MessageLimits;
  /**
   * What to do when an adapter lost the connection after handing the message over (AMBIGUOUS):
   * "failover" tries the next adapter and marks the entry as a possible duplicate; "stop" fails the
   * send without trying further. Default "failover": a duplicate beats a lost order confirmation.
   */
  onAmbiguous?: 'failover' | 'stop';
  /** Failure alerts: channels (email, Slack, Teams, Discord, signed webhook), throttle, triggers. See README "Alerts". Default none. */
  alerts?: AlertOptions;
  /** How a send waits for another process's send of the same idempotency key (README "Many instances"). */
  idempotency?: KeyClaimOptions;
  /**
   * Queue mode: `send()` validates, renders, journals the message `queued` and adds a BullMQ job
   * for a worker (`startWorker`, `mailroom worker`) instead of sending. `redis://…` or `postgres://…`,
   * or the full options. Default: none (send in the caller's process).
   */
  queue?: QueueOption;
  /**
   * Adapters' sending limits (`adapter.limits`: pace, concurrency) counted in this Redis by every
   * instance, and a provider's slow-down shared by all: `redis://…` or options. Default: the queue's
   * Redis in queue mode, else the limits are counted in this process.
   */
  sharedLimits?: string | SharedLimitsOptions;
}

/** What `send()` answers in queue mode: the message is journaled and waits for a worker. */
export interface QueuedResult {
  /** The journal entry id, also the job id. */
  id: string;
  /** `sent` only when an idempotency key was already delivered. */
  status: 'queued' | 'sent';
  /** Our RFC 5322 Message-ID. */
  messageId: string;
  /** True when an earlier send with the same idempotency key was returned instead of queuing again. */
  deduplicated?: boolean;
}

/** A delivered message. */
export interface SendResult {
  /** The journal entry id (a ULID), also when the journal is off. */
  id: string;
  status: 'sent';
  adapter: string;
  providerMessageId?: string;
  /** Our RFC 5322 Message-ID. */
  messageId: string;
  accepted: string[];
  rejected: string[];
  attempts: Attempt[];
  /** True when an earlier send with the same idempotency key was returned instead of sending. */
  deduplicated?: boolean;
  warnings: string[];
}

export interface MailerEvents {
  sent: [result: SendResult];
  failed: [error: MailError, entryId: string];
  /** An adapter failed and `to` is tried next (never emitted after the last adapter: see `failed`). */
  failover: [info: { from: string; to: string; error: MailError; entryId: string }];
  'journal-error': [error: MailError];
  /** An adapter was asked to send (attempt 1, 2... of a message) or, in verify(), to check: for progress displays. */
  attempt: [info: AttemptStart];
  /** That attempt or check ended, delivered/passed (`ok`) or with the error's code: the wait on the adapter is over. */
  'attempt-end': [info: AttemptEnd];
  /** An adapter failed repeatedly and is skipped until `until` (mailer option `cooldown`); `code` is the error that tripped it. */
  cooldown: [info: CooldownStart];
  /** A provider reported what became of a message (a webhook event recorded through `journal.recordEvents`), once per new event. */
  delivery: [event: TrackingEvent];
}

/** What the `attempt` event tells. */
export interface AttemptStart {
  adapter: string;
  /** The adapter as `String(adapter)` shows it, e.g. "smtp(mail.example.com:587)"; never a secret. */
  target: string;
  attempt: number;
  action: 'send' | 'verify';
}

/** What the `attempt-end` event tells. */
export interface AttemptEnd extends AttemptStart {
  ok: boolean;
  durationMs: number;
  /** The error's code when it failed. */
  code?: string;
}

/** The journal as the mailer exposes it: reading plus resend. */
export interface MailerJournal {
  get(id: string): Promise<JournalEntry | undefined>;
  list(query?: JournalQuery): Promise<JournalPage>;
  findByIdempotencyKey(key: string): Promise<JournalEntry | undefined>;
  /**
   * Sends a journaled message again. A pending entry is completed in place (same Message-ID); a sent
   * or failed one gets a new entry linked by `resendOf`. A failed or pending entry that may already
   * have been delivered (see `possibleDeliveryReason`) is refused with CONFIG unless
   * `includePossibleDuplicates`.
   */
  resend(id: string, options?: JournalResendOptions): Promise<SendResult>;
  /** Deletes expired entries; returns how many. */
  prune(): Promise<number>;
  /** Where the journal lives, without credentials. */
  describe(): Promise<string>;
  /**
   * Records provider events (from `mailroom-js/events`) on their entries: deduplicated, per-recipient
   * state that only moves forward; emits `delivery` for each new one. Events whose message is not
   * in the journal yet are kept and matched when it is.
   */
  recordEvents(events: TrackingEvent[]): Promise<DeliveryOutcome>;
  /** Matches kept events whose message has been journaled since; returns how many were. */
  retryParkedEvents(): Promise<number>;
}

export interface JournalResendOptions {
  /** Resend an entry even when its message may already have been delivered (the new send is then marked possible duplicate). Default false. */
  includePossibleDuplicates?: boolean;
  /**
   * Resend only while the entry still has this status (the one it was chosen in, e.g. from a
   * listing); when another caller has sent or resent it since, nothing is sent and CONFIG says so.
   */
  onlyIf?: JournalEntry['status'] | Array<JournalEntry['status']>;
}

export interface Mailer<Result = SendResult> {
  /** Sends the message, or in queue mode queues it (`QueuedResult`). */
  send(message: MailMessage): Promise<Result>;
  /** Sends in this process now, through the chain, also in queue mode. */
  sendNow(message: MailMessage): Promise<SendResult>;
  /** Checks every adapter of the chain without sending; never throws for an adapter's failure. */
  verify(): Promise<VerifyResult[]>;
  close(): Promise<void>;
  on<E extends keyof MailerEvents>(event: E, listener: (...args: MailerEvents[E]) => void): Mailer<Result>;
  off<E extends keyof MailerEvents>(event: E, listener: (...args: MailerEvents[E]) => void): Mailer<Result>;
  /** The adapters of the chain, in order (created from the DSN on first use). */
  adapters(): Promise<MailAdapter[]>;
  /** The send journal; its methods throw CONFIG when the journal is off. */
  readonly journal: MailerJournal;
  /** The queue in queue mode, else undefined. */
  readonly queue: SendQueue | undefined;
}

/** `code` of the process warning printed once when the send journal fails. */
export const JOURNAL_WARNING_CODE = 'MAILROOM_JOURNAL_FAILED';

/** `code` of the process warning printed (once per event) when a mailer event's listener throws. */
export const LISTENER_WARNING_CODE = 'MAILROOM_LISTENER_FAILED';

/** `code` of the process warning printed once when the chain is the outbox because nothing else was configured. */
export const IMPLICIT_OUTBOX_WARNING_CODE = 'MAILROOM_IMPLICIT_OUTBOX';

/** The chain when neither `adapters`, `dsn` nor MAILROOM_DSN says otherwise. */
export const DEFAULT_DSN = 'outbox://./outbox';
