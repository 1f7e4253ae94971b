// `mailroom preview NAME --data FILE [--locale fr] [--out page.html]`: renders a template exactly as
// a send would (same lookup, layout, brand and strict checks) and shows it without sending anything.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { findConfigFile, loadConfigFile } from '../../core/config.js';
import { jsonSyntaxProblem } from '../../core/json-error.js';
import { MailError } from '../../core/errors.js';
import { createTemplateRenderer, type TemplateOptions } from '../../templates/templates.js';

interface PreviewOptions {
  data?: string;
  locale?: string;
  out?: string;
  dir?: string;
  mjml?: boolean;
  config?: string;
}

export function register(program: Command): void {
  program
    .command('preview')
    .description('render a template with data and show its subject, html and text part, without sending')
    .argument('[name]', 'template name; without one, the templates found are listed')
    .option('--data <file>', 'JSON file with the template data (default: NAME.LOCALE.sample.json or NAME.sample.json beside the template)')
    .option('--locale <locale>', 'locale variant and number/date formats, e.g. fr or fr-CA')
    .option('--out <file>', 'write the html there (the text part is then not printed)')
    .option('--dir <folder>', 'the app\'s template folder, searched before the built-ins (default: templates.dir of the config file)')
    .option('--mjml', 'print the MJML document the template compiles (layout applied) instead of rendering it')
    .option('--config <file>', 'configuration file (default: $MAILROOM_CONFIG, else mailroom.config.{js,mjs,ts,json} in this folder)')
    .addHelpText('after', `
Prints the subject (and reply-to when the template sets one), then the text part; with --out the
html goes to that file instead. A template or data error exits with 1 and says which file and line.

Examples:
  $ mailroom preview
  $ mailroom preview order-confirmation --data order.json --locale fr --out order.html
  $ mailroom preview contact-form --dir ./emails`)
    .action(async (name: string | undefined, options: PreviewOptions) => {
      const templates = await templateOptions(options);
      const renderer = createTemplateRenderer(templates);
      if (!name) {
        process.stdout.write(`${(await renderer.list()).join('\n')}\n`);
        return;
      }
      if (options.mjml) {
        const { file, mjml } = await renderer.source(name, options.locale);
        process.stdout.write(`<!-- ${file} -->\n${mjml}\n`);
        return;
      }
      const { file } = await renderer.source(name, options.locale);
      const data = await readData(options.data ?? sampleFor(file), options.data !== undefined);
      const rendered = await renderer.render(name, data, options.locale);
      process.stdout.write(`subject: ${rendered.subject}\n`);
      if (rendered.replyTo) process.stdout.write(`reply-to: ${rendered.replyTo}\n`);
      if (options.out) {
        try {
          await writeFile(options.out, rendered.html);
        } catch (error) {
          throw new MailError('CONFIG', `--out: cannot write ${path.resolve(options.out)}: ${(error as Error).message}`, {
            cause: error,
            remedy: 'Give --out a file in a folder that exists and this user can write (the folder is not created), e.g. --out ./order.html.',
          });
        }
        process.stdout.write(`html: ${path.resolve(options.out)} (${Buffer.byteLength(rendered.html)} bytes, from ${file})\n`);
      } else {
        process.stdout.write(`\n${rendered.text}`);
      }
    });
}

async function templateOptions(options: PreviewOptions): Promise<TemplateOptions> {
  const configFile = options.config ?? process.env.MAILROOM_CONFIG ?? findConfigFile(process.cwd());
  const fromConfig: TemplateOptions = configFile ? (await loadConfigFile(configFile)).templates ?? {} : {};
  return { ...fromConfig, ...(options.dir ? { dir: options.dir } : {}) };
}

// `order-confirmation.fr.mjml` -> `order-confirmation.fr.sample.json` in the same folder when it
// exists (a French preview shows French data), else `order-confirmation.sample.json`.
function sampleFor(templateFile: string): string {
  const [base, ...rest] = path.basename(templateFile).split('.');
  const locale = rest.length > 1 ? rest.slice(0, -1).join('.') : undefined;
  const sample = (name: string) => path.join(path.dirname(templateFile), name);
  if (locale && existsSync(sample(`${base}.${locale}.sample.json`))) return sample(`${base}.${locale}.sample.json`);
  return sample(`${base}.sample.json`);
}

async function readData(file: string, given: boolean): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (!given) return {};
    throw new MailError('CONFIG', `--data: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new MailError('CONFIG', `${file} is not valid JSON: ${jsonSyntaxProblem(error, text)}`, { cause: error });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new MailError('CONFIG', `${file} must hold a JSON object (the template data), not ${Array.isArray(data) ? 'an array' : typeof data}`);
  }
  return data as Record<string, unknown>;
}
