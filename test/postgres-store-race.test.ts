// Instances starting together on a new PostgreSQL journal all create its table at once. PostgreSQL
// answers the losers of that race with a unique violation on pg_type, or "type ... already exists":
// each store must still open and answer, not fail every send (4 processes on one fresh database
// did fail this way: test/many-instances.test.ts).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/journal/postgres-store.js';
import { startPostgres, type PostgresHandle } from './helpers/postgres-server.js';

let server: PostgresHandle;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe('PostgreSQL journal stores opened at once on a database without the table', () => {
  it('every store opens and answers, round after round', async () => {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const failures: string[] = [];
    try {
      for (let round = 0; round < 30; round++) {
        await admin.query('DROP TABLE IF EXISTS mailroom_journal');
        const stores = Array.from({ length: 8 }, () => new PostgresStore(pg, server.url, { connectTimeoutMs: 5_000, redactedUrl: 'postgres://127.0.0.1' }));
        // As the journal's Keyv does: a pooled connection the server ends later is reported, not thrown.
        for (const store of stores) store.on('error', () => undefined);
        const answers = await Promise.allSettled(stores.map((store) => store.get('missing')));
        for (const answer of answers) if (answer.status === 'rejected') failures.push(`round ${round}: ${(answer.reason as Error).message}`);
        await Promise.all(stores.map((store) => store.disconnect()));
      }
    } finally {
      await admin.end();
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
