// What the admin screens may send to the server, checked once here: a request the schemas refuse
// is answered 400 with the reason, before the mailer is touched.
import { z } from 'zod';
import type { JournalStatus } from '../../journal/journal.js';

// Every status the journal writes: `queued` is what queue mode writes until a worker takes the message.
const STATUSES = ['pending', 'sent', 'failed', 'queued'] as const satisfies readonly JournalStatus[];
// A ULID: 26 Crockford base-32 characters.
const entryId = z.string({ error: 'expected an entry id' }).regex(/^[0-9A-HJKMNP-TV-Z]{26}$/i, { error: 'expected an entry id (26 characters, as the log shows)' });
const date = (what: string) =>
  z.string().refine((value) => !Number.isNaN(Date.parse(value)), { error: `${what}: expected a date such as 2026-11-28 or 2026-11-28T10:00:00Z` });
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
  until: date('until').optional(),
});
export type LogFilter = z.infer<typeof logFilterSchema>;

export const listQuerySchema = logFilterSchema.extend({
  limit: wholeNumber('limit', 1, 200).optional(),
  cursor: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{1,26}$/i, { error: 'cursor: expected the cursor of a previous page' }).optional(),
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
      cursor: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{1,26}$/i, { error: 'cursor: expected the cursor of a previous answer' }).optional(),
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
  if (!issue) return 'invalid input';
  // Union errors carry the reason of the closest branch; unknown keys are named.
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
  return issue.message;
}
