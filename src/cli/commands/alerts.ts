// `mailroom alerts test`: one test alert through every channel of the configuration's `alerts`
// option, unthrottled, with each channel's result; a channel that fails shows its error and remedy.
import { EventEmitter } from 'node:events';
import type { Command } from 'commander';
import { attachAlerts } from '../../alerts/alerts.js';
import { dsnSecrets } from '../../core/dsn.js';
import { MailError } from '../../core/errors.js';
import { createMailer } from '../../core/mailer.js';
import { addCommonOptions, addTimeoutOption, loadContext, mailerOptions, timeoutOverride, type CommonOptions } from '../context.js';
import { elapsed, printJson, printTable } from '../output.js';

interface AlertsTestOptions extends CommonOptions {
  json?: boolean;
  timeout?: string;
}

export function register(program: Command): void {
  const alerts = program.command('alerts').description('failure alerts (email, Slack, Teams, Discord, signed webhook)');
  addTimeoutOption(addCommonOptions(
    alerts
      .command('test')
      .description('send one test alert through each configured alert channel and print each result')
      .option('--json', 'print the results as JSON'),
  ))
    .addHelpText('after', `
The channels come from the "alerts" option of the configuration file (README "Alerts").
Exits with 1 when any channel failed.

Examples:
  $ mailroom alerts test
  $ mailroom alerts test --config ./mailroom.config.mjs --json`)
    .action(async (options: AlertsTestOptions) => {
      const context = await loadContext(options);
      const { alerts: alertOptions, ...config } = mailerOptions(context, { journal: false, ...timeoutOverride(options) });
      if (!alertOptions) {
        throw new MailError('CONFIG', `no alert channel is configured${context.file ? ` in ${context.file}` : ' (no configuration file was found)'}`, {
          remedy: 'Add alerts: { channels: [{ type: "slack", url: "https://hooks.slack.com/services/..." }] } to mailroom.config.mjs or .json (README "Alerts").',
        });
      }
      const mailer = createMailer(config);
      const monitor = attachAlerts(new EventEmitter(), { ...alertOptions, pendingOlderThanMinutes: 0, ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}) }, {
        adapters: mailer.adapters,
        ...(config.from !== undefined ? { from: config.from } : {}),
        secrets: config.dsn ? dsnSecrets(config.dsn) : [],
      });
      try {
        const results = await monitor.test();
        if (options.json) {
          printJson(results.map(({ error, ...row }) => ({ ...row, ...(error ? { error: error.toAttemptError() } : {}) })));
        } else {
          printTable(['CHANNEL', 'RESULT', 'TIME'], results.map((row) => [row.channel, row.ok ? 'sent' : 'failed', elapsed(row.durationMs)]));
          for (const row of results.filter((candidate) => candidate.error)) {
            const error = row.error!;
            process.stdout.write(`\n${row.channel} failed: ${[error.code, error.status].filter((part) => part !== undefined).join(' ')}\n  ${error.message}\n  remedy: ${error.remedy}\n`);
          }
          const failed = results.filter((row) => !row.ok).length;
          process.stdout.write(`\n${failed === 0 ? `all ${results.length} alert channel(s) sent` : `${failed} of ${results.length} alert channel(s) failed`}\n`);
        }
        if (results.some((row) => !row.ok)) process.exitCode = 1;
      } finally {
        await monitor.close();
        await mailer.close();
      }
    });
}
