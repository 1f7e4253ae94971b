// The schema the configuration file's `alerts` option is checked against (src/core/config.ts), so a
// typo in a channel is one CONFIG error naming the option. Kept apart from the alerts runtime so a
// mailer with alerts does not load zod.
import { z } from 'zod';
import type { AlertClock } from './throttle.js';

const url = (what: string) =>
  z.string({ error: `expected ${what}` }).refine((value) => /^https?:\/\/[^\s]+$/i.test(value), { error: `expected ${what}` });
const wholeNumber = (min: number) => z.number({ error: `expected a whole number of ${min} or more` }).int({ error: `expected a whole number of ${min} or more` }).min(min, { error: `expected a whole number of ${min} or more` });
// A timer: Node runs one of more than 2^31 - 1 ms after 1 ms.
const period = (min: number) => wholeNumber(min).max(2 ** 31 - 1, { error: 'expected at most 2147483647 (about 24.8 days)' });
const addresses = z.union([z.string().min(3), z.array(z.string().min(3)).min(1)], { error: 'expected an address or a list of addresses' });

const channelSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('slack'), url: url('the Slack incoming webhook URL (https://hooks.slack.com/services/...)') }),
    z.strictObject({ type: z.literal('teams'), url: url('the Teams Workflows webhook URL') }),
    z.strictObject({ type: z.literal('discord'), url: url('the Discord webhook URL (https://discord.com/api/webhooks/...)'), username: z.string().min(1).max(80).optional() }),
    z.strictObject({
      type: z.literal('webhook'),
      url: url('an http(s) URL'),
      secret: z.string({ error: 'expected a signing secret of 16 characters or more' }).min(16, { error: 'expected a signing secret of 16 characters or more' }),
    }),
    z.strictObject({ type: z.literal('email'), to: addresses, dsn: z.string().min(1).optional(), from: z.string().min(3).optional() }),
  ],
  { error: 'expected a channel { type: "slack" | "teams" | "discord" | "webhook" | "email", ... }' },
);

const triggerFlags = z.strictObject({
  failed: z.boolean().optional(),
  failover: z.boolean().optional(),
  cooldown: z.boolean().optional(),
  bounce: z.boolean().optional(),
  complaint: z.boolean().optional(),
  'journal-error': z.boolean().optional(),
  pending: z.boolean().optional(),
  'no-worker': z.boolean().optional(),
});

/** The `alerts` option as a configuration file may hold it (fetch and clock only from code). */
export const alertOptionsSchema = z.strictObject({
  channels: z.array(channelSchema).min(1, { error: 'expected at least one channel' }),
  site: z.string().min(1).optional(),
  throttle: z.strictObject({ windowMs: period(1) }).partial().optional(),
  triggers: triggerFlags.optional(),
  pendingOlderThanMinutes: wholeNumber(0).optional(),
  pendingCheckMs: period(1000).optional(),
  noWorkerMinutes: wholeNumber(0).optional(),
  queueCheckMs: period(1000).optional(),
  recipients: z.enum(['masked', 'full', 'none']).optional(),
  timeoutMs: period(1).optional(),
  fetch: z.custom<typeof fetch>((value) => typeof value === 'function', { error: 'expected a fetch function' }).optional(),
  clock: z.custom<AlertClock>((value) => typeof value === 'object' && value !== null, { error: 'expected a clock object' }).optional(),
});
