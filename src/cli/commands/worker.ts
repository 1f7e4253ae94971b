// `mailroom worker`: delivers what queue-mode mailers queued, through the configured chain, until
// SIGTERM or SIGINT; then it finishes the messages in hand (up to --grace) before it exits, and
// hands back to the queue what it could not finish.
import type { Command } from 'commander';
import { diagnose } from '../../core/diagnose.js';
import { parseDuration } from '../../core/duration.js';
import { MailError, remedyApart } from '../../core/errors.js';
import { MAX_TIMER_MS } from '../../core/timeout.js';
import { startWorker, type MailWorker } from '../../queue/worker.js';
import { QUEUE_ANSWER_MS } from '../../queue/queue-answer.js';
import { redact } from '../../queue/queue-options.js';
import { addCommonOptions, loadContext, mailerOptions, positiveInteger, reportJournalErrors, type CommonOptions } from '../context.js';
import { addQueueOption, queueFrom, type QueueFlag } from '../queue-option.js';

interface WorkerFlags extends CommonOptions, QueueFlag {
  concurrency: string;
  messagesPerMinute?: string;
  grace: string;
}

export function register(program: Command): void {
  addQueueOption(
    addCommonOptions(
      program
        .command('worker')
        .description('deliver queued messages (queue mode) through the chain until stopped')
        .option('--concurrency <n>', 'messages delivered at once by this worker', '5')
        .option('--messages-per-minute <n>', 'most messages a minute across every worker of the queue (default: the first adapter\'s limit)')
        .option('--grace <duration>', 'on SIGTERM/SIGINT, how long to finish the messages in hand', '30s'),
    ),
  )
    .addHelpText('after', `
Examples:
  $ MAILROOM_QUEUE=redis://localhost:6379 MAILROOM_JOURNAL=redis://localhost:6379 mailroom worker
  $ mailroom worker --queue postgres://mail@db/shop --journal postgres://mail@db/shop --concurrency 3`)
    .action(async (flags: WorkerFlags) => {
      const queue = queueFrom(flags);
      if (!queue) throw new MailError('CONFIG', 'mailroom worker needs a queue: pass --queue redis://… (or postgres://…) or set MAILROOM_QUEUE');
      // Every flag is checked before the worker connects: once started it takes jobs at once, and a
      // flag refused afterwards would leave it delivering with no log and no signal handlers.
      const grace = parseDuration(flags.grace, '--grace');
      // A longer timer runs after 1 ms: the worker would drop the messages in hand at once.
      if (grace > MAX_TIMER_MS) throw new MailError('CONFIG', `--grace must be at most 24d (a timer's longest), got "${flags.grace}"`);
      const concurrency = positiveInteger(flags.concurrency, '--concurrency');
      const messagesPerMinute = flags.messagesPerMinute ? positiveInteger(flags.messagesPerMinute, '--messages-per-minute') : undefined;
      const context = await loadContext(flags);
      // A queue server that is down fails the start after 5 s (TRANSIENT, exit 1) instead of waiting in silence.
      const worker = await startWorker({ ...mailerOptions(context), queue, concurrency, readyTimeoutMs: QUEUE_ANSWER_MS, ...(messagesPerMinute ? { messagesPerMinute } : {}) });
      try {
        await announce(worker, queue.connection, queue.name, concurrency);
      } catch (error) {
        // A started worker keeps the process alive and delivering: stop it before the error ends the command.
        await worker.close(grace).catch(() => undefined);
        throw error;
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          console.log(`${signal}: finishing the messages in hand (up to ${flags.grace})`);
          void worker.close(grace).then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      console.log('worker stopped');
    });
}

// Logs what the worker delivers and the line that says it runs.
async function announce(worker: MailWorker, connection: string, name: string | undefined, concurrency: number): Promise<void> {
  reportJournalErrors(worker.mailer);
  worker.mailer.on('sent', (result) => console.log(`sent ${result.id} via ${result.adapter}`));
  // A message that failed for good, with what to do about it (its own remedy, else the catalogue's).
  worker.mailer.on('failed', (error, id) => {
    const { message, remedy } = remedyApart(diagnose(error));
    console.log(`failed ${id}: ${error.code} ${message}${remedy ? `\n  remedy: ${remedy}` : ''}`);
  });
  const adapters = (await worker.mailer.adapters()).map((adapter) => adapter.name).join(' -> ');
  console.log(`worker on ${redact(connection)} (queue ${name ?? 'mailroom'}): ${adapters}, ${concurrency} at once; stop with Ctrl-C or SIGTERM`);
}
