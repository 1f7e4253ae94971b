// A keyv store on PostgreSQL through `pg`, so the journal on PostgreSQL lists with indexed queries
// and claims idempotency keys atomically, as on SQLite. Built on pg directly rather than
// @keyv/postgres: that store keys rows by VARCHAR(255) in the database's collation, where a
// locale collation (en_US.UTF-8, the usual default) does not order keys byte by byte, so a ULID
// range would not be a time range; and its pool is not reachable for the one-statement claim.
// Keys are TEXT COLLATE "C" (byte order: ULIDs sort by time); values are keyv's serialized JSON.
import { EventEmitter } from 'node:events';
import { keyPages } from './sql-key-pages.js';

// The part of pg this store uses (typed here: pg is an optional peer dependency, and mailroom's
// declarations must not name a package the app may not have installed).
interface Pool {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): Promise<void>;
}
interface PoolConfig {
  connectionString: string;
  connectionTimeoutMillis: number;
  max: number;
}

/** The table the journal lives in, in the connection's default schema. */
export const POSTGRES_TABLE = 'mailroom_journal';

type PgModule = { Pool: new (config: PoolConfig) => Pool };

const CREATE_RACE_CODES = new Set(['23505', '42710', '42P07']);

export class PostgresStore extends EventEmitter {
  readonly opts: { table: string; dialect: 'postgres'; url: string };
  readonly ttlSupport = false;
  namespace?: string;
  readonly #pool: Pool;
  readonly #ready: Promise<unknown>;

  constructor(pg: PgModule, uri: string, options: { connectTimeoutMs: number; redactedUrl: string }) {
    super();
    this.opts = { table: POSTGRES_TABLE, dialect: 'postgres', url: options.redactedUrl };
    this.#pool = new pg.Pool({ connectionString: uri, connectionTimeoutMillis: options.connectTimeoutMs, max: 10 });
    // An idle client that loses its server (a restart) emits here; unhandled, it would end the process.
    this.#pool.on('error', (error) => this.emit('error', error));
    const create = () => this.#pool.query(`CREATE TABLE IF NOT EXISTS ${POSTGRES_TABLE} (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL)`);
    this.#ready = create().catch((error: unknown) => {
      // Two processes creating the table at once: the loser sees a unique violation on pg_type
      // (23505), or "type ... already exists" (42710) or "relation ... already exists" (42P07). The
      // table is there once the winner commits: asked again, IF NOT EXISTS says so. Anything else,
      // or a second failure (a stray type of that name, no table), is the store's to report.
      if (!CREATE_RACE_CODES.has((error as { code?: string }).code ?? '')) throw error;
      return create();
    });
    // Its failure (the server down) is each query's to report; nobody awaiting it yet must not make
    // it an unhandled rejection, which ends the process.
    this.#ready.catch(() => undefined);
  }

  /** Runs one statement with `?` placeholders (the SQLite spelling the journal uses); resolves its rows. */
  async query(sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>> {
    await this.#ready;
    const values = params.length === 1 && Array.isArray(params[0]) ? (params[0] as unknown[]) : params;
    let index = 0;
    const text = sql.replace(/\?/g, () => `$${++index}`);
    return (await this.#pool.query(text, values)).rows as Array<Record<string, unknown>>;
  }

  async get(key: string): Promise<string | undefined> {
    const rows = await this.query(`SELECT value FROM ${POSTGRES_TABLE} WHERE key = ?`, key);
    return rows[0]?.value as string | undefined;
  }

  async getMany(keys: string[]): Promise<Array<string | undefined>> {
    // One parameter that is itself an array: wrapped, or query() would take it for the parameter list.
    const rows = await this.query(`SELECT key, value FROM ${POSTGRES_TABLE} WHERE key = ANY(?)`, [keys]);
    const found = new Map(rows.map((row) => [row.key as string, row.value as string]));
    return keys.map((key) => found.get(key));
  }

  async set(key: string, value: string): Promise<void> {
    await this.setMany([{ key, value }]);
  }

  /** One statement, so a batch of journal writes commits together. */
  async setMany(entries: Array<{ key: string; value: string }>): Promise<boolean[]> {
    // The last write of a key in one batch wins, as in SQLite; ON CONFLICT refuses a key twice.
    const latest = new Map(entries.map((entry) => [entry.key, entry.value]));
    await this.query(
      `INSERT INTO ${POSTGRES_TABLE} (key, value) SELECT * FROM unnest(?::text[], ?::text[]) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [...latest.keys()],
      [...latest.values()],
    );
    return entries.map(() => true);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.query(`DELETE FROM ${POSTGRES_TABLE} WHERE key = ? RETURNING key`, key)).length > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    return (await this.query(`DELETE FROM ${POSTGRES_TABLE} WHERE key = ANY(?) RETURNING key`, [keys])).length > 0;
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async clear(): Promise<void> {
    await this.query(`DELETE FROM ${POSTGRES_TABLE} WHERE key LIKE ?`, this.namespace ? `${this.namespace}:%` : '%');
  }

  iterator(namespace?: string): AsyncGenerator<[string, string]> {
    return keyPages((sql, ...params) => this.query(sql, ...params), POSTGRES_TABLE, namespace);
  }

  async disconnect(): Promise<void> {
    await this.#pool.end();
  }
}
