// Opens the keyv store behind the send journal from what the user configured: a Keyv instance, or a
// string (a file path or sqlite:// URL, redis://, postgres://, memory://). The embedded default is an
// SQLite file tuned for many small writes; optional stores are imported lazily and a missing package
// is a CONFIG error that names it.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Keyv from 'keyv';
import { MailError } from './errors.js';

/** Where the journal lives when nothing is configured. */
export const DEFAULT_JOURNAL_PATH = '.mailroom/journal.sqlite';

/** A store that can run SQL (the SQLite default): lets the journal list with indexed queries. */
export interface SqlCapableStore {
  query(sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>>;
  opts: { table: string; dialect?: string };
}

export interface OpenedStore {
  keyv: Keyv;
  /** Set when the store is the SQLite one, for fast listing. */
  sql?: SqlCapableStore;
  /** Human description without credentials, e.g. "sqlite:.mailroom/journal.sqlite". */
  description: string;
  /** False for a Keyv the caller passed in: the caller closes it. */
  owned: boolean;
}

const NAMESPACE = 'mailroom';
/** How long a networked journal store (Redis, Postgres) may take to connect before a call fails. */
const STORE_CONNECT_TIMEOUT_MS = 5_000;

export async function openJournalStore(store: string | Keyv | undefined): Promise<OpenedStore> {
  if (store instanceof Keyv) return { keyv: store, description: 'keyv (custom store)', owned: false };
  const target = store ?? DEFAULT_JOURNAL_PATH;
  if (target === 'memory://' || target === 'memory') {
    return { keyv: new Keyv({ namespace: NAMESPACE, throwOnErrors: true }), description: 'memory', owned: true };
  }
  if (/^rediss?:\/\//.test(target)) {
    const { default: KeyvRedis } = await importOptional<{ default: new (url: string, options: { connectionTimeout: number }) => object }>('@keyv/redis');
    // Without a connection timeout the Redis client reconnects forever on a refused connection or a
    // wrong password, and every journal call (and so every send) would wait for it.
    const store = new KeyvRedis(target, { connectionTimeout: STORE_CONNECT_TIMEOUT_MS });
    return { keyv: new Keyv({ store, namespace: NAMESPACE, throwOnErrors: true }), description: redactUrl(target), owned: true };
  }
  if (/^postgres(ql)?:\/\//.test(target)) {
    const { default: KeyvPostgres } = await importOptional<{ default: new (options: { uri: string; connectionTimeoutMillis: number }) => object }>('@keyv/postgres');
    // pg waits for a connection without limit by default (a firewall that drops packets).
    const store = new KeyvPostgres({ uri: target, connectionTimeoutMillis: STORE_CONNECT_TIMEOUT_MS });
    return { keyv: new Keyv({ store, namespace: NAMESPACE, throwOnErrors: true }), description: redactUrl(target), owned: true };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !target.startsWith('sqlite://')) {
    throw new MailError('CONFIG', `journal store "${redactUrl(target)}" is not supported: use a file path, sqlite://, redis://, postgres:// or memory://`);
  }
  return openSqlite(target.replace(/^sqlite:\/\//, ''));
}

async function openSqlite(path: string): Promise<OpenedStore> {
  const file = resolve(path);
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (error) {
    throw new MailError('CONFIG', `cannot create the journal folder ${dirname(file)}: ${(error as Error).message}`, { cause: error });
  }
  const { default: KeyvSqlite } = await import('@keyv/sqlite');
  // iterationLimit: keyv pages through SQLite 10 rows at a time by default, which is quadratic.
  const store = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 10_000, iterationLimit: 1000 } as never) as unknown as SqlCapableStore & object;
  try {
    // WAL + NORMAL: ~12k writes/s instead of ~1k, and still durable across a killed process.
    await whenNotBusy(() => store.query('PRAGMA journal_mode=WAL'));
    await store.query('PRAGMA synchronous=NORMAL');
  } catch (error) {
    throw new MailError('CONFIG', `cannot open the journal ${file}: ${(error as Error).message}`, { cause: error });
  }
  addBatchedWrites(store);
  return { keyv: new Keyv({ store, namespace: NAMESPACE, throwOnErrors: true }), sql: store, description: `sqlite:${path}`, owned: true };
}

// Switching a new file to WAL takes an exclusive lock, and SQLite's busy timeout does not cover it:
// two processes (or two mailers) opening one new journal at once would see SQLITE_BUSY.
async function whenNotBusy<T>(run: () => Promise<T>, tries = 100): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= tries) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

// keyv.setMany hands serialized rows to store.setMany when the store has one. @keyv/sqlite has none,
// so each row would be its own transaction; one multi-row upsert commits a whole batch at once.
function addBatchedWrites(store: SqlCapableStore): void {
  const table = store.opts.table;
  (store as unknown as { setMany: (entries: { key: string; value: string }[]) => Promise<boolean[]> }).setMany = async (entries) => {
    const rowsPerStatement = 400; // well under SQLite's bound-variable limit
    for (let start = 0; start < entries.length; start += rowsPerStatement) {
      const chunk = entries.slice(start, start + rowsPerStatement);
      const placeholders = chunk.map(() => '(?, ?)').join(', ');
      const params = chunk.flatMap((entry) => [entry.key, entry.value]);
      await store.query(
        `INSERT INTO ${table} (key, value) VALUES ${placeholders} ON CONFLICT(key) DO UPDATE SET value=excluded.value`,
        ...params,
      );
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

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_, auth: string) => (auth.includes(':') ? `//${auth.split(':')[0]}:***@` : `//${auth}@`));
}
