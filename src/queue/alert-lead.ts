// Which of the mailers sharing a queue speaks for it in the no-worker alert. Every queue-mode
// mailer checks the queue, and every one of them would see the same backlog and the same missing
// worker: without a lead, N instances send the same alert N times. The lead is a key beside
// BullMQ's, held by one mailer's id for a few check periods and renewed at each of its checks;
// when that mailer stops (or dies and stops renewing), the next one to check takes it over.

/** The Redis command the lead needs (ioredis's name, as BullMQ's client passes it through). */
export interface LeadClient {
  eval(script: string, keys: number, ...args: Array<string | number>): Promise<unknown>;
}

export function leadKey(queueName: string): string {
  return `bull:${queueName}:mailroom:alert-lead`;
}

// Take the key when free, renew it when ours: one script, so two mailers never both take it.
const CLAIM = `local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** True when `owner` holds the lead for the next `ttlMs` (taken now or renewed). */
export async function claimLead(client: LeadClient, queueName: string, owner: string, ttlMs: number): Promise<boolean> {
  return Number(await client.eval(CLAIM, 1, leadKey(queueName), owner, Math.max(1, Math.round(ttlMs)))) === 1;
}

/** Gives the lead up (a mailer that closes), so another mailer takes it at its next check. */
export async function releaseLead(client: LeadClient, queueName: string, owner: string): Promise<void> {
  await client.eval(RELEASE, 1, leadKey(queueName), owner);
}
