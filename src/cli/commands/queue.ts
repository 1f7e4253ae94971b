// `mailroom queue`: what the queue holds now (waiting, active, delayed, failed) and how many workers
// take from it, for the chain it delivers through.
import type { Command } from 'commander';
import { MailError } from '../../core/errors.js';
import { createMailer } from '../../core/mailer.js';
import { addCommonOptions, loadContext, mailerOptions, type CommonOptions } from '../context.js';
import { printJson, printTable } from '../output.js';
import { addQueueOption, queueFrom, type QueueFlag } from '../queue-option.js';
import { queuedCount, SendQueue, START_A_WORKER } from '../../queue/send-queue.js';

export function register(program: Command): void {
  addQueueOption(
    addCommonOptions(
      program
        .command('queue')
        .description('queue mode: messages waiting, active, delayed and failed, and the workers connected')
        .option('--json', 'print the counts as JSON'),
    ),
  )
    .addHelpText('after', `
Reads the queue only: nothing is sent and no journal is opened. Says "N queued, no worker connected"
when mail is not going out. Exits with 1 when the queue cannot be read (its server does not answer
within 5 s).

Examples:
  $ MAILROOM_QUEUE=redis://localhost:6379 mailroom queue
  $ mailroom queue --queue postgres://mail@db/shop --queue-name orders --json`)
    .action(async (flags: CommonOptions & QueueFlag & { json?: boolean }) => {
    const queue = queueFrom(flags);
    if (!queue) throw new MailError('CONFIG', 'no queue configured: pass --queue redis://… (or postgres://…) or set MAILROOM_QUEUE');
    // The queue alone is read: the chain only names the adapters (none when its DSN cannot be read),
    // and no journal is opened.
    const context = await loadContext(flags, process.env, process.cwd(), { sends: false });
    const sendQueue = new SendQueue(queue);
    const mailer = createMailer(mailerOptions(context, { journal: false }));
    try {
      const adapters = context.chainError ? [] : (await mailer.adapters().catch(() => [])).map((adapter) => adapter.name);
      // probe() gives up after 5 s with TRANSIENT and a remedy: a server that is down never makes the command wait for ever.
      const { counts, workers } = await sendQueue.probe();
      const row = { queue: sendQueue.describe(), adapters, ...counts, workers };
      if (flags.json) printJson(row);
      else {
        printTable(['queue', 'adapters', 'waiting', 'active', 'delayed', 'failed', 'workers'], [[row.queue, adapters.join(' -> '), counts.waiting, counts.active, counts.delayed, counts.failed, workers].map(String)]);
        // The one situation the table alone does not say loudly enough: mail is not going out.
        const queued = queuedCount(counts);
        if (queued > 0 && workers === 0) console.log(`\n${queued} queued, no worker connected: nothing is delivered until one starts; ${START_A_WORKER}`);
      }
    } finally {
      await Promise.all([mailer.close(), sendQueue.close()]);
    }
  });
}
