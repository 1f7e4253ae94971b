// `--queue` for the commands that work with queue mode (worker, queue, resend, doctor): the flag,
// else MAILROOM_QUEUE. The URL is redis://… or postgres://…, as createMailer's `queue` option.
import type { Command } from 'commander';

export interface QueueFlag {
  queue?: string;
  queueName?: string;
}

export function addQueueOption(command: Command): Command {
  return command
    .option('--queue <url>', 'queue mode: redis://… or postgres://… (default: $MAILROOM_QUEUE)')
    .option('--queue-name <name>', 'queue name (default: $MAILROOM_QUEUE_NAME, else "mailroom")');
}

/** The queue option for createMailer / startWorker, or undefined when none is configured. */
export function queueFrom(options: QueueFlag, env: NodeJS.ProcessEnv = process.env): { connection: string; name?: string } | undefined {
  const connection = options.queue ?? (env.MAILROOM_QUEUE || undefined);
  if (!connection) return undefined;
  const name = options.queueName ?? (env.MAILROOM_QUEUE_NAME || undefined);
  return { connection, ...(name ? { name } : {}) };
}
