// `mailroom explain "<text>"`: looks any failure text (an SMTP reply, a provider's error body, an
// error line from a log, an AADSTS message) up in the diagnosis catalogue and prints the MailError
// code it gets, what it means and what to do.
import type { Command } from 'commander';
import { explain, type Diagnosis } from '../../core/diagnose.js';
import { MailError } from '../../core/errors.js';
import { printJson } from '../output.js';

interface ExplainOptions {
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('explain')
    .description('explain an error message, SMTP reply or provider error: its code and what to do about it')
    .argument('[text...]', 'the error text; "-" or nothing reads it from standard input')
    .option('--json', 'print the diagnosis as JSON')
    .addHelpText('after', `
Prints the rule that matched, the MailError code the failure gets (AUTH, RATE_LIMITED, TRANSIENT,
REJECTED, CONFIG or AMBIGUOUS: what the fallback chain does with it), its meaning, the remedy and
whether retrying can help. Exits with 1 when the catalogue knows nothing about the text.

Examples:
  $ mailroom explain "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."
  $ mailroom explain '{"code":"unauthorized","message":"Key not found"}'
  $ mailroom explain 550 5.7.60 SMTP\\; Client does not have permissions to send as this sender
  $ grep "5\\.7\\." app.log | tail -1 | mailroom explain -`)
    .action(async (words: string[], options: ExplainOptions) => {
      const text = words.length === 0 || (words.length === 1 && words[0] === '-') ? await readStdin() : words.join(' ');
      if (!text.trim()) {
        // Its own remedy: the catalogue would read the example in the message as the failure to explain.
        throw new MailError('CONFIG', 'give the error text to explain, e.g. mailroom explain "535 5.7.3 Authentication unsuccessful"', {
          remedy: 'Pass the error message, SMTP reply or provider answer as arguments (quoted), or pipe it on standard input: grep "5\\.7\\." app.log | tail -1 | mailroom explain -',
        });
      }
      const diagnosis = explain(text);
      if (options.json) printJson(diagnosis ? { matched: true, ...diagnosis } : { matched: false });
      else if (diagnosis) {
        process.stdout.write(`${diagnosis.rule}\n`);
        process.stdout.write(`code:    ${diagnosis.code}\n`);
        process.stdout.write(`meaning: ${diagnosis.meaning}\n`);
        process.stdout.write(`remedy:  ${diagnosis.remedy}\n`);
        process.stdout.write(`retry:   ${retryAdvice(diagnosis)}\n`);
      } else {
        process.stdout.write('no diagnosis: the catalogue does not recognise this text.\n');
        process.stdout.write('Paste the full reply including its codes (e.g. "535 5.7.139 ..."), or run `mailroom doctor` to check the configuration.\n');
      }
      if (!diagnosis) process.exitCode = 1;
    });
}

// A limit that resets (a daily quota) is not a final refusal: it is "later", not "no".
function retryAdvice(diagnosis: Diagnosis): string {
  if (diagnosis.retry) return 'yes, retrying later can succeed (mailroom retries, then tries the next adapter)';
  if (diagnosis.code === 'RATE_LIMITED') return 'later, once the limit resets; not through this adapter before (the chain uses the next adapter meanwhile)';
  if (diagnosis.code === 'AMBIGUOUS') return 'not blindly: the message may have been delivered, check before sending it again';
  return 'no, retrying will fail the same way until this is fixed';
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
