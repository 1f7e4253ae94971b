// createMailer: the one entry point. A message goes in once, is rendered and validated once,
// journaled "pending", carried by the first adapter of the chain that can deliver it, and the
// journal entry is closed "sent" or "failed". See README "How a send works".
import { EventEmitter } from 'node:events';
import type Keyv from 'keyv';
import { describeEndpoint, unsupportedReason, type MailAdapter, type SendReceipt } from './adapter.js';
import { formatAddress, type AddressInput } from './address.js';
// chain.ts (and cockatiel behind it) is loaded with the first chain, not at import: a CMS imports
// mailroom at every boot.
import type { AdapterLane, CooldownOptions, RetryOptions } from './chain.js';
import { adaptersFromDsn, checkDsnChain, dsnSecrets } from './dsn.js';
import { attachAlerts, type AlertMonitor } from '../alerts/alerts.js';
import type { AlertOptions } from '../alerts/options.js';
import { attemptsByAdapter, MailError, toMailError, type Attempt } from './errors.js';
import { newJournalEntry, possibleDeliveryReason, SendJournal, type JournalEntry, type JournalOptions, type JournalPage, type JournalQuery } from '../journal/journal.js';
import { normalizeMessage, type MailMessage, type MessageLimits, type NormalizedMessage } from './message.js';
import type { TemplateOptions, TemplateRenderer } from '../templates/templates.js';

export interface MailerOptions {
  /** The chain, in fallback order. Give this or `dsn`. */
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
  /** Longest one attempt may take. Default 30,000 ms. */
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

/** Outcome of checking one adapter without sending. */
export interface VerifyResult {
  adapter: string;
  ok: boolean;
  durationMs: number;
  error?: MailError;
}

export interface MailerEvents {
  sent: [result: SendResult];
  failed: [error: MailError, entryId: string];
  /** An adapter failed and `to` is tried next (never emitted after the last adapter: see `failed`). */
  failover: [info: { from: string; to: string; error: MailError; entryId: string }];
  'journal-error': [error: MailError];
  /** An adapter failed repeatedly and is skipped until `until` (mailer option `cooldown`); `code` is the error that tripped it. */
  cooldown: [info: { adapter: string; code: string; until: Date }];
  /** An adapter was asked to send (attempt 1, 2... of a message) or, in verify(), to check: for progress displays. */
  attempt: [info: AttemptStart];
}

/** What the `attempt` event tells. */
export interface AttemptStart {
  adapter: string;
  /** The adapter as `String(adapter)` shows it, e.g. "smtp(mail.example.com:587)"; never a secret. */
  target: string;
  attempt: number;
  action: 'send' | 'verify';
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
}

export interface JournalResendOptions {
  /** Resend an entry even when its message may already have been delivered. Default false. */
  includePossibleDuplicates?: boolean;
}

export interface Mailer {
  send(message: MailMessage): Promise<SendResult>;
  /** Checks every adapter of the chain without sending; never throws for an adapter's failure. */
  verify(): Promise<VerifyResult[]>;
  close(): Promise<void>;
  on<E extends keyof MailerEvents>(event: E, listener: (...args: MailerEvents[E]) => void): Mailer;
  off<E extends keyof MailerEvents>(event: E, listener: (...args: MailerEvents[E]) => void): Mailer;
  /** The adapters of the chain, in order (created from the DSN on first use). */
  adapters(): Promise<MailAdapter[]>;
  /** The send journal; its methods throw CONFIG when the journal is off. */
  readonly journal: MailerJournal;
}

/** `code` of the process warning printed once when the send journal fails. */
export const JOURNAL_WARNING_CODE = 'MAILROOM_JOURNAL_FAILED';

/** `code` of the process warning printed once when the chain is the outbox because nothing else was configured. */
export const IMPLICIT_OUTBOX_WARNING_CODE = 'MAILROOM_IMPLICIT_OUTBOX';

/** The chain when neither `adapters`, `dsn` nor MAILROOM_DSN says otherwise. */
export const DEFAULT_DSN = 'outbox://./outbox';

export function createMailer(options: MailerOptions = {}): Mailer {
  const emitter = new EventEmitter();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const onAmbiguous = options.onAmbiguous ?? 'failover';
  const chainDsn = checkChainOptions(options);
  const lanesReady = Promise.all([resolveAdapters(options, chainDsn), import('./chain.js')]).then(([adapters, { AdapterLane }]) =>
    adapters.map((adapter) => new AdapterLane(adapter, timeoutMs, options.retry, options.cooldown, (info) => emitter.emit('cooldown', { adapter: adapter.name, ...info }))),
  );
  lanesReady.catch(() => undefined); // reported by the first send, and by verify() per adapter
  const journal = openJournal(options.journal);
  const inFlight = new Map<string, Promise<SendResult>>();
  const running = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    running.add(work);
    const forget = () => running.delete(work);
    work.then(forget, forget);
    return work;
  };
  let renderer: Promise<TemplateRenderer> | undefined;
  let closed = false;

  let journalWarned = false;
  const journalError = (error: unknown) => {
    const mailError = toMailError(error, { code: 'CONFIG', message: 'the send journal failed' });
    // Never silent: a journal that cannot be written loses resends and idempotency keys, so when
    // nobody listens to journal-error the first failure is printed once on stderr. A listener (the
    // CLI prints its own line) takes over saying it.
    if (!journalWarned && emitter.listenerCount('journal-error') === 0) {
      journalWarned = true;
      process.emitWarning(`${mailError.message}${mailError.specificRemedy ? ` ${mailError.specificRemedy}` : ''}`, { type: 'MailroomWarning', code: JOURNAL_WARNING_CODE });
    }
    if (emitter.listenerCount('journal-error') > 0) emitter.emit('journal-error', mailError);
  };

  const announce = (adapter: MailAdapter, attempt: number, action: AttemptStart['action']) => {
    if (emitter.listenerCount('attempt') > 0) emitter.emit('attempt', { adapter: adapter.name, target: describeAdapter(adapter), attempt, action });
  };

  /** Writes an entry; resolves the failure (raised as journal-error too), or undefined. */
  async function record(entry: JournalEntry): Promise<unknown> {
    if (!journal) return undefined;
    try {
      await journal.write(entry);
      return undefined;
    } catch (error) {
      journalError(error);
      return error ?? new Error('the journal write failed');
    }
  }

  async function prepare(input: MailMessage, messageId?: string): Promise<NormalizedMessage> {
    let message = input;
    if (input.template) {
      renderer ??= import('../templates/templates.js').then(({ createTemplateRenderer }) => createTemplateRenderer(options.templates));
      const rendered = await (await renderer).render(input.template.name, input.template.data ?? {}, input.template.locale);
      message = {
        ...input,
        subject: input.subject ?? rendered.subject,
        html: input.html ?? rendered.html,
        text: input.text ?? rendered.text,
        ...(input.replyTo === undefined && rendered.replyTo ? { replyTo: rendered.replyTo } : {}),
        ...(input.sensitive === undefined && rendered.sensitive ? { sensitive: true } : {}),
      };
    }
    if (message.replyTo === undefined && options.replyTo !== undefined) message = { ...message, replyTo: options.replyTo };
    const defaultFrom = options.from ?? (message.from === undefined ? await chainMailbox() : undefined);
    return normalizeMessage(message, {
      ...(defaultFrom !== undefined ? { defaultFrom } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(messageId ? { messageId } : {}),
    });
  }

  // The first mailbox an adapter of the chain signs in as: the sender when neither the message nor
  // the `from` option gives one (Office 365 refuses any other From without Send As).
  async function chainMailbox(): Promise<string | undefined> {
    return (await lanesReady).find((lane) => lane.adapter.mailbox)?.adapter.mailbox;
  }

  async function deliver(message: NormalizedMessage, entry: JournalEntry, written = false): Promise<SendResult> {
    const lanes = await lanesReady;
    // A key is only a promise if the journal holds it: without the pending entry, a retry would send again.
    const unrecorded = written ? undefined : await record(entry);
    if (unrecorded !== undefined && message.idempotencyKey) throw keyCannotBeHonoured(message.idempotencyKey, unrecorded);
    const attempts = entry.attempts;
    const warnings: string[] = [];
    if (entry.status === 'pending' && entry.handedOver) {
      // Resuming an entry a stopped process had already handed over: a second copy is possible.
      entry.possibleDuplicate = true;
      warnings.push(`${entry.handedOver.adapter} had been handed this message (${entry.handedOver.at}) by a process that stopped before the answer: it may have been delivered`);
    }
    // Journaled when it happens: a process killed after it leaves an entry that says so.
    const onHandover = journal
      ? (adapter: string) => {
          entry.handedOver = { adapter, at: new Date().toISOString() };
          void record(entry);
        }
      : undefined;
    let stopping: MailError | undefined;
    let receipt: SendReceipt | undefined;
    let deliveredBy: string | undefined;

    // A failure is announced as `failover` only when another adapter is really tried next: not after
    // the last one, and never towards one skipped as unsupported or cooling down.
    let handoff: { from: string; error: MailError } | undefined;
    const tryLanes = async (candidates: AdapterLane[], force: boolean): Promise<AdapterLane[]> => {
      const skipped: AdapterLane[] = [];
      for (const lane of candidates) {
        const unsupported = unsupportedReason(lane.adapter, message);
        if (unsupported) {
          attempts.push({ adapter: lane.adapter.name, startedAt: new Date().toISOString(), durationMs: 0, ok: false, error: unsupported.toAttemptError() });
          continue;
        }
        if (handoff && (force || !lane.coolingDownUntil())) {
          emitter.emit('failover', { ...handoff, to: lane.adapter.name, entryId: entry.id });
          handoff = undefined;
        }
        try {
          const answer = await lane.send(message, attempts, force, { onHandover, onAttempt: (attempt) => announce(lane.adapter, attempt, 'send') });
          if (answer === 'cooling-down') {
            const until = lane.coolingDownUntil();
            warnings.push(`${lane.adapter.name} skipped: cooling down after repeated failures${until ? ` until ${until.toISOString()}` : ''}`);
            skipped.push(lane);
            continue;
          }
          receipt = answer;
          deliveredBy = lane.adapter.name;
          return skipped;
        } catch (error) {
          const mailError = toMailError(error, { provider: lane.adapter.name });
          if (['INVALID_MESSAGE', 'REJECTED', 'TEMPLATE', 'CONFIG'].includes(mailError.code)) {
            stopping = mailError;
            return skipped;
          }
          if (mailError.code === 'AMBIGUOUS') {
            entry.possibleDuplicate = true;
            warnings.push(`${lane.adapter.name} may have delivered this message before the connection was lost`);
            if (onAmbiguous === 'stop') {
              stopping = mailError;
              return skipped;
            }
          }
          handoff = { from: lane.adapter.name, error: mailError };
        }
      }
      return skipped;
    };

    const skipped = await tryLanes(lanes, false);
    // A cooldown never leaves a message with no adapter at all: when every other adapter has
    // failed, those cooling down are tried anyway.
    if (!receipt && !stopping && skipped.length > 0) await tryLanes(skipped, true);

    if (receipt && deliveredBy) {
      if (receipt.rejected.length > 0) warnings.push(`${deliveredBy} refused ${receipt.rejected.length} recipient(s): ${receipt.rejected.join(', ')}`);
      warnings.push(...(receipt.warnings ?? []));
      const result: SendResult = {
        id: entry.id,
        status: 'sent',
        adapter: deliveredBy,
        ...(receipt.providerMessageId ? { providerMessageId: receipt.providerMessageId } : {}),
        messageId: message.messageId,
        accepted: receipt.accepted,
        rejected: receipt.rejected,
        attempts,
        warnings,
      };
      Object.assign(entry, { status: 'sent', adapter: deliveredBy, ...(receipt.providerMessageId ? { providerMessageId: receipt.providerMessageId } : {}) });
      if (warnings.length > 0) entry.warnings = warnings;
      await record(entry);
      emitter.emit('sent', result);
      return result;
    }

    const failure = stopping
      ? stopping
      : allFailed(attempts, lanes);
    failure.attempts = attempts;
    entry.status = 'failed';
    entry.error = { code: failure.code, message: failure.message, ...(failure.remedy ? { remedy: failure.remedy } : {}) };
    if (warnings.length > 0) entry.warnings = warnings;
    await record(entry);
    emitter.emit('failed', failure, entry.id);
    throw failure;
  }

  async function sendFresh(input: MailMessage): Promise<SendResult> {
    if (journal?.storeContent && !input.sensitive) refuseUnstorableData(input);
    const message = await prepare(input);
    if (!journal) return deliver(message, newJournalEntry(message, undefined));
    const content = contentToKeep(input, message);
    const claim = await journal.claim(message, content).catch((error: unknown) => {
      journalError(error);
      if (message.idempotencyKey) throw keyCannotBeHonoured(message.idempotencyKey, error);
      return undefined; // without a key, a journal that fails never stops the message
    });
    if (!claim) return deliver(message, journal.createEntry(message, content), true);
    if (claim.kind === 'sent') return resultFromEntry(claim.entry);
    // An interrupted earlier send (a killed process): complete that entry with its Message-ID, so
    // a receiver that dedupes by Message-ID keeps one copy.
    if (claim.kind === 'resume') return deliver({ ...message, messageId: claim.entry.messageId }, claim.entry);
    return deliver(message, claim.entry, true);
  }

  const mailer: Mailer = {
    async send(input) {
      if (closed) throw new MailError('CONFIG', 'send() was called after close(): this mailer is closed; create a new one with createMailer()');
      const key = input?.idempotencyKey;
      if (!key) return track(sendFresh(input));
      // Two concurrent sends with one key (a webhook retried while the first is running) share one delivery.
      const first = inFlight.get(key);
      if (first) return first.then((result) => ({ ...result, deduplicated: true }));
      const promise = track(sendFresh(input)).finally(() => inFlight.delete(key));
      inFlight.set(key, promise);
      return promise;
    },

    async verify() {
      const lanes = await lanesReady.catch((error: unknown) => toMailError(error, { code: 'CONFIG' }));
      // The chain could not be built (an adapter module failed to load): each adapter gets that as
      // its result, since verify() reports and never throws.
      if (lanes instanceof MailError) return chainNames(options).map((adapter) => ({ adapter, ok: false, durationMs: 0, error: lanes }));
      const { withTimeout } = await import('./chain.js');
      const results: VerifyResult[] = [];
      for (const { adapter } of lanes) {
        const started = performance.now();
        try {
          if (adapter.verify) {
            announce(adapter, 1, 'verify');
            await withTimeout(timeoutMs, adapter.name, (signal) => adapter.verify!({ signal }));
          }
          results.push({ adapter: adapter.name, ok: true, durationMs: Math.round(performance.now() - started) });
        } catch (error) {
          results.push({ adapter: adapter.name, ok: false, durationMs: Math.round(performance.now() - started), error: toMailError(error, { provider: adapter.name }) });
        }
      }
      return results;
    },

    async close() {
      if (closed) return;
      closed = true;
      // Every send still running (keyed or not, resends included) closes its journal entry first.
      while (running.size > 0) await Promise.allSettled([...running]);
      // Alerts first: their digests may go out by email through the chain's adapters.
      await alerts?.close();
      const lanes = await lanesReady.catch(() => []);
      await Promise.allSettled(lanes.map(({ adapter }) => adapter.close?.()));
      await journal?.close().catch(journalError);
    },

    on(event, listener) {
      emitter.on(event, listener as (...args: unknown[]) => void);
      return mailer;
    },
    off(event, listener) {
      emitter.off(event, listener as (...args: unknown[]) => void);
      return mailer;
    },

    adapters: async () => (await lanesReady).map((lane) => lane.adapter),

    journal: {
      get: (id) => requireJournal(journal).get(id),
      list: (query) => requireJournal(journal).list(query),
      findByIdempotencyKey: (key) => requireJournal(journal).findByIdempotencyKey(key),
      prune: () => requireJournal(journal).prune(),
      describe: () => requireJournal(journal).describe(),
      async resend(id, resendOptions = {}) {
        const store = requireJournal(journal);
        const original = await store.get(id);
        if (!original) throw new MailError('CONFIG', `no journal entry with id ${id}`);
        const content = store.contentFor(original);
        const reason = resendOptions.includePossibleDuplicates ? undefined : possibleDeliveryReason(original);
        if (reason) {
          throw new MailError('CONFIG', `journal entry ${id} may already have been delivered (${reason}): a resend could deliver a second copy. Check with the recipient or the provider's logs, then pass includePossibleDuplicates: true (mailroom resend --include-possible-duplicates) to send it anyway`);
        }
        if (!content) {
          throw new MailError('CONFIG', `journal entry ${id} has no stored content to resend (the journal runs with storeContent: false)`);
        }
        if (original.status === 'pending') {
          // Completing an interrupted send: same entry, same Message-ID, so an idempotent receiver
          // (and the outbox) keeps one copy if the first attempt did get through.
          const message = await prepare(content, original.messageId);
          return track(deliver(message, original));
        }
        if (original.status === 'failed' && original.idempotencyKey) {
          // Its key was delivered since (by a later send with the same key): sending again would be
          // the duplicate the key exists to prevent.
          const latest = await store.findByIdempotencyKey(original.idempotencyKey);
          if (latest && latest.id !== original.id && latest.status === 'sent') return resultFromEntry(latest);
        }
        const message = await prepare(content);
        const entry = store.createEntry(message, content, { resendOf: original.id });
        original.resentAs = [...(original.resentAs ?? []), entry.id];
        await record(original);
        return track(deliver(message, entry));
      },
    },
  };
  const alerts: AlertMonitor | undefined = options.alerts
    ? attachAlerts(emitter, options.alerts, {
        adapters: mailer.adapters,
        ...(journal ? { journal: mailer.journal } : {}),
        ...(options.from !== undefined ? { from: options.from } : {}),
        secrets: chainDsn ? dsnSecrets(chainDsn) : [],
      })
    : undefined;
  return mailer;
}

// Mistakes in the chain options are CONFIG errors thrown by createMailer itself, at setup.
// Returns the DSN to build the chain from, when there is no adapter list.
function checkChainOptions(options: MailerOptions): string | undefined {
  if (options.adapters && options.dsn) throw new MailError('CONFIG', 'give either `adapters` or `dsn`, not both');
  if (options.adapters) {
    if (options.adapters.length === 0) throw new MailError('CONFIG', '`adapters` is empty: give at least one adapter');
    const names = new Set<string>();
    for (const adapter of options.adapters) {
      if (names.has(adapter.name)) throw new MailError('CONFIG', `two adapters are named "${adapter.name}": names must be unique in a chain`);
      names.add(adapter.name);
    }
    return undefined;
  }
  const dsn = options.dsn ?? process.env.MAILROOM_DSN ?? DEFAULT_DSN;
  if (!options.dsn && !process.env.MAILROOM_DSN) guardImplicitOutbox();
  // Every adapter's options are read now (no module is loaded, no connection opened): a DSN that
  // lacks its key or domain fails the boot, not the first send.
  checkDsnChain(dsn);
  return dsn;
}

let implicitOutboxWarned = false;

// The outbox is the default so that a first try needs no account. In production that default would
// put password resets in a folder and journal them "sent": there it has to be chosen explicitly.
function guardImplicitOutbox(): void {
  if (process.env.NODE_ENV === 'production') {
    throw new MailError(
      'CONFIG',
      'no mail transport is configured: MAILROOM_DSN is not set (nor the dsn or adapters option), and with NODE_ENV=production mailroom does not fall back to writing mail into ./outbox',
      { remedy: 'Set MAILROOM_DSN to your provider, e.g. MAILROOM_DSN="smtp://user:pass@smtp.example.com:587" (README "Configuration strings"). To keep the outbox on purpose, set MAILROOM_DSN=outbox://./outbox.' },
    );
  }
  if (implicitOutboxWarned) return;
  implicitOutboxWarned = true;
  process.emitWarning(`MAILROOM_DSN is not set: mail is written to ${DEFAULT_DSN.replace('outbox://', '')} as .eml files, not delivered. Set MAILROOM_DSN to send for real (with NODE_ENV=production this is an error).`, {
    type: 'MailroomWarning',
    code: IMPLICIT_OUTBOX_WARNING_CODE,
  });
}

// "smtp(mail.example.com:587)" for an adapter with its own toString, else its name.
function describeAdapter(adapter: MailAdapter): string {
  const text = String(adapter);
  return text === '[object Object]' ? adapter.name : text;
}

// The names the chain's adapters would have, for reporting when it could not be built.
function chainNames(options: MailerOptions): string[] {
  if (options.adapters) return options.adapters.map((adapter) => adapter.name);
  return checkDsnChain(options.dsn ?? process.env.MAILROOM_DSN ?? DEFAULT_DSN).map((dsn) => dsn.options.name ?? dsn.scheme.replace(/\+.*$/, '').replace(/^smtps$/, 'smtp'));
}

async function resolveAdapters(options: MailerOptions, dsn: string | undefined): Promise<MailAdapter[]> {
  if (dsn === undefined) return options.adapters!;
  const adapters = await adaptersFromDsn(dsn);
  const seen = new Map<string, number>();
  // Two adapters of one kind in a failover chain get distinct names: "smtp", "smtp-2".
  return adapters.map((adapter) => {
    const count = (seen.get(adapter.name) ?? 0) + 1;
    seen.set(adapter.name, count);
    return count === 1 ? adapter : renamed(adapter, `${adapter.name}-${count}`);
  });
}

// A view of the adapter under another name. Methods run on the adapter itself, so class adapters
// with private fields (#transporter) keep working, which a copy of their properties would not.
function renamed(adapter: MailAdapter, name: string): MailAdapter {
  return new Proxy(adapter, {
    get(target, property) {
      if (property === 'name') return name;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function openJournal(option: MailerOptions['journal']): SendJournal | undefined {
  if (option === false) return undefined;
  if (option === undefined || typeof option === 'string' || isKeyv(option)) return new SendJournal({ store: option as string | Keyv | undefined });
  return new SendJournal(option as JournalOptions);
}

function isKeyv(value: unknown): value is Keyv {
  return typeof value === 'object' && value !== null && typeof (value as Keyv).get === 'function' && typeof (value as Keyv).set === 'function';
}

function requireJournal(journal: SendJournal | undefined): SendJournal {
  if (!journal) throw new MailError('CONFIG', 'the send journal is off (mailer option journal: false)');
  return journal;
}

// What a resend needs: the message as given, with the sender and reply-to it was actually sent
// with (they may have come from the mailer's defaults, which a later process may not share).
// Attachments are kept as base64 so the entry stays JSON.
function contentToKeep(input: MailMessage, message: NormalizedMessage): MailMessage {
  const { attachments, ...given } = input;
  const rest: MailMessage = {
    ...given,
    from: input.from ?? formatAddress(message.from),
    ...(input.replyTo === undefined && message.replyTo.length > 0 ? { replyTo: message.replyTo.map(formatAddress) } : {}),
  };
  if (!attachments?.length) return rest;
  return {
    ...rest,
    attachments: attachments.map((a) => ({
      ...a,
      ...(typeof a.content === 'string' ? {} : { content: Buffer.from(a.content).toString('base64'), encoding: 'base64' as const }),
    })),
  };
}

// The journal keeps template data as JSON for resends: a value JSON cannot carry (a BigInt, a
// circular object) would fail the write of every entry committed in the same batch. Refused before
// anything is written, as the message's own fault.
function refuseUnstorableData(input: MailMessage): void {
  const data = input?.template?.data;
  if (data === undefined) return;
  try {
    JSON.stringify(data);
  } catch (error) {
    throw new MailError('TEMPLATE', `template.data cannot be kept in the send journal for a resend: ${(error as Error).message}. Pass plain JSON values (a BigInt as a string or number, no circular references), or run the journal with storeContent: false`, { field: 'template.data', cause: error });
  }
}

function resultFromEntry(entry: JournalEntry): SendResult {
  return {
    id: entry.id,
    status: 'sent',
    adapter: entry.adapter ?? 'unknown',
    ...(entry.providerMessageId ? { providerMessageId: entry.providerMessageId } : {}),
    messageId: entry.messageId,
    accepted: [...entry.summary.to, ...entry.summary.cc, ...entry.summary.bcc].map((formatted) => /<([^<>]+)>$/.exec(formatted)?.[1] ?? formatted),
    rejected: [],
    attempts: entry.attempts,
    deduplicated: true,
    warnings: entry.warnings ?? [],
  };
}

// A CMS log (Strapi's) prints only an error's message: it names each adapter with its host, what
// ended its attempts, and the last remedy, so the log alone says where to look.
function allFailed(attempts: Attempt[], lanes: AdapterLane[]): MailError {
  const tried = attemptsByAdapter(attempts).map(({ adapter, count, last }) => {
    const where = describeEndpoint(lanes.find((lane) => lane.adapter.name === adapter)?.adapter.endpoint);
    return `${adapter}${where ? ` (${where})` : ''}: ${last.error?.code ?? 'ok'}${count > 1 ? ` after ${count} attempts` : ''}`;
  });
  const { remedy } = lastRemedy(attempts);
  return new MailError('ALL_FAILED', `every adapter failed: ${tried.join('; ')}${remedy ? `. Last remedy: ${remedy}` : ''}`, remedy ? { remedy } : {});
}

function lastRemedy(attempts: Attempt[]): { remedy?: string } {
  const withRemedy = [...attempts].reverse().find((attempt) => attempt.error?.remedy);
  return withRemedy?.error?.remedy ? { remedy: withRemedy.error.remedy } : {};
}

// A send with an idempotency key is refused when the journal cannot be read or written: sending it
// anyway would silently drop the guarantee the key asks for (a retried webhook would send twice).
function keyCannotBeHonoured(key: string, error: unknown): MailError {
  const cause = error instanceof MailError ? error : undefined;
  const reason = `: ${cause ? cause.detail : (error as Error)?.message ?? String(error)}`;
  return new MailError(cause?.code === 'CONFIG' ? 'CONFIG' : 'TRANSIENT', `the idempotency key "${key}" cannot be honoured because the send journal failed${reason}; nothing was sent`, {
    cause: error,
    remedy: `${cause?.specificRemedy ? `${cause.specificRemedy} ` : ''}Fix the journal, or send without idempotencyKey if a duplicate is acceptable.`,
  });
}
