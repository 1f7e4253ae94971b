// The admin screens' server side (src/integrations/admin), which the Strapi plugin and the Payload
// plugin map their routes onto: input validation with reasons, content only with the permission,
// bulk resend of failed entries with a summary, the single-adapter test, and the last-guard
// scrubbing of DSN secrets. The CMS suites (test/cms) run the same functions behind real routes.
import Keyv from 'keyv';
import { afterEach, describe, expect, it } from 'vitest';
import { SendJournal } from '../src/journal/journal.js';
import { createAdminApi } from '../src/integrations/admin/admin-api.js';
import { createMailer, type Mailer } from '../src/core/mailer.js';
import { startWorker } from '../src/queue/worker.js';
import { MailError } from '../src/core/errors.js';
import type { MailAdapter } from '../src/core/adapter.js';
import { memoryAdapter } from '../adapters/memory.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';
import { startRedis } from './helpers/redis-server.js';

let mailer: Mailer | undefined;
afterEach(async () => {
  await mailer?.close();
  mailer = undefined;
});

function setup(adapters: MailAdapter[] = [memoryAdapter()]) {
  mailer = createMailer({ adapters, journal: 'memory://', from: 'shop@example.com', retry: { attempts: 1 } });
  return { mailer, api: createAdminApi({ mailer, mailerOptions: { adapters, journal: 'memory://', from: 'shop@example.com' } }) };
}

describe('admin API', () => {
  it('answers 400 with the reason for each kind of bad input', async () => {
    const { api } = setup();
    expect(await api.list({ status: 'lost' })).toMatchObject({ status: 400, body: { error: { message: 'status: expected one of pending, sent, failed, queued' } } });
    expect(await api.list({ limit: '0' })).toMatchObject({ status: 400, body: { error: { message: 'limit: at least 1' } } });
    expect(await api.list({ until: 'soon' })).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/^until: expected a date/) } } });
    expect(await api.list({ order: 'asc' })).toMatchObject({ status: 400, body: { error: { message: 'unknown field: order' } } });
    expect(await api.get('../../etc/passwd', { content: true })).toMatchObject({ status: 400 });
    expect(await api.test({ to: 42 })).toMatchObject({ status: 400, body: { error: { message: 'to: expected an email address' } } });
    expect(await api.test({ to: 'not-an-address' })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_MESSAGE' } } });
    expect(await api.resend({ id: 'x' })).toMatchObject({ status: 400 });
    expect(await api.resend({ filter: { status: 'sent' } })).toMatchObject({ status: 400 });
    expect(await api.explain(undefined)).toMatchObject({ status: 400, body: { error: { message: 'text: expected the error text to explain' } } });
  });

  it('refuses a date outside the journal\'s time range with 400, in listing and in bulk resend', async () => {
    const { api } = setup();
    for (const date of ['+020000-01-01', '1969-12-31']) {
      const outOfRange = { status: 400, body: { error: { code: 'INVALID_INPUT', message: expect.stringMatching(/between 1970 and 10889/) } } };
      expect(await api.list({ since: date })).toMatchObject(outOfRange);
      expect(await api.list({ until: date })).toMatchObject(outOfRange);
      expect(await api.resend({ filter: { since: date } })).toMatchObject(outOfRange);
    }
    expect(await api.list({ since: '10889-01-01', until: '1970-01-01T00:00:00Z' })).toMatchObject({ status: 200 });
  });

  it('reads "until" a day alone as through that day, as the log\'s date fields send it, and refuses a day the calendar has not', async () => {
    const { mailer, api } = setup();
    const sent = await mailer.send({ to: 'ann@example.org', subject: 'Today', text: 'x' });
    const today = (await mailer.journal.get(sent.id))!.createdAt.slice(0, 10);
    const listed = await api.list({ since: today, until: today });
    expect(listed).toMatchObject({ status: 200, body: { entries: [expect.objectContaining({ id: sent.id })] } });
    expect(await api.list({ until: '1970-01-01' })).toMatchObject({ status: 200, body: { entries: [] } });
    expect(await api.list({ until: '10889-08-02' })).toMatchObject({ status: 200 });
    for (const day of ['2026-02-30', '2026-13-01']) {
      expect(await api.list({ since: day })).toMatchObject({ status: 400, body: { error: { message: expect.stringMatching(/^since: expected a date/) } } });
    }
  });

  it('answers a journal that cannot be read as the server\'s failure naming the store, not as "no such entry"', async () => {
    const redis = await startRedis();
    const journal = redis.url;
    await redis.stop();
    mailer = createMailer({ adapters: [memoryAdapter()], journal, from: 'shop@example.com' });
    const api = createAdminApi({ mailer });
    const id = '01M8KQW087WK6EM8AD7C0W4TWH';
    for (const answer of [await api.get(id, { content: false }), await api.resend({ id })]) {
      expect(answer).toMatchObject({ status: 500, body: { error: { code: 'TRANSIENT', message: expect.stringContaining(`the journal store ${journal} did not answer`) } } });
    }
  });

  it('takes an entry id and a cursor in lower case as the same id', async () => {
    const { mailer, api } = setup();
    for (let n = 0; n < 3; n += 1) await mailer.send({ to: `n${n}@example.org`, subject: `Plain ${n}`, text: 'x' });
    const first = (await api.list({ limit: '1' })).body as { entries: Array<{ id: string }>; cursor: string };
    const next = (await api.list({ limit: '1', cursor: first.cursor })).body as { entries: Array<{ id: string }> };
    const nextLower = (await api.list({ limit: '1', cursor: first.cursor.toLowerCase() })).body as { entries: Array<{ id: string }> };
    expect(nextLower.entries.map((row) => row.id)).toEqual(next.entries.map((row) => row.id));
    expect(nextLower.entries[0]!.id).not.toBe(first.entries[0]!.id);
    const id = first.entries[0]!.id;
    expect(await api.get(id.toLowerCase(), { content: false })).toMatchObject({ status: 200, body: { id } });
    expect(await api.resend({ id: id.toLowerCase() })).toMatchObject({ status: 200, body: { original: id, result: 'sent' } });
  });

  it('shows message content and its HTML only with the content permission', async () => {
    const { mailer, api } = setup();
    const sent = await mailer.send({ to: 'ann@example.org', subject: 'Hello', html: '<p>Secret plan <b>B</b></p>', metadata: { order: '1042' } });
    const without = await api.get(sent.id, { content: false });
    expect(without.status).toBe(200);
    expect(without.body).toMatchObject({ id: sent.id, status: 'sent', summary: { subject: 'Hello' } });
    expect(JSON.stringify(without.body)).not.toContain('Secret plan');
    const withContent = await api.get(sent.id, { content: true });
    expect(withContent.body).toMatchObject({ content: { html: '<p>Secret plan <b>B</b></p>' } });
  });

  it('lists newest first with template and recipient filters, page by page', async () => {
    const { mailer, api } = setup();
    for (let n = 0; n < 5; n += 1) await mailer.send({ to: `n${n}@example.org`, subject: `Plain ${n}`, text: 'x' });
    await mailer.send({ to: 'ann@example.org', template: { name: 'test-email', data: { adapter: 'memory', time: new Date().toISOString(), host: 'h' } } });
    const first = (await api.list({ limit: '2' })).body as { entries: Array<{ subject: string }>; cursor: string };
    expect(first.entries.map((row) => row.subject)).toEqual(['mailroom test email via memory', 'Plain 4']);
    const second = (await api.list({ limit: '2', cursor: first.cursor })).body as { entries: Array<{ subject: string }> };
    expect(second.entries.map((row) => row.subject)).toEqual(['Plain 3', 'Plain 2']);
    const templated = (await api.list({ template: 'test-email' })).body as { entries: Array<{ to: string[] }> };
    expect(templated.entries).toHaveLength(1);
    expect(templated.entries[0]!.to).toEqual(['ann@example.org']);
  });

  it('resends the failed entries matching a filter, skipping what may already have been delivered, with a summary', async () => {
    const flaky = scriptedAdapter('flaky', [{ fail: 'TRANSIENT' }, { fail: 'AMBIGUOUS' }, { fail: 'TRANSIENT' }, { fail: 'TRANSIENT' }, 'ok']);
    const { mailer, api } = setup([flaky]);
    for (const to of ['a@example.org', 'b@example.org', 'c@example.org']) await mailer.send({ to, subject: 'Due', text: 'x' }).catch(() => undefined);
    const { status, body } = await api.resend({ filter: {} });
    expect(status).toBe(200);
    // Newest first: c fails again (TRANSIENT), b is skipped (AMBIGUOUS: it may have been delivered), a is resent.
    expect(body).toMatchObject({ summary: { resent: 1, failed: 1, skipped: 1 } });
    const outcomes = (body as { outcomes: Array<{ result: string; error?: { remedy: string } }> }).outcomes;
    expect(outcomes.map((outcome) => outcome.result)).toEqual(['failed', 'skipped', 'sent']);
    expect(outcomes[1]!.error!.remedy).toBeTruthy();
  });

  it('sends the test email through one chosen adapter only, and says which adapters the chain has when the name is wrong', async () => {
    const first = memoryAdapter({ name: 'primary' });
    const second = memoryAdapter({ name: 'backup' });
    const { api } = setup([first, second]);
    expect(await api.test({ to: 'ann@example.org', adapter: 'backup' })).toMatchObject({ status: 200, body: { ok: true, adapter: 'backup' } });
    expect(first.messages).toHaveLength(0);
    expect(second.messages).toHaveLength(1);
    expect(await api.test({ to: 'ann@example.org', adapter: 'brevo' })).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('it has primary, backup') } } });
  });

  it('sends the one-adapter test through a ready mailer (no mailer options): one attempt, in that mailer\'s own log', async () => {
    const first = memoryAdapter({ name: 'primary' });
    const flaky = scriptedAdapter('backup', [{ fail: 'TRANSIENT' }, 'ok']);
    mailer = createMailer({ adapters: [first, flaky], journal: 'memory://', from: 'shop@example.com' });
    const api = createAdminApi({ mailer });
    const failed = await api.test({ to: 'ann@example.org', adapter: 'backup' });
    // One attempt (no retry), nothing through the primary, and the entry is in the mailer's journal.
    expect(failed).toMatchObject({ status: 200, body: { ok: false, attempts: [{ adapter: 'backup', error: { code: 'TRANSIENT' } }], entryId: expect.any(String) } });
    expect((failed.body as { attempts: unknown[] }).attempts).toHaveLength(1);
    expect(await mailer.journal.get((failed.body as { entryId: string }).entryId)).toMatchObject({ status: 'failed' });
    const sent = await api.test({ to: 'ann@example.org', adapter: 'backup' });
    expect(sent).toMatchObject({ status: 200, body: { ok: true, adapter: 'backup' } });
    expect(await mailer.journal.get((sent.body as { entryId: string }).entryId)).toMatchObject({ status: 'sent', adapter: 'backup' });
    expect(first.messages).toHaveLength(0);
    // A mailer createMailer did not make has no parts to lend: refused, nothing sent.
    const ownMailer = { ...mailer };
    expect(await createAdminApi({ mailer: ownMailer }).test({ to: 'ann@example.org', adapter: 'backup' })).toMatchObject({ status: 400, body: { error: { code: 'CONFIG' } } });
  });

  it('leaves no listener behind on the CMS\'s mailer, test after test', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const { api } = setup([scriptedAdapter('broken', Array.from({ length: 15 }, () => ({ fail: 'AUTH' as const })))]);
      for (let n = 0; n < 15; n += 1) expect(await api.test({ to: 'ann@example.org' })).toMatchObject({ status: 200, body: { ok: false } });
      await new Promise((done) => setImmediate(done));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('leaves a pending entry that may still be sending alone when asked to resend it by id', async () => {
    const slow = scriptedAdapter('slow', ['hang']);
    mailer = createMailer({ adapters: [slow], journal: 'memory://', from: 'shop@example.com', timeoutMs: 400, retry: { attempts: 1 } });
    const api = createAdminApi({ mailer });
    const sending = mailer.send({ to: 'ann@example.org', subject: 'Slow', text: 'x' }).catch((error: unknown) => error);
    let pending: string | undefined;
    while (!pending) {
      await new Promise((done) => setTimeout(done, 10));
      pending = (await mailer.journal.list({ status: 'pending' })).entries[0]?.id;
    }
    const { status, body } = await api.resend({ id: pending });
    expect(status).toBe(200);
    expect(body).toMatchObject({ original: pending, result: 'skipped', error: { message: expect.stringMatching(/may still be sending/), remedy: expect.stringMatching(/--older-than 0s/) } });
    await sending;
    // Only the application's own send reached the adapter.
    expect(slow.calls).toHaveLength(1);
  });

  it('reports a failing test with the error and its remedy', async () => {
    const { api } = setup([scriptedAdapter('broken', [{ fail: 'AUTH', options: { smtpCode: 535, enhancedCode: '5.7.139' } }])]);
    const { status, body } = await api.test({ to: 'ann@example.org' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: false, entryId: expect.any(String), error: { code: 'AUTH', remedy: expect.any(String) } });
  });

  it('gives a failed entry\'s error with its message and remedy apart, and its row the adapter that failed last', async () => {
    const wait = 'Wait a minute and send again.';
    const { mailer, api } = setup([
      scriptedAdapter('first', [{ fail: 'AUTH', options: { remedy: 'Create a new API key.' } }]),
      scriptedAdapter('second', [{ fail: 'TRANSIENT', options: { remedy: wait } }]),
    ]);
    await mailer.send({ to: 'ann@example.org', subject: 'Due', text: 'x' }).catch(() => undefined);
    const stored = (await mailer.journal.list({ status: 'failed' })).entries[0]!;
    // The journal keeps the message as logs print it, remedy included.
    expect(stored.error!.message).toMatch(/\. Last remedy: Wait a minute and send again\.$/);
    const { body } = await api.get(stored.id, { content: false });
    expect((body as { error: unknown }).error).toEqual({ code: 'ALL_FAILED', message: '[mailroom] every adapter failed: first: AUTH; second: TRANSIENT', remedy: wait });
    const rows = ((await api.list({})).body as { entries: Array<Record<string, unknown>> }).entries;
    expect(rows[0]).toMatchObject({ status: 'failed', errorCode: 'ALL_FAILED', lastAttemptAdapter: 'second', attempts: 2 });
    expect(rows[0]).not.toHaveProperty('adapter');
  });

  it('shows delivery state and events when the journal entry carries them, and filters on the state', async () => {
    // The webhook side writes `delivery` onto entries in the same store; here it is written directly.
    const store = new Keyv();
    const adapters = [memoryAdapter()];
    mailer = createMailer({ adapters, journal: store, from: 'shop@example.com' });
    const api = createAdminApi({ mailer });
    const tracked = await mailer.send({ to: 'ann@example.org', subject: 'Tracked', text: 'x' });
    await mailer.send({ to: 'bob@example.org', subject: 'Untracked', text: 'x' });
    const writer = new SendJournal({ store });
    const entry = (await writer.get(tracked.id))!;
    await writer.write(Object.assign(entry, { delivery: { state: 'bounced', events: [{ type: 'bounced', at: '2026-11-28T10:00:00Z', reason: 'mailbox full' }] } }));
    await writer.close?.();

    const bounced = (await api.list({ delivery: 'bounced' })).body as { entries: Array<{ id: string; delivery: string }> };
    expect(bounced.entries).toEqual([expect.objectContaining({ id: tracked.id, delivery: 'bounced' })]);
    const opened = (await api.get(tracked.id, { content: false })).body as { events: unknown[] };
    expect(opened.events).toEqual([{ type: 'bounced', at: '2026-11-28T10:00:00Z', reason: 'mailbox full' }]);
    expect(await api.list({ delivery: 'Bounced!' })).toMatchObject({ status: 400 });
  });

  it('lists and filters the entries queue mode writes as queued (no worker has taken them yet)', async () => {
    const redis = await startRedis();
    try {
      const adapters = [memoryAdapter()];
      const queue = { connection: redis.url, name: `admin${Date.now().toString(36)}` };
      const queued = createMailer({ adapters, journal: redis.url, queue, from: 'shop@example.com' });
      const waiting = await queued.send({ to: 'ann@example.org', subject: 'Waiting for a worker', text: 'x' });
      expect(waiting.status).toBe('queued');
      await queued.sendNow({ to: 'bob@example.org', subject: 'Sent now', text: 'x' });
      const api = createAdminApi({ mailer: queued });
      const list = await api.list({ status: 'queued' });
      expect(list).toMatchObject({ status: 200, body: { entries: [expect.objectContaining({ id: waiting.id, status: 'queued', subject: 'Waiting for a worker' })] } });
      expect((list.body as { entries: unknown[] }).entries).toHaveLength(1);
      expect(((await api.list({ status: 'sent' })).body as { entries: Array<{ subject: string }> }).entries.map((row) => row.subject)).toEqual(['Sent now']);
      // A queued entry is not among the failed ones a bulk resend picks.
      expect((await api.resend({ filter: {} })).body).toMatchObject({ summary: { resent: 0, failed: 0, skipped: 0 } });
      // A test email from a queue-mode mailer is sent now, through the chain, not queued.
      expect(await api.test({ to: 'owner@example.com' })).toMatchObject({ status: 200, body: { ok: true, adapter: 'memory' } });
      expect(adapters[0]!.messages.map((message) => message.to[0]!.address)).toEqual(['bob@example.org', 'owner@example.com']);
      await queued.close();
    } finally {
      await redis.stop();
    }
  });

  it('names an adapter that has no description of its own by its name on the Overview, never "[object Object]"', async () => {
    const { api } = setup([memoryAdapter({ name: 'primary' }), scriptedAdapter('backup', ['ok'])]);
    const { body } = await api.overview();
    expect((body as { adapters: Array<{ name: string; target: string }> }).adapters.map((adapter) => [adapter.name, adapter.target])).toEqual([
      ['primary', 'memory'],
      ['backup', 'backup'],
    ]);
  });

  it('checks a queue-mode mailer\'s own queue on the Overview: messages waiting with no worker is an error, a worker running is ok', async () => {
    const redis = await startRedis();
    try {
      const queue = { connection: redis.url, name: `overview${Date.now().toString(36)}` };
      for (const given of ['dsn', 'adapters', 'none'] as const) {
        const options = given === 'adapters' ? { adapters: [memoryAdapter()] } : { dsn: 'memory://' };
        const queued = createMailer({ ...options, journal: redis.url, queue, from: 'shop@example.com' });
        const api = createAdminApi({ mailer: queued, ...(given === 'none' ? {} : { mailerOptions: { ...options, journal: redis.url, queue, from: 'shop@example.com' } }) });
        if (given === 'dsn') await queued.send({ to: 'ann@example.org', subject: 'Waiting for a worker', text: 'x' });
        const findings = ((await api.overview()).body as { findings: Array<{ level: string; check: string; message: string }> }).findings;
        expect(findings).toContainEqual(expect.objectContaining({ level: 'error', check: 'queue-worker', message: expect.stringContaining('1 queued, no worker connected to') }));
        await queued.close();
      }
      const queued = createMailer({ dsn: 'memory://', journal: redis.url, queue, from: 'shop@example.com' });
      const worker = await startWorker({ dsn: 'memory://', journal: redis.url, queue, from: 'shop@example.com' });
      const findings = ((await createAdminApi({ mailer: queued }).overview()).body as { findings: Array<{ level: string; check: string; message: string }> }).findings;
      expect(findings).toContainEqual(expect.objectContaining({ level: 'ok', check: 'queue-worker', message: '1 worker connected' }));
      await Promise.all([worker.close(1000), queued.close()]);
    } finally {
      await redis.stop();
    }
  });

  it('scrubs the Mailgun key but shows the sending domain, which the DSN carries where others keep a password', async () => {
    const key = 'key-0123456789abcdef0123456789abcdef';
    const domain = 'mg.example.com';
    const leaky = scriptedAdapter('leaky', [{ throw: new MailError('AUTH', `401 rejected key ${key} for ${domain}`, { provider: 'leaky' }) }]);
    mailer = createMailer({ adapters: [leaky], journal: 'memory://', from: `shop@${domain}`, retry: { attempts: 1 } });
    const api = createAdminApi({ mailer, mailerOptions: { dsn: `mailgun+api://${key}:${domain}@default?region=eu` } });
    await mailer.send({ to: `bob@${domain}`, subject: `Your order at ${domain}`, text: 'x' }).catch(() => undefined);
    const listed = JSON.stringify((await api.list({})).body);
    expect(listed).toContain(`bob@${domain}`);
    expect(listed).toContain(`Your order at ${domain}`);
    const tested = JSON.stringify((await api.test({ to: `ann@${domain}` })).body);
    expect(tested).toContain(domain);
    expect(`${listed} ${tested}`).not.toContain(key);
  });

  it('scrubs every DSN secret from its answers, even one an adapter let through', async () => {
    const leaky = scriptedAdapter('leaky', [{ throw: new MailError('AUTH', '401 rejected key xkeysib-0123456789abcdef', { provider: 'leaky' }) }]);
    mailer = createMailer({ adapters: [leaky], journal: 'memory://', from: 'shop@example.com', retry: { attempts: 1 } });
    const api = createAdminApi({ mailer, mailerOptions: { dsn: 'brevo+api://xkeysib-0123456789abcdef@default' } });
    const { body } = await api.test({ to: 'ann@example.org' });
    expect(JSON.stringify(body)).not.toContain('xkeysib-0123456789abcdef');
  });
});
