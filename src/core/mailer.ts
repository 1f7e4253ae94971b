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
import { messageLimits } from './message.js';
import { openSharedLimits } from '../kit/shared-limits.js';
import { SendQueue, type SendJobData } from '../queue/send-queue.js';
import type { QueueOption } from '../queue/queue-options.js';
import { verify } from './mailer/verify.js';
import { RunningSends } from './mailer/work.js';

export type { AttemptEnd, AttemptStart, JournalResendOptions, Mailer, MailerEvents, MailerJournal, MailerOptions, QueuedResult, SendResult, VerifyResult } from './mailer/types.js';
export { DEFAULT_DSN, IMPLICIT_OUTBOX_WARNING_CODE, JOURNAL_WARNING_CODE, LISTENER_WARNING_CODE } from './mailer/types.js';

// Every option createMailer reads: any other name is a typo (`timeoutMS`, `retries`) or a setting
// put in the wrong place (Strapi's `defaultFrom` in providerOptions), which would be ignored.
const MAILER_OPTIONS: ReadonlySet<string> = new Set<keyof MailerOptions>([
  'adapters', 'dsn', 'from', 'replyTo', 'journal', 'retry', 'cooldown', 'timeoutMs', 'templates', 'limits',
  'onAmbiguous', 'alerts', 'idempotency', 'queue', 'sharedLimits',
]);

// The nested options that are plain objects of numbers, checked the same way.
const NESTED_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  retry: ['attempts', 'baseDelayMs', 'maxDelayMs'],
  cooldown: ['failures', 'periodMs'],
};

function refuseUnknownOptions(options: MailerOptions): void {
  let known: readonly string[] = [...MAILER_OPTIONS];
  let unknown = Object.keys(options ?? {}).filter((key) => !MAILER_OPTIONS.has(key));
  for (const [name, keys] of Object.entries(NESTED_OPTIONS)) {
    const value = (options as Record<string, unknown> | undefined)?.[name];
    if (unknown.length > 0 || !value || typeof value !== 'object') continue;
    unknown = Object.keys(value).filter((key) => !keys.includes(key)).map((key) => `${name}.${key}`);
    known = keys.map((key) => `${name}.${key}`);
  }
  if (unknown.length === 0) return;
  throw new MailError('CONFIG', `createMailer: unknown option ${unknown.map((key) => `"${key}"`).join(', ')} (known options: ${known.join(', ')})`, {
    remedy: 'Fix the option\'s name, or move it where it belongs (Strapi: defaultFrom and defaultReplyTo go in settings, not providerOptions); README "Mailer options" lists each one.',
  });
}

export function createMailer(options: MailerOptions & { queue: QueueOption }): Mailer<QueuedResult>;
export function createMailer(options?: MailerOptions): Mailer;
export function createMailer(options: MailerOptions = {}): Mailer<SendResult | QueuedResult> {
  refuseUnknownOptions(options);
  messageLimits(options.limits); // throws CONFIG now for a limit that is not a whole number
  const journalStore = openJournal(options.journal);
  const queue = options.queue === undefined ? undefined : new SendQueue(options.queue);
  if (queue && !journalStore) throw new MailError('CONFIG', 'queue mode needs the send journal (journal: false is set): workers read and close the entries it keeps');
  const sharedLimits = openSharedLimits(options);
  const { chain, dsn } = buildChain(options, sharedLimits && ((adapter) => sharedLimits.wrap(adapter))); // throws CONFIG now for a bad chain
  const parts: MailerParts = { options, chain, journal: journalStore, queue, events: new MailerEventHub(), prepare: createPreparer(options, chain) };
  const sends = new RunningSends();
  const journal = () => requireJournal(parts.journal);
  // Modules only some mailers use (queue mode, delivery events) load on first use: a mailer that
  // never needs them does not pay for them at start-up.
  const queued = queue && lazily(async () => (await import('../queue/queued-send.js')).queuedSender(parts, queue));
  const deliveries = lazily(async () => new (await import('../journal/delivery.js')).DeliveryRecorder(journal()));

  const mailer: Mailer<SendResult | QueuedResult> = {
    async send(input) {
      if (!queued) return mailer.sendNow(input);
      if (sends.closed) throw new MailError('CONFIG', 'send() was called after close(): this mailer is closed; create a new one with createMailer()');
      return sends.track(queued().then((send) => send(input)));
    },
    sendNow: async (input) => sends.start(input?.idempotencyKey, () => sendMessage(parts, input)),
    verify: () => verify(parts),
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
      get: (id) => journal().get(id),
      list: (query) => journal().list(query),
      findByIdempotencyKey: (key) => journal().findByIdempotencyKey(key),
      prune: () => journal().prune(),
      describe: () => journal().describe(),
      resend: (id, resendOptions) => sends.track(resend(parts, id, resendOptions)),
      async recordEvents(events) {
        const outcome = await (await deliveries()).record(events);
        for (const event of [...outcome.recorded, ...outcome.unmatched]) parts.events.emit('delivery', event);
        return outcome;
      },
      retryParkedEvents: async () => (await deliveries()).retryParked(),
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
    await parts.journal?.close().catch((error: unknown) => parts.events.journalError(error));
  }
  const alerts = options.alerts
    ? attachAlerts(parts.events.source, options.alerts, {
        adapters: mailer.adapters,
        ...(parts.journal ? { journal: mailer.journal } : {}),
        ...(options.from !== undefined ? { from: options.from } : {}),
        secrets: dsn ? dsnSecrets(dsn) : [],
      })
    : undefined;
  mailerInternals.set(mailer, {
    // A worker's delivery of a queued entry: rendered content from the job, the entry from the journal.
    async deliverQueued(entryId, data, isFinal) {
      const found = await journal().get(entryId);
      if (found?.status === 'sent') return resultFromEntry(found);
      // Closed before any worker took it: its queueing timed out and the caller was told nothing
      // was sent (and may have sent it again). The job ends here, unsent.
      if (found?.status === 'failed') throw new MailError('CONFIG', `journal entry ${entryId} was closed failed before a worker took its job (${found.error?.message ?? 'no reason kept'}): not sent`);
      const message = await parts.prepare(data.message, data.messageId);
      // Missing when the journal write at send time failed: the job still holds the message.
      const entry = found ?? { ...journal().createEntry(message, undefined), id: entryId };
      // Pending at pick-up means a worker took the job and stopped mid-delivery (killed): whether
      // it handed the message over before the handover reached the journal cannot be known, so the
      // entry is a possible duplicate (AMBIGUOUS), as after a lost connection.
      if (entry.status === 'pending') entry.possibleDuplicate = true;
      if (entry.status === 'queued') entry.status = 'pending';
      return sends.track(deliver(parts, message, entry, { isFinal }));
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
  deliverQueued(entryId: string, data: SendJobData, isFinal: (failure: MailError) => boolean): Promise<SendResult>;
  /** Closes an entry `failed` when its job failed for good outside a delivery (it stalled too often). */
  closeFailed(entryId: string, error: MailError): Promise<void>;
}
export const mailerInternals = new WeakMap<object, MailerInternals>();
