// Sending limits held in a real redis-server and counted by every instance: three mailers (each its
// own Redis connection, as three app instances have) share one account's pace and concurrency, and
// a provider's slow-down seen by one pauses the others. Without `sharedLimits` each counts alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, type MailAdapter } from '../src/index.js';
import { FULL_CAPABILITIES } from '../src/core/adapter.js';
import { MailError } from '../src/core/errors.js';
import { normalizeMessage } from '../src/core/message.js';
import { SharedLimits } from '../src/kit/shared-limits.js';
import { startRedis, type RedisHandle } from './helpers/redis-server.js';

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An adapter of one account that takes `ms` per send and records how many sends overlap. */
function accountAdapter(account: string, limits: { messagesPerMinute?: number; concurrency?: number }, ms: number, shared: { now: number; max: number; starts: number[] }, fail?: () => MailError | undefined): MailAdapter {
  return {
    name: 'smtp',
    capabilities: FULL_CAPABILITIES,
    limits: { account, ...limits },
    async send(message) {
      shared.starts.push(Date.now());
      const error = fail?.();
      if (error) throw error;
      shared.now++;
      shared.max = Math.max(shared.max, shared.now);
      await sleep(ms);
      shared.now--;
      return { accepted: message.to.map((a) => a.address), rejected: [] };
    },
  };
}

const account = () => `smtp.example.com:587 shop-${Math.random().toString(36).slice(2)}@example.com`;
const message = { from: 'shop@example.com', to: 'ann@example.com', text: 'x' };

describe('limits shared by every instance (Redis)', () => {
  it('concurrency: 3 instances sending 6 messages each never have more than the account allows in progress', async () => {
    const shared = { now: 0, max: 0, starts: [] as number[] };
    const id = account();
    const mailers = [1, 2, 3].map(() => createMailer({ adapters: [accountAdapter(id, { concurrency: 2 }, 100, shared)], journal: false, sharedLimits: redis.url }));
    await Promise.all(mailers.flatMap((mailer) => Array.from({ length: 6 }, () => mailer.send(message))));
    expect(shared.max).toBe(2);
    expect(shared.starts).toHaveLength(18);
    await Promise.all(mailers.map((mailer) => mailer.close()));
  });

  it('without shared limits, each instance counts alone (the problem this solves)', async () => {
    const shared = { now: 0, max: 0, starts: [] as number[] };
    const id = account();
    const mailers = [1, 2, 3].map(() => createMailer({ adapters: [accountAdapter(id, { concurrency: 2 }, 100, shared)], journal: false }));
    await Promise.all(mailers.flatMap((mailer) => Array.from({ length: 6 }, () => mailer.send(message))));
    expect(shared.max).toBeGreaterThan(2);
    await Promise.all(mailers.map((mailer) => mailer.close()));
  });

  it('pace: 3 instances share one steady pace; a send whose slot is past maxWaitMs fails RATE_LIMITED with the wait', async () => {
    const shared = { now: 0, max: 0, starts: [] as number[] };
    const id = account();
    const mailers = [1, 2, 3].map(() => createMailer({ adapters: [accountAdapter(id, { messagesPerMinute: 600 }, 1, shared)], journal: false, retry: { attempts: 1 }, sharedLimits: { redis: redis.url, maxWaitMs: 5_000 } }));
    await Promise.all(mailers.flatMap((mailer) => Array.from({ length: 4 }, () => mailer.send(message))));
    const starts = [...shared.starts].sort((a, b) => a - b);
    expect(starts).toHaveLength(12);
    // 600 a minute: one start every 100 ms (+2 % headroom) across all three instances, so 12 starts
    // span 11 intervals (1.1 s; each instance counting alone would start them all at once).
    expect(starts[11]! - starts[0]!).toBeGreaterThanOrEqual(1_000);

    const slow = account();
    const few = [1, 2, 3].map(() => createMailer({ adapters: [accountAdapter(slow, { messagesPerMinute: 60 }, 1, shared)], journal: false, retry: { attempts: 1 }, sharedLimits: { redis: redis.url, maxWaitMs: 500 } }));
    const outcomes = await Promise.allSettled(few.map((mailer) => mailer.send(message)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected').map((outcome) => outcome.reason as MailError);
    expect(refused).toHaveLength(2);
    expect(refused[0]!.attempts![0]!.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/shared sending limit .*60 messages a minute.*counted across every instance/) });
    await Promise.all([...mailers, ...few].map((mailer) => mailer.close()));
  });

  it('pace headroom: the next slot is one interval plus the documented 2 % away, never more', async () => {
    const shared = { now: 0, max: 0, starts: [] as number[] };
    // One a minute: the interval is long enough that the moments between the two sends (a few ms)
    // cannot hide the difference between 2 % (1.2 s) and more.
    const perMinute = 1;
    const interval = 60_000 / perMinute;
    const limits = new SharedLimits({ redis: redis.url, maxWaitMs: 500 });
    const adapter = limits.wrap(accountAdapter(account(), { messagesPerMinute: perMinute }, 1, shared));
    const normalized = normalizeMessage(message);
    const ctx = () => ({ signal: AbortSignal.timeout(5_000), attempt: 1 });
    try {
      await adapter.send(normalized, ctx());
      const refused = await adapter.send(normalized, ctx()).then(() => undefined, (error: unknown) => error as MailError);
      expect(refused?.code).toBe('RATE_LIMITED');
      expect(refused?.retryAfterMs).toBeGreaterThan(interval - 1_000);
      expect(refused?.retryAfterMs).toBeLessThanOrEqual(Math.ceil(interval * 1.02));
    } finally {
      await limits.close();
    }
  });

  it("a provider's slow-down seen by one instance pauses the others' sends through that account", async () => {
    const shared = { now: 0, max: 0, starts: [] as number[] };
    const id = account();
    let first = true;
    const throttled = () => {
      if (!first) return undefined;
      first = false;
      return new MailError('RATE_LIMITED', '432 4.3.2 Concurrent connections limit exceeded', { provider: 'smtp', retryAfterMs: 1200, smtpCode: 432, enhancedCode: '4.3.2' });
    };
    const a = createMailer({ adapters: [accountAdapter(id, { concurrency: 3 }, 1, shared, throttled)], journal: false, retry: { attempts: 1 }, sharedLimits: redis.url });
    const b = createMailer({ adapters: [accountAdapter(id, { concurrency: 3 }, 1, shared)], journal: false, sharedLimits: redis.url });
    await expect(a.send(message)).rejects.toMatchObject({ code: 'ALL_FAILED' });
    const before = Date.now();
    await b.send(message);
    expect(shared.starts[1]! - before).toBeGreaterThanOrEqual(1000);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('limits shared through a Redis that is down', () => {
  it('fail TRANSIENT naming the shared limits and their Redis (without its password), not the adapter, with a remedy; nothing is sent', async () => {
    const shared = { now: 0, max: 0, starts: [] as number[] };
    const mailer = createMailer({ adapters: [accountAdapter(account(), { messagesPerMinute: 600 }, 0, shared)], journal: false, retry: { attempts: 1 }, sharedLimits: 'redis://:hunter2-limits@127.0.0.1:1' });
    const error = (await mailer.send(message).catch((caught: unknown) => caught)) as MailError;
    expect(error).toBeInstanceOf(MailError);
    const last = error.attempts!.at(-1)!.error!;
    expect(last.code).toBe('TRANSIENT');
    expect(last.message).toMatch(/shared sending limits.*redis:\/\/:\*\*\*@127\.0\.0\.1:1.*cannot be reached/);
    expect(last.message).not.toMatch(/maxRetriesPerRequest/);
    expect(last.remedy).toMatch(/sharedLimits/);
    expect(JSON.stringify(error)).not.toContain('hunter2-limits');
    expect(`${error.message} ${error.remedy}`).not.toContain('hunter2-limits');
    expect(shared.starts).toHaveLength(0);
    await mailer.close();
  }, 30_000);
});
