// `claimKey` made atomic across every process that shares the store (see OpenedStore.claimKey):
// SQLite runs it as one INSERT … ON CONFLICT statement (its own transaction under the file's write
// lock), PostgreSQL as one INSERT … ON CONFLICT on the primary key, Redis as SET NX (and, to take a
// key over from a named entry, one Lua script). An expired key row counts as absent. Stores the
// journal cannot reach below keyv (the in-memory one, a custom Keyv) get `inProcessClaimKey`.
import type Keyv from 'keyv';
import type { OpenedStore, SqlCapableStore } from './journal-store.js';

type ClaimKey = OpenedStore['claimKey'];

interface RedisLikeStore {
  /** Connects on first use, as every @keyv/redis call does. */
  getClient(): Promise<{ sendCommand<T>(args: string[]): Promise<T> }>;
  namespace?: string;
  createKeyPrefix(key: string, namespace?: string): string;
}

/** The cross-process claim for the store behind `keyv` (`sql` when the journal opened an SQL store), or undefined. */
export function storeClaimKey(keyv: Keyv, sql: SqlCapableStore | undefined, prefix: string): ClaimKey | undefined {
  const stored = (value: string, ttlMs: number | undefined) => serialized(keyv, value, ttlMs);
  const rowKey = (key: string) => (keyv as unknown as { _getKeyPrefix(key: string): string })._getKeyPrefix(prefix + key);
  if (sql?.opts.dialect === 'postgres') return claimSql(sql, rowKey, stored, (column) => `(${column}::jsonb->>'value')`, (column) => `(${column}::jsonb->>'expires')::bigint`);
  if (sql) return claimSql(sql, rowKey, stored, sqliteValueOf, sqliteExpiresOf);
  const store = (keyv as unknown as { store: unknown }).store;
  if (isRedisStore(store)) return claimRedis(keyv, store, rowKey, stored);
  return undefined;
}

async function serialized(keyv: Keyv, value: string, ttlMs: number | undefined): Promise<string> {
  const expires = ttlMs ? Date.now() + ttlMs : undefined;
  return (await (keyv.serialize as (data: unknown) => string | Promise<string>)({ value, expires })) as string;
}

function claimSql(
  sql: SqlCapableStore,
  rowKey: (key: string) => string,
  stored: (value: string, ttlMs: number | undefined) => Promise<string>,
  valueOf: (column: string) => string,
  expiresOf: (column: string) => string,
): ClaimKey {
  const table = sql.opts.table;
  const [insert, takeOver] = [claimSqlText(table, false, valueOf, expiresOf), claimSqlText(table, true, valueOf, expiresOf)];
  return async (key, entryId, options = {}) => {
    const full = rowKey(key);
    for (;;) {
      const value = await stored(entryId, options.ttlMs);
      const won = options.replacing === undefined ? await sql.query(insert, full, value, Date.now()) : await sql.query(takeOver, full, value, Date.now(), options.replacing);
      if (won.length > 0) return undefined;
      const rows = await sql.query(`SELECT ${valueOf('value')} AS holder FROM ${table} WHERE key = ?`, full);
      // Deleted between the two statements (a prune): claim again.
      if (rows.length > 0) return String(rows[0]!.holder);
    }
  };
}

/**
 * The one statement a claim is: parameters key, value, now (and, taking over, the entry replaced);
 * returns a row when the key is now the claimer's. An existing row is replaced only when it has
 * expired (SQLite keeps expired rows until a prune), or, when taking over, while it still names the
 * entry being replaced.
 */
export function claimSqlText(table: string, takeover: boolean, valueOf: (column: string) => string, expiresOf: (column: string) => string): string {
  return (
    `INSERT INTO ${table} AS held (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value ` +
    `WHERE (${expiresOf('held.value')} IS NOT NULL AND ${expiresOf('held.value')} < ?)${takeover ? ` OR ${valueOf('held.value')} = ?` : ''} RETURNING key`
  );
}

/** SQLite's spelling of the key row's entry id and expiry (the row's value is keyv's JSON). */
export const sqliteValueOf = (column: string) => `json_extract(${column}, '$.value')`;
export const sqliteExpiresOf = (column: string) => `json_extract(${column}, '$.expires')`;

function isRedisStore(store: unknown): store is RedisLikeStore {
  const candidate = store as Partial<RedisLikeStore> | undefined;
  return typeof candidate?.createKeyPrefix === 'function' && typeof candidate.getClient === 'function';
}

// Takes a key over only while it still names the entry being replaced (or is gone).
const TAKE_OVER = `
local current = redis.call('GET', KEYS[1])
if current then
  local held = cjson.decode(current).value
  if held ~= ARGV[3] then return held end
end
if ARGV[2] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) else redis.call('SET', KEYS[1], ARGV[1]) end
return false
`;

function claimRedis(keyv: Keyv, store: RedisLikeStore, rowKey: (key: string) => string, stored: (value: string, ttlMs: number | undefined) => Promise<string>): ClaimKey {
  return async (key, entryId, options = {}) => {
    const full = store.createKeyPrefix(rowKey(key), store.namespace);
    const client = await store.getClient();
    const value = await stored(entryId, options.ttlMs);
    if (options.replacing !== undefined) {
      const held = await client.sendCommand<string | null>(['EVAL', TAKE_OVER, '1', full, value, options.ttlMs ? String(options.ttlMs) : '', options.replacing]);
      return held ?? undefined;
    }
    for (;;) {
      const set = await client.sendCommand<string | null>(['SET', full, value, 'NX', ...(options.ttlMs ? ['PX', String(options.ttlMs)] : [])]);
      if (set === 'OK') return undefined;
      const raw = await client.sendCommand<string | null>(['GET', full]);
      // Expired between the two commands: claim again.
      if (raw !== null) return String(((await keyv.deserialize!(raw)) as { value: unknown } | undefined)?.value);
    }
  };
}
