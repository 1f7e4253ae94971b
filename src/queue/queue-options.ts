// What queue mode is configured with: BullMQ on Redis (ioredis) or on PostgreSQL (BullMQ 6's
// PostgreSQL backend, pg). The packages themselves load in load-bullmq.ts, only when a queue is used.
import { MailError } from '../core/errors.js';
import { redactConnectionUrl } from '../core/redact-url.js';

/** The URL without its password (in the userinfo or the query string), for messages and `mailroom queue`. */
export const redact = redactConnectionUrl;

export interface QueueOptions {
  /** `redis://…` / `rediss://…` (BullMQ on Redis) or `postgres://…` (BullMQ's PostgreSQL backend). */
  connection: string;
  /** Queue name; mailers and workers of one chain share it. Default "mailroom". */
  name?: string;
  /** Deliveries of one message before it fails for good (each runs the whole chain with its retries). Default 5. */
  attempts?: number;
  /** First wait before a failed delivery is tried again; doubles each time. Default 30,000 ms. */
  backoffMs?: number;
}

/** `queue` option of createMailer and startWorker: a URL or the full options. */
export type QueueOption = string | QueueOptions;

export const DEFAULT_QUEUE_NAME = 'mailroom';

export function queueOptions(option: QueueOption): Required<QueueOptions> {
  const options = typeof option === 'string' ? { connection: option } : option;
  if (!options.connection || !/^(rediss?|postgres(ql)?):\/\//.test(options.connection)) {
    throw new MailError('CONFIG', `queue connection "${redact(options.connection ?? '')}" is not supported: give redis://… (or rediss://) or postgres://…`, {
      remedy: 'Set queue: "redis://localhost:6379" (BullMQ on Redis) or queue: "postgres://user:pass@host/db" (BullMQ on PostgreSQL).',
    });
  }
  const name = options.name ?? DEFAULT_QUEUE_NAME;
  // BullMQ keys jobs by "<prefix>:<name>:<id>": a colon in the name would break them.
  if (!/^[\w.-]+$/.test(name)) throw new MailError('CONFIG', `queue name "${name}" may only hold letters, digits, "_", "-" and "."`);
  return { connection: options.connection, name, attempts: options.attempts ?? 5, backoffMs: options.backoffMs ?? 30_000 };
}

export function isPostgres(connection: string): boolean {
  return /^postgres(ql)?:\/\//.test(connection);
}


// A key written with escapes ("pass%77ord") is still that key.
