#!/usr/bin/env node
// The `mailroom` command. Each command lives in commands/<name>.ts and registers itself here.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { MailError } from '../core/errors.js';
import { register as registerAlerts } from './commands/alerts.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerEvents } from './commands/events.js';
import { register as registerExplain } from './commands/explain.js';
import { register as registerJournal } from './commands/journal.js';
import { register as registerPreview } from './commands/preview.js';
import { register as registerQueue } from './commands/queue.js';
import { register as registerWorker } from './commands/worker.js';
import { register as registerResend } from './commands/resend.js';
import { register as registerSend } from './commands/send.js';
import { register as registerTest } from './commands/test.js';
import { register as registerVerify } from './commands/verify.js';
import { printError } from './output.js';
import { printWarningsOnce } from './warnings.js';

printWarningsOnce();

// Output into a pipe whose reader has gone (`mailroom journal | head -1`): the rest of the output has
// nowhere to go, but the command still finishes what it does (a resend is not cut off halfway) and
// no EPIPE stack trace is printed.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

const program = new Command('mailroom')
  .description('Send mail through any provider with a fallback chain, a send journal and templates.')
  .version(packageVersion())
  .showHelpAfterError('(run with --help for usage)');

registerSend(program);
registerJournal(program);
registerTest(program);
registerVerify(program);
registerResend(program);
registerExplain(program);
registerDoctor(program);
registerPreview(program);
registerAlerts(program);
registerQueue(program);
registerWorker(program);
registerEvents(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  printError(error instanceof MailError ? error : new MailError('CONFIG', (error as Error).message ?? String(error), { cause: error }));
  process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
});

// package.json sits at the package root: ../../ from src/cli/, ../../../ from dist/src/cli/.
function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'mailroom-js' && manifest.version) return manifest.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

