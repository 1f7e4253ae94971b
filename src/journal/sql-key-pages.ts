// Reads every row of a key-value table in key order, a page at a time. Pages by key, not OFFSET:
// each page is an index seek, so a full scan stays linear on SQLite and PostgreSQL alike.
export type SqlQuery = (sql: string, ...params: unknown[]) => Promise<Array<Record<string, unknown>>>;

const PAGE_SIZE = 1000;

export async function* keyPages(query: SqlQuery, table: string, namespace?: string): AsyncGenerator<[string, string]> {
  let after = '';
  for (;;) {
    const rows = await query(
      `SELECT key, value FROM ${table} WHERE key LIKE ? AND key > ? ORDER BY key LIMIT ?`,
      `${namespace ? `${namespace}:` : ''}%`,
      after,
      PAGE_SIZE,
    );
    for (const row of rows) yield [row.key as string, row.value as string];
    if (rows.length < PAGE_SIZE) return;
    after = rows[rows.length - 1]!.key as string;
  }
}
