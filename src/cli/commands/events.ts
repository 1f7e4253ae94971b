// `mailroom events replay FILE --provider P`: runs a saved webhook payload (from a support case,
// a provider's dashboard, a log) through the same parser the webhook handler uses, prints the
// events it holds and records them in the journal (unless --dry-run). The file comes from the
// operator's own disk, not the network, so its signature is not checked: a stale Mailgun
// signature or an SNS envelope from last week replays as it is. Duplicates are recognized.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { MailError } from '../../core/errors.js';
import { parseWebhookBody, WEBHOOK_PROVIDERS, type WebhookProvider } from '../../events/handler.js';
import type { TrackingEvent } from '../../events/types.js';
import { WebhookError } from '../../events/webhook-error.js';
import type { DeliveryOutcome } from '../../journal/delivery.js';
import { eventKey } from '../../journal/delivery-state.js';
import { addCommonOptions, mailerFromOptions, type CommonOptions } from '../context.js';
import { printJson, printTable, shortTime, truncate } from '../output.js';

interface ReplayOptions extends CommonOptions {
  provider?: string;
  contentType?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const events = program.command('events').description('provider delivery events (webhooks): see README "Delivery events"');
  addCommonOptions(
    events
      .command('replay')
      .description('record the events of a saved webhook payload in the journal, as the webhook endpoint would have')
      .argument('<file>', 'the request body as the provider sent it (JSON, or form-encoded for SMTP2GO)')
      .option('--provider <name>', `who sent it: ${WEBHOOK_PROVIDERS.join(', ')}`)
      .option('--content-type <type>', 'the body\'s content type (default: form-encoded when the body is not JSON)')
      .option('--dry-run', 'print the events without recording them')
      .option('--json', 'print the outcome as JSON'),
  )
    .addHelpText('after', `
Examples:
  $ mailroom events replay mailgun-bounce.json --provider mailgun
  $ mailroom events replay sns-notification.json --provider ses --dry-run
  $ mailroom events replay brevo-batch.json --provider brevo --journal /var/lib/shop/mail.sqlite`)
    .action(async (file: string, options: ReplayOptions) => {
      const provider = options.provider as WebhookProvider | undefined;
      if (!provider || !WEBHOOK_PROVIDERS.includes(provider)) {
        throw new MailError('CONFIG', `--provider must be one of ${WEBHOOK_PROVIDERS.join(', ')}, got ${options.provider ? `"${options.provider}"` : 'nothing'}`);
      }
      let body: string;
      try {
        // A byte-order mark (a file saved as "UTF-8 with BOM" by Notepad or PowerShell) is not part of the body.
        body = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
      } catch (error) {
        throw new MailError('CONFIG', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
      }
      const contentType = options.contentType ?? (/^\s*[[{]/.test(body) ? 'application/json' : 'application/x-www-form-urlencoded');
      let parsed: TrackingEvent[];
      try {
        parsed = parseWebhookBody(provider, body, contentType);
      } catch (error) {
        if (!(error instanceof WebhookError)) throw error;
        throw new MailError('CONFIG', `${file} is not a ${provider} webhook payload: ${error.message}`, {
          remedy: 'Save the request body exactly as the provider posted it (for SES, the SNS envelope or the SES record inside it).',
        });
      }
      const outcome = options.dryRun ? undefined : await record(options, parsed);
      const recorded = new Map(outcome?.recorded.map((event) => [eventKey(event), event.journalId]));
      const unmatched = new Set(outcome?.unmatched.map(eventKey));
      const rows = parsed.map((event) => {
        const key = eventKey(event);
        const result = !outcome ? 'dry run' : recorded.has(key) ? `recorded on ${recorded.get(key)}` : unmatched.has(key) ? 'no journal entry (kept)' : 'already recorded';
        return { event, result };
      });
      if (options.json) {
        return printJson({
          provider,
          events: rows.map(({ event, result }) => ({ ...event, result })),
          ...(outcome ? { recorded: outcome.recorded.length, unmatched: outcome.unmatched.length, duplicates: outcome.duplicates } : {}),
        });
      }
      printTable(
        ['EVENT', 'RECIPIENT', 'TIME (UTC)', 'PROVIDER ID', 'REASON', 'RESULT'],
        rows.map(({ event, result }) => [
          event.eventType,
          event.recipient ?? '-',
          shortTime(event.timestamp),
          truncate(event.providerMessageId ?? event.messageIdHeader ?? '-', 40),
          truncate([event.rejectReason, event.mtaResponse ?? event.description].filter(Boolean).join(': '), 50),
          result,
        ]),
      );
      if (parsed.length === 0) process.stdout.write('(no events in this payload)\n');
      if (outcome) process.stdout.write(`${outcome.recorded.length} recorded, ${outcome.duplicates} already recorded, ${outcome.unmatched.length} without a journal entry\n`);
    });
}

async function record(options: ReplayOptions, events: TrackingEvent[]): Promise<DeliveryOutcome> {
  // Events belong to entries the application journaled: a mistyped path is an error, not a new journal.
  const mailer = await mailerFromOptions(options, {}, { readsJournal: true, sends: false });
  try {
    return await mailer.journal.recordEvents(events);
  } finally {
    await mailer.close();
  }
}
