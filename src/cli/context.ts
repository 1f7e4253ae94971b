// What every command needs: the configuration, found and merged once. Precedence, highest first:
// the command's flags (--dsn, --journal, --from), the environment (MAILROOM_DSN, MAILROOM_JOURNAL,
// MAILROOM_FROM), then the configuration file (--config, MAILROOM_CONFIG, or mailroom.config.* in
// the working directory). With none of them the mailer's defaults apply (outbox, SQLite journal).
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import type Keyv from 'keyv';
import { findConfigFile, loadConfigFile, toMailerOptions, type MailroomConfig } from '../core/config.js';
import { checkDsnChain, redactDsn } from '../core/dsn.js';
import { MailError, remedyApart } from '../core/errors.js';
import { FULL_CAPABILITIES, type MailAdapter } from '../core/adapter.js';
import { parseAddress, type AddressInput } from '../core/address.js';
import { createMailer, DEFAULT_DSN, type Mailer, type MailerOptions } from '../core/mailer.js';
import { implicitOutboxRefusal } from '../core/mailer/chain-setup.js';
import { DEFAULT_JOURNAL_PATH } from '../journal/journal-store.js';
import { sqliteJournalPath } from '../journal/journal-file.js';
import { parseDuration } from '../core/duration.js';
import { MAX_TIMER_MS } from '../core/timeout.js';

/** The options shared by commands that send or read the journal. */
export interface CommonOptions {
  dsn?: string;
  journal?: string;
  from?: string;
  config?: string;
}

/** The configuration a command runs with, and where each part came from (for `doctor`). */
export interface CliContext {
  config: MailroomConfig;
  /** The configuration file read, if any. */
  file?: string;
  /** "the --dsn option", "MAILROOM_DSN", "the config file ./mailroom.config.json", "the default" or "not set". */
  sources: { dsn: string; journal: string; from: string };
  /** The DSN in effect, redacted; undefined when the chain is given as adapter objects. */
  redactedDsn?: string;
  /**
   * For a command that does not send: why the DSN of the flag or MAILROOM_DSN cannot be read. The
   * command runs without the chain (a DSN meant for the application's mail must not keep an operator
   * from reading the journal or the queue), after one warning on stderr.
   */
  chainError?: MailError;
}

/** What a command does with the configuration: `sends: false` for one that only reads (journal, queue). */
export interface ContextUse {
  sends?: boolean;
}

export function addCommonOptions(command: Command): Command {
  return command
    .option('--dsn <dsn>', 'adapter or failover(a b c) chain (default: $MAILROOM_DSN, else the config file, else outbox://./outbox)')
    .option('--journal <store>', `journal store: a file path, sqlite://, redis://, postgres:// or memory://, or off (default: $MAILROOM_JOURNAL, else the config file, else ${DEFAULT_JOURNAL_PATH})`)
    .option('--from <address>', 'sender when the message has none (default: $MAILROOM_FROM, else the config file)')
    .option('--config <file>', 'configuration file (default: $MAILROOM_CONFIG, else mailroom.config.{js,mjs,ts,json} in this folder)');
}

/** `--timeout`, for the commands that wait on adapters (send, test, verify). */
export function addTimeoutOption(command: Command): Command {
  return command.option('--timeout <duration>', 'longest one attempt or check may take, e.g. 10s (default: timeoutMs in the config file, else 30s)');
}

/** The mailer option for `--timeout`, when given. */
export function timeoutOverride(options: { timeout?: string }): Partial<MailerOptions> {
  if (options.timeout === undefined) return {};
  const timeoutMs = parseDuration(/^\d+$/.test(options.timeout) ? `${options.timeout}s` : options.timeout, '--timeout');
  if (timeoutMs < 1) throw new MailError('CONFIG', `--timeout must be longer than 0, got "${options.timeout}"`);
  if (timeoutMs > MAX_TIMER_MS) throw new MailError('CONFIG', `--timeout must be at most 24d (a timer's longest), got "${options.timeout}"`);
  return { timeoutMs };
}

/** Finds, loads, validates and merges the configuration for a command. */
export async function loadContext(options: CommonOptions, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd(), use: ContextUse = {}): Promise<CliContext> {
  const found = options.config ?? (env.MAILROOM_CONFIG || undefined) ?? findConfigFile(cwd);
  if (found !== undefined && found !== options.config && found === env.MAILROOM_CONFIG && !existsSync(resolve(cwd, found))) {
    // Set in the environment, the file is easy to forget: say where its name came from.
    throw new MailError('CONFIG', `the configuration file ${found} (from MAILROOM_CONFIG) does not exist`, {
      remedy: `Fix or unset MAILROOM_CONFIG (a relative path is read from ${cwd}), or pass --config FILE.`,
    });
  }
  // A command that sends nothing runs on a file whose DSN it cannot read, as on such a MAILROOM_DSN.
  let fileChainError: MailError | undefined;
  const fromFile = found ? await loadConfigFile(found, use.sends === false ? { onUnreadableDsn: (error) => (fileChainError = error) } : {}) : {};
  const file = found ? shownPath(found, cwd) : undefined;
  const config: MailroomConfig = { ...fromFile };
  const fileLabel = file ? `the config file ${file}` : '';

  const pick = (flag: string | undefined, variable: string, flagName: string): [string | undefined, string] => {
    if (flag !== undefined) return [flag, `the ${flagName} option`];
    const value = env[variable];
    if (value !== undefined && value !== '') return [value, variable];
    return [undefined, ''];
  };

  const [dsn, dsnSource] = pick(options.dsn, 'MAILROOM_DSN', '--dsn');
  let chainError: MailError | undefined;
  if (dsn !== undefined) {
    try {
      checkDsnChain(dsn); // a CONFIG error with the DSN redacted
    } catch (error) {
      if (use.sends !== false || !(error instanceof MailError)) throw error;
      chainError = error;
      process.stderr.write(`warning: the DSN ${origin(dsnSource)} cannot be read, and this command does not need it: ${remedyApart(error).message.replace(/^\[mailroom\] /, '')}\n`);
    }
    config.dsn = dsn;
    delete config.adapters;
  } else if (fileChainError) {
    chainError = fileChainError;
    process.stderr.write(`warning: the DSN in ${file} cannot be read, and this command does not need it: ${remedyApart(fileChainError).message.replace(/^\[mailroom\] /, '')}\n`);
  }
  const [journal, journalSource] = pick(options.journal, 'MAILROOM_JOURNAL', '--journal');
  if (journal !== undefined && /^(off|false)$/i.test(journal.trim())) {
    // --journal off (or false): no journal, as `journal: false` in the file; not a file named "off".
    config.journal = false;
  } else if (journal !== undefined) {
    // Keep retention and storeContent from the file; only the store changes.
    const settings = journalSettings(fromFile.journal);
    config.journal = settings ? { ...settings, store: journal } : journal;
  }
  const [from, fromSource] = pick(options.from, 'MAILROOM_FROM', '--from');
  if (from !== undefined) config.from = from;

  const sources = {
    dsn: dsnSource || (fromFile.dsn || fileChainError ? fileLabel : fromFile.adapters ? `adapters in ${fileLabel}` : 'the default'),
    journal: journalSource || (fileSetsStore(fromFile.journal) ? fileLabel : 'the default'),
    from: fromSource || (fromFile.from !== undefined ? fileLabel : 'not set'),
  };
  // The CLI names the outbox itself (so the library's once-per-process warning is not printed), and
  // so applies the library's production rule itself: a worker or a send in production with nothing
  // configured would journal mail "sent" that sits in ./outbox.
  if (use.sends !== false && sources.dsn === 'the default' && env.NODE_ENV === 'production') throw implicitOutboxRefusal();
  checkConfiguredSender(config.from, sources.from);
  const effectiveDsn = config.adapters || (fileChainError && dsn === undefined) ? undefined : config.dsn ?? DEFAULT_DSN;
  return {
    config,
    ...(file ? { file } : {}),
    sources,
    ...(effectiveDsn ? { redactedDsn: redactDsn(effectiveDsn) } : {}),
    ...(chainError ? { chainError } : {}),
  };
}

// "./mailroom.config.json" for a file in the working directory (as people type it), else as given.
function shownPath(file: string, cwd: string): string {
  const path = relative(cwd, resolve(cwd, file));
  return path && !path.startsWith('..') && !isAbsolute(path) ? `./${path}` : file;
}

// Whether the file's `journal` option names a store (or turns the journal off), not only its settings.
function fileSetsStore(journal: MailroomConfig['journal']): boolean {
  if (journal === undefined) return false;
  const settings = journalSettings(journal);
  return !settings || settings.store !== undefined;
}

/** The `journal` option when it is a settings object (store, ttlMs, storeContent); undefined for a store, false or nothing. */
export function journalSettings(journal: MailroomConfig['journal']): Exclude<MailroomConfig['journal'], string | false | Keyv | undefined> | undefined {
  return typeof journal === 'object' && journal !== null && !('get' in journal) ? journal : undefined;
}

/** "(the default)" or "(from MAILROOM_DSN)": where a setting came from, for messages. */
export function origin(source: string): string {
  return source === 'the default' ? '(the default)' : `(from ${source})`;
}

/**
 * Throws CONFIG when the configured sender is not an address: the flag's fault (or the variable's, or
 * the file's), said once and naming where it came from, not as every adapter's failed send.
 */
function checkConfiguredSender(from: unknown, source: string): void {
  if (from === undefined) return;
  try {
    parseAddress(from as AddressInput, 'from');
  } catch (error) {
    throw new MailError('CONFIG', `the sender ${origin(source)} is not an address: ${(error as Error).message.replace(/^\[mailroom\] /, '')}`, {
      remedy: 'Give the sender as an address or "Name <address>", e.g. --from "Shop <shop@example.com>" (or MAILROOM_FROM, or "from" in the configuration file).',
    });
  }
}

/**
 * Throws CONFIG before anything is sent when no sender is known: not --from, MAILROOM_FROM nor the
 * config file's `from`, and no adapter of the chain signs in as a mailbox that could be the sender.
 */
export function requireSender(context: CliContext, adapters: MailAdapter[]): void {
  if (context.config.from !== undefined || adapters.some((adapter) => adapter.mailbox)) return;
  throw new MailError('CONFIG', `no sender address: the chain (${adapters.map((adapter) => adapter.name).join(', ')}) signs in with a key, not as a mailbox, so "from" must be given`, {
    remedy: `Pass --from "Shop <shop@example.com>", set MAILROOM_FROM, or add "from": "shop@example.com" to ${context.file ?? 'mailroom.config.json'}; use an address the provider accepts as a sender (a verified sender or domain).`,
  });
}

/** Mailer options for the context, with `overrides` on top. */
export function mailerOptions(context: CliContext, overrides: Partial<MailerOptions> = {}): MailerOptions {
  const options = { ...toMailerOptions(context.config), ...overrides };
  if (context.chainError) {
    // A command that does not send, with a DSN it cannot read: a chain that refuses with that error.
    delete options.dsn;
    options.adapters = [unreadableChain(context.chainError)];
  }
  // Without a DSN anywhere the mailer would read MAILROOM_DSN itself; the context already did.
  if (!options.adapters && !options.dsn) options.dsn = DEFAULT_DSN;
  return options;
}

/** The chain of a context whose DSN cannot be read: named for what it is, every send and check refused with the DSN's error. */
function unreadableChain(error: MailError): MailAdapter {
  return { name: 'unreadable-dsn', capabilities: FULL_CAPABILITIES, send: () => Promise.reject(error), verify: () => Promise.reject(error) };
}

export async function mailerFromOptions(options: CommonOptions, overrides: Partial<MailerOptions> = {}, use: { readsJournal?: boolean } & ContextUse = {}): Promise<Mailer> {
  const context = await loadContext(options, process.env, process.cwd(), use);
  if (use.readsJournal) requireExistingJournal(context);
  return reportJournalErrors(createMailer(mailerOptions(context, overrides)));
}

/**
 * For the commands that read the journal (journal, journal show, journal prune, resend): an SQLite
 * journal file that does not exist is a CONFIG error saying where it was looked for. Opening it
 * would create an empty journal on the spot, and a command run in the wrong folder (the default
 * file is relative to the working directory) or with a mistyped path would answer "no entries".
 */
export function requireExistingJournal(context: CliContext, cwd: string = process.cwd()): void {
  const journal = context.config.journal;
  if (journal === false) return; // the journal's own error says it is off
  const settings = journalSettings(journal);
  const store = settings ? settings.store : journal;
  if (store !== undefined && typeof store !== 'string') return; // a Keyv instance
  const path = sqliteJournalPath(store);
  if (path === undefined) return;
  const file = resolve(cwd, path);
  if (existsSync(file)) return;
  throw new MailError('CONFIG', `no journal at ${path} ${origin(context.sources.journal)}: ${file} does not exist, so nothing was journaled there`, {
    remedy:
      'Run the command in the folder the application runs in (the default journal, .mailroom/journal.sqlite, is relative to it), or point --journal, MAILROOM_JOURNAL or the configuration file\'s "journal" at the file the application writes. Nothing is created by reading.',
  });
}

/**
 * Prints each distinct journal failure once on stderr. The mailer delivers anyway, so without this a
 * command would report "sent" while the journal (and so `mailroom resend`) knows nothing of it.
 */
export function reportJournalErrors(mailer: Mailer): Mailer {
  const seen = new Set<string>();
  return mailer.on('journal-error', (error) => {
    if (seen.has(error.message)) return;
    seen.add(error.message);
    // With its remedy on a line of its own (the journal error's, else its code's next step), as errors
    // are printed; not the adapter catalogue's, which would read a store's ECONNREFUSED as SMTP's.
    const { message, remedy } = remedyApart(error);
    process.stderr.write(`warning: the send journal failed: ${message.replace(/^\[mailroom\] (the send journal failed: )?/, '')}\n`);
    if (remedy) process.stderr.write(`  remedy: ${remedy}\n`);
  });
}

/** Throws when a flag value is not a positive whole number. */
export function positiveInteger(value: string, flag: string): number {
  // Digits only: Number() also reads "0x10" as 16 and "1e3" as 1000, which no one means by a count.
  const number = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1) throw new MailError('CONFIG', `${flag} must be a positive whole number, got "${value}"`);
  return number;
}
