// Configuration strings: `MAILROOM_DSN` or the `dsn` option. One adapter (`brevo+api://KEY@default`)
// or a chain (`failover(a b c)`). Parsing is synchronous and strict so a typo is a CONFIG error at
// setup. The schemes, their examples, option readers and which user part is a secret come from
// each adapter file's own declaration (`export const dsn = defineDsn(...)`, gathered in the
// generated src/core/adapter-index.ts); the adapters load their SDKs only when they first send.
import { MailError } from './errors.js';
import type { MailAdapter } from './adapter.js';
import { ADAPTER_DSNS } from './adapter-index.js';
import type { AdapterDsn } from './dsn-options.js';
import { setOwnField } from './own-field.js';
import { closestName } from './known-options.js';

/**
 * One parsed adapter DSN. Userinfo and query values are percent-decoded (%XX) and nothing else: a
 * "+" stays a "+" (an Entra client secret holds them), it is not read as a space.
 */
export interface ParsedDsn {
  /** The full scheme, e.g. "brevo+api". */
  scheme: string;
  user?: string;
  password?: string;
  /** The host as written; "default" means the provider's real endpoint. */
  host: string;
  port?: number;
  /** True when the host is "default". */
  isDefaultHost: boolean;
  /** The path after the host, e.g. "./outbox" for outbox://./outbox. */
  path: string;
  options: Record<string, string>;
  /** The DSN with every secret replaced by "***", safe to print. */
  redacted: string;
}

/** What an adapter module exports for DSN schemes. */
export type AdapterFromDsn = (dsn: ParsedDsn) => MailAdapter;

const SECRET_OPTIONS = /secret|password|pass|key|token|certificate|private/i;

// Scheme -> the declaration of the adapter file that reads it, in help-text order.
const DECLARATIONS: ReadonlyMap<string, AdapterDsn> = new Map(
  [...ADAPTER_DSNS]
    // File names are ASCII: compared by code unit, since the first localeCompare in a process loads
    // ICU's collation data (8 ms here, a twelfth of the whole cold start).
    .sort((a, b) => a.dsn.order - b.dsn.order || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .flatMap(({ file, dsn }) => Object.keys(dsn.schemes).map((scheme) => {
      if (scheme !== scheme.toLowerCase()) throw new Error(`adapters/${file}: DSN scheme "${scheme}" must be lower case`);
      return [scheme, dsn] as const;
    })),
);
if (DECLARATIONS.size !== ADAPTER_DSNS.reduce((sum, { dsn }) => sum + Object.keys(dsn.schemes).length, 0)) {
  throw new Error('two adapter files declare the same DSN scheme');
}

/** The schemes mailroom understands, for help texts and errors. */
export const DSN_SCHEMES: readonly string[] = Object.freeze([...DECLARATIONS.keys()]);

/** The shape of each scheme's DSN, shown in every error about one. */
export const DSN_EXAMPLES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries([...DECLARATIONS].map(([scheme, dsn]) => [scheme, dsn.schemes[scheme]!])),
);

/** "write it as brevo+api://KEY@default (README "Configuration strings")": the remedy of a DSN mistake. */
export function dsnRemedy(scheme: string | undefined): string {
  const example = scheme ? DSN_EXAMPLES[scheme] : undefined;
  const encoding = 'percent-encode "@" as %40, "&" as %26, "%" as %25 inside a value; "+" is kept as it is';
  return example
    ? `write it as ${example} (${encoding}); see README "Configuration strings"`
    : `write the DSN as scheme://..., e.g. ${DSN_EXAMPLES.smtp} or ${DSN_EXAMPLES['brevo+api']} (${encoding}); see README "Configuration strings"`;
}


/** Splits `failover(a b c)` (or a single DSN) into parsed adapter DSNs, in chain order. */
export function parseDsnChain(dsn: string): ParsedDsn[] {
  return splitChain(dsn).map(parseDsn);
}

// The DSN texts of `failover(a b c)` (or the one DSN), in chain order.
function splitChain(dsn: string): string[] {
  const trimmed = dsn.trim();
  if (!trimmed) throw new MailError('CONFIG', 'the DSN is empty');
  if (/^(["'`]).*\1$/s.test(trimmed) && trimmed.length > 1) {
    throw new MailError('CONFIG', `the DSN "${redactDsnText(trimmed.slice(1, -1))}" is wrapped in quotes (${trimmed[0]}…${trimmed[0]}): remove them; an env file read by Docker (--env-file) or systemd keeps quotes as part of the value`);
  }
  const failover = /^failover\((.*)\)$/s.exec(trimmed);
  if (!failover && /^failover\s*\(/i.test(trimmed)) {
    throw new MailError('CONFIG', `"${redactDsnText(trimmed)}" has no closing ")": write failover(DSN1 DSN2 ...), the DSNs separated by spaces`);
  }
  const parts = failover ? failover[1]!.trim().split(/\s+/).filter(Boolean) : [trimmed];
  if (parts.length === 0) throw new MailError('CONFIG', 'failover() needs at least one DSN inside the parentheses');
  // "failover(a, b)": the comma would end the first DSN's host ("default,"), which fails every send on DNS.
  if (failover && parts.some((part) => part.endsWith(',') || part.startsWith(',') || /,[a-z][a-z0-9+.-]*:\/\//i.test(part))) {
    throw new MailError('CONFIG', `"${redactDsnText(trimmed)}": separate the DSNs of failover() with spaces, not commas`);
  }
  return parts;
}

/** Parses one adapter DSN, e.g. `mailgun+api://KEY:example.com@default?region=eu`. */
export function parseDsn(dsn: string): ParsedDsn {
  return parseAndRead(dsn).parsed;
}

/**
 * What the scheme's reader made of one DSN: the option names and the parts (password, port, path)
 * it read, and the mistake it threw. Read once, at parse: the same reading decides which option
 * values the printed form shows and what `checkDsnChain` reports.
 */
interface DsnReading {
  used: ReadonlySet<string>;
  parts: ReadonlySet<string>;
  /** The reader's mistake (a CONFIG error naming the DSN as printed from the options read until then). */
  error?: unknown;
}

function parseAndRead(dsn: string): { parsed: ParsedDsn; reading: DsnReading } {
  const schemeMatch = /^([a-z0-9+.-]+):\/\/(.*)$/is.exec(dsn.trim());
  if (!schemeMatch) throw new MailError('CONFIG', `"${redactDsnText(dsn)}" is not a DSN: expected scheme://..., e.g. smtp://user:pass@host:587`);
  const scheme = schemeMatch[1]!.toLowerCase();
  const declaration = DECLARATIONS.get(scheme);
  if (!declaration) {
    throw new MailError('CONFIG', `unknown DSN scheme "${scheme}": use one of ${DSN_SCHEMES.join(', ')}`);
  }
  const rest = schemeMatch[2]!;
  // outbox://./outbox and memory:// carry a path rather than a host.
  if (declaration.pathOnly) {
    const [pathPart = '', query = ''] = splitOnce(rest, '?');
    const options = parseQuery(query, dsn);
    const unread = { scheme, host: '', isDefaultHost: false, path: decodePart(dsn, pathPart, 'path'), options };
    return readOnce(unread, declaration, (read) => `${scheme}://${pathPart}${queryShowing(unread, read)}`);
  }
  const { userinfo, location } = splitUserinfo(rest);
  // After an "@" the text after the host's last ":" is the port (without one it may be KEY:SECRET, never printed).
  const port = userinfo === undefined ? undefined : /^[^/?]*?:([^:\]/?]*)(?:[/?]|$)/.exec(location)?.[1];
  if (port !== undefined && port !== '' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw new MailError('CONFIG', `"${redactDsnText(dsn)}" is not a valid DSN URL: the port "${port}" is not a number from 1 to 65535`);
  }
  let url: URL;
  try {
    url = new URL(`placeholder://${userinfo === undefined ? '' : `${encodeUserinfo(userinfo)}@`}${location}`);
  } catch {
    throw new MailError('CONFIG', `"${redactDsnText(dsn)}" is not a valid DSN URL (encode "@" in a user name as %40)`);
  }
  if (!url.hostname) throw new MailError('CONFIG', `the DSN "${redactDsnText(dsn)}" has no host: write @default for the provider's endpoint`);
  // A host name never holds these: a separator or a quote typed by mistake would fail every send on DNS.
  if (/[,;'"<>|\\{}^`]/.test(url.hostname)) {
    throw new MailError('CONFIG', `the DSN "${redactDsnText(dsn)}" has a host that is not a host name: it holds "${/[,;'"<>|\\{}^`]/.exec(url.hostname)![0]}" (a stray separator or quote?)`);
  }
  const options = parseQuery(splitOnce(location, '?')[1], dsn);
  const user = url.username ? decodePart(dsn, url.username, 'user part') : undefined;
  const password = url.password ? decodePart(dsn, url.password, 'password') : undefined;
  const unread: Omit<ParsedDsn, 'redacted'> = {
    scheme,
    ...(user !== undefined ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    host: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    isDefaultHost: url.hostname === 'default',
    path: url.pathname === '/' ? '' : url.pathname,
    options,
  };
  return readOnce(unread, declaration, (read) => printedDsn(unread, declaration, read));
}

// Runs the scheme's reader once on a view of the DSN that notes each option and part it reads. The
// view's `redacted` is printed when asked for, from the options read until then: a reader's error
// names the DSN showing only what it had read (a reader that stops at a mistake leaves the later
// options' values hidden, the safe side). The mistake is kept for checkDsnChain, not thrown:
// parseDsn also serves redactDsn and dsnSecrets, which must work on a DSN with a mistake.
function readOnce(dsn: Omit<ParsedDsn, 'redacted'>, declaration: AdapterDsn, print: (read: ReadonlySet<string>) => string): { parsed: ParsedDsn; reading: DsnReading } {
  const used = new Set<string>();
  const parts = new Set<string>();
  const view = new Proxy({ ...withReadsNoted(dsn, used), redacted: '' }, {
    get(target, key) {
      if (typeof key === 'string') parts.add(key);
      return key === 'redacted' ? print(used) : (Reflect.get(target, key) as unknown);
    },
  });
  let error: unknown;
  try {
    declaration.options(view);
  } catch (caught) {
    error = caught ?? new Error('the DSN reader failed');
  }
  return { parsed: { ...dsn, redacted: print(used) }, reading: { used, parts, ...(error !== undefined ? { error } : {}) } };
}

/**
 * Parses a DSN (or chain) and reads every adapter's options from it without loading any adapter
 * module: every mistake a DSN can hold (a missing key, domain or tenant, an unknown option, a bad
 * number) is a CONFIG error here, with a remedy. `createMailer` calls it at setup.
 */
export function checkDsnChain(dsn: string): ParsedDsn[] {
  // checkDsnChain(process.env.MAILROOM_DSN) at startup, with the variable unset: say so, not a TypeError.
  if (typeof dsn !== 'string') {
    throw new MailError('CONFIG', `the DSN must be a string such as "smtp://user:pass@host:587" or "failover(a b)", got ${dsn === null ? 'null' : Array.isArray(dsn) ? 'an array' : typeof dsn}${dsn === undefined ? ' (is MAILROOM_DSN set?)' : ''}`, {
      remedy: 'Set MAILROOM_DSN (or the dsn option) to one adapter or failover(a b c); README "Configuration strings (DSN)".',
    });
  }
  try {
    const chain = splitChain(dsn).map(parseAndRead);
    for (const { parsed, reading } of chain) {
      try {
        checkReading(parsed, reading);
      } catch (error) {
        if (error instanceof MailError && error.code === 'CONFIG' && !error.specificRemedy) error.remedy = dsnRemedy(parsed.scheme);
        throw error;
      }
    }
    return chain.map(({ parsed }) => parsed);
  } catch (error) {
    if (error instanceof MailError && error.code === 'CONFIG' && !error.specificRemedy) error.remedy = dsnRemedy(undefined);
    throw error;
  }
}

/** Creates the adapters of a DSN (or chain); each loads its SDK when it first sends. */
export async function adaptersFromDsn(dsn: string): Promise<MailAdapter[]> {
  return checkDsnChain(dsn).map((one) => DECLARATIONS.get(one.scheme)!.fromDsn(one));
}

// A query option no adapter reads is almost always a typo (`?regoin=eu`) that would otherwise be
// ignored in silence: the options are read from a view of the DSN that notes which ones are read
// (readOnce). The same holds for a password, a port or a path the adapter never reads: `sendgrid+api://apikey:SG.xyz@default`
// (SendGrid's SMTP login written as an API DSN) would send "apikey" as the key, and
// `brevo+api://KEY@proxy.example/brevo` would post to the proxy's root.
function checkReading(dsn: ParsedDsn, { used, parts, error }: DsnReading): void {
  if (error !== undefined) throw error;
  const unused = Object.keys(dsn.options).filter((key) => !used.has(key));
  if (unused.length > 0) {
    // The names the reader asked for are the ones it knows: the closest is the likely meaning.
    const named = unused.map((key) => {
      const near = closestName(key, [...used]);
      return `"${key}"${near ? ` (did you mean "${near}"?)` : ''}`;
    });
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" has ${named.join(', ')}, which this adapter does not use: check the spelling`, { remedy: dsnRemedy(dsn.scheme) });
  }
  if (dsn.password !== undefined && !parts.has('password')) {
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" has a password (a part after ":" before "@"), which this adapter does not use: check the DSN's form`, { remedy: dsnRemedy(dsn.scheme) });
  }
  if (dsn.port !== undefined && !parts.has('port')) {
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" has a port, which this adapter does not use${dsn.isDefaultHost ? ': "@default" is the provider\'s own endpoint' : ''}`, { remedy: dsnRemedy(dsn.scheme) });
  }
  if (dsn.path && !parts.has('path')) {
    throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" has a path after the host, which this adapter does not use: a DSN names a host[:port] only`, { remedy: dsnRemedy(dsn.scheme) });
  }
}

/** The DSN as `read` sees it, each option name it reads added to `used`. */
function withReadsNoted<T extends Pick<ParsedDsn, 'options'>>(dsn: T, used: Set<string>): T {
  const options = new Proxy(dsn.options, {
    get(target, key) {
      if (typeof key === 'string') used.add(key);
      return Reflect.get(target, key) as unknown;
    },
  });
  return { ...dsn, options };
}

/** The DSN with secrets replaced by "***"; safe for logs and CLI output. */
export function redactDsn(dsn: string): string {
  // For printing: whatever a caller holds (an unset variable) prints as nothing, never a TypeError.
  if (typeof dsn !== 'string') return '';
  try {
    const chain = parseDsnChain(dsn);
    const inner = chain.map((one) => one.redacted).join(' ');
    return /^\s*failover\(/.test(dsn) ? `failover(${inner})` : inner;
  } catch {
    return redactDsnText(dsn);
  }
}

/** The secret parts of a DSN or chain (passwords, API keys, secret options), for a SecretScrubber; none when it does not parse. */
export function dsnSecrets(dsn: string): string[] {
  try {
    return parseDsnChain(dsn).flatMap((one) => [
      ...(one.password && !DECLARATIONS.get(one.scheme)?.passwordIsPublic ? [one.password] : []),
      ...(one.user && !DECLARATIONS.get(one.scheme)?.userIsMailbox ? [one.user] : []),
      ...Object.entries(one.options).filter(([key]) => SECRET_OPTIONS.test(key)).map(([, value]) => value),
    ]);
  } catch {
    return [];
  }
}

/**
 * A parsed DSN as printable text. A scheme whose declaration does not say its user part names a
 * mailbox holds a secret there (an API key, an access key id): that is the default, so a new
 * adapter never prints its key. An option prints its value only when the adapter reads it and its
 * name does not say secret: a misspelled secret (`client_secert=`, `pwd=`) is read by no adapter.
 */
export function redactParsedDsn(dsn: Omit<ParsedDsn, 'redacted'>, declaration: Pick<AdapterDsn, 'userIsMailbox'> & Partial<Pick<AdapterDsn, 'options'>> | undefined = DECLARATIONS.get(dsn.scheme)): string {
  return printedDsn(dsn, declaration, optionsReadBy(dsn, declaration));
}

// The printed form, showing the values of the options in `read` whose names do not say secret.
function printedDsn(dsn: Omit<ParsedDsn, 'redacted'>, declaration: Pick<AdapterDsn, 'userIsMailbox'> | undefined, read: ReadonlySet<string>): string {
  const userIsSecret = !declaration?.userIsMailbox;
  const userPart = dsn.user === undefined ? '' : userIsSecret ? '***' : encodeURIComponent(dsn.user);
  const passwordPart = dsn.password === undefined ? '' : ':***';
  const auth = userPart || passwordPart ? `${userPart}${passwordPart}@` : '';
  // brevo+api://KEY with "@default" forgotten: the key was read as the host.
  const keyAsHost = userIsSecret && dsn.user === undefined && !dsn.isDefaultHost;
  const location = keyAsHost ? '***' : `${dsn.host}${dsn.port ? `:${dsn.port}` : ''}${dsn.path}`;
  return `${dsn.scheme}://${auth}${location}${queryShowing(dsn, read)}`;
}

/** "?region=eu&client_secret=***": the query with every value hidden but those read and safe to show. */
function queryShowing(dsn: Pick<ParsedDsn, 'options'>, read: ReadonlySet<string>): string {
  const query = Object.entries(dsn.options)
    .map(([key, value]) => `${key}=${read.has(key) && !SECRET_OPTIONS.test(key) ? encodeURIComponent(value) : '***'}`)
    .join('&');
  return query ? `?${query}` : '';
}

// Which options the scheme's reader looks at, for redactParsedDsn given a DSN of its own making.
// The reader is run on a copy whose own printed form shows no option value, and its mistakes are
// dropped. A reader that stops at a mistake before reading an option leaves that value hidden.
function optionsReadBy(dsn: Omit<ParsedDsn, 'redacted'>, declaration: Partial<Pick<AdapterDsn, 'options'>> | undefined): Set<string> {
  const read = new Set<string>();
  if (!declaration?.options) return read;
  const blind = `${dsn.scheme}://***`;
  try {
    declaration.options(withReadsNoted({ ...dsn, redacted: blind }, read));
  } catch {
    // Reported by checkDsnChain, with the redaction built here.
  }
  return read;
}

// A host never holds "@": everything before the last "@" is the userinfo, even when it holds "?",
// "/" or "#" (a password like "2024?0917", an AWS secret key with "/"), so a secret is never read
// as the query or path and printed. A "@" inside an option value is written %40 (dsnRemedy says so).
function splitUserinfo(rest: string): { userinfo?: string; location: string } {
  const at = rest.lastIndexOf('@');
  return at < 0 ? { location: rest } : { userinfo: rest.slice(0, at), location: rest.slice(at + 1) };
}

// In a URL "/", "?" and "#" would end the userinfo early: encoded, the URL parser keeps them in it.
function encodeUserinfo(userinfo: string): string {
  return userinfo.replace(/[/?#]/g, (c) => encodeURIComponent(c));
}

// A "%" not followed by two hex digits is a URIError in decodeURIComponent: a CONFIG error that
// says how to write it, never the raw URIError (whose callers might print the DSN).
function decodePart(dsn: string, value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new MailError('CONFIG', `the DSN "${redactDsnText(dsn)}" has a "%" in its ${what} that is not followed by two hex digits: write a literal "%" as %25 (encodeURIComponent does it)`);
  }
}

// For strings that do not parse: hide everything between "://" and the last "@" (the userinfo,
// whose secret may hold "/", "?" or "#") and every query value (no adapter has read it, so it may
// be a misspelled secret). Without any "@" ("mailjet+api://KEY:SECRET?x", "@default" forgotten)
// everything after the scheme may be the credentials: hide it all. A DSN whose "://" is mistyped
// ("mailjet+api//KEY:SECRET@default", "smtp:/u:p@h", "u:p@h:587") gets the same treatment: only
// its leading scheme-like word is shown.
function redactDsnText(text: string): string {
  // Word by word: a failover(...) chain holds several DSNs, each with or without an "@".
  return text.replace(/[^\s()]+/g, (word) => {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(word)?.[0] ?? '';
    const { userinfo, location } = splitUserinfo(word.slice(scheme.length));
    if (userinfo !== undefined) return `${scheme}***@${hideQueryValues(location)}`;
    if (scheme) return `${scheme}***`;
    // Without "://" a word may be a bare API key set as the whole DSN: only a scheme name is shown.
    const start = /^[a-z][a-z0-9+.-]*/i.exec(location)?.[0] ?? '';
    if (!DECLARATIONS.has(start.toLowerCase()) && start.toLowerCase() !== 'failover') return '***';
    return start === location ? word : `${start}***`;
  });
}

/** "host?a=1&b=2" -> "host?a=***&b=***". */
function hideQueryValues(location: string): string {
  if (!location.includes('?')) return location;
  const [beforeQuery, query] = splitOnce(location, '?');
  return `${beforeQuery}?${query.split('&').map((pair) => (pair.includes('=') ? `${splitOnce(pair, '=')[0]}=***` : pair)).join('&')}`;
}

// Query values are taken literally but for %XX escapes. URLSearchParams would follow HTML forms and
// turn "+" into a space, silently changing a client secret like "abc+def"; everything after the
// first "?" is the query, so a "#" in a value is kept too instead of starting a fragment.
// "?__proto__=x" stays an option of that name (setOwnField), refused as one no adapter uses.
function parseQuery(query: string, dsn: string): Record<string, string> {
  const options: Record<string, string> = {};
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const [key, value] = splitOnce(pair, '=');
    const name = decodePart(dsn, key, 'query string');
    // Which of two values was meant is unknown: the last one winning in silence hid the mistake.
    if (Object.hasOwn(options, name)) throw new MailError('CONFIG', `the DSN "${redactDsnText(dsn)}" gives "${name}" twice: keep one`);
    setOwnField(options, name, decodePart(dsn, value, 'query string'));
  }
  return options;
}

function splitOnce(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, ''] : [text.slice(0, index), text.slice(index + 1)];
}
