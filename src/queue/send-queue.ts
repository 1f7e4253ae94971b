// The producer side of queue mode: one BullMQ queue that `send()` adds a job to (job id = journal
// entry id, so adding one entry twice keeps one job), and that `mailroom queue` and doctor read.
import type { Queue } from 'bullmq';
import type { MailMessage } from '../core/message.js';
import { loadBullMq, migrate } from './load-bullmq.js';
import { answerWithin, QUEUE_ANSWER_MS } from './queue-answer.js';
import { isPostgres, queueOptions, redact, type QueueOption, type QueueOptions } from './queue-options.js';
import { aliveWorkers, type PresenceClient } from './worker-presence.js';

/** What a job carries: the message as rendered at send time, so a worker needs no templates. */
export interface SendJobData {
  message: MailMessage;
  /** Our Message-ID, kept across retries and workers. */
  messageId: string;
}

export const SEND_JOB = 'send';

// How long close() waits for the queue's server to say goodbye before cutting the connection.
const CLOSE_WAIT_MS = 2_000;

/** Counts of jobs by state. */
export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

/** What `mailroom queue`, doctor and the no-worker alert read: the counts and the workers alive. */
export interface QueueProbe {
  counts: QueueCounts;
  workers: number;
}

/** Messages not delivered yet: waiting (or held back by a rate limit), in a worker's hands, or waiting for a retry. */
export function queuedCount(counts: Pick<QueueCounts, 'waiting' | 'active' | 'delayed'>): number {
  return counts.waiting + counts.active + counts.delayed;
}

/** What to do when messages wait and no worker is alive (doctor, `mailroom queue`, the no-worker alert). */
export const START_A_WORKER = 'start one: `mailroom worker` (same --queue, --dsn and --journal), or startWorker() in your app, or the Strapi/Payload option `worker: true`';

export class SendQueue {
  readonly options: Required<QueueOptions>;
  private opening: Promise<Queue> | undefined;
  /** The connection error BullMQ reported last: kept to say why the server does not answer. */
  private lastError: unknown;

  constructor(option: QueueOption) {
    this.options = queueOptions(option);
  }

  /** "redis://host:6379 mailroom" without credentials. */
  describe(): string {
    return `${redact(this.options.connection)} ${this.options.name}`;
  }

  private queue(): Promise<Queue> {
    this.opening ??= openQueue(this.options, (error) => (this.lastError = error));
    this.opening.catch(() => undefined);
    return this.opening;
  }

  /**
   * Adds the job for a journal entry; a second add of the same entry is a no-op in BullMQ. With
   * `timeoutMs`, TRANSIENT naming the queue when its server has not taken it by then (BullMQ would
   * wait for the server without end).
   */
  async add(entryId: string, data: SendJobData, timeoutMs?: number): Promise<void> {
    const adding = this.queue().then((queue) => this.addTo(queue, entryId, data));
    await (timeoutMs === undefined ? adding : answerWithin(adding, this.describe(), () => this.lastError, timeoutMs));
  }

  private async addTo(queue: Queue, entryId: string, data: SendJobData): Promise<void> {
    await queue.add(SEND_JOB, data, {
      jobId: entryId,
      attempts: this.options.attempts,
      backoff: { type: 'exponential', delay: this.options.backoffMs },
      // The journal keeps the record; the job (which may hold a sensitive message) goes once done,
      // and a sensitive one (a reset link: never kept, never resent) at once when it fails too.
      removeOnComplete: true,
      removeOnFail: data.message.sensitive ? true : { age: 7 * 24 * 3600 },
    });
  }

  async counts(): Promise<QueueCounts> {
    const queue = await this.queue();
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children');
    return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0, failed: counts.failed ?? 0, completed: counts.completed ?? 0 };
  }

  /**
   * Workers alive on the queue now. Redis: the workers' heartbeats (worker-presence.ts), not BullMQ's
   * CLIENT LIST, which managed Redis may disable and then counts one worker that is not there.
   * PostgreSQL: BullMQ's count of the workers' sessions (pg_stat_activity).
   */
  async workers(): Promise<number> {
    const queue = await this.queue();
    if (isPostgres(this.options.connection)) return (await queue.getWorkers()).length;
    return aliveWorkers(await (queue.getBackend() as unknown as { client: Promise<PresenceClient> }).client, this.options.name);
  }

  /** Counts and workers, or TRANSIENT naming the queue when its server has not answered within `timeoutMs`. */
  async probe(timeoutMs = QUEUE_ANSWER_MS): Promise<QueueProbe> {
    const [counts, workers] = await answerWithin(Promise.all([this.counts(), this.workers()]), this.describe(), () => this.lastError, timeoutMs);
    return { counts, workers };
  }

  /** The job's state: waiting, active, delayed, failed, completed, or unknown (no such job). */
  async state(entryId: string): Promise<string> {
    return (await this.queue()).getJobState(entryId);
  }

  /** Drops a job (a failed one, before its entry is resent by hand). */
  async remove(entryId: string): Promise<void> {
    await (await this.queue()).remove(entryId);
  }

  /**
   * Closes the queue's connection. BullMQ's close() waits for the server's goodbye, which a server
   * that is down never gives: past a couple of seconds the connection is cut instead, so a mailer's
   * close() (a CMS's shutdown, a script's end) returns.
   */
  async close(): Promise<void> {
    const queue = await this.opening?.catch(() => undefined);
    if (!queue) return;
    const closing = queue.close().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS, 'late')));
    const outcome = await Promise.race([closing, late]);
    clearTimeout(timer);
    if (outcome !== 'late') return;
    const backend = queue.getBackend() as unknown as { client?: Promise<{ disconnect(): void }> };
    void queue.disconnect().catch(() => undefined);
    void backend.client?.then((client) => client.disconnect(), () => undefined);
  }
}

async function openQueue(options: Required<QueueOptions>, onError: (error: unknown) => void): Promise<Queue> {
  const bull = await loadBullMq(options.connection);
  let queue: Queue;
  if (isPostgres(options.connection)) {
    await migrate(bull, options.connection);
    queue = new bull.Queue(options.name, { connection: options.connection }, bull.createPostgresBackend) as unknown as Queue;
  } else {
    queue = new bull.Queue(options.name, { connection: { url: options.connection } as never });
  }
  // Without a listener BullMQ prints every failed reconnect with its stack; the callers that need
  // the server report it once, as a MailError (see probe()).
  queue.on('error', onError);
  return queue;
}
