// Loads BullMQ and the driver its backend needs (ioredis, or pg for the PostgreSQL backend) when a
// queue is first used, never at import: they are optional peer dependencies. A missing one is a
// CONFIG error that names the command to install it. (Kept apart from the public types, so that
// mailroom's declarations never name a package the app may not have installed.)
import { MailError } from '../core/errors.js';
import { isPostgres } from './queue-options.js';

type BullMq = typeof import('bullmq');

/** BullMQ itself, with the driver its backend needs, or CONFIG naming what to install. */
export async function loadBullMq(connection: string): Promise<BullMq> {
  const bull = await importOptional<BullMq>('bullmq', 'bullmq');
  await importOptional(isPostgres(connection) ? 'pg' : 'ioredis', isPostgres(connection) ? 'bullmq pg' : 'bullmq ioredis');
  return bull;
}

async function importOptional<T>(name: string, install: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (error) {
    throw new MailError('CONFIG', `queue mode needs the package "${name}"`, { cause: error, remedy: `Run npm install ${install}.` });
  }
}

/** BullMQ's PostgreSQL schema (idempotent, advisory-locked by BullMQ). */
export async function migrate(bull: typeof import('bullmq'), connection: string): Promise<void> {
  const { default: pg } = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ 'pg')) as unknown as { default: typeof import('pg') };
  const client = new pg.Client({ connectionString: connection, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await bull.runMigrations(client as never);
  } finally {
    await client.end();
  }
}
