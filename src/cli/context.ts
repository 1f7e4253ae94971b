// What every command needs: the mailer built from --dsn / MAILROOM_DSN (default: the outbox) and
// the journal from --journal / MAILROOM_JOURNAL (default: .mailroom/journal.sqlite).
import type { Command } from 'commander';
import { createMailer, type Mailer } from '../mailer.js';

/** The options shared by commands that send or read the journal. */
export interface CommonOptions {
  dsn?: string;
  journal?: string;
  from?: string;
}

export function addCommonOptions(command: Command): Command {
  return command
    .option('--dsn <dsn>', 'adapter or failover(a b c) chain (default: $MAILROOM_DSN, else outbox://./outbox)')
    .option('--journal <store>', 'journal store: a file path, sqlite://, redis://, postgres:// or memory:// (default: $MAILROOM_JOURNAL, else .mailroom/journal.sqlite)')
    .option('--from <address>', 'sender when the message has none (default: $MAILROOM_FROM)');
}

export function mailerFromOptions(options: CommonOptions): Mailer {
  const dsn = options.dsn ?? process.env.MAILROOM_DSN;
  const journal = options.journal ?? process.env.MAILROOM_JOURNAL;
  const from = options.from ?? process.env.MAILROOM_FROM;
  return createMailer({
    ...(dsn ? { dsn } : {}),
    ...(journal ? { journal } : {}),
    ...(from ? { from } : {}),
  });
}
