// Keeps credentials out of everything mailroom shows. A server may echo what it was sent: an SMTP
// 535 quoting the AUTH line, an HTTP error body quoting the Authorization header or the key. An
// adapter builds one SecretScrubber from its configured secrets and passes every error through it at
// its boundary, so the message, the stack, the cause chain (and with them util.inspect, JSON,
// events, the journal and the CLI) hold "***" instead of the secret in any of the forms it travels
// in: as is, URL-encoded, JSON-escaped, in base64 at any offset (Basic auth, AUTH PLAIN's
// "\0user\0pass", AUTH LOGIN), plus credential-shaped text whatever the secret (Authorization
// headers, AWS signatures and session tokens).
import type { MailAdapter } from './adapter.js';

const MASK = '***';
// Shorter secrets would match ordinary text; no real credential is that short.
const MIN_SECRET_LENGTH = 4;
// A base64 fragment shorter than this would match unrelated base64 by chance.
const MIN_BASE64_CORE = 6;
const MAX_DEPTH = 6;

// Credential-shaped text, scrubbed whatever the configured secrets.
const PATTERNS: Array<[RegExp, string]> = [
  [/\b(Basic|Bearer)\s+[A-Za-z0-9+/_.~-]{6,}=*/gi, `$1 ${MASK}`],
  [/\bAUTH\s+(PLAIN|LOGIN|XOAUTH2|CRAM-MD5)\s+[A-Za-z0-9+/]{6,}=*/gi, `AUTH $1 ${MASK}`],
  [/\b(Signature=)[0-9a-f]{64}\b/gi, `$1${MASK}`],
  [/\b(Credential=)[A-Z0-9]{16,128}\//g, `$1${MASK}/`],
  [/\b(X-Amz-Security-Token["']?\s*[:=]\s*["']?)[A-Za-z0-9+/=%]{16,}/gi, `$1${MASK}`],
];

/** A login sent as one piece (Basic auth, AUTH PLAIN), with its user name for the combined forms. */
export interface SecretLogin {
  user: string;
  pass: string;
}

export class SecretScrubber {
  // Every form of every secret, longest first so a longer form is replaced before a part of it.
  #forms: string[] = [];
  readonly #known = new Set<string>();

  /** `secrets`: keys, passwords, tokens; undefined and very short values are ignored. */
  constructor(secrets: Array<string | undefined>, logins: SecretLogin[] = []) {
    this.add(...secrets, ...logins.flatMap((login) => [login.pass, `${login.user}:${login.pass}`, `\0${login.user}\0${login.pass}`]));
  }

  /** Adds secrets learnt later, e.g. an access token fetched for a connection. */
  add(...secrets: Array<string | undefined>): void {
    const fresh = secrets.filter((value): value is string => Boolean(value) && value!.length >= MIN_SECRET_LENGTH && !this.#known.has(value!));
    if (fresh.length === 0) return;
    for (const value of fresh) this.#known.add(value);
    this.#forms = [...new Set([...this.#forms, ...fresh.flatMap(formsOf)])].sort((a, b) => b.length - a.length);
  }

  /** The text with every form of every secret, and anything credential-shaped, replaced by "***". */
  text(text: string): string {
    let out = text;
    for (const form of this.#forms) if (out.includes(form)) out = out.split(form).join(MASK);
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }

  /**
   * Scrubs an error in place (message, detail, stack, every string it holds, its causes) and returns
   * it: a MailError keeps its class and fields, a foreign cause its class, with their strings cleaned.
   */
  error<T>(error: T): T {
    this.#clean(error, new WeakSet(), 0);
    return error;
  }

  #clean(value: unknown, seen: WeakSet<object>, depth: number): unknown {
    if (typeof value === 'string') return this.text(value);
    if (value instanceof Uint8Array) {
      const text = Buffer.from(value).toString('utf8');
      const clean = this.text(text);
      return clean === text ? value : Buffer.from(clean);
    }
    if (value === null || typeof value !== 'object' || depth > MAX_DEPTH || seen.has(value)) return value;
    if (!(value instanceof Error) && !Array.isArray(value) && !isPlainObject(value)) return value;
    seen.add(value);
    // Own properties, enumerable or not: message, stack and cause are not enumerable on an Error.
    for (const key of Object.getOwnPropertyNames(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key);
      if (!descriptor || !('value' in descriptor)) continue;
      const clean = this.#clean(descriptor.value, seen, depth + 1);
      if (clean !== descriptor.value && descriptor.writable) (value as Record<string, unknown>)[key] = clean;
    }
    // Where `stack` is an accessor (newer V8), the loop above did not reach it.
    if (value instanceof Error && typeof value.stack === 'string') {
      const stack = this.text(value.stack);
      if (stack !== value.stack) Object.defineProperty(value, 'stack', { value: stack, writable: true, configurable: true, enumerable: false });
    }
    return value;
  }
}

/**
 * The adapter with `send` and `verify` passing whatever they throw through the scrubber: the one
 * line an adapter built as an object needs at its boundary.
 */
export function guardSecrets<A extends MailAdapter>(adapter: A, scrubber: SecretScrubber): A {
  const { send, verify } = adapter;
  adapter.send = (message, ctx) => scrubbingErrors(scrubber, () => send.call(adapter, message, ctx));
  if (verify) adapter.verify = (ctx) => scrubbingErrors(scrubber, () => verify.call(adapter, ctx));
  return adapter;
}

/** Runs an adapter call and passes whatever it throws through the scrubber. */
export async function scrubbingErrors<T>(scrubber: SecretScrubber, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw scrubber.error(error);
  }
}

function formsOf(secret: string): string[] {
  const encoded = encodeURIComponent(secret);
  const forms = [
    secret,
    encoded,
    encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    encoded.replace(/%20/g, '+'),
    JSON.stringify(secret).slice(1, -1),
  ];
  const bytes = Buffer.from(secret, 'utf8');
  for (const core of base64Cores(bytes)) forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  return forms.filter((form) => form.length >= MIN_SECRET_LENGTH);
}

// The base64 text that encodes `bytes` wherever they start in a longer input (offset 0, 1 or 2 in a
// 3-byte group): the characters that depend only on `bytes`. Replacing these removes the secret
// from any base64 blob holding it ("Basic dXNlcjpwYXNz", AUTH PLAIN's "AHVzZXIAcGFzcw==").
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const start = offset === 0 ? 0 : offset + 1;
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const core = encoded.slice(start, end);
    if (core.length >= MIN_BASE64_CORE) cores.push(core);
  }
  // The exact encoding, padding included, when the secret is the whole input (AUTH LOGIN).
  cores.push(bytes.toString('base64'));
  return cores;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
