// The CMS integrations' `worker` option: a queue worker in the CMS process itself, for a single
// instance (or one instance of several) that should deliver what it queues, without a separate
// `mailroom worker`. It starts with the mailer and stops with it.
import type { MailerOptions } from '../core/mailer.js';
import { startWorker, type MailWorker, type WorkerOptions } from './worker.js';

/** `worker: true`, or the worker's own settings. Needs `queue`. Default: no worker in the CMS process. */
export type InProcessWorkerOption = boolean | Pick<WorkerOptions, 'concurrency' | 'messagesPerMinute' | 'stalledAfterMs'>;

/** Starts the worker when asked for; `close()` waits for the messages in hand. */
export function inProcessWorker(options: MailerOptions, option: InProcessWorkerOption | undefined, onError: (error: unknown) => void): { close(): Promise<void> } {
  if (!option || options.queue === undefined) return { close: async () => undefined };
  const starting: Promise<MailWorker | undefined> = startWorker({ ...options, queue: options.queue, ...(typeof option === 'object' ? option : {}) }).catch((error: unknown) => {
    onError(error);
    return undefined;
  });
  return { close: async () => (await starting)?.close() };
}
