// Opens the keyv store behind the send journal from what the user configured: a Keyv instance, or a
// string (a file path or sqlite:// URL, redis://, postgres://, memory://). The embedded default is an
// SQLite file tuned for many small writes; optional stores are imported lazily and a missing package
// is a CONFIG error that names it.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import Keyv from 'keyv';
import { serializeKeyvRow } from './fast-serialize.js';
import { MailError } from '../core/errors.js';
import { redactConnectionUrl } from '../core/redact-url.js';
import { betterSqlite, builtinSqlite, NodeSqliteStore, type SqliteModule } from './node-sqlite-store.js';
import { PostgresStore } from './postgres-store.js';
import { ROWS_PER_STATEMENT, sqliteCommitWithClaims, upsertRowsSql, type CommitWithClaims } from './sqlite-claim-batch.js';
import { storeClaimKey } from './store-claim.js';

/** Where the journal lives when nothing is configured. */
export const DEFAULT_JOURNAL_PATH = '.mailroom/journal.sqlite';

/** A store that can run SQL (SQLite, PostgreSQL): lets the journal list with indexed queries. */
export interface SqlCapableStore {
  /** One statement with `?` placeholders. */
  query(sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>>;
  opts: { table: string; dialect?: string };
}

export interface OpenedStore {
  keyv: Keyv;
  /** Set when the store runs SQL (SQLite, PostgreSQL), for fast listing. */
  sql?: SqlCapableStore;
  /** Human description without credentials, e.g. "sqlite:.mailroom/journal.sqlite". */
  description: string;
  /** Which SQLite runs the store, when it is the SQLite one. */
  driver?: SqliteDriver['name'];
  /** False for a Keyv the caller passed in: the caller closes it. */
  owned: boolean;
  /**
   * The one atomic step idempotency rests on (`SendJournal.claim` is built on it): points the
   * idempotency key `key` at `entryId` when no entry holds the key yet (insert-if-absent), or, with
   * `replacing`, when the key still points at that entry (taking over a failed one). Answers
   * undefined when the key is now `entryId`'s; otherwise changes nothing and answers the id the key
   * points at. The key row is the keyv row `idempotency:<key>`, the same one `SendJournal.write`
   * moves to the newest entry of the key. Atomic across every process sharing an SQLite file, a
   * PostgreSQL database or a Redis (one INSERT … ON CONFLICT statement, SET NX: store-claim.ts);
   * within this process only on the in-memory store and a custom Keyv (`inProcessClaimKey`).
   */
  claimKey(key: string, entryId: string, options?: ClaimKeyOptions): Promise<string | undefined>;
  /**
   * SQLite on a synchronous binding only: a batch of rows and the claims of its new entries' keys
   * in one transaction (sqlite-claim-batch.ts). Elsewhere the journal commits, then claims.
   */
  commitWithClaims?: CommitWithClaims;
}

export interface ClaimKeyOptions {
  /** Take the key over only if it still points at this entry id. */
  replacing?: string;
  /** Expiry of the key row, as the journal's entries. */
  ttlMs?: number;
}

/** Prefix of the keyv row that maps an idempotency key to its newest entry id. */
export const IDEMPOTENCY_PREFIX = 'idempotency:';

const NAMESPACE = 'mailroom';
/** How long a networked journal store (Redis, Postgres) may take to connect before a call fails. */
const STORE_CONNECT_TIMEOUT_MS = 5_000;
/** How long SQLite waits for another process's write lock (the CLI resending while the app sends). */
const BUSY_TIMEOUT_MS = 10_000;

const JOURNAL_SCHEMES = ['sqlite', 'redis', 'rediss', 'postgres', 'postgresql', 'memory'];
const JOURNAL_FORMS = 'use a file path, sqlite://, redis://, postgres:// or memory://';

/**
 * Checks a journal store string without opening anything, so a typo is a CONFIG error when the
 * mailer is created: a scheme no store has (mysql://), or a store's scheme without "//" (redis:/h),
 * which would otherwise be read as a file path and write an SQLite file into a folder named "redis:".
 */
export function checkJournalStore(store: unknown): void {
  const remedy = `Write the journal as a file path (.mailroom/journal.sqlite), sqlite://path, redis://host:6379, postgres://user:pass@host/db or memory://; journal: false turns it off. See README "The send journal".`;
  // From JavaScript (a CMS's config) anything can arrive: a number or an empty string would fail
  // every send's journal write instead of the boot.
  if (store === undefined || isKeyvLike(store)) return;
  if (typeof store !== 'string' || store.trim() === '') {
    throw new MailError('CONFIG', `journal store: expected a file path, a sqlite://, redis://, postgres:// or memory:// URL, or a Keyv instance, got ${describeValue(store)}`, { remedy });
  }
  const withSlashes = /^([a-z][a-z0-9+.-]*):\/\//i.exec(store);
  if (withSlashes && !JOURNAL_SCHEMES.includes(withSlashes[1]!.toLowerCase())) {
    throw new MailError('CONFIG', `journal store "${redactConnectionUrl(store)}": "${withSlashes[1]}" is not a journal store: ${JOURNAL_FORMS}`, { remedy });
  }
  // A word meant as a switch ("false" from an environment variable read as a string) would be an
  // SQLite file of that name in the working directory.
  if (/^(off|false|true|none|no|yes|on|0|1)$/i.test(store.trim())) {
    throw new MailError('CONFIG', `journal store "${store}" is a word, not a store: it would be an SQLite file named "${store.trim()}" in ${process.cwd()}`, {
      remedy: 'To turn the journal off give journal: false (the boolean; `--journal off` on the command line); else a file path (.mailroom/journal.sqlite), sqlite://path, redis://host:6379, postgres://user:pass@host/db or memory://.',
    });
  }
  // Two letters at least: "C:\\data\\journal.sqlite" is a Windows path.
  const bare = /^([a-z][a-z0-9+.-]+):(?!\/\/)/i.exec(store);
  if (bare && store !== 'memory' && JOURNAL_SCHEMES.includes(bare[1]!.toLowerCase())) {
    throw new MailError('CONFIG', `journal store "${bare[1]}:…" is "${bare[1]}:" without "//": it would be read as a file path; ${JOURNAL_FORMS}`, { remedy });
  }
}

function isKeyvLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Keyv).get === 'function' && typeof (value as Keyv).set === 'function';
}

/** "an empty string", "null", "a number": what a wrong value was, never the value (it may be a secret). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === '') return 'an empty string';
  if (typeof value === 'boolean') return String(value);
  return `${/^[aeiou]/.test(typeof value) ? 'an' : 'a'} ${typeof value}`;
}

export async function openJournalStore(store: string | Keyv | undefined): Promise<OpenedStore> {
  checkJournalStore(store);
  const opened = await openKeyvStore(store);
  // The store's own atomic insert when it has one (SQLite, PostgreSQL, Redis), else one process's.
  const claimKey = storeClaimKey(opened.keyv, opened.sql, IDEMPOTENCY_PREFIX) ?? inProcessClaimKey(opened.keyv);
  if (typeof store !== 'string' || !/^(rediss?|postgres(ql)?):\/\//.test(store)) return { ...opened, claimKey };
  // A networked store's driver words a failure without saying which store ("connect ECONNREFUSED
  // 127.0.0.1:6379", "Redis client is not connected"): every call names it and says what to check.
  const health: StoreHealth = { downUntil: 0 };
  const named = <T extends object>(target: T) => explainStoreFailures(target, opened.description, health);
  return { ...opened, keyv: named(opened.keyv), ...(opened.sql ? { sql: named(opened.sql) } : {}), claimKey: named(claimKey) };
}

// After a call found the server unreachable, the store's calls fail at once with that failure for
// this long, then the next one tries again: a Redis or PostgreSQL that is down would otherwise hold
// every send for the connect timeout (5 s) per journal call, two or more calls a send (20 s a
// contact form, measured). Sends go on without the journal meanwhile, as the remedy says.
const STORE_DOWN_RETRY_MS = 30_000;
// The calls a send makes that go to the server (close and event listeners are left alone).
const SERVER_CALLS = new Set(['get', 'set', 'delete', 'has', 'getMany', 'setMany', 'deleteMany', 'clear', 'query']);
const UNREACHABLE = /not connected|failed to connect|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|timeout|Connection terminated|client is offline|Socket closed unexpectedly/i;

// The Redis journal's reconnect delay after a lost connection: quick at first, at most 2 s apart.
function redisReconnectDelay(attempts: number): number {
  return Math.min(100 * 2 ** attempts, 2_000);
}

interface StoreHealth {
  downUntil: number;
  failure?: MailError;
}

/**
 * `target` with each promise it returns (a method's, or its own when it is a function) rejecting as a
 * TRANSIENT MailError naming the store; while the server is known to be unreachable, the server calls
 * reject at once (`health`, shared by the store's views).
 */
function explainStoreFailures<T extends object>(target: T, description: string, health: StoreHealth): T {
  const explained = (call: () => unknown, toServer: boolean) => {
    if (toServer && health.failure && performance.now() < health.downUntil) return Promise.reject(health.failure);
    const result = call();
    if (!(result instanceof Promise)) return result;
    return result.catch((error: unknown) => {
      const failure = storeFailure(error, description);
      if (UNREACHABLE.test(error instanceof Error ? error.message : String(error))) {
        health.downUntil = performance.now() + STORE_DOWN_RETRY_MS;
        health.failure = failure;
      }
      return Promise.reject(failure);
    });
  };
  return new Proxy(target, {
    apply: (fn, thisArg, args) => explained(() => Reflect.apply(fn as (...args: unknown[]) => unknown, thisArg, args), true),
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const toServer = typeof property === 'string' && SERVER_CALLS.has(property);
      return (...args: unknown[]) => explained(() => Reflect.apply(value as (...args: unknown[]) => unknown, object, args), toServer);
    },
  });
}

/** A store call's failure as a TRANSIENT MailError naming the store (a MailError is kept as it is). */
export function storeFailure(error: unknown, description: string): MailError {
  if (error instanceof MailError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new MailError('TRANSIENT', `the journal store ${description} did not answer: ${reason}`, {
    cause: error,
    remedy: `Check that the server at ${description} is running and reachable from this host, and its user and password; \`mailroom doctor\` checks it. Meanwhile sends go on without the journal, and those with an idempotencyKey are refused.`,
  });
}

/**
 * `claimKey` for any keyv store, atomic among the sends of this process: claims of one key run one
 * after the other (read, then write if free). Two processes sharing a store can both find a key
 * free; a store that several processes share replaces this with its own atomic insert.
 */
export function inProcessClaimKey(keyv: Keyv): OpenedStore['claimKey'] {
  const queues = new Map<string, Promise<unknown>>();
  return (key, entryId, options = {}) => {
    const previous = queues.get(key) ?? Promise.resolve();
    const claim = previous.then(async () => {
      const holder = await keyv.get<string>(IDEMPOTENCY_PREFIX + key);
      if (holder !== undefined && holder !== options.replacing) return holder;
      if (!(await keyv.set(IDEMPOTENCY_PREFIX + key, entryId, options.ttlMs))) throw new Error(`the journal store did not write the idempotency key ${key}`);
      return undefined;
    });
    const settled = claim.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return claim;
  };
}

async function openKeyvStore(store: string | Keyv | undefined): Promise<Omit<OpenedStore, 'claimKey'>> {
  if (store instanceof Keyv) return { keyv: store, description: 'keyv (custom store)', owned: false };
  const target = store ?? DEFAULT_JOURNAL_PATH;
  if (target === 'memory://' || target === 'memory') {
    return { keyv: new Keyv({ namespace: NAMESPACE, throwOnErrors: true, serialize: serializeKeyvRow }), description: 'memory', owned: true };
  }
  if (/^rediss?:\/\//.test(target)) {
    const { default: KeyvRedis } = await importOptional<{ default: new (client: object, options: { connectionTimeout: number; throwOnErrors: boolean }) => object }>('@keyv/redis');
    // Without a connection timeout the Redis client reconnects forever on a refused connection or a
    // wrong password, and every journal call (and so every send) would wait for it. Once connected,
    // a server that goes away is reconnected to in the background; meanwhile a call fails at once
    // ("the client is offline") instead of waiting in the client's offline queue, which held every
    // send, and close(), for as long as the server stayed down.
    const client = { url: target, disableOfflineQueue: true, socket: { connectTimeout: STORE_CONNECT_TIMEOUT_MS, reconnectStrategy: redisReconnectDelay } };
    const store = new KeyvRedis(client, { connectionTimeout: STORE_CONNECT_TIMEOUT_MS, throwOnErrors: true });
    return { keyv: new Keyv({ store, namespace: NAMESPACE, throwOnErrors: true, serialize: serializeKeyvRow }), description: redactConnectionUrl(target), owned: true };
  }
  if (/^postgres(ql)?:\/\//.test(target)) {
    const { default: pg } = await importOptional<{ default: ConstructorParameters<typeof PostgresStore>[0] }>('pg');
    // pg waits for a connection without limit by default (a firewall that drops packets).
    const store = new PostgresStore(pg, target, { connectTimeoutMs: STORE_CONNECT_TIMEOUT_MS, redactedUrl: redactConnectionUrl(target) });
    return { keyv: new Keyv({ store, namespace: NAMESPACE, throwOnErrors: true, serialize: serializeKeyvRow }), sql: store, description: redactConnectionUrl(target), owned: true };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !target.startsWith('sqlite://')) {
    throw new MailError('CONFIG', `journal store "${redactConnectionUrl(target)}" is not supported: use a file path, sqlite://, redis://, postgres:// or memory://`);
  }
  return openSqlite(target.replace(/^sqlite:\/\//, ''));
}

async function openSqlite(path: string): Promise<Omit<OpenedStore, 'claimKey'>> {
  const file = resolve(path);
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (error) {
    throw unwritable(`cannot create the journal folder for ${file}: ${(error as Error).message}`, error);
  }
  const driver = await sqliteDriver();
  let store: SqlCapableStore & object;
  try {
    store = driver.open(file);
    // WAL + NORMAL: ~12k writes/s instead of ~1k, and still durable across a killed process.
    await whenNotBusy(() => store.query('PRAGMA journal_mode=WAL'));
    await store.query('PRAGMA synchronous=NORMAL');
    await proveWritable(store);
  } catch (error) {
    throw unwritable(`cannot open the journal ${file} for writing: ${(error as Error).message}`, error);
  }
  addBatchedWrites(store);
  const keyv = new Keyv({ store, namespace: NAMESPACE, throwOnErrors: true, serialize: serializeKeyvRow });
  return {
    keyv,
    sql: store,
    description: `sqlite:${path}`,
    driver: driver.name,
    owned: true,
    ...(store instanceof NodeSqliteStore ? { commitWithClaims: sqliteCommitWithClaims(keyv, store, IDEMPOTENCY_PREFIX) } : {}),
  };
}

/**
 * Loads the SQLite the journal would run on, without opening any file: a missing native binding is
 * then the CONFIG error (with its remedy) the first send would meet. Answers which one it is.
 */
export async function loadSqliteDriver(): Promise<SqliteDriver['name']> {
  return (await sqliteDriver()).name;
}

interface SqliteDriver {
  name: 'node:sqlite' | 'better-sqlite3' | 'sqlite3';
  open(file: string): SqlCapableStore & object;
}

/**
 * Which SQLite runs the journal: Node's own (node:sqlite) on Node >= 24, where it is stable and
 * needs no native build; otherwise better-sqlite3 (an optional dependency: synchronous, so a write
 * costs no thread-pool round trip, the journal's main cost with sqlite3); where its binding did not
 * build, the sqlite3 package's; and where that binding is missing too (install scripts skipped),
 * node:sqlite again if this runtime has it (Node 22 prints an ExperimentalWarning for it, which is
 * why it is not the first choice there). All keep one table layout: a file opens under any of them.
 */
async function sqliteDriver(): Promise<SqliteDriver> {
  const major = Number(process.versions.node.split('.')[0]);
  const builtin = major >= 24 ? builtinSqlite() : undefined;
  if (builtin) return builtinDriver(builtin);
  const better = betterSqlite();
  if (better) return builtinDriver(better, 'better-sqlite3');
  let bindingError: unknown;
  try {
    // Loaded with require first: a missing native binding is then a plain exception here, where an
    // ESM import of @keyv/sqlite would leave a rejected module job behind (an unhandled rejection).
    createRequire(import.meta.url)('sqlite3');
  } catch (error) {
    bindingError = error;
  }
  if (bindingError === undefined) {
    const { default: KeyvSqlite } = await import('@keyv/sqlite');
    return {
      name: 'sqlite3',
      // iterationLimit: keyv pages through SQLite 10 rows at a time by default, which is quadratic.
      open: (file) => new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: BUSY_TIMEOUT_MS, iterationLimit: 1000 } as never) as unknown as SqlCapableStore & object,
    };
  }
  const fallback = builtinSqlite();
  if (fallback) return builtinDriver(fallback);
  throw new MailError('CONFIG', `the SQLite journal cannot load the native binding of the package sqlite3 (${firstLine(bindingError)})`, {
    cause: bindingError,
    remedy:
      'Build it: run `npm rebuild sqlite3` (its install script was skipped: allow it, e.g. `pnpm approve-builds`, or `npm install` without --ignore-scripts). ' +
      'Or run on Node >= 24, whose built-in SQLite the journal uses without any build, or choose another store: journal: "redis://…", "postgres://…", "memory://" or false.',
  });
}

function builtinDriver(sqlite: SqliteModule, name: 'node:sqlite' | 'better-sqlite3' = 'node:sqlite'): SqliteDriver {
  return { name, open: (file) => new NodeSqliteStore(sqlite, file, { busyTimeoutMs: BUSY_TIMEOUT_MS }) };
}

// SQLite opens a file it may not write read-only without a word: a write inside a transaction that
// is rolled back shows it now, not at the first entry.
async function proveWritable(store: SqlCapableStore): Promise<void> {
  if (store instanceof NodeSqliteStore) {
    // In one synchronous go: a write lock held across an await would leave another mailer of this
    // process opening the same file to wait out its busy timeout with the thread blocked (10 s).
    try {
      store.inTransaction((run) => {
        run(`INSERT INTO ${store.opts.table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, `${NAMESPACE}:write-check`, '{}');
        throw ROLLED_BACK;
      });
    } catch (error) {
      if (error !== ROLLED_BACK) throw error;
    }
    return;
  }
  await store.query('BEGIN IMMEDIATE');
  try {
    await store.query(`INSERT INTO ${store.opts.table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, `${NAMESPACE}:write-check`, '{}');
  } finally {
    await store.query('ROLLBACK').catch(() => undefined);
  }
}

const ROLLED_BACK = Symbol('rolled back');

/**
 * The journal file cannot be created or written: a CONFIG error that says where and what to do; or,
 * when another process holds its write lock past the busy timeout, TRANSIENT (the next use tries again).
 */
export function unwritable(reason: string, cause: unknown): MailError {
  if (/database is locked|SQLITE_BUSY/i.test(String((cause as Error)?.message ?? cause)) || (cause as { code?: string })?.code === 'SQLITE_BUSY') {
    return new MailError('TRANSIENT', reason, {
      cause,
      remedy: `Another process held the journal's write lock for more than ${BUSY_TIMEOUT_MS / 1000} s (a long \`mailroom journal prune\`, a backup copying the file): the next send opens it again.`,
    });
  }
  if (/file is not a database|database disk image is malformed|SQLITE_NOTADB|SQLITE_CORRUPT/i.test(String((cause as Error)?.message ?? cause)) || /^SQLITE_(NOTADB|CORRUPT)/.test(String((cause as { code?: string })?.code ?? ''))) {
    return new MailError('CONFIG', reason, {
      cause,
      remedy:
        'The file is not an SQLite journal, or damaged (overwritten, truncated, a copy taken mid-write): check the path names the journal; if it does, move it aside (mv journal.sqlite journal.sqlite.bad, with its -wal and -shm files) and the next send starts a new journal. ' +
        '`sqlite3 journal.sqlite.bad ".recover"` may save its entries. mailroom never overwrites the file.',
    });
  }
  return new MailError('CONFIG', reason, {
    cause,
    remedy:
      'Point the journal at a writable place (journal: "/var/lib/myapp/journal.sqlite", or "/tmp/…" on a serverless host), make that folder and file writable by this process, ' +
      'or use a networked store (journal: "redis://…" or "postgres://…"); journal: false turns it off (no resend, no idempotency keys).',
  });
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}

// Switching a new file to WAL takes an exclusive lock, and SQLite's busy timeout does not cover it:
// two processes (or two mailers) opening one new journal at once would see SQLITE_BUSY.
async function whenNotBusy<T>(run: () => Promise<T>, tries = 100): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      // sqlite3 says code SQLITE_BUSY; node:sqlite gives SQLite's number (5, or an extended code of it).
      const { code, errcode } = error as { code?: string; errcode?: number };
      const busy = code === 'SQLITE_BUSY' || (typeof errcode === 'number' && (errcode & 0xff) === 5);
      if (!busy || attempt >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

// keyv.setMany hands serialized rows to store.setMany when the store has one. @keyv/sqlite has none,
// so each row would be its own transaction; one multi-row upsert commits a whole batch at once.
function addBatchedWrites(store: SqlCapableStore): void {
  const table = store.opts.table;
  (store as unknown as { setMany: (entries: { key: string; value: string }[]) => Promise<boolean[]> }).setMany = async (entries) => {
    for (let start = 0; start < entries.length; start += ROWS_PER_STATEMENT) {
      const chunk = entries.slice(start, start + ROWS_PER_STATEMENT);
      await store.query(upsertRowsSql(table, chunk.length), ...chunk.flatMap((entry) => [entry.key, entry.value]));
    }
    return entries.map(() => true);
  };
}

async function importOptional<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    throw new MailError('CONFIG', `the journal store needs the package "${name}": run npm install ${name}`, { cause: error });
  }
}

