// What the admin screens may send to the server, checked once here: a request the schemas refuse
// is answered 400 with the reason, before the mailer is touched.
import { z } from 'zod';
import type { JournalStatus } from '../../journal/journal.js';

// Every status the journal writes: `queued` is what queue mode writes until a worker takes the message.
const STATUSES = ['pending', 'sent', 'failed', 'queued'] as const satisfies readonly JournalStatus[];
// A ULID: 26 Crockford base-32 characters. Crockford's base 32 ignores case, the journal's keys do
// not: an id or cursor typed in lower case is taken in upper case, not missed.
const ulidText = (length: string) => new RegExp(`^[0-9A-HJKMNP-TV-Z]{${length}}$`, 'i');
const upperCase = (value: string) => value.toUpperCase();
const entryId = z.string({ error: 'expected an entry id' }).regex(ulidText('26'), { error: 'expected an entry id (26 characters, as the log shows)' }).transform(upperCase);
const cursor = (error: string) => z.string().regex(ulidText('1,26'), { error }).transform(upperCase);
// The journal finds entries by date through their ids, whose time part counts milliseconds from
// 1970 in 48 bits: a date outside that cannot be looked up.
const LATEST_ID_TIME = 2 ** 48 - 1;
// A day alone ("2026-11-28", what the screens' date fields send), checked as a calendar day: Date.parse
// reads 2026-02-30 as March 2.
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const realDay = (value: string) => !DAY.test(value) || new Date(Date.parse(value)).toISOString().slice(0, 10) === value;
const date = (what: string) =>
  z.string()
    .refine((value) => !Number.isNaN(Date.parse(value)) && realDay(value), { error: `${what}: expected a date such as 2026-11-28 or 2026-11-28T10:00:00Z`, abort: true })
    .refine((value) => Date.parse(value) >= 0 && Date.parse(value) <= LATEST_ID_TIME, { error: `${what}: expected a date between 1970 and 10889 (the journal's ids count time from 1970, up to 2^48 ms)` });
// "Until 2026-11-28" includes that day: the journal lists entries created before `until`, so a day
// alone becomes the start of the next one.
const untilDate = date('until').transform((value) => (DAY.test(value) ? new Date(Math.min(Date.parse(value) + 86_400_000, LATEST_ID_TIME)).toISOString() : value));
const shortText = (what: string, max: number) => z.string().trim().max(max, { error: `${what}: at most ${max} characters` });
// Query strings carry numbers as text.
const wholeNumber = (what: string, min: number, max: number) =>
  z.coerce.number({ error: `${what}: expected a number` }).int({ error: `${what}: expected a whole number` }).min(min, { error: `${what}: at least ${min}` }).max(max, { error: `${what}: at most ${max}` });

/** The log's filters, shared by listing and by "resend every failed entry matching the filter". */
export const logFilterSchema = z.strictObject({
  status: z.enum(STATUSES, { error: `status: expected one of ${STATUSES.join(', ')}` }).optional(),
  /** A delivery state reported by provider events (delivered, bounced...), when the journal has them. */
  delivery: z.string().regex(/^[a-z_-]{1,32}$/, { error: 'delivery: expected a delivery state such as delivered or bounced' }).optional(),
  to: shortText('to', 320).optional(),
  template: shortText('template', 200).optional(),
  since: date('since').optional(),
  until: untilDate.optional(),
});
export type LogFilter = z.infer<typeof logFilterSchema>;

export const listQuerySchema = logFilterSchema.extend({
  limit: wholeNumber('limit', 1, 200).optional(),
  cursor: cursor('cursor: expected the cursor of a previous page').optional(),
});

export const entryIdSchema = entryId;

export const testSchema = z.strictObject({
  to: z.string({ error: 'to: expected an email address' }).trim().min(3, { error: 'to: expected an email address' }).max(320, { error: 'to: at most 320 characters' }),
  /** One adapter of the chain by name; without it the test goes through the whole chain, with failover. */
  adapter: shortText('adapter', 100).min(1, { error: 'adapter: expected an adapter name' }).optional(),
});

export const resendSchema = z.union(
  [
    z.strictObject({ id: entryId, includePossibleDuplicates: z.boolean().optional() }),
    z.strictObject({
      // Only failed entries are resent in bulk, whatever the filter's status says.
      filter: logFilterSchema.omit({ status: true }),
      /** At most this many entries per request; the answer's cursor continues. */
      max: wholeNumber('max', 1, 100).optional(),
      cursor: cursor('cursor: expected the cursor of a previous answer').optional(),
      includePossibleDuplicates: z.boolean().optional(),
    }),
  ],
  { error: 'expected { id } to resend one entry, or { filter } to resend the failed entries matching it' },
);

export const explainSchema = z.strictObject({
  text: z.string({ error: 'text: expected the error text to explain' }).trim().min(1, { error: 'text: paste the error text to explain' }).max(10_000, { error: 'text: at most 10,000 characters' }),
});

/** The first problem the schema found, as one sentence for a 400 answer. */
export function inputProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? issueProblem(issue) : 'invalid input';
}

function issueProblem(issue: z.core.$ZodIssue): string {
  // Unknown keys are named.
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
  // A union answers with the reason of the one branch the input's keys belong to (the others refuse
  // those keys at the top level), else with its own message.
  if (issue.code === 'invalid_union') {
    const fitting = issue.errors.filter((branch) => !branch.some((inner) => inner.code === 'unrecognized_keys' && inner.path.length === 0));
    const reason = fitting.length === 1 ? fitting[0]![0] : undefined;
    if (reason) return issueProblem(reason);
  }
  return issue.message;
}
