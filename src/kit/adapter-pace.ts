// The send pace any network adapter takes (`messagesPerMinute`, and the DSN's `?messagesPerMinute=`):
// a limiter counted in this process, and the `limits` the adapter declares so that a mailer with
// `sharedLimits` counts the same pace across every instance (README "Limits shared by every instance").
// SMTP and Office 365 keep their own (their presets carry a default pace); this is for the HTTP
// APIs, SES and Graph, whose accounts have rates too (SES's maximum send rate, a plan's quota).
import { createHash } from 'node:crypto';
import type { AdapterLimits } from '../core/adapter.js';
import { MailError } from '../core/errors.js';
import { SendLimiter } from './send-limits.js';

export interface PaceOptions {
  /** Most messages started in any 60 s window, or a limiter shared with other adapters of the same account. Default unlimited. */
  messagesPerMinute?: number | SendLimiter;
  /** Longest a message waits for its slot under `messagesPerMinute` before failing RATE_LIMITED (the chain moves on). Default 10,000 ms. */
  maxWaitMs?: number;
}

export interface AdapterPace {
  /** Waits for the next slot (RATE_LIMITED when it is further than `maxWaitMs`); none without a pace. */
  limiter: SendLimiter | undefined;
  /** What the adapter declares as `limits`, when it has a pace. */
  limits: AdapterLimits | undefined;
}

/**
 * The pace of one adapter. `account` says what the limit applies to and is shown in errors and Redis
 * keys, so it never holds a secret: the credentials it depends on are given as `keys` and enter it
 * only as a short digest (two API keys of one provider are two accounts; one key on two instances is one).
 */
export function adapterPace(options: PaceOptions, provider: string, account: string, keys: ReadonlyArray<string | undefined> = []): AdapterPace {
  const { messagesPerMinute, maxWaitMs } = options;
  if (maxWaitMs !== undefined && (!Number.isFinite(maxWaitMs) || maxWaitMs < 0)) {
    throw new MailError('CONFIG', `maxWaitMs must be a number of milliseconds of at least 0, got ${String(maxWaitMs)}`, { provider });
  }
  if (messagesPerMinute === undefined) return { limiter: undefined, limits: undefined };
  const limiter = messagesPerMinute instanceof SendLimiter ? messagesPerMinute : new SendLimiter({ messagesPerMinute, maxWaitMs, provider });
  const credentials = keys.filter((key): key is string => Boolean(key));
  const digest = credentials.length ? ` key ${createHash('sha256').update(credentials.join('\n')).digest('hex').slice(0, 12)}` : '';
  return { limiter, limits: { account: `${account}${digest}`, messagesPerMinute: limiter.messagesPerMinute } };
}
