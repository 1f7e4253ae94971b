// A keyv store on a synchronous SQLite: the one Node ships (`node:sqlite`), so the journal needs no
// native build where the runtime has one, or the better-sqlite3 package (same calls, through
// `betterSqlite` below) on Node 20 and 22. A synchronous binding answers a write in microseconds
// where the sqlite3 package's thread pool takes a round trip per call, which a send waits for.
// It keeps @keyv/sqlite's table layout (`keyv`: key VARCHAR(255) PRIMARY KEY, value TEXT) so one
// journal file can be read by any driver, and answers the same `query(sql, ...params)` the
// journal's indexed listing uses.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { keyPages } from './sql-key-pages.js';

/** The part of node:sqlite's `DatabaseSync` this store uses. */
interface DatabaseSync {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}
interface Statement {
  all(...params: unknown[]): Array<Record<string, unknown>>;
}
export interface SqliteModule {
  DatabaseSync: new (path: string) => DatabaseSync;
}

// Prepared statements kept per store: the journal's statements repeat (a batch of n rows is one
// of a few hundred shapes at most), and preparing is a good part of a small write's cost.
const STATEMENT_CACHE = 256;

/** The part of better-sqlite3 this store uses. */
interface BetterSqliteDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): { reader: boolean; all(...params: unknown[]): unknown[]; run(...params: unknown[]): unknown };
  close(): unknown;
}

/**
 * better-sqlite3, shaped as node:sqlite, when its compiled binding loads (probed by opening an
 * in-memory database: the package itself loads without it); else undefined. Its `all` refuses a
 * statement that returns no rows, which node:sqlite answers with none: such statements are `run`.
 */
export function betterSqlite(): SqliteModule | undefined {
  let Database: new (path: string) => BetterSqliteDatabase;
  try {
    Database = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
    new Database(':memory:').close();
  } catch {
    return undefined;
  }
  class BetterSqlite implements DatabaseSync {
    readonly #db: BetterSqliteDatabase;
    constructor(path: string) {
      this.#db = new Database(path);
    }
    exec(sql: string): void {
      this.#db.exec(sql);
    }
    prepare(sql: string): Statement {
      const statement = this.#db.prepare(sql);
      return {
        all: (...params) => (statement.reader ? (statement.all(...params) as Array<Record<string, unknown>>) : (statement.run(...params), [])),
      };
    }
    close(): void {
      this.#db.close();
    }
  }
  return { DatabaseSync: BetterSqlite };
}

/** node:sqlite when this runtime provides it (Node >= 22.13 and 23.4 unflagged), else undefined. */
export function builtinSqlite(): SqliteModule | undefined {
  try {
    return process.getBuiltinModule?.('node:sqlite') as SqliteModule | undefined;
  } catch {
    return undefined; // an older runtime that knows the name only behind --experimental-sqlite
  }
}

export class NodeSqliteStore extends EventEmitter {
  readonly opts: { table: string; dialect: 'sqlite'; url: string };
  readonly ttlSupport = false;
  namespace?: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, Statement>();

  constructor(sqlite: SqliteModule, file: string, options: { busyTimeoutMs: number }) {
    super();
    this.opts = { table: 'keyv', dialect: 'sqlite', url: `sqlite://${file}` };
    this.#db = new sqlite.DatabaseSync(file);
    this.#db.exec(`PRAGMA busy_timeout = ${Math.floor(options.busyTimeoutMs)}`);
    this.#db.exec(`CREATE TABLE IF NOT EXISTS ${this.opts.table}(key VARCHAR(255) PRIMARY KEY, value TEXT)`);
  }

  /** Runs one statement; resolves its rows. Async like @keyv/sqlite's, though node:sqlite is synchronous. */
  async query(sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>> {
    // @keyv/sqlite's callers may pass the parameters as one array.
    const values = params.length === 1 && Array.isArray(params[0]) ? (params[0] as unknown[]) : params;
    return this.#statement(sql).all(...values);
  }

  /**
   * Runs `work` as one write transaction, synchronously: nothing else on this connection runs in
   * between, and its statements are committed together (one commit instead of one per statement,
   * a commit being most of a small write's cost). Rolled back when `work` throws.
   */
  inTransaction<T>(work: (run: (sql: string, ...params: unknown[]) => Array<Record<string, unknown>>) => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = work((sql, ...params) => this.#statement(sql).all(...params));
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      try {
        this.#db.exec('ROLLBACK');
      } catch {
        // Already rolled back by SQLite itself (a failed COMMIT).
      }
      throw error;
    }
  }

  #statement(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE) this.#statements.delete(this.#statements.keys().next().value!);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async get(key: string): Promise<string | undefined> {
    const rows = await this.query(`SELECT value FROM ${this.opts.table} WHERE key = ?`, key);
    return rows[0]?.value as string | undefined;
  }

  async getMany(keys: string[]): Promise<Array<string | undefined>> {
    const rows = await this.query(`SELECT key, value FROM ${this.opts.table} WHERE key IN (SELECT value FROM json_each(?))`, JSON.stringify(keys));
    const found = new Map(rows.map((row) => [row.key as string, row.value as string]));
    return keys.map((key) => found.get(key));
  }

  async set(key: string, value: string): Promise<void> {
    await this.query(`INSERT INTO ${this.opts.table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, key, value);
  }

  async delete(key: string): Promise<boolean> {
    const rows = await this.query(`DELETE FROM ${this.opts.table} WHERE key = ? RETURNING key`, key);
    return rows.length > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    const rows = await this.query(`DELETE FROM ${this.opts.table} WHERE key IN (SELECT value FROM json_each(?)) RETURNING key`, JSON.stringify(keys));
    return rows.length > 0;
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async clear(): Promise<void> {
    await this.query(`DELETE FROM ${this.opts.table} WHERE key LIKE ?`, this.namespace ? `${this.namespace}:%` : '%');
  }

  iterator(namespace?: string): AsyncGenerator<[string, string]> {
    return keyPages((sql, ...params) => this.query(sql, ...params), this.opts.table, namespace);
  }

  async disconnect(): Promise<void> {
    this.#statements.clear();
    this.#db.close();
  }
}
