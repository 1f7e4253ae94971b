#!/usr/bin/env node
// The `mailroom` command. Each command lives in commands/<name>.ts and registers itself here.
import { Command } from 'commander';
import { MailError } from '../errors.js';
import { register as registerJournal } from './commands/journal.js';
import { register as registerSend } from './commands/send.js';
import { printError } from './output.js';

const program = new Command('mailroom')
  .description('Send mail through any provider with a fallback chain, a send journal and templates.')
  .version(process.env.npm_package_version ?? '0.1.0')
  .showHelpAfterError('(run with --help for usage)');

registerSend(program);
registerJournal(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  printError(error instanceof MailError ? error : new MailError('CONFIG', (error as Error).message ?? String(error), { cause: error }));
  process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
});
