// `mailroom test --to ADDR`: sends the built-in `test-email` template through each adapter of the
// chain on its own (no failover), so one run shows which adapters deliver today and what to do about
// the others. Each test email is journaled like any other message.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { MailAdapter } from '../../core/adapter.js';
import { formatAddress, parseAddress } from '../../core/address.js';
import { diagnose } from '../../core/diagnose.js';
import { MailError, toMailError } from '../../core/errors.js';
import { createMailer, type MailerOptions } from '../../core/mailer.js';
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
      // This mailer only creates the chain's adapters (and closes them at the end); it sends nothing.
      const chain = createMailer(mailerOptions(context, { journal: false }));
      try {
        const adapters = await chain.adapters();
        const selected = options.adapter ? adapters.filter((adapter) => adapter.name === options.adapter) : adapters;
        if (selected.length === 0) {
          throw new MailError('CONFIG', `--adapter: the chain has no adapter named "${options.adapter}"; it has ${adapters.map((adapter) => adapter.name).join(', ')}`);
        }
        requireSender(context, adapters);
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
      } finally {
        await chain.close();
      }
    });
}

async function sendTest(adapter: MailAdapter, chain: MailAdapter[], to: string, context: Awaited<ReturnType<typeof loadContext>>, timeout: Partial<MailerOptions>): Promise<CheckResult> {
  // A mailer of one adapter, lent without close(): the chain mailer above owns and closes it.
  // Without a configured sender, an adapter that signs in as a mailbox sends as it (Office 365
  // refuses any other From); the others as the chain would, from its first mailbox.
  const mailbox = adapter.mailbox ?? chain.find((one) => one.mailbox)?.mailbox;
  const lent: MailAdapter & { toString(): string } = {
    name: adapter.name,
    capabilities: adapter.capabilities,
    ...(mailbox ? { mailbox } : {}),
    send: (message, ctx) => adapter.send(message, ctx),
    ...(adapter.verify ? { verify: (ctx?: { signal?: AbortSignal }) => adapter.verify!(ctx) } : {}),
    toString: () => String(adapter),
  };
  // One attempt: the point is to see how this adapter answers now, not to wait through backoff.
  const mailer = reportJournalErrors(createMailer(mailerOptions(context, { adapters: [lent], dsn: undefined, retry: { attempts: 1 }, ...timeout })));
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
          from: formatAddress(parseAddress(context.config.from ?? mailbox!, 'from')),
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
