// The server side of the admin screens (Strapi plugin, Payload plugin): plain functions over a
// Mailer that take the request's raw input and answer { status, body }. Input is validated here
// (400 with the reason), so each CMS only maps its routes and its permissions onto these functions.
// Nothing answered holds a secret: entries never store one, adapters scrub their errors, adapters
// are shown as String(adapter) (redacted), and every body passes through a scrubber built from the
// configured DSN as a last guard.
import { hostname } from 'node:os';
import type { ZodType } from 'zod';
import type { AddressInput } from '../../core/address.js';
import { explain } from '../../core/diagnose.js';
import { dsnSecrets } from '../../core/dsn.js';
import { MailError, toMailError, type AttemptError } from '../../core/errors.js';
import { mailerInternals, type Mailer, type MailerOptions } from '../../core/mailer.js';
import { PENDING_MAY_BE_SENDING_MS, pendingAgeWithin } from '../../core/mailer/resend.js';
import { SecretScrubber } from '../../core/secrets.js';
import type { JournalEntry, JournalQuery } from '../../journal/journal.js';
import { entryIdSchema, explainSchema, inputProblem, listQuerySchema, resendSchema, testSchema, type LogFilter } from './admin-input.js';
import { entryView, errorView, logRow } from './admin-views.js';
import { chainHealth } from './admin-health.js';

/** An answer for the CMS to send as is. */
export interface AdminReply {
  status: number;
  body: unknown;
}

/** What the caller may see; the CMS decides it from its own permissions. */
export interface AdminAccess {
  /** Message content (bodies, template data) and the HTML preview. */
  content: boolean;
}

export interface AdminApiOptions {
  /** The CMS's mailer; a queue-mode one too (its log shows queued entries; a test email is sent now, not queued). */
  mailer: Mailer<unknown>;
  /**
   * The options the mailer was created with (DSN, journal, sender, templates): the doctor checks the
   * same DSN, and the DSN's secrets are scrubbed from every answer. Without them (a mailer the app
   * built itself) the configuration is unknown and the Overview leaves the doctor out; a test email,
   * through the whole chain or one adapter, goes through the mailer itself either way.
   */
  mailerOptions?: MailerOptions;
  /** The sender the CMS puts on messages that have none (Payload's defaultFromAddress): the test email's too. */
  from?: AddressInput;
}

export interface AdminApi {
  /** The chain (each adapter, its last success and failure), and the doctor's findings. */
  overview(): Promise<AdminReply>;
  /** Checks every adapter of the chain now, without sending. */
  verify(): Promise<AdminReply>;
  /** The log, newest first: `query` is the request's query string as an object. */
  list(query: unknown): Promise<AdminReply>;
  get(id: unknown, access: AdminAccess): Promise<AdminReply>;
  /** `{ to, adapter? }`: the test email through one adapter, or through the whole chain. */
  test(body: unknown): Promise<AdminReply>;
  /** `{ id }`, or `{ filter, max?, cursor? }` for the failed entries matching the filter. */
  resend(body: unknown): Promise<AdminReply>;
  /** `{ text }`: the catalogue's diagnosis of a pasted error. */
  explain(body: unknown): Promise<AdminReply>;
}

// Bulk resend reads at most this many entries per request looking for failed ones.
const SCAN_PAGE = 100;
// The log filters template and delivery state after reading a page: read a few pages to fill one.
const MAX_PAGES_PER_LIST = 20;

export function createAdminApi(options: AdminApiOptions): AdminApi {
  const { mailer } = options;
  const scrubber = new SecretScrubber(configuredSecrets(options.mailerOptions));
  const reply = (status: number, body: unknown): AdminReply => ({ status, body: scrubbed(scrubber, body) });
  const invalid = (reason: string): AdminReply => reply(400, { error: { code: 'INVALID_INPUT', message: reason } });
  const parse = <T>(schema: ZodType<T>, input: unknown): { ok: true; value: T } | { ok: false; reply: AdminReply } => {
    const result = schema.safeParse(input ?? {});
    return result.success ? { ok: true, value: result.data } : { ok: false, reply: invalid(inputProblem(result.error)) };
  };
  const failure = (error: unknown): AdminReply => {
    const mailError = toMailError(error, { code: 'CONFIG' });
    // A journal that is off or broken is the server's state, not the caller's mistake.
    return reply(mailError.code === 'INVALID_MESSAGE' ? 400 : 500, { error: errorView(mailError.toAttemptError()) });
  };

  return {
    async overview() {
      try {
        return reply(200, await chainHealth(mailer, options.mailerOptions));
      } catch (error) {
        return failure(error);
      }
    },

    async verify() {
      const results = await mailer.verify();
      return reply(200, {
        results: results.map((result) => ({
          adapter: result.adapter,
          ok: result.ok,
          durationMs: result.durationMs,
          ...(result.error ? { error: errorView(result.error.toAttemptError()) } : {}),
        })),
      });
    },

    async list(query) {
      const parsed = parse(listQuerySchema, query);
      if (!parsed.ok) return parsed.reply;
      const { limit = 50, cursor, ...filter } = parsed.value;
      try {
        const page = await filteredPage(mailer, filter, limit, cursor);
        return reply(200, { entries: page.entries.map(logRow), ...(page.cursor ? { cursor: page.cursor } : {}) });
      } catch (error) {
        return failure(error);
      }
    },

    async get(id, access) {
      const parsed = parse(entryIdSchema, id);
      if (!parsed.ok) return parsed.reply;
      try {
        const entry = await mailer.journal.get(parsed.value);
        if (!entry) return reply(404, { error: { code: 'NOT_FOUND', message: `no journal entry with id ${parsed.value}` } });
        const view = entryView(entry, access);
        if (view.content && !view.content.html && view.content.template) {
          view.content.html = await renderPreview(options.mailerOptions, view.content.template).catch(() => undefined);
        }
        return reply(200, view);
      } catch (error) {
        return failure(error);
      }
    },

    async test(body) {
      const parsed = parse(testSchema, body);
      if (!parsed.ok) return parsed.reply;
      try {
        return reply(200, await sendTest(mailer, options, parsed.value));
      } catch (error) {
        const mailError = toMailError(error, { code: 'CONFIG' });
        return reply(mailError.code === 'INVALID_MESSAGE' || mailError.code === 'CONFIG' ? 400 : 500, { error: errorView(mailError.toAttemptError()) });
      }
    },

    async resend(body) {
      const parsed = parse(resendSchema, body);
      if (!parsed.ok) return parsed.reply;
      const input = parsed.value;
      const includePossibleDuplicates = input.includePossibleDuplicates ?? false;
      if ('id' in input) {
        // A journal that cannot be read is the server's state, said as such: not "no such entry".
        const read = await mailer.journal.get(input.id).then((entry) => ({ entry }), (error: unknown) => ({ error }));
        if ('error' in read) return failure(read.error);
        const entry = read.entry;
        if (!entry) return reply(404, { error: { code: 'NOT_FOUND', message: `no journal entry with id ${input.id}` } });
        // A send still running (a slow provider) is left alone, as `mailroom resend` leaves it.
        const ageMs = pendingAgeWithin(entry, PENDING_MAY_BE_SENDING_MS);
        if (ageMs !== undefined) return reply(200, stillSending(entry.id, ageMs));
        return reply(200, await resendOne(mailer, entry.id, includePossibleDuplicates));
      }
      try {
        const picked = await failedEntries(mailer, input.filter, input.max ?? 20, input.cursor);
        const outcomes = [];
        for (const entry of picked.entries) outcomes.push(await resendOne(mailer, entry.id, includePossibleDuplicates, 'failed'));
        return reply(200, {
          summary: {
            resent: outcomes.filter((outcome) => outcome.result === 'sent').length,
            failed: outcomes.filter((outcome) => outcome.result === 'failed').length,
            skipped: outcomes.filter((outcome) => outcome.result === 'skipped').length,
          },
          outcomes,
          ...(picked.cursor ? { cursor: picked.cursor } : {}),
        });
      } catch (error) {
        return failure(error);
      }
    },

    async explain(body) {
      const parsed = parse(explainSchema, body);
      if (!parsed.ok) return parsed.reply;
      const diagnosis = explain(parsed.value.text);
      return reply(200, diagnosis ? { found: true, diagnosis } : { found: false, message: 'No rule of the catalogue matches this text. Paste the full reply, with its codes (e.g. "535 5.7.139 ..."), or check the Overview for the doctor\'s findings.' });
    },
  };
}

/** One resend's outcome, as the Resend screen lists it. */
export interface ResendOutcome {
  original: string;
  result: 'sent' | 'failed' | 'skipped';
  entryId?: string;
  adapter?: string;
  error?: AttemptError & { remedy: string };
}

function stillSending(id: string, ageMs: number): ResendOutcome {
  const minutes = PENDING_MAY_BE_SENDING_MS / 60_000;
  return {
    original: id,
    result: 'skipped',
    error: {
      code: 'TRANSIENT',
      message: `may still be sending: pending, written ${Math.round(ageMs / 1000)} s ago; a resend now could deliver it twice`,
      remedy: `Wait until its send ends (this entry then shows sent or failed). An entry still pending after ${minutes} minutes was interrupted (a crash) and can be resent here; to resend it sooner, once no process is sending it: mailroom resend ${id} --older-than 0s`,
    },
  };
}

async function resendOne(mailer: Mailer<unknown>, id: string, includePossibleDuplicates: boolean, onlyIf?: 'failed'): Promise<ResendOutcome> {
  try {
    const result = await mailer.journal.resend(id, { includePossibleDuplicates, ...(onlyIf ? { onlyIf } : {}) });
    return { original: id, result: 'sent', entryId: result.id, adapter: result.adapter };
  } catch (error) {
    const mailError = toMailError(error, { code: 'CONFIG' });
    // CONFIG: nothing was sent (it may already have been delivered, nothing stored, sensitive);
    // field "status": another caller sent it or is sending it right now.
    const last = mailError.attempts?.at(-1)?.error;
    const skipped = mailError.code === 'CONFIG' || mailError.field === 'status';
    return { original: id, result: skipped ? 'skipped' : 'failed', error: errorView(last ?? mailError.toAttemptError()) };
  }
}

function journalQuery(filter: LogFilter, limit: number, cursor: string | undefined): JournalQuery {
  return {
    limit,
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.to ? { to: filter.to } : {}),
    ...(filter.since ? { since: filter.since } : {}),
    ...(filter.until ? { until: filter.until } : {}),
    ...(cursor ? { cursor } : {}),
  };
}

function matches(entry: JournalEntry, filter: LogFilter): boolean {
  if (filter.template && entry.summary.template !== filter.template) return false;
  // Any recipient in that state (what the journal's own delivery filter matches).
  if (filter.delivery && !(entry.delivery?.states as string[] | undefined)?.includes(filter.delivery) && logRow(entry).delivery !== filter.delivery) return false;
  return true;
}

// The journal filters status, recipient and dates itself; template and delivery state are checked
// here, reading further pages until this one is full.
async function filteredPage(mailer: Mailer<unknown>, filter: LogFilter, limit: number, cursor: string | undefined): Promise<{ entries: JournalEntry[]; cursor?: string }> {
  const entries: JournalEntry[] = [];
  let next = cursor;
  for (let pages = 0; pages < MAX_PAGES_PER_LIST; pages += 1) {
    const page = await mailer.journal.list(journalQuery(filter, limit - entries.length, next));
    entries.push(...page.entries.filter((entry) => matches(entry, filter)));
    next = page.cursor;
    if (!next || entries.length >= limit) break;
  }
  return { entries, ...(next ? { cursor: next } : {}) };
}

// Failed entries matching the filter, not resent yet (as `mailroom resend --failed`).
async function failedEntries(mailer: Mailer<unknown>, filter: Omit<LogFilter, 'status'>, max: number, cursor: string | undefined): Promise<{ entries: JournalEntry[]; cursor?: string }> {
  const page = await filteredPage(mailer, { ...filter, status: 'failed' }, Math.min(max, SCAN_PAGE), cursor);
  return { entries: page.entries.filter((entry) => (entry.resentAs?.length ?? 0) === 0), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

async function sendTest(mailer: Mailer<unknown>, options: AdminApiOptions, input: { to: string; adapter?: string | undefined }): Promise<unknown> {
  const { mailerOptions, from } = options;
  const chain = await mailer.adapters();
  const chosen = input.adapter === undefined ? undefined : chain.find((adapter) => adapter.name === input.adapter);
  if (input.adapter !== undefined && !chosen) {
    throw new MailError('INVALID_MESSAGE', `adapter: the chain has no adapter named "${input.adapter}"; it has ${chain.map((adapter) => adapter.name).join(', ')}`);
  }
  // One adapter alone needs the mailer's own parts (its journal, sender, events): a mailer that
  // createMailer did not make has none to lend.
  const internals = mailerInternals.get(mailer);
  if (chosen && !internals) {
    throw new MailError('CONFIG', 'adapter: a test through one adapter needs a mailer made by createMailer; this one was built elsewhere; send the test through the whole chain', {
      remedy: 'leave the adapter out to test the whole chain, or give the CMS integration a mailer from createMailer() (or the mailer options: dsn, journal)',
    });
  }
  const message = {
    ...(from !== undefined ? { from } : {}),
    to: input.to,
    template: {
      name: 'test-email',
      data: {
        adapter: chosen?.name ?? chain.map((adapter) => adapter.name).join(' → '),
        chain: chain.map((adapter) => adapter.name),
        time: new Date().toISOString(),
        host: hostname(),
      },
    },
    tags: ['mailroom-test'],
  };
  const started = performance.now();
  // The entry of a failed test, from the mailer's failed event, matched by the error thrown: other
  // sends of the CMS may fail at the same moment.
  const failedEntries = new Map<unknown, string>();
  const onFailed = (error: MailError, entryId: string) => failedEntries.set(error, entryId);
  mailer.on('failed', onFailed);
  try {
    // Through one adapter: one attempt, the same journal and sender, so the test shows in the log
    // like any other message. sendNow: in queue mode too, the test shows what the chain does now.
    const result = chosen ? await internals!.sendThrough(chosen.name, message) : await mailer.sendNow(message);
    return { ok: true, entryId: result.id, adapter: result.adapter, durationMs: Math.round(performance.now() - started), attempts: result.attempts, ...(result.providerMessageId ? { providerMessageId: result.providerMessageId } : {}) };
  } catch (thrown) {
    const error = toMailError(thrown, { code: 'TRANSIENT' });
    if (error.code === 'INVALID_MESSAGE') throw error;
    const last = error.attempts?.at(-1)?.error;
    const failedEntry = failedEntries.get(thrown);
    return { ok: false, durationMs: Math.round(performance.now() - started), ...(failedEntry ? { entryId: failedEntry } : {}), attempts: error.attempts ?? [], error: errorView(last ?? error.toAttemptError()) };
  } finally {
    mailer.off('failed', onFailed);
  }
}

async function renderPreview(mailerOptions: MailerOptions | undefined, template: { name: string; locale?: string; data?: Record<string, unknown> }): Promise<string> {
  const { createTemplateRenderer } = await import('../../templates/templates.js');
  const rendered = await createTemplateRenderer(mailerOptions?.templates).render(template.name, template.data ?? {}, template.locale);
  return rendered.html;
}

// Every credential the DSN carries (passwords, keys in the user part, secret-like options), as the
// mailer's own alerts take them.
function configuredSecrets(options: MailerOptions | undefined): string[] {
  const dsn = options?.dsn ?? process.env.MAILROOM_DSN;
  return dsn ? dsnSecrets(dsn) : [];
}

function scrubbed(scrubber: SecretScrubber, body: unknown): unknown {
  return JSON.parse(scrubber.text(JSON.stringify(body ?? null))) as unknown;
}

