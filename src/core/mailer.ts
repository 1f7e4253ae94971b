// createMailer: the one entry point, as wiring. A message goes in once: rendered and normalized,
// claimed in the journal (its idempotency key answered there), carried by the failover chain, its
// journal entry closed "sent" or "failed", and the outcome announced. Each step is a named function
// in src/core/mailer/. See README "How a send works".
import { attachAlerts } from '../alerts/alerts.js';
import { dsnSecrets } from './dsn.js';
import { buildChain } from './mailer/chain-setup.js';
import { deliver } from './mailer/deliver.js';
import { MailerEventHub } from './mailer/events.js';
import { openJournal, record, requireJournal, resultFromEntry } from './mailer/journal-steps.js';
import type { MailerParts } from './mailer/parts.js';
import { createPreparer } from './mailer/prepare.js';
import { resend } from './mailer/resend.js';
import { sendMessage } from './mailer/send.js';
import type { Mailer, MailerOptions, QueuedResult, SendResult } from './mailer/types.js';
import { MailError } from './errors.js';
import { parseAddress, parseAddressList, type AddressInput } from './address.js';
import { messageLimits, type MailMessage } from './message.js';
import { checkMessageShape } from './mailer/prepare.js';
import { CHAIN_OPTION_GROUPS, failover } from './failover.js';
import { optionNames, refuseUnknownOptions, type KnownOptions } from './known-options.js';
import type { MessageLimits } from './message.js';
import type { JournalOptions } from '../journal/journal.js';
import { checkTemplateOptionTypes, TEMPLATE_OPTIONS } from '../templates/template-options.js';
import { checkKeyClaimOptions, type KeyClaimOptions } from '../journal/idempotency.js';
import type { QueueOptions } from '../queue/queue-options.js';
import type { SharedLimitsOptions } from '../kit/shared-limits.js';
import { openSharedLimits } from '../kit/shared-limits.js';
import { SendQueue, type SendJobData } from '../queue/send-queue.js';
import type { QueueOption } from '../queue/queue-options.js';
import { refuseProcessLocalJournal } from '../queue/queue-journal.js';
import { verify } from './mailer/verify.js';
import { RunningSends } from './mailer/work.js';

export type { AttemptEnd, AttemptStart, JournalResendOptions, Mailer, MailerEvents, MailerJournal, MailerOptions, QueuedResult, SendResult, VerifyResult } from './mailer/types.js';
export { DEFAULT_DSN, IMPLICIT_OUTBOX_WARNING_CODE, JOURNAL_WARNING_CODE, LISTENER_WARNING_CODE } from './mailer/types.js';

// Every option createMailer reads, and those of its plain-object options: any other name is a typo
// (`timeoutMS`, `retries`) or a setting put in the wrong place (Strapi's `defaultFrom` in
// providerOptions), which would be ignored. Listed with the compiler's check (optionNames), cheap
// to build at import. A `journal` or `queue` given as a string or a Keyv is not an options object.
export const MAILER_OPTIONS: KnownOptions = {
  names: optionNames<MailerOptions>({
    adapters: true, dsn: true, from: true, replyTo: true, journal: true, retry: true, cooldown: true, timeoutMs: true, templates: true, limits: true,
    onAmbiguous: true, alerts: true, idempotency: true, queue: true, sharedLimits: true,
  }),
  nested: {
    ...CHAIN_OPTION_GROUPS,
    limits: optionNames<MessageLimits>({ maxRecipients: true, maxBytes: true }),
    journal: optionNames<JournalOptions>({ store: true, storeContent: true, ttlMs: true, encryptionKey: true }),
    templates: TEMPLATE_OPTIONS.names,
    'templates.brand': TEMPLATE_OPTIONS.nested.brand,
    'templates.strict': TEMPLATE_OPTIONS.nested.strict,
    idempotency: optionNames<KeyClaimOptions>({ waitMs: true, staleAfterMs: true }),
    queue: optionNames<QueueOptions>({ connection: true, name: true, attempts: true, backoffMs: true }),
    sharedLimits: optionNames<SharedLimitsOptions>({ redis: true, maxWaitMs: true, leaseMs: true, slowDownMs: true }),
  },
};

// The default sender and reply-to are the mailer's, not a message's: a bad one is the setup's
// mistake, said once at createMailer, not as every message's INVALID_MESSAGE.
function checkSenderOptions(options: MailerOptions): void {
  for (const name of ['from', 'replyTo'] as const) {
    const value = options[name];
    if (value === undefined) continue;
    try {
      if (name === 'from') parseAddress(value as AddressInput, 'from');
      else parseAddressList(value, 'replyTo');
    } catch (error) {
      throw new MailError('CONFIG', `createMailer: the ${name} option is not an address: ${(error as Error).message.replace(/^\[mailroom\] /, '')}`, {
        field: name,
        remedy: `Give ${name} as an address or "Name <address>", e.g. ${name}: "Shop <shop@example.com>" (an address the provider accepts as a sender for from).`,
      });
    }
  }
}

export function createMailer(options: MailerOptions & { queue: QueueOption }): Mailer<QueuedResult>;
export function createMailer(options?: MailerOptions): Mailer;
export function createMailer(options: MailerOptions = {}): Mailer<SendResult | QueuedResult> {
  refuseUnknownOptions('createMailer', options, MAILER_OPTIONS, 'Fix the option\'s name, or move it where it belongs (Strapi: defaultFrom and defaultReplyTo go in settings, not providerOptions); README "Mailer options" lists each one.');
  checkSenderOptions(options);
  messageLimits(options.limits); // throws CONFIG now for a limit that is not a whole number
  checkKeyClaimOptions(options.idempotency);
  if (options.templates !== undefined) checkTemplateOptionTypes(options.templates); // CONFIG now, not at the first templated send
  const journalStore = openJournal(options.journal);
  const queue = options.queue === undefined ? undefined : new SendQueue(options.queue);
  if (queue && !journalStore) throw new MailError('CONFIG', 'queue mode needs the send journal (journal: false is set): workers read and close the entries it keeps');
  if (queue) refuseProcessLocalJournal(options.journal, 'createMailer');
  const sharedLimits = openSharedLimits(options);
  const { chain, dsn } = buildChain(options, sharedLimits && ((adapter) => sharedLimits.wrap(adapter))); // throws CONFIG now for a bad chain
  const parts: MailerParts = { options, chain, journal: journalStore, queue, events: new MailerEventHub(), prepare: createPreparer(options, chain) };
  const sends = new RunningSends();
  // Once close() has closed the journal, its store is gone: a read says so rather than failing
  // with the store driver's own error ("The database connection is not open").
  let journalClosed = false;
  const journal = () => {
    const opened = requireJournal(parts.journal);
    if (journalClosed) throw new MailError('CONFIG', 'the send journal was read after close(): this mailer is closed; create a new one with createMailer() to read it');
    return opened;
  };
  // Modules only some mailers use (queue mode, delivery events) load on first use: a mailer that
  // never needs them does not pay for them at start-up.
  const queued = queue && lazily(async () => (await import('../queue/queued-send.js')).queuedSender(parts, queue));
  const deliveries = lazily(async () => new (await import('../journal/delivery.js')).DeliveryRecorder(journal()));

  const mailer: Mailer<SendResult | QueuedResult> = {
    async send(input) {
      if (!queued) return mailer.sendNow(input);
      sends.refuseIfClosed('send()');
      return sends.track(queued().then((send) => send(input)));
    },
    sendNow: async (input) => {
      // Once, before the key is read: every later step (journal checks, rendering) takes it as checked.
      checkMessageShape(input);
      return sends.start(input.idempotencyKey, () => sendMessage(parts, input));
    },
    verify: () => verify(parts, sends.closed),
    // One shutdown, shared: a second caller (two CMS hooks, a signal handler) waits for the same
    // one to finish rather than returning while the journal is still being closed.
    close: () => (closing ??= shutDown()),
    on(event, listener) {
      parts.events.on(event, listener);
      return mailer;
    },
    off(event, listener) {
      parts.events.off(event, listener);
      return mailer;
    },
    adapters: async () => [...(await chain).members],
    queue,
    journal: {
      // async: with the journal off, each answers a rejected promise rather than throwing on the spot.
      get: async (id) => journal().get(id),
      list: async (query) => journal().list(query),
      findByIdempotencyKey: async (key) => journal().findByIdempotencyKey(key),
      prune: async () => journal().prune(),
      describe: async () => journal().describe(),
      // A resend is a send: refused once close() was called, as send() is.
      resend: async (id, resendOptions) => sends.start(undefined, () => resend(parts, id, resendOptions), 'journal.resend()'),
      async recordEvents(events) {
        journal();
        // A journal that cannot record them is failing as for a send: the journal-error event (and alert).
        const outcome = await (await deliveries()).record(events).catch((error: unknown) => {
          parts.events.journalError(error);
          throw error;
        });
        // An event kept for a message not journaled (yet) is emitted once it finds its entry, with
        // its journalId: never for mail the journal does not know (another application's on the
        // same provider account), whose bounce would otherwise raise an alert nobody can act on.
        for (const event of [...(outcome.matched ?? []), ...outcome.recorded]) parts.events.emit('delivery', event);
        return outcome;
      },
      // A closed mailer's journal is not opened again by a webhook handler's retry timer.
      async retryParkedEvents() {
        if (closing) return 0;
        const matched = await (await deliveries()).retryParked();
        for (const event of matched) parts.events.emit('delivery', event);
        return matched.length;
      },
    },
  };
  let closing: Promise<void> | undefined;
  async function shutDown(): Promise<void> {
    await sends.drain();
    // Alerts first: their digests may go out by email through the chain's adapters.
    await alerts?.close();
    await (await chain.catch(() => undefined))?.close();
    await queue?.close().catch(() => undefined);
    await sharedLimits?.close();
    journalClosed = true;
    await parts.journal?.close().catch((error: unknown) => parts.events.journalError(error));
  }
  const alerts = options.alerts
    ? attachAlerts(parts.events.source, options.alerts, {
        adapters: mailer.adapters,
        ...(parts.journal ? { journal: mailer.journal, lead: { take: (name, owner, ttlMs) => journal().lead(name, owner, ttlMs), leave: (name, owner) => journal().leaveLead(name, owner) } } : {}),
        ...(queue ? { queue } : {}),
        ...(options.from !== undefined ? { from: options.from } : {}),
        secrets: dsn ? dsnSecrets(dsn) : [],
      })
    : undefined;
  mailerInternals.set(mailer, {
    // A worker's delivery of a queued entry: rendered content from the job, the entry from the journal.
    async deliverQueued(entryId, data, isFinal, signal) {
      const found = await journal().get(entryId);
      if (found?.status === 'sent') return resultFromEntry(found);
      // Closed before any worker took it: its queueing timed out and the caller was told nothing
      // was sent (and may have sent it again). The job ends here, unsent.
      if (found?.status === 'failed') throw new MailError('CONFIG', `journal entry ${entryId} was closed failed before a worker took its job (${found.error?.message ?? 'no reason kept'}): not sent`);
      // A mailer queues a job only once its entry is written: a job whose entry is not here was
      // queued on another journal. Sending it would leave the senders' entry queued for ever (and
      // a resend there would send it twice): it stops here, for a worker on their journal.
      if (!found) {
        const error = new MailError('CONFIG', `journal entry ${entryId} of this job is not in this worker's journal (${await journal().describe()}): the worker does not share the journal of the mailers that queue, or the entry was deleted or expired there (journal ttlMs); not sent`, {
          remedy: "Start the worker with the same journal as the mailers that send (--journal or MAILROOM_JOURNAL: the redis:// or postgres:// URL they use); the message stays queued in their journal, and `mailroom resend ID` on that journal sends it. If the worker does share it, the entry was deleted or outlived its retention while queued: send the message again (and keep ttlMs longer than a message may wait).",
        });
        parts.events.emit('failed', error, entryId);
        throw error;
      }
      const message = await parts.prepare(data.message, data.messageId);
      const entry = found;
      // Pending at pick-up means a worker took the job and stopped mid-delivery (killed): whether
      // it handed the message over before the handover reached the journal cannot be known, so the
      // entry is a possible duplicate (AMBIGUOUS), as after a lost connection.
      if (entry.status === 'pending') entry.possibleDuplicate = true;
      if (entry.status === 'queued') entry.status = 'pending';
      return sends.track(deliver(parts, message, entry, { isFinal, ...(signal ? { signal } : {}) }));
    },
    async sendThrough(adapterName, input) {
      const member = (await chain).members.find((adapter) => adapter.name === adapterName);
      if (!member) throw new MailError('INVALID_MESSAGE', `adapter: the chain has no adapter named "${adapterName}"`);
      // A chain of that one member, one attempt, on this mailer's journal, sender and events (the
      // member's shared limits included): the send shows in the log like any other. Not closed
      // here: the member belongs to this mailer's chain.
      const single = failover([member], { retry: { attempts: 1 }, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
      return sends.start(undefined, () => sendMessage({ ...parts, chain: Promise.resolve(single) }, input));
    },
    async closeFailed(entryId, error) {
      const entry = await journal().get(entryId);
      if (!entry || entry.status === 'sent' || entry.status === 'failed') return;
      entry.status = 'failed';
      entry.error = { code: error.code, message: error.message, ...(error.specificRemedy ? { remedy: error.specificRemedy } : {}) };
      await record(parts.journal, parts.events, entry);
      parts.events.emit('failed', error, entry.id);
    },
  });
  return mailer;
}

// One promise for a value made on first call (a failed load is retried by the next call).
function lazily<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make().catch((error: unknown) => {
    made = undefined;
    throw error;
  }));
}

/** What a worker needs of a mailer beyond its public API (internal: not exported from the package). */
export interface MailerInternals {
  /** Sends now through the chain's adapter of that name alone, one attempt (the admin's test email through one adapter). */
  sendThrough(adapterName: string, input: MailMessage): Promise<SendResult>;
  /** `signal`: the worker stopping, its grace run out; the delivery ends and no further attempt starts. */
  deliverQueued(entryId: string, data: SendJobData, isFinal: (failure: MailError, mayHaveArrived: boolean) => boolean, signal?: AbortSignal): Promise<SendResult>;
  /** Closes an entry `failed` when its job failed for good outside a delivery (it stalled too often). */
  closeFailed(entryId: string, error: MailError): Promise<void>;
}
export const mailerInternals = new WeakMap<object, MailerInternals>();
