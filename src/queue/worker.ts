// A queue worker: takes jobs from the BullMQ queue that queue-mode mailers fill and delivers each
// through the chain, in this process, with the journal entry the mailer wrote. Failed deliveries
// go back to the queue with exponential backoff (kept in Redis or PostgreSQL, so they survive a
// restart); one that fails for good closes its entry `failed` and raises `failed`. A provider's
// "slow down" (RATE_LIMITED with a wait: 429, 432 4.3.2) pauses the whole queue, every worker of it.
// close() lets the jobs in hand finish (or, past a deadline, hands them back to the queue).
import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import { createMailer, MAILER_OPTIONS, mailerInternals, type Mailer, type MailerOptions, type SendResult } from '../core/mailer.js';
import { optionNames, refuseUnknownOptions, type KnownOptions } from '../core/known-options.js';
import { MailError, toMailError } from '../core/errors.js';
// setTimeout's longest delay: readyTimeoutMs 0 ("without limit") still turns a refusal into TRANSIENT.
import { MAX_TIMER_MS } from '../core/timeout.js';
import { loadBullMq, migrate } from './load-bullmq.js';
import { isPostgres, queueOptions, redact, type QueueOption, type QueueOptions } from './queue-options.js';
import { answerWithin } from './queue-answer.js';
import { refuseProcessLocalJournal } from './queue-journal.js';
import { SEND_JOB, type SendJobData } from './send-queue.js';
import { startHeartbeat, type PresenceClient } from './worker-presence.js';

export interface WorkerOptions extends Omit<MailerOptions, 'queue'> {
  /** The queue the mailers fill: the same URL or options as their `queue`. */
  queue: QueueOption | (QueueOptions & WorkerQueueOptions);
  /** Jobs this worker delivers at once. Default 5 (one SMTP pool's connections). */
  concurrency?: number;
  /**
   * Most messages per minute across every worker of the queue (BullMQ's global limiter). Default:
   * the pace the chain's first adapter declares (`adapter.limits.messagesPerMinute`), else none.
   */
  messagesPerMinute?: number;
  /** A job whose worker stopped answering (killed) is handed to another after this long. Default 30,000 ms. */
  stalledAfterMs?: number;
  /**
   * How long the queue's server gets to answer at start; past it startWorker() closes the worker
   * and fails TRANSIENT naming the queue (without its password), with a remedy. Default 30,000 ms:
   * a server started alongside the app answers within seconds, a wrong URL or a closed port never
   * does and should be said in half a minute, not waited on in silence. 0 waits without limit.
   * `mailroom worker` gives 5,000 ms.
   */
  readyTimeoutMs?: number;
}

interface WorkerQueueOptions {
  messagesPerMinute?: number;
}

export interface MailWorker {
  /** The mailer that delivers (its events: sent, failed, failover, attempt, journal-error). */
  readonly mailer: Mailer;
  /** Stops taking jobs, waits up to `graceMs` (default 30,000) for those in hand, then closes. */
  close(graceMs?: number): Promise<void>;
}

/** startWorker's default readyTimeoutMs (see there why). */
export const WORKER_READY_TIMEOUT_MS = 30_000;

const NOT_READY_REMEDY = 'Start the queue server (redis-server, PostgreSQL) or fix the worker\'s queue URL (--queue / MAILROOM_QUEUE, the queue option): it must be the one the mailers queue on. startWorker waits readyTimeoutMs for it (default 30 s; 0 waits without limit).';

// Every name startWorker reads: the mailer's, the worker's own, and the pace a queue object may
// carry. Checked here, not by the createMailer inside: a typo (`concurency`) would otherwise be
// called createMailer's, with no guess, or (`queue.messagesPerMinut`) pass unseen.
const WORKER_OWN = optionNames<Omit<WorkerOptions, keyof MailerOptions>>({ concurrency: true, messagesPerMinute: true, stalledAfterMs: true, readyTimeoutMs: true });
const WORKER_OPTIONS: KnownOptions = {
  names: [...MAILER_OPTIONS.names, ...WORKER_OWN],
  nested: { ...MAILER_OPTIONS.nested, queue: [...(MAILER_OPTIONS.nested?.queue ?? []), ...optionNames<WorkerQueueOptions>({ messagesPerMinute: true })] },
};

/** Codes that end a message at once: retrying later cannot change them. */
const FINAL = new Set(['INVALID_MESSAGE', 'REJECTED', 'TEMPLATE', 'CONFIG', 'UNSUPPORTED']);

export async function startWorker(options: WorkerOptions): Promise<MailWorker> {
  refuseUnknownOptions('startWorker', options, WORKER_OPTIONS, `Fix the option's name: startWorker takes the mailer options (README "Mailer options") and ${WORKER_OWN.join(', ')} (README "Queue mode"); an option it does not know would be ignored, and its default used instead.`);
  const { queue: queueOption, concurrency = 5, messagesPerMinute, stalledAfterMs = 30_000, readyTimeoutMs = WORKER_READY_TIMEOUT_MS, ...mailerOptions } = options;
  if (!Number.isInteger(readyTimeoutMs) || readyTimeoutMs < 0) throw new MailError('CONFIG', `startWorker: readyTimeoutMs must be a whole number of milliseconds, 0 or more (got ${String(readyTimeoutMs)})`, { field: 'readyTimeoutMs', remedy: 'Give readyTimeoutMs: 30000 (the default), or 0 to wait for the queue server without limit.' });
  const queue = queueOptions(queueOption);
  refuseProcessLocalJournal(mailerOptions.journal, 'startWorker');
  // Limits are counted in the queue's Redis unless told otherwise, as a queue-mode mailer does.
  const sharedLimits = mailerOptions.sharedLimits ?? (isPostgres(queue.connection) ? undefined : queue.connection);
  const mailer = createMailer({ ...mailerOptions, ...(sharedLimits ? { sharedLimits } : {}) });
  const internals = mailerInternals.get(mailer)!;
  const bull = await loadBullMq(queue.connection);
  const pace = messagesPerMinute ?? (typeof queueOption === 'object' ? (queueOption as WorkerQueueOptions).messagesPerMinute : undefined) ?? (await mailer.adapters())[0]?.limits?.messagesPerMinute;

  let worker: Worker | undefined = undefined;
  // The failure that ended a job, by the error BullMQ is given (and hands back in its `failed` event):
  // the entry is closed with that code, message and remedy, not as a bare TRANSIENT.
  const endedFor = new WeakMap<Error, MailError>();
  // Aborted by close() once the grace has run out: the deliveries in hand end (no new attempt, the one
  // running is aborted) and their jobs go back to the queue without using a try.
  const stopping = new AbortController();
  const processor = async (job: Job<SendJobData>): Promise<Pick<SendResult, 'adapter' | 'providerMessageId'>> => {
    const lastTry = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    // A delivery after which the message may have arrived (AMBIGUOUS) is never tried again: the
    // retry would send it a second time through the same adapter. The entry says possible duplicate.
    let final = false;
    try {
      const result = await internals.deliverQueued(job.id!, job.data, (failure, mayHaveArrived) => (final = mayHaveArrived || (!stopping.signal.aborted && (lastTry || FINAL.has(failure.code)))), stopping.signal);
      return { adapter: result.adapter, ...(result.providerMessageId ? { providerMessageId: result.providerMessageId } : {}) };
    } catch (error) {
      const failure = toMailError(error);
      // Stopped, not failed: the message is handed back for the next worker (its entry says queued).
      if (stopping.signal.aborted && !final) throw bull.Worker.RateLimitError();
      if (final || lastTry || FINAL.has(failure.code)) {
        const unrecoverable = new bull.UnrecoverableError(failure.message);
        endedFor.set(unrecoverable, failure);
        throw unrecoverable;
      }
      const wait = slowDown(failure);
      if (wait !== undefined && worker) {
        // Every worker of the queue waits, not only this one; the job goes back without using a try.
        await worker.rateLimit(wait);
        throw bull.Worker.RateLimitError();
      }
      throw failure;
    }
  };
  const workerOptions = {
    concurrency,
    lockDuration: stalledAfterMs,
    stalledInterval: stalledAfterMs,
    ...(pace ? { limiter: paced(pace) } : {}),
  };
  const where = `${redact(queue.connection)} ${queue.name}`;
  if (isPostgres(queue.connection)) {
    // The migration is the first call that needs PostgreSQL: a server that is down is said as for
    // Redis (TRANSIENT naming the queue, within readyTimeoutMs), not as pg's bare ECONNREFUSED,
    // which read as a CONFIG error with an SMTP remedy and ended a CMS worker's attempts to start.
    try {
      await answerWithin(migrate(bull, queue.connection), where, () => undefined, readyTimeoutMs === 0 ? MAX_TIMER_MS : readyTimeoutMs, NOT_READY_REMEDY);
    } catch (error) {
      await mailer.close().catch(() => undefined);
      throw error;
    }
    worker = new bull.Worker(queue.name, processor, { ...workerOptions, connection: queue.connection }, bull.createPostgresBackend) as unknown as Worker;
  } else {
    worker = new bull.Worker(queue.name, processor, { ...workerOptions, connection: { url: queue.connection, maxRetriesPerRequest: null } as never });
  }
  // A job BullMQ fails without running it to the end (it stalled more often than allowed) still
  // closes its journal entry. BullMQ says `failed` after every failed try: only a job that stays
  // failed (no retry left) is closed here.
  worker.on('failed', (job, error) => {
    if (job?.name !== SEND_JOB || !job.id) return;
    void job
      .getState()
      .then((state) => (state === 'failed' ? internals.closeFailed(job.id!, endedFor.get(error) ?? toMailError(error, { code: 'TRANSIENT' })) : undefined))
      .catch(() => undefined);
  });
  // Connection errors: BullMQ reconnects; `mailroom doctor` reports. The last one says why a start timed out.
  let lastError: unknown;
  worker.on('error', (error) => (lastError = error));
  await whenReady(worker, mailer, { where, lastError: () => lastError, ...(readyTimeoutMs === 0 ? {} : { timeoutMs: readyTimeoutMs }) });
  // On Redis the worker says it is alive (see worker-presence.ts): the queue's readers and the
  // no-worker alert count heartbeats, which work where managed Redis disables CLIENT LIST.
  const started = worker;
  // Not awaited: the worker takes jobs already, and its caller attaches its listeners once this returns.
  const heartbeat = isPostgres(queue.connection) ? undefined : startHeartbeat(() => (started.getBackend() as unknown as { client: Promise<PresenceClient> }).client, queue.name, `${hostname()}:${process.pid}:${started.id}`);

  return {
    mailer,
    async close(graceMs = 30_000) {
      // Gone from the count at once; bounded, as a server that is down never answers.
      await Promise.race([heartbeat?.stop().catch(() => undefined), delay(1_000, undefined)]);
      // No new job, and the jobs in hand get up to the grace to finish (BullMQ's pause waits for
      // them, its bookkeeping of each included). Then a forced close, which waits on nothing the
      // server must answer: BullMQ's graceful close() waits for the server's goodbye, which a server
      // that is down never gives (and a close(true) after it only returns that same close). A job
      // still in hand goes back to the queue once its lock expires; the send it started still ends
      // in the journal (mailer.close waits for it), so the next worker finds it sent.
      const pausing = worker!.pause().catch(() => undefined);
      if ((await Promise.race([pausing, delay(graceMs, 'late' as const)])) === 'late') {
        // The grace is over: the deliveries in hand are ended, and a moment is left for their jobs
        // to go back to the queue before the connections close.
        stopping.abort(new MailError('TRANSIENT', 'the worker stopped and its grace ran out before this delivery ended; the message goes back to the queue'));
        await Promise.race([pausing, delay(2_000, 'late' as const)]);
      }
      const closing = worker!.close(true).catch(() => undefined);
      if ((await Promise.race([closing.then(() => 'done' as const), delay(2_000, 'late' as const)])) === 'late') cut(worker!);
      await mailer.close();
    },
  };
}

// Waits for the worker's connection; with a timeout, a server that does not answer in time closes
// the worker and its mailer (else their reconnecting would keep the process alive) and fails TRANSIENT.
async function whenReady(worker: Worker, mailer: Mailer, start: { where: string; lastError: () => unknown; timeoutMs?: number }): Promise<void> {
  if (start.timeoutMs === undefined) return void (await worker.waitUntilReady());
  try {
    await answerWithin(worker.waitUntilReady(), start.where, start.lastError, start.timeoutMs, NOT_READY_REMEDY);
  } catch (error) {
    await Promise.allSettled([worker.close(true), mailer.close()]);
    throw error;
  }
}

// BullMQ's limiter counts jobs in fixed windows: "600 a minute" as one 60 s window would let all
// 600 start in its first second. One job per 1/pace of a minute spreads them evenly, and 5 % of
// headroom keeps any window of the sinks' clock within the pace: a job starts on its worker's
// clock, one network hop after BullMQ's window opened in Redis, and with 2 % a run counted 121 in a
// 10 s window against a pace of 120. (Shared limits need only 2 %: they time each start in Redis.)
const QUEUE_PACE_HEADROOM = 1.05;
function paced(messagesPerMinute: number): { max: number; duration: number } {
  return { max: 1, duration: Math.ceil((60_000 / messagesPerMinute) * QUEUE_PACE_HEADROOM) };
}

// How long every worker waits when the provider asked to slow down with a known wait.
function slowDown(failure: MailError): number | undefined {
  const limited = [...(failure.attempts ?? [])].reverse().find((attempt) => attempt.error?.code === 'RATE_LIMITED');
  if (!limited && failure.code !== 'RATE_LIMITED') return undefined;
  return failure.retryAfterMs ?? 10_000;
}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(resolve, ms, value).unref());
}

// Cuts the worker's connections at once. BullMQ's disconnect() waits for each client's end, which a
// client reconnecting to a server that is down may never reach (and its reconnect timers keep the
// process alive): the Redis clients are told to stop as well, without waiting.
function cut(worker: Worker): void {
  void worker.disconnect().catch(() => undefined);
  const backend = worker.getBackend() as unknown as { client?: Promise<{ disconnect(): void }>; blockingClient?: Promise<{ disconnect(): void }> };
  for (const client of [backend.client, backend.blockingClient]) void client?.then((one) => one.disconnect(), () => undefined);
}
