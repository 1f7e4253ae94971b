// Sending limits held in Redis, so every instance of an app counts against one budget per account:
// pace (a steady start every 1/N of a minute) and concurrency (sends in progress), plus a shared
// pause when a provider says "slow down" (a 429, Office 365's `432 4.3.2`), so one instance's
// warning slows all of them. Each decision is one Lua script, atomic in Redis and timed by Redis's
// own clock, so instances with drifting clocks still agree. Without Redis the adapters' in-process
// limits (SendLimiter, the SMTP pool size) apply.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AdapterLimits, MailAdapter, SendContext, SendReceipt } from '../core/adapter.js';
import { MailError, toMailError } from '../core/errors.js';
import { redactConnectionUrl } from '../core/redact-url.js';
import type { NormalizedMessage } from '../core/message.js';

export interface SharedLimitsOptions {
  /** The Redis every instance uses, `redis://…`. */
  redis: string;
  /** Longest a send waits for its slot before failing RATE_LIMITED (then the chain moves on). Default 10,000 ms. */
  maxWaitMs?: number;
  /** How long a send may hold a concurrency slot if its process dies mid-send. Default 120,000 ms. */
  leaseMs?: number;
  /** Pause after a slow-down that names no wait. Default 10,000 ms. */
  slowDownMs?: number;
}

const WINDOW_MS = 60_000;
// Each start is spaced 2 % beyond 1/perMinute of a minute (README "Limits shared by every instance"): network jitter
// then never puts more than the pace into a window the provider counts, at little cost in rate.
const PACE_HEADROOM = 1.02;

// KEYS: pace key (the next free start time), concurrency zset, pause key. ARGV: perMinute (0 = none),
// concurrency (0 = none), maxWaitMs, leaseMs, id. Returns { status, waitMs }: 0 = slot reserved to
// start in waitMs, 1 = over maxWaitMs (not reserved), 2 = every concurrency slot is busy (retry
// shortly). The pace is a steady one: one start per 1/perMinute of a minute, plus 2 % of headroom
// so that network jitter never puts more than the pace into any window the provider counts.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMinute, concurrency, maxWait, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local start = now
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > start then start = paused end
if concurrency > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= concurrency then return {2, 0} end
end
local interval = 0
if perMinute > 0 then
  interval = math.ceil(${WINDOW_MS} / perMinute * ${PACE_HEADROOM})
  local free = tonumber(redis.call('GET', KEYS[1]) or '0')
  if free > start then start = free end
end
if start - now > maxWait then return {1, start - now} end
if perMinute > 0 then
  redis.call('SET', KEYS[1], start + interval, 'PX', start + interval - now + 1000)
end
if concurrency > 0 then
  redis.call('ZADD', KEYS[2], start + lease, ARGV[5])
  redis.call('PEXPIRE', KEYS[2], lease + maxWait + 1000)
end
return {0, start - now}
`;

// KEYS: pause key. ARGV: pause length. Extends the pause, never shortens it.
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1]) + 1000) end
return untilMs
`;

/** One Redis connection deciding the slots of every adapter with limits, for one mailer. */
export class SharedLimits {
  readonly #options: Required<Omit<SharedLimitsOptions, 'redis'>>;
  readonly #connecting: Promise<Redis>;
  /** The Redis URL as it may be printed (no password). */
  readonly #where: string;
  /** The connection error ioredis reported last: why a command failed ("connect ECONNREFUSED ..."). */
  #lastError: unknown;

  constructor(options: SharedLimitsOptions) {
    this.#where = redactConnectionUrl(options.redis);
    this.#options = { maxWaitMs: options.maxWaitMs ?? 10_000, leaseMs: options.leaseMs ?? 120_000, slowDownMs: options.slowDownMs ?? 10_000 };
    this.#connecting = import(/* webpackIgnore: true */ /* turbopackIgnore: true */ 'ioredis').then(
      ({ Redis }) => {
        // lazyConnect: nothing is opened before the first send with limits. A connection error fails
        // the attempt that asked for a slot (TRANSIENT for that adapter), never the process.
        const redis = new Redis(options.redis, { maxRetriesPerRequest: 2, connectTimeout: 5_000, lazyConnect: true });
        redis.on('error', (error: unknown) => (this.#lastError = error));
        redis.on('ready', () => (this.#lastError = undefined));
        return redis;
      },
      (error: unknown) => {
        throw new MailError('CONFIG', 'shared sending limits need the package "ioredis"', { cause: error, remedy: 'Run npm install ioredis.' });
      },
    );
    this.#connecting.catch(() => undefined);
  }

  /** The adapter with its limits counted in Redis; an adapter without limits is returned as it is. */
  wrap(adapter: MailAdapter): MailAdapter {
    const limits = adapter.limits;
    if (!limits?.messagesPerMinute && !limits?.concurrency) return adapter;
    return new Proxy(adapter, {
      get: (target, property) => {
        if (property === 'send') return (message: NormalizedMessage, ctx: SendContext) => this.send(target, limits, message, ctx);
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** Pauses every instance's sends through this account (a provider's slow-down). */
  async pause(account: string, ms: number): Promise<void> {
    const redis = await this.#connecting;
    await redis.eval(PAUSE, 1, key(account, 'pause'), String(Math.ceil(ms)));
  }

  async close(): Promise<void> {
    const redis = await this.#connecting.catch(() => undefined);
    redis?.disconnect();
  }

  private async send(adapter: MailAdapter, limits: AdapterLimits, message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
    const release = await this.acquire(adapter.name, limits, ctx.signal);
    try {
      return await adapter.send(message, ctx);
    } catch (error) {
      const failure = toMailError(error, { provider: adapter.name });
      if (failure.code === 'RATE_LIMITED') await this.pause(limits.account, failure.retryAfterMs ?? this.#options.slowDownMs).catch(() => undefined);
      throw failure;
    } finally {
      await release();
    }
  }

  // Reserves a slot (waiting for it when it is near), or throws RATE_LIMITED with the wait.
  private async acquire(provider: string, limits: AdapterLimits, signal: AbortSignal): Promise<() => Promise<void>> {
    const redis = await this.#connecting;
    const id = randomUUID();
    const keys = [key(limits.account, 'pace'), key(limits.account, 'concurrency'), key(limits.account, 'pause')] as const;
    const deadline = Date.now() + this.#options.maxWaitMs;
    for (let poll = 10; ; poll = Math.min(poll * 2, 200)) {
      const [status, waitMs] = (await redis.eval(ACQUIRE, 3, ...keys, String(limits.messagesPerMinute ?? 0), String(limits.concurrency ?? 0), String(Math.max(0, deadline - Date.now())), String(this.#options.leaseMs), id).catch((error: unknown) => {
        throw this.unreachable(provider, error);
      })) as [number, number];
      if (status === 1 || (status === 2 && Date.now() >= deadline)) {
        const wait = status === 1 ? waitMs : poll;
        throw new MailError('RATE_LIMITED', `the shared sending limit of ${limits.account} (${describe(limits)}, counted across every instance) is reached; the next slot is in ${Math.ceil(wait / 1000)} s`, {
          provider,
          retryAfterMs: wait,
          remedy: 'Wait, send through another adapter, or run fewer sends at once; the limit is the provider\'s, shared by every instance of the app.',
        });
      }
      const release = async () => {
        await redis.zrem(keys[1], id).catch(() => undefined);
      };
      if (status === 0) {
        if (waitMs > 0) await sleep(waitMs, signal).catch(async (reason: unknown) => {
          await release();
          throw new MailError('TRANSIENT', 'the send was aborted while waiting for a slot under the shared sending limit', { provider, cause: reason });
        });
        return release;
      }
      await sleep(poll, signal).catch((reason: unknown) => {
        throw new MailError('TRANSIENT', 'the send was aborted while waiting for a free connection under the shared limit', { provider, cause: reason });
      });
    }
  }

  // The limits' Redis, not the provider, failed: said so, before anything was handed over.
  private unreachable(provider: string, error: unknown): MailError {
    if (error instanceof MailError) return error;
    // ioredis gives up with "Reached the max retries per request limit": the connection error says why.
    const why = this.#lastError ?? error;
    const reason = why instanceof Error ? why.message : String(why);
    return new MailError('TRANSIENT', `the shared sending limits' Redis ${this.#where} cannot be reached (${reason}); the message was not handed to the provider`, {
      provider,
      cause: error,
      remedy: 'Start that Redis or fix the sharedLimits URL (in queue mode: the queue\'s Redis, which holds the limits by default); until it answers, adapters with limits cannot send.',
    });
  }
}

function key(account: string, kind: string): string {
  return `mailroom:limits:{${account}}:${kind}`;
}

function describe(limits: AdapterLimits): string {
  return [limits.messagesPerMinute ? `${limits.messagesPerMinute} messages a minute` : '', limits.concurrency ? `${limits.concurrency} at once` : ''].filter(Boolean).join(', ');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', done);
      resolve();
    }, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The mailer's shared limits: `sharedLimits`, else the queue's Redis in queue mode, else none (in process). */
export function openSharedLimits(options: { sharedLimits?: string | SharedLimitsOptions; queue?: string | { connection: string } }): SharedLimits | undefined {
  const connection = typeof options.queue === 'string' ? options.queue : options.queue?.connection;
  const option = options.sharedLimits ?? (connection && /^rediss?:\/\//.test(connection) ? connection : undefined);
  if (option === undefined) return undefined;
  const redis = typeof option === 'string' ? option : typeof option === 'object' && option !== null ? (option as { redis?: unknown }).redis : undefined;
  // From JavaScript anything can arrive: say which option is wrong at createMailer, not a TypeError.
  if (typeof redis !== 'string' || !/^rediss?:\/\//i.test(redis)) {
    throw new MailError('CONFIG', 'the sharedLimits option must be a redis:// (or rediss://) URL, or { redis: "redis://…", maxWaitMs, leaseMs, slowDownMs }', {
      remedy: 'Give the Redis every instance shares, e.g. sharedLimits: "redis://redis.internal:6379"; leave the option out to count the limits in this process.',
    });
  }
  return new SharedLimits(typeof option === 'string' ? { redis: option } : option);
}
