// Which workers of a Redis queue are alive: each worker writes a heartbeat (its id, scored with the
// server's time) into one sorted set beside BullMQ's keys, and readers count the fresh ones.
// BullMQ's own getWorkers() reads CLIENT LIST, which managed Redis often disables (GCP Memorystore,
// `rename-command CLIENT ""`): BullMQ then answers one placeholder entry, so "1 worker" would be
// reported with none running and a backlog would never raise its alert. A heartbeat needs only
// plain commands, and says "alive" rather than "connected": a hung process stops beating.
// (BullMQ's PostgreSQL backend counts workers from pg_stat_activity, which needs no heartbeat.)

/** A worker beats this often. */
export const HEARTBEAT_MS = 10_000;
/** A worker whose last beat is older than this is gone (three beats missed: a restart or a blocked loop, not one slow write). */
export const PRESENCE_TTL_MS = 3 * HEARTBEAT_MS;

/** The few Redis commands presence needs (ioredis names, as BullMQ's client passes them through). */
export interface PresenceClient {
  time(): Promise<[string, string] | string[]>;
  zadd(key: string, score: number, member: string): Promise<unknown>;
  zremrangebyscore(key: string, min: string | number, max: string | number): Promise<unknown>;
  zcount(key: string, min: string | number, max: string | number): Promise<number>;
  zrem(key: string, member: string): Promise<unknown>;
  pexpire(key: string, ms: number): Promise<unknown>;
}

/** The sorted set of one queue's heartbeats, under BullMQ's default prefix ("bull:<name>:..."). */
export function presenceKey(queueName: string): string {
  return `bull:${queueName}:mailroom:workers`;
}

// The server's clock, so that hosts whose clocks differ still agree on which beats are fresh.
async function serverNow(client: PresenceClient): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
}

/** Records that `workerId` is alive now; old beats (workers that stopped without a goodbye) are dropped. */
export async function beat(client: PresenceClient, queueName: string, workerId: string): Promise<void> {
  const key = presenceKey(queueName);
  const now = await serverNow(client);
  await client.zadd(key, now, workerId);
  await client.zremrangebyscore(key, '-inf', now - PRESENCE_TTL_MS);
  // A queue whose workers are all gone leaves no key behind for long.
  await client.pexpire(key, PRESENCE_TTL_MS * 2);
}

/** A worker that stops says so, so `mailroom queue` and the alert see it gone at once. */
export async function leave(client: PresenceClient, queueName: string, workerId: string): Promise<void> {
  await client.zrem(presenceKey(queueName), workerId);
}

/** Workers whose last beat is fresh. */
export async function aliveWorkers(client: PresenceClient, queueName: string): Promise<number> {
  return client.zcount(presenceKey(queueName), (await serverNow(client)) - PRESENCE_TTL_MS, '+inf');
}

/**
 * Beats every HEARTBEAT_MS until stopped (an unref'd timer: it never keeps a process alive). A beat
 * that fails (the server is down) is only skipped: BullMQ reconnects, and the next beat says alive again.
 */
export function startHeartbeat(client: () => Promise<PresenceClient>, queueName: string, workerId: string): { stop(): Promise<void> } {
  let beating: Promise<void> = Promise.resolve();
  const once = () => void (beating = client().then((redis) => beat(redis, queueName, workerId)).catch(() => undefined));
  once();
  const timer = setInterval(once, HEARTBEAT_MS).unref();
  return {
    async stop() {
      clearInterval(timer);
      // A beat still on its way would land after the goodbye and count the worker for another PRESENCE_TTL_MS.
      await beating;
      await client().then((redis) => leave(redis, queueName, workerId));
    },
  };
}
