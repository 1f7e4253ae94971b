// `mailroom send`: one message from the command line, plain or from a template.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { MailError } from '../../core/errors.js';
import { jsonSyntaxProblem } from '../../core/json-error.js';
import type { MailMessage } from '../../core/message.js';
import { createMailer } from '../../core/mailer.js';
import { addCommonOptions, addTimeoutOption, loadContext, mailerOptions, reportJournalErrors, requireSender, timeoutOverride, type CommonOptions } from '../context.js';
import { printJson } from '../output.js';
import { showProgress } from '../progress.js';

interface SendOptions extends CommonOptions {
  to: string[];
  cc?: string[];
  bcc?: string[];
  replyTo?: string;
  subject?: string;
  text?: string;
  html?: string;
  template?: string;
  data?: string;
  locale?: string;
  idempotencyKey?: string;
  json?: boolean;
  timeout?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  addTimeoutOption(addCommonOptions(
    program
      .command('send')
      .description('send one message through the configured chain and journal it')
      .requiredOption('--to <address>', 'recipient (repeat for more)', collect)
      .option('--cc <address>', 'copy recipient (repeat for more)', collect)
      .option('--bcc <address>', 'blind copy recipient (repeat for more)', collect)
      .option('--reply-to <address>', 'Reply-To address')
      .option('--subject <text>', 'subject (a template gives its own)')
      .option('--text <text>', 'plain-text body')
      .option('--html <html>', 'html body')
      .option('--template <name>', 'render this template (see `mailroom preview`)')
      .option('--data <file>', 'JSON file with the template data')
      .option('--locale <locale>', 'template locale, e.g. fr')
      .option('--idempotency-key <key>', 'send at most once per key')
      .option('--json', 'print the result as JSON'),
  ))
    .addHelpText('after', `
Examples:
  $ mailroom send --to ann@example.com --subject "Hello" --text "It works"
  $ mailroom send --to ann@example.com --template order-confirmation --data order.json --locale fr
  $ MAILROOM_DSN="failover(brevo+api://KEY@default smtp://user:pass@smtp.example.com:587)" mailroom send --to ann@example.com --text hi`)
    .action(async (options: SendOptions) => {
      if (!options.template && options.text === undefined && options.html === undefined) {
        throw new MailError('INVALID_MESSAGE', 'give --text, --html or --template');
      }
      // Without a template they would be dropped in silence (a forgotten --template sends the bare text).
      for (const flag of ['data', 'locale'] as const) {
        if (options[flag] !== undefined && !options.template) throw new MailError('CONFIG', `--${flag} goes with --template: give --template NAME, or leave --${flag} out`);
      }
      const data = options.data ? await readJson(options.data) : undefined;
      const message: MailMessage = {
        to: options.to,
        ...(options.cc ? { cc: options.cc } : {}),
        ...(options.bcc ? { bcc: options.bcc } : {}),
        ...(options.replyTo ? { replyTo: options.replyTo } : {}),
        ...(options.subject !== undefined ? { subject: options.subject } : {}),
        ...(options.text !== undefined ? { text: options.text } : {}),
        ...(options.html !== undefined ? { html: options.html } : {}),
        ...(options.template ? { template: { name: options.template, ...(data ? { data } : {}), ...(options.locale ? { locale: options.locale } : {}) } } : {}),
        ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
      };
      const context = await loadContext(options);
      const mailer = reportJournalErrors(createMailer(mailerOptions(context, timeoutOverride(options))));
      const stopProgress = showProgress(mailer);
      // The entry a failed send was journaled as, for the lines that say how to resend it.
      let failedEntry: string | undefined;
      let journalFailed = context.config.journal === false;
      mailer.on('failed', (_error, entryId) => (failedEntry = entryId));
      mailer.on('journal-error', () => (journalFailed = true));
      try {
        requireSender(context, await mailer.adapters());
        const result = await mailer.send(message).catch((error: unknown) => {
          if (failedEntry !== undefined && !journalFailed && error instanceof MailError) reportFailedEntry(error, failedEntry, Boolean(options.json));
          throw error;
        });
        if (options.json) {
          printJson(result);
        } else {
          process.stdout.write(`sent ${result.id} via ${result.adapter}${result.deduplicated ? ' (already sent earlier: nothing sent now)' : ''}\n`);
          process.stdout.write(`  message-id: ${result.messageId}\n`);
          if (result.providerMessageId) process.stdout.write(`  provider id: ${result.providerMessageId}\n`);
          const journaled = await mailer.journal.describe().catch(() => (context.config.journal === false ? 'off' : 'not written (the journal failed: see the warning on stderr)'));
          process.stdout.write(`  journal: ${journaled}\n`);
          for (const warning of result.warnings) process.stdout.write(`  warning: ${warning}\n`);
        }
      } finally {
        stopProgress();
        await mailer.close();
      }
    });
}

// A send that failed is in the journal: its id, so that the message is one command away from a
// resend; with --json the same on stdout, as `test` and `resend` report a failure.
function reportFailedEntry(error: MailError, entryId: string, json: boolean): void {
  if (json) printJson({ id: entryId, status: 'failed', error: error.toAttemptError(), attempts: error.attempts ?? [] });
  process.exitCode = 1;
  // Said last, below the error and its remedy that the command's caller prints (main.ts).
  process.on('exit', () => process.stderr.write(`journaled as ${entryId}: \`mailroom journal show ${entryId}\` says why, \`mailroom resend ${entryId}\` sends it again\n`));
}

async function readJson(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new MailError('CONFIG', `cannot read the data file ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    // Template data may hold a reset link or a token: the error says where, never what.
    throw new MailError('CONFIG', `the data file ${file} is not valid JSON: ${jsonSyntaxProblem(error, text)}`, { cause: error });
  }
}
