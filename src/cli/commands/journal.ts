// `mailroom journal`: the send journal as a readable table, newest first.
import type { Command } from 'commander';
import { MailError } from '../../errors.js';
import type { JournalStatus } from '../../journal.js';
import { addCommonOptions, mailerFromOptions, type CommonOptions } from '../context.js';
import { printTable, truncate } from '../output.js';

interface JournalCommandOptions extends CommonOptions {
  status?: string;
  limit: string;
  json?: boolean;
}

const STATUSES = ['pending', 'sent', 'failed'];

export function register(program: Command): void {
  addCommonOptions(
    program
      .command('journal')
      .description('list journaled messages, newest first')
      .option('--status <status>', 'only pending, sent or failed entries')
      .option('--limit <n>', 'how many entries', '20')
      .option('--json', 'print entries as JSON'),
  )
    .addHelpText('after', `
Examples:
  $ mailroom journal
  $ mailroom journal --status failed --limit 50`)
    .action(async (options: JournalCommandOptions) => {
      if (options.status && !STATUSES.includes(options.status)) {
        throw new MailError('CONFIG', `--status must be one of ${STATUSES.join(', ')}, got "${options.status}"`);
      }
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new MailError('CONFIG', `--limit must be a positive whole number, got "${options.limit}"`);
      const mailer = mailerFromOptions(options);
      try {
        const page = await mailer.journal.list({ ...(options.status ? { status: options.status as JournalStatus } : {}), limit });
        if (options.json) {
          process.stdout.write(`${JSON.stringify(page.entries, null, 2)}\n`);
          return;
        }
        printTable(
          ['ID', 'CREATED', 'STATUS', 'ADAPTER', 'TO', 'SUBJECT', 'ERROR'],
          page.entries.map((entry) => [
            entry.id,
            entry.createdAt.replace('T', ' ').slice(0, 19),
            entry.status,
            entry.adapter ?? '-',
            truncate(entry.summary.to.join(', '), 30),
            truncate(entry.summary.subject, 40),
            entry.error ? truncate(`${entry.error.code}: ${entry.error.message}`, 60) : '',
          ]),
        );
        if (page.entries.length === 0) process.stdout.write('(no entries)\n');
      } finally {
        await mailer.close();
      }
    });
}
