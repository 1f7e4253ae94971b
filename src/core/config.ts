// The mailroom configuration file (`mailroom.config.{js,mjs,ts,json}`): where it is looked for, how
// it is loaded, and the schema it is validated against, so that a wrong option is one clear CONFIG
// error naming the option and what it expects. Used by the CLI and by integrations that read a file.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type Keyv from 'keyv';
import { z } from 'zod';
import type { MailAdapter } from './adapter.js';
import { addressProblem, type AddressInput } from './address.js';
import { checkDsnChain } from './dsn.js';
import { jsonSyntaxProblem } from './json-error.js';
import { durationMs } from './duration.js';
import { MailError } from './errors.js';
import { unknownName } from './known-options.js';
import type { MailerOptions } from './mailer.js';
import { namesAt } from './schema-names.js';
import { MAX_TIMER_MS } from './timeout.js';
import type { TemplateOptions } from '../templates/templates.js';
import type { AlertOptions } from '../alerts/options.js';
import { alertOptionsSchema } from '../alerts/schema.js';

/** File names looked for in the working directory, in this order. */
export const CONFIG_FILE_NAMES = ['mailroom.config.js', 'mailroom.config.mjs', 'mailroom.config.ts', 'mailroom.config.json'] as const;

/** What a configuration file holds: the mailer options that make sense outside code. */
export interface MailroomConfig {
  /** One adapter or `failover(a b c)`. Give this or `adapters`. */
  dsn?: string;
  /** Adapter objects (JavaScript and TypeScript configs only). */
  adapters?: MailAdapter[];
  /** Default sender. */
  from?: AddressInput;
  /** Reply-To when neither a message nor its template sets one. */
  replyTo?: AddressInput | AddressInput[];
  /**
   * The send journal: false turns it off; a string is the store (file path, sqlite://, redis://,
   * postgres://, memory://); an object also sets `storeContent`, `encryptionKey` (else
   * MAILROOM_JOURNAL_KEY) and `ttlMs` (retention, a number of
   * milliseconds or a duration such as "30d"; 0 keeps entries forever). Default SQLite
   * `.mailroom/journal.sqlite`, kept 90 days.
   */
  journal?: false | string | Keyv | { store?: string | Keyv; storeContent?: boolean; ttlMs?: number; encryptionKey?: string };
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  cooldown?: { failures?: number; periodMs?: number };
  /** Longest one attempt may take. Default 30,000 ms. */
  timeoutMs?: number;
  /** Template options (`helpers` only in a .js/.mjs/.ts file). */
  templates?: TemplateOptions;
  limits?: { maxRecipients?: number; maxBytes?: number };
  /** Default "failover". */
  onAmbiguous?: 'failover' | 'stop';
  /** Failure alerts (README "Alerts"): channels, throttle, triggers, pending scan. */
  alerts?: AlertOptions;
}

const isAdapter = (value: unknown): value is MailAdapter =>
  typeof value === 'object' && value !== null && typeof (value as MailAdapter).name === 'string' && typeof (value as MailAdapter).send === 'function';

const isKeyv = (value: unknown): value is Keyv =>
  typeof value === 'object' && value !== null && typeof (value as Keyv).get === 'function' && typeof (value as Keyv).set === 'function';

const wholeNumber = (min: number) => z.number({ error: `expected a whole number of ${min} or more` }).int({ error: `expected a whole number of ${min} or more` }).min(min, { error: `expected a whole number of ${min} or more` });
// A wait given to setTimeout, which fires at once past its limit (the same check as createMailer's).
const timerMs = (min: number) => wholeNumber(min).max(MAX_TIMER_MS, { error: `expected at most ${MAX_TIMER_MS} ms (about 24 days, the longest wait a Node timer takes; past it the timer fires at once)` });

const keyvStore = z.custom<Keyv>(isKeyv);
const storeSchema = z.union([z.string().min(1), keyvStore], { error: 'expected a store: a file path, sqlite://, redis://, postgres:// or memory:// URL, or a Keyv instance' });

const retention = z.union([wholeNumber(0), z.string()], { error: 'expected milliseconds or a duration such as "30d"' }).transform((value, context) => {
  if (typeof value === 'number') return value;
  const ms = durationMs(value);
  if (ms === undefined) {
    context.addIssue({ code: 'custom', message: `expected milliseconds or a duration such as "30d", got "${value}"` });
    return z.NEVER;
  }
  return ms;
});

const addressSchema = z
  .union([z.string(), z.strictObject({ address: z.string(), name: z.string().optional() })], { error: 'expected an address such as "Shop <shop@example.com>" or { address, name }' })
  .superRefine((value, context) => {
    const address = typeof value === 'string' ? /<([^<>]*)>\s*$/.exec(value)?.[1] ?? value : value.address;
    const problem = addressProblem(address.trim());
    if (problem) context.addIssue({ code: 'custom', message: `expected an address such as "Shop <shop@example.com>": ${problem}` });
  });

const text = (what: string) => z.string({ error: `expected ${what}` });
const flag = z.boolean({ error: 'expected true or false' });

// TemplateOptions, as far as a file can hold them; `helpers` (functions) only from JS/TS files.
const templatesSchema = z.strictObject({
  dir: text('a folder path').optional(),
  builtinDir: z.union([z.string(), z.literal(false)], { error: 'expected a folder path or false' }).optional(),
  brand: z
    .strictObject({
      name: text('a name').optional(),
      logoUrl: text('an https URL').optional(),
      logoWidth: wholeNumber(1).optional(),
      color: text('a colour such as "#1f4e79"').optional(),
      address: text('a postal address').optional(),
      url: text('a URL').optional(),
    })
    .optional(),
  defaultLocale: text('a locale such as "en" or "fr-CA"').optional(),
  currency: text('an ISO 4217 currency such as "EUR"').optional(),
  timeZone: text('an IANA time zone such as "Europe/Paris"').optional(),
  strict: z
    .union([flag, z.strictObject({ subject: flag.optional(), required: flag.optional(), body: flag.optional() })], {
      error: 'expected true, false or { subject, required, body }',
    })
    .optional(),
  reloadOnChange: flag.optional(),
  reloadCheckMs: wholeNumber(0).optional(),
  helpers: z.record(z.string(), z.custom<(...args: unknown[]) => unknown>((value) => typeof value === 'function', { error: 'expected a function' })).optional(),
});

/** The schema every configuration file is checked against. Unknown options are errors (typos). */
export const mailroomConfigSchema = z
  .strictObject({
    dsn: z
      .string({ error: 'expected a DSN string such as "smtp://user:pass@host:587" or "failover(a b)"' })
      .superRefine((value, context) => {
        try {
          checkDsnChain(value);
        } catch (error) {
          // dsn.ts error messages show the DSN redacted, never its secrets.
          context.addIssue({ code: 'custom', message: error instanceof MailError ? error.detail : 'not a valid DSN' });
        }
      })
      .optional(),
    adapters: z.array(z.custom<MailAdapter>(isAdapter, { error: 'expected an adapter object with a name and send()' })).min(1, { error: 'expected at least one adapter' }).optional(),
    from: addressSchema.optional(),
    replyTo: z.union([addressSchema, z.array(addressSchema)]).optional(),
    journal: z
      .union(
        [
          z.literal(false),
          storeSchema,
          z.strictObject({
            store: storeSchema.optional(),
            storeContent: z.boolean({ error: 'expected true or false' }).optional(),
            ttlMs: retention.optional(),
            // Checked for its form when the journal opens (a CONFIG error that gives only its length).
            encryptionKey: z.string({ error: 'expected the key as a string (64 hex characters, or 32 bytes in base64)' }).optional(),
          }),
        ],
        { error: 'expected false, a store (file path or URL) or { store, storeContent, ttlMs, encryptionKey }' },
      )
      .optional(),
    retry: z.strictObject({ attempts: wholeNumber(1).optional(), baseDelayMs: timerMs(0).optional(), maxDelayMs: timerMs(0).optional() }).optional(),
    cooldown: z.strictObject({ failures: wholeNumber(1).optional(), periodMs: wholeNumber(0).optional() }).optional(),
    timeoutMs: timerMs(1).optional(),
    templates: templatesSchema.optional(),
    limits: z.strictObject({ maxRecipients: wholeNumber(1).optional(), maxBytes: wholeNumber(1).optional() }).optional(),
    onAmbiguous: z.enum(['failover', 'stop']).optional(),
    alerts: alertOptionsSchema.optional(),
  })
  .superRefine((value, context) => {
    if (value.dsn !== undefined && value.adapters !== undefined) {
      context.addIssue({ code: 'custom', path: ['adapters'], message: 'give either "dsn" or "adapters", not both' });
    }
  });

/** Identity helper that gives a JavaScript or TypeScript config file type checking. */
export function defineConfig(config: MailroomConfig): MailroomConfig {
  return config;
}

/**
 * Checks a configuration object; throws one CONFIG error listing every wrong option with what it
 * expects. `origin` (a file name) starts the message. Option values are never echoed, as they may be secrets.
 */
export function validateConfig(value: unknown, origin = 'configuration'): MailroomConfig {
  const result = mailroomConfigSchema.safeParse(value);
  if (result.success) return result.data as MailroomConfig;
  const describe = (issue: z.core.$ZodIssue, prefix: PropertyKey[]): string[] => {
    const segments = [...prefix, ...issue.path];
    const path = segments.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      // The same "did you mean" as createMailer's and the adapters' options (known-options.ts).
      const known = namesAt(mailroomConfigSchema, segments);
      const names = issue.keys.map((key) => unknownName(key, known, path ? `${path}.` : '')).join(', ');
      return [`unknown option ${names}${path ? '' : `; known options: ${known.join(', ')}`}`];
    }
    if (issue.code === 'invalid_union') {
      // When the value had the right shape for one alternative (an object for `journal`), what is
      // wrong inside it says more than the list of alternatives; a name that object does not
      // have, too.
      const inside = issue.errors.filter((branch) => branch.length > 0 && branch.every((nested) => nested.path.length > 0 || nested.code === 'unrecognized_keys'));
      if (inside.length === 1) return inside[0]!.flatMap((nested) => describe(nested, [...prefix, ...issue.path]));
    }
    const expected = issue.message.replace(/^Invalid (input|option): /, '');
    return [path ? `option "${path}": ${expected}` : expected];
  };
  const problems = result.error.issues.flatMap((issue) => describe(issue, []));
  const remedy = dsnRemedyOf(value);
  throw new MailError('CONFIG', `${origin}: ${problems.join('; ')}`, remedy ? { remedy } : {});
}

// The DSN's own remedy (smtps:// on 587: "write smtp://…:587, or smtps://…:465"), as --dsn and
// MAILROOM_DSN give it. Without it the message alone was matched against the catalogue, which
// answered a TLS handshake failure's remedy, down to "set requireTLS=false".
function dsnRemedyOf(value: unknown): string | undefined {
  const dsn = typeof value === 'object' && value !== null ? (value as { dsn?: unknown }).dsn : undefined;
  if (typeof dsn !== 'string') return undefined;
  try {
    checkDsnChain(dsn);
  } catch (error) {
    if (error instanceof MailError) return error.specificRemedy;
  }
  return undefined;
}

/** The first configuration file found in `cwd`, if any. */
export function findConfigFile(cwd: string = process.cwd()): string | undefined {
  return CONFIG_FILE_NAMES.map((name) => join(cwd, name)).find((file) => existsSync(file));
}

/**
 * Loads and validates a configuration file. `.js`/`.mjs` files are imported (their default export,
 * an object or a function returning one); `.json` is parsed; `.ts` needs the `tsx` package.
 */
export interface LoadConfigOptions {
  /**
   * Called with the CONFIG error of a `dsn` the file gives but that cannot be read, instead of
   * failing the whole file: for what sends nothing (`mailroom journal`, `queue`), which a typo in
   * the DSN must not lock out. The file's other options are still checked; `dsn` is then left out.
   */
  onUnreadableDsn?: (error: MailError) => void;
}

export async function loadConfigFile(file: string, options: LoadConfigOptions = {}): Promise<MailroomConfig> {
  const path = resolve(file);
  const name = basename(path);
  if (!existsSync(path)) throw new MailError('CONFIG', `the configuration file ${file} does not exist`);
  let value: unknown;
  if (path.endsWith('.json')) {
    const text = await readFile(path, 'utf8');
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new MailError('CONFIG', `${name} is not valid JSON: ${jsonSyntaxProblem(error, text)}`, { cause: error });
    }
  } else if (/\.(c|m)?js$/.test(path)) {
    value = await importConfig(() => import(pathToFileURL(path).href), name);
  } else if (/\.(c|m)?ts$/.test(path)) {
    const api = (await import('tsx/esm/api').catch(() => undefined)) as { tsImport: (specifier: string, parent: string) => Promise<unknown> } | undefined;
    if (!api) {
      throw new MailError('CONFIG', `${name} is TypeScript, which needs the "tsx" package: run npm install --save-dev tsx, or use mailroom.config.mjs or .json`);
    }
    value = await importConfig(() => api.tsImport(pathToFileURL(path).href, import.meta.url), name);
  } else {
    throw new MailError('CONFIG', `${name}: a configuration file ends in .js, .mjs, .ts or .json`);
  }
  const dsn = typeof value === 'object' && value !== null ? (value as { dsn?: unknown }).dsn : undefined;
  if (options.onUnreadableDsn && typeof dsn === 'string') {
    try {
      checkDsnChain(dsn);
    } catch (error) {
      if (!(error instanceof MailError)) throw error;
      options.onUnreadableDsn(new MailError('CONFIG', `${name}: option "dsn": ${error.detail}`, { cause: error, ...(error.specificRemedy ? { remedy: error.specificRemedy } : {}) }));
      const { dsn: _unreadable, ...rest } = value as Record<string, unknown>;
      return validateConfig(rest, name);
    }
  }
  return validateConfig(value, name);
}

async function importConfig(load: () => Promise<unknown>, name: string): Promise<unknown> {
  let module: { default?: unknown };
  try {
    module = (await load()) as { default?: unknown };
  } catch (error) {
    throw new MailError('CONFIG', `${name} could not be loaded: ${(error as Error).message}`, { cause: error });
  }
  let exported: unknown = module.default ?? module;
  // A .ts file outside an ESM package is loaded as CommonJS, whose export arrives wrapped once more.
  if (typeof exported === 'object' && exported !== null && 'default' in exported) exported = (exported as { default: unknown }).default;
  return typeof exported === 'function' ? (exported as () => unknown)() : exported;
}

/** The mailer options a configuration stands for. */
export function toMailerOptions(config: MailroomConfig): MailerOptions {
  return { ...config };
}
