// `mailroom explain "<text>"`: looks any failure text (an SMTP reply, an error line from a log, an
// AADSTS message) up in the diagnosis catalogue and prints what it means and what to do.
import type { Command } from 'commander';
import { explain } from '../../diagnose.js';
import { MailError } from '../../errors.js';
import { printJson } from '../output.js';

interface ExplainOptions {
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('explain')
    .description('explain an error message or SMTP reply and say what to do about it')
    .argument('[text...]', 'the error text; "-" or nothing reads it from standard input')
    .option('--json', 'print the diagnosis as JSON')
    .addHelpText('after', `
Exits with 1 when the catalogue knows nothing about the text.

Examples:
  $ mailroom explain "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant."
  $ mailroom explain 550 5.7.60 SMTP\\; Client does not have permissions to send as this sender
  $ grep "5\\.7\\." app.log | tail -1 | mailroom explain -`)
    .action(async (words: string[], options: ExplainOptions) => {
      const text = words.length === 0 || (words.length === 1 && words[0] === '-') ? await readStdin() : words.join(' ');
      if (!text.trim()) throw new MailError('CONFIG', 'give the error text to explain, e.g. mailroom explain "535 5.7.3 Authentication unsuccessful"');
      const diagnosis = explain(text);
      if (options.json) printJson(diagnosis ? { matched: true, ...diagnosis } : { matched: false });
      else if (diagnosis) {
        process.stdout.write(`${diagnosis.rule}\n`);
        process.stdout.write(`meaning: ${diagnosis.meaning}\n`);
        process.stdout.write(`remedy:  ${diagnosis.remedy}\n`);
        process.stdout.write(`retry:   ${diagnosis.retry ? 'yes, retrying later can succeed' : 'no, retrying will fail the same way until this is fixed'}\n`);
      } else {
        process.stdout.write('no diagnosis: the catalogue does not recognise this text.\n');
        process.stdout.write('Paste the full reply including its codes (e.g. "535 5.7.139 ..."), or run `mailroom doctor` to check the configuration.\n');
      }
      if (!diagnosis) process.exitCode = 1;
    });
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
