// `mailroom test --to ADDR`: sends the built-in `test-email` template through each adapter of the
// chain on its own (no failover), so one run shows which adapters deliver today and what to do about
// the others. Each test email is journaled like any other message.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { MailAdapter } from '../../core/adapter.js';
import { formatAddress, parseAddress } from '../../core/address.js';
import { diagnose } from '../../core/diagnose.js';
import { MailError, toMailError } from '../../core/errors.js';
import { checkDsnChain } from '../../core/dsn.js';
import { createMailer, type MailerOptions } from '../../core/mailer.js';
import { adaptersOfDsn } from '../../core/mailer/chain-setup.js';
import { checksSummary, printChecks, type CheckResult } from '../checks.js';
import { addCommonOptions, addTimeoutOption, loadContext, mailerOptions, reportJournalErrors, requireSender, timeoutOverride, type CommonOptions } from '../context.js';
import { printJson } from '../output.js';
import { showProgress } from '../progress.js';

interface TestOptions extends CommonOptions {
  to: string;
  adapter?: string;
  json?: boolean;
  timeout?: string;
}

export function register(program: Command): void {
  addTimeoutOption(addCommonOptions(
    program
      .command('test')
      .description('send a test email through each adapter of the chain separately and report each result')
      .requiredOption('--to <address>', 'who receives the test email(s)')
      .option('--adapter <name>', 'only this adapter of the chain (names as in `mailroom verify`)')
      .option('--json', 'print the results as JSON'),
  ))
    .addHelpText('after', `
One test email per adapter, no failover between them: a failing adapter shows up as failed even
when the next one would have carried the message. Exits with 1 when any adapter failed.

Examples:
  $ mailroom test --to you@example.com
  $ mailroom test --to you@example.com --adapter office365
  $ mailroom test --to you@example.com --dsn "failover(office365+oauth://shop%40corp.com@TENANT?client_id=..&client_secret=.. brevo+api://KEY@default)"`)
    .action(async (options: TestOptions) => {
      const context = await loadContext(options);
      // The chain's adapters, each then owned (and closed) by the mailer that tests it alone.
      const adapters = await chainAdapters(mailerOptions(context));
      const selected = options.adapter ? adapters.filter((adapter) => adapter.name === options.adapter) : adapters;
      try {
        if (selected.length === 0) {
          throw new MailError('CONFIG', `--adapter: the chain has no adapter named "${options.adapter}"; it has ${adapters.map((adapter) => adapter.name).join(', ')}`);
        }
        requireSender(context, adapters);
      } catch (error) {
        await Promise.allSettled(adapters.map((adapter) => adapter.close?.()));
        throw error;
      }
      await Promise.allSettled(adapters.filter((adapter) => !selected.includes(adapter)).map((adapter) => adapter.close?.()));
      const results: CheckResult[] = [];
      for (const adapter of selected) {
        results.push(await sendTest(adapter, adapters, options.to, context, timeoutOverride(options)));
      }
      if (options.json) printJson(results);
      else {
        printChecks(results, { providerIds: true });
        process.stdout.write(`\n${checksSummary(results, 'sent the test email')}${results.some((row) => row.entryId) ? '; `mailroom journal` lists them' : ''}\n`);
      }
      if (results.some((row) => !row.ok)) process.exitCode = 1;
    });
}

// The adapters of the configured chain, built as the mailer builds them (DSN names made unique).
async function chainAdapters(options: MailerOptions): Promise<MailAdapter[]> {
  if (options.adapters) return options.adapters;
  checkDsnChain(options.dsn!);
  return adaptersOfDsn(options.dsn!);
}

async function sendTest(adapter: MailAdapter, chain: MailAdapter[], to: string, context: Awaited<ReturnType<typeof loadContext>>, timeout: Partial<MailerOptions>): Promise<CheckResult> {
  // Without a configured sender, an adapter that signs in as a mailbox sends as it (Office 365
  // refuses any other From); the others as the chain would, from its first mailbox.
  const mailbox = adapter.mailbox ?? chain.find((one) => one.mailbox)?.mailbox;
  const from = context.config.from ?? mailbox!;
  // A mailer of this one adapter, which it closes. One attempt: the point is to see how this
  // adapter answers now, not to wait through backoff.
  const mailer = reportJournalErrors(createMailer(mailerOptions(context, { adapters: [adapter], dsn: undefined, from, retry: { attempts: 1 }, ...timeout })));
  const stopProgress = showProgress(mailer);
  let failedEntry: string | undefined;
  mailer.on('failed', (_error, entryId) => {
    failedEntry = entryId;
  });
  const started = performance.now();
  try {
    const result = await mailer.send({
      to,
      template: {
        name: 'test-email',
        data: {
          adapter: adapter.name,
          chain: chain.map((one) => one.name),
          time: new Date().toISOString(),
          host: hostname(),
          from: formatAddress(parseAddress(from, 'from')),
        },
      },
    });
    return {
      adapter: adapter.name,
      result: 'sent',
      ok: true,
      durationMs: Math.round(performance.now() - started),
      ...(result.providerMessageId ? { providerMessageId: result.providerMessageId } : {}),
      entryId: result.id,
    };
  } catch (thrown) {
    const error = toMailError(thrown, { provider: adapter.name });
    // ALL_FAILED from a one-adapter chain says less than the adapter's own error.
    const last = error.attempts?.at(-1)?.error;
    return {
      adapter: adapter.name,
      result: 'failed',
      ok: false,
      durationMs: Math.round(performance.now() - started),
      ...(failedEntry ? { entryId: failedEntry } : {}),
      error: last ?? diagnose(error).toAttemptError(),
    };
  } finally {
    stopProgress();
    await mailer.close();
  }
}
