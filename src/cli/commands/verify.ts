// `mailroom verify`: checks every adapter of the chain without sending anything (SMTP: connect,
// STARTTLS, AUTH; APIs: the credentials; OAuth2: a token), and prints the same table as `test`.
import type { Command } from 'commander';
import { createMailer } from '../../core/mailer.js';
import { checksSummary, printChecks, type CheckResult } from '../checks.js';
import { addCommonOptions, addTimeoutOption, loadContext, mailerOptions, timeoutOverride, type CommonOptions } from '../context.js';
import { printJson } from '../output.js';
import { showProgress } from '../progress.js';

interface VerifyOptions extends CommonOptions {
  json?: boolean;
  timeout?: string;
}

export function register(program: Command): void {
  addTimeoutOption(addCommonOptions(
    program
      .command('verify')
      .description('check every adapter of the chain (connection, TLS, credentials) without sending')
      .option('--json', 'print the results as JSON'),
  ))
    .addHelpText('after', `
Exits with 1 when any adapter failed its check. To also deliver a message, use \`mailroom test\`.

Examples:
  $ mailroom verify
  $ MAILROOM_DSN="office365://shop%40corp.com:PASSWORD@default" mailroom verify
  $ mailroom verify --dsn "failover(smtp://user:pass@mail.example.com:587 brevo+api://KEY@default)" --json
  $ mailroom verify --timeout 10s`)
    .action(async (options: VerifyOptions) => {
      const context = await loadContext(options);
      const mailer = createMailer(mailerOptions(context, { journal: false, ...timeoutOverride(options) }));
      const stopProgress = showProgress(mailer);
      try {
        const adapters = await mailer.adapters();
        const checked = await mailer.verify();
        const results: CheckResult[] = checked.map((outcome, index) => {
          const checkable = typeof adapters[index]?.verify === 'function';
          return {
            adapter: outcome.adapter,
            result: !checkable ? 'not checked (the adapter has no check)' : outcome.ok ? 'ok' : 'failed',
            ok: outcome.ok,
            durationMs: outcome.durationMs,
            ...(outcome.error ? { error: outcome.error.toAttemptError() } : {}),
          };
        });
        if (options.json) printJson(results);
        else {
          printChecks(results, { providerIds: false });
          process.stdout.write(`\n${checksSummary(results, 'ok')}\n`);
        }
        if (results.some((row) => !row.ok)) process.exitCode = 1;
      } finally {
        stopProgress();
        await mailer.close();
      }
    });
}
