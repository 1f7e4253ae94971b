// The CMS integrations' `worker` option: a queue worker in the CMS process itself, for a single
// instance (or one instance of several) that should deliver what it queues, without a separate
// `mailroom worker`. It starts with the mailer and stops with it.
import type { MailerOptions } from '../core/mailer.js';
import { MailError } from '../core/errors.js';
import { optionNames, refuseUnknownOptions } from '../core/known-options.js';
import { startWorker, type MailWorker, type WorkerOptions } from './worker.js';

// Between two attempts to start: the attempt itself already waited readyTimeoutMs for the server.
const RETRY_PAUSE_MS = 5_000;

/** `worker: true`, or the worker's own settings. Needs `queue`. Default: no worker in the CMS process. */
export type InProcessWorkerOption = boolean | Pick<WorkerOptions, 'concurrency' | 'messagesPerMinute' | 'stalledAfterMs' | 'readyTimeoutMs'>;

type WorkerSettings = Exclude<InProcessWorkerOption, boolean>;
const WORKER_SETTINGS = optionNames<WorkerSettings>({ concurrency: true, messagesPerMinute: true, stalledAfterMs: true, readyTimeoutMs: true });

/**
 * CONFIG at the CMS's boot for a name the `worker` option does not know (`concurency`): found only
 * when the worker starts, it was a log line, and the CMS ran on with no worker, its mail queued.
 * `owner` names the option as the user wrote it: "providerOptions.worker".
 */
export function checkWorkerOption(option: unknown, owner: string): void {
  refuseUnknownOptions(owner, option, { names: WORKER_SETTINGS }, `Fix the option's name: worker is true or { ${WORKER_SETTINGS.join(', ')} } (README "Queue mode").`);
}

/**
 * Starts the worker when asked for; `close()` waits for the messages in hand. A queue server that
 * does not answer within readyTimeoutMs is reported once through `onError` (the CMS's log), and the
 * worker keeps trying: a CMS often starts before its Redis, and must deliver once it is up. Any
 * other failure (a CONFIG error) is reported and ends the attempts.
 */
export function inProcessWorker(options: MailerOptions, option: InProcessWorkerOption | undefined, onError: (error: unknown, retrying: boolean) => void): { close(): Promise<void> } {
  if (!option || options.queue === undefined) return { close: async () => undefined };
  const settings: WorkerOptions = { ...options, queue: options.queue, ...(typeof option === 'object' ? option : {}) };
  let closed = false;
  let running: MailWorker | undefined;
  let wake = () => undefined as void;
  const start = async (): Promise<void> => {
    for (let attempt = 0; !closed; attempt++) {
      try {
        running = await startWorker(settings);
        return;
      } catch (error) {
        const retrying = error instanceof MailError && error.code === 'TRANSIENT';
        if (attempt === 0 || !retrying) onError(error, retrying);
        // Closed while this attempt waited: no pause. Its timer is unref'd, so in a script (a CMS
        // destroyed at the end of a job) nothing else would keep the process alive to end it, and
        // close() would never resolve: the mailer, and its journal, never closed.
        if (!retrying || closed) return;
        // A server that refuses at once (a name that does not resolve) must not make this a busy loop.
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, RETRY_PAUSE_MS).unref();
        });
      }
    }
  };
  const starting = start();
  return {
    // An attempt still waiting for the server ends within readyTimeoutMs, and no other follows.
    close: async () => {
      closed = true;
      wake();
      await starting;
      await running?.close();
    },
  };
}
