// A journal batch and the idempotency-key claims of its new entries, committed in one SQLite
// transaction on a synchronous binding (node:sqlite, better-sqlite3). A keyed send otherwise pays
// two commits before it may start: its pending entry's batch, then its key's claim, each a commit of
// its own, and a commit is most of a small write's cost. In one transaction the entry and the key
// that points at it become visible together, under the file's write lock, so the claim stays atomic
// across processes; the statements are the same ones the separate steps run. Every journal batch
// on such a store is written this way (with no claims most of the time): the rows serialized
// synchronously, one transaction, none of keyv's per-row promises.
import type Keyv from 'keyv';
import { keyvRow, SerializedValue, serializeKeyvRow } from './fast-serialize.js';
import type { NodeSqliteStore } from './node-sqlite-store.js';
import { claimSqlText, sqliteExpiresOf, sqliteValueOf } from './store-claim.js';

/** A claim of `key` for `entryId`, as `claimKey` without `replacing`. */
export interface BatchClaim {
  key: string;
  entryId: string;
}

/**
 * Writes `rows` (keyv keys and values, as `keyv.setMany` takes them) and then makes each claim, in
 * one transaction. Answers each claim's holder as `claimKey` does: undefined when the key is now the
 * claim's entry's, else the id it points at. Rejects, having written nothing, when it fails.
 */
export type CommitWithClaims = (rows: Array<{ key: string; value: unknown }>, claims: BatchClaim[], ttlMs: number | undefined) => Promise<Array<string | undefined>>;

/** Rows per INSERT statement: well under SQLite's bound-variable limit. */
export const ROWS_PER_STATEMENT = 400;

const upserts = new Map<string, string>();

/** The multi-row upsert of `count` rows (key, value) that a batch is written with (built once per size). */
export function upsertRowsSql(table: string, count: number): string {
  const id = `${table}:${count}`;
  let sql = upserts.get(id);
  if (!sql) {
    sql = `INSERT INTO ${table} (key, value) VALUES ${Array.from({ length: count }, () => '(?, ?)').join(', ')} ON CONFLICT(key) DO UPDATE SET value=excluded.value`;
    upserts.set(id, sql);
  }
  return sql;
}

export function sqliteCommitWithClaims(keyv: Keyv, store: NodeSqliteStore, keyPrefix: string): CommitWithClaims {
  const table = store.opts.table;
  const claimSql = claimSqlText(table, false, sqliteValueOf, sqliteExpiresOf);
  const holderSql = `SELECT ${sqliteValueOf('value')} AS holder FROM ${table} WHERE key = ?`;
  const internals = keyv as unknown as { _getKeyPrefix(key: string): string };
  // The rows keyv itself would write (its key prefix, its serializer: the journal's Keyv is built
  // with serializeKeyvRow), made here synchronously: no promise per row, one transaction per batch.
  // Values the journal queued already serialized (SerializedValue) only get the row around them.
  const serialized = (key: string, value: unknown, expires: number | undefined) =>
    [internals._getKeyPrefix(key), value instanceof SerializedValue ? keyvRow(value, expires) : serializeKeyvRow({ value, expires })];
  return async (rows, claims, ttlMs) => {
    const expires = ttlMs ? Date.now() + ttlMs : undefined;
    const params = rows.map((row) => serialized(row.key, row.value, expires));
    const claimRows = claims.map((claim) => serialized(keyPrefix + claim.key, claim.entryId, expires));
    return store.inTransaction((run) => {
      for (let start = 0; start < params.length; start += ROWS_PER_STATEMENT) {
        const chunk = params.slice(start, start + ROWS_PER_STATEMENT);
        run(upsertRowsSql(table, chunk.length), ...chunk.flat());
      }
      const now = Date.now();
      return claimRows.map(([key, value]) => {
        if (run(claimSql, key, value, now).length > 0) return undefined;
        // Inside the transaction the row cannot vanish between the two statements.
        return String(run(holderSql, key)[0]!.holder);
      });
    });
  };
}
