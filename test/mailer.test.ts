// The fallback chain, row by row of the errors table in the README, plus retry, Retry-After,
// timeout, cooldown, idempotency and events, through scripted adapters and a real in-memory journal.
import Keyv from 'keyv';
import { describe, expect, it } from 'vitest';
import { createMailer, MailError, type MailerOptions, type SendResult } from '../src/index.js';
import { LISTENER_WARNING_CODE } from '../src/core/mailer.js';
import { SendJournal } from '../src/journal/journal.js';
import { scriptedAdapter, type Step } from './helpers/scripted-adapter.js';
import { mailErrorOf } from './helpers/assertions.js';
import { MailerEventHub } from '../src/core/mailer/events.js';
import { openJournal } from '../src/core/mailer/journal-steps.js';
import type { MailerParts } from '../src/core/mailer/parts.js';
import { createPreparer } from '../src/core/mailer/prepare.js';
import { sendMessage } from '../src/core/mailer/send.js';
import type { FailoverAdapter } from '../src/core/failover.js';

const message = { from: 'Shop <shop@example.com>', to: 'ann@example.com', subject: 'Order 1042', text: 'Thank you' };
const fast = { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 200 } } satisfies MailerOptions;

function chain(steps: Record<string, Step[]>, options: MailerOptions = {}) {
  const adapters = Object.entries(steps).map(([name, script]) => scriptedAdapter(name, script));
  const mailer = createMailer({ adapters, journal: 'memory://', ...fast, ...options });
  return { mailer, adapters };
}


describe('the chain, per error code', () => {
  it('delivers through the first adapter when it works', async () => {
    const { mailer, adapters } = chain({ a: ['ok'], b: ['ok'] });
    const result = await mailer.send(message);
    expect(result).toMatchObject({ status: 'sent', adapter: 'a', providerMessageId: 'a-1', accepted: ['ann@example.com'] });
    expect(adapters[1]!.calls).toHaveLength(0);
    expect(result.attempts).toEqual([expect.objectContaining({ adapter: 'a', ok: true })]);
  });

  it('INVALID_MESSAGE stops before any I/O and journals nothing', async () => {
    const { mailer, adapters } = chain({ a: ['ok'] });
    const error = await mailErrorOf(mailer.send({ ...message, to: 'not-an-address' }));
    expect(error.code).toBe('INVALID_MESSAGE');
    expect(error.field).toBe('to');
    expect(adapters[0]!.calls).toHaveLength(0);
    expect((await mailer.journal.list()).entries).toHaveLength(0);
  });

  it('INVALID_MESSAGE raised by an adapter stops the chain', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'INVALID_MESSAGE' }], b: ['ok'] });
    expect((await mailErrorOf(mailer.send(message))).code).toBe('INVALID_MESSAGE');
    expect(adapters[1]!.calls).toHaveLength(0);
  });

  it('CONFIG is thrown at setup for an unknown DSN scheme or a bad chain', () => {
    expect(() => createMailer({ dsn: 'pigeon://coop' })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    expect(() => createMailer({ adapters: [] })).toThrow(/at least one adapter/);
    const twin = scriptedAdapter('same', ['ok']);
    expect(() => createMailer({ adapters: [twin, scriptedAdapter('same', ['ok'])] })).toThrow(/unique/);
  });

  it('CONFIG is thrown at setup for a DSN whose adapter would ask for plain http to a host that is not loopback', () => {
    const key = 'xkeysib-0123456789';
    let thrown: unknown;
    try {
      createMailer({ dsn: `brevo+api://${key}@mail.example.com?insecure=true`, journal: false });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MailError);
    expect(thrown).toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/insecure=true/) });
    expect(`${(thrown as MailError).message} ${(thrown as MailError).remedy}`).not.toContain(key);
    // A local test server keeps plain http.
    expect(() => createMailer({ dsn: `brevo+api://${key}@127.0.0.1:8025?insecure=true`, journal: false })).not.toThrow();
    // Graph's base_url is checked at setup too.
    const graph = (base: string) => `graph://orders%40corp.com@11111111-2222-3333-4444-555555555555?client_id=aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee&client_secret=S3cret&base_url=${encodeURIComponent(base)}`;
    expect(() => createMailer({ dsn: graph('http://graph.example.com'), journal: false })).toThrow(/must use https/);
    expect(() => createMailer({ dsn: graph('http://127.0.0.1:8025'), journal: false })).not.toThrow();
  });

  it('a chain that cannot be built closes the entry failed with its error and raises failed', async () => {
    const buildFailure = new MailError('CONFIG', 'the chain could not be built');
    const chain = Promise.reject(buildFailure) as Promise<FailoverAdapter>;
    chain.catch(() => undefined);
    const parts: MailerParts = { options: {}, chain, journal: openJournal('memory://'), events: new MailerEventHub(), prepare: createPreparer({}, chain) };
    const failed: [MailError, string | undefined][] = [];
    parts.events.on('failed', (error, entryId) => failed.push([error, entryId]));
    const error = await mailErrorOf(sendMessage(parts, { ...message, idempotencyKey: 'order-1042' }));
    expect(error).toBe(buildFailure);
    const { entries } = await parts.journal!.list();
    expect(entries.map((entry) => [entry.status, entry.error?.code])).toEqual([['failed', 'CONFIG']]);
    expect(failed).toEqual([[buildFailure, entries[0]!.id]]);
  });

  it('UNSUPPORTED (declared) skips to the next adapter without calling it', async () => {
    const limited = scriptedAdapter('limited', ['ok'], { attachments: false });
    const full = scriptedAdapter('full', ['ok']);
    const mailer = createMailer({ adapters: [limited, full], journal: false });
    const result = await mailer.send({ ...message, attachments: [{ filename: 'invoice.pdf', content: new Uint8Array([1, 2]) }] });
    expect(result.adapter).toBe('full');
    expect(limited.calls).toHaveLength(0);
    expect(result.attempts[0]).toMatchObject({ adapter: 'limited', ok: false, error: { code: 'UNSUPPORTED' } });
    expect(result.attempts[0]!.error!.message).toMatch(/attachments/);
  });

  it('UNSUPPORTED thrown by an adapter skips to the next without retry', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'UNSUPPORTED' }], b: ['ok'] });
    expect((await mailer.send(message)).adapter).toBe('b');
    expect(adapters[0]!.calls).toHaveLength(1);
  });

  it('AUTH moves to the next adapter without retrying', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'AUTH' }], b: ['ok'] });
    const result = await mailer.send(message);
    expect(result.adapter).toBe('b');
    expect(adapters[0]!.calls).toHaveLength(1);
    expect(result.attempts.map((a) => [a.adapter, a.error?.code ?? 'ok'])).toEqual([['a', 'AUTH'], ['b', 'ok']]);
  });

  it('TRANSIENT is retried on the same adapter, then the next one is tried', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'TRANSIENT' }], b: ['ok'] });
    const result = await mailer.send(message);
    expect(adapters[0]!.calls.map((call) => call.ctx.attempt)).toEqual([1, 2, 3]);
    expect(result.adapter).toBe('b');
    expect(result.attempts.filter((a) => a.adapter === 'a')).toHaveLength(3);
  });

  it('TRANSIENT then success stays on the same adapter', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'TRANSIENT' }, 'ok'], b: ['ok'] });
    expect((await mailer.send(message)).adapter).toBe('a');
    expect(adapters[1]!.calls).toHaveLength(0);
  });

  it('RATE_LIMITED with a short Retry-After waits that long and retries the same adapter', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'RATE_LIMITED', options: { retryAfterMs: 120 } }, 'ok'], b: ['ok'] });
    const result = await mailer.send(message);
    expect(result.adapter).toBe('a');
    const [first, second] = adapters[0]!.calls;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(115);
  });

  it('RATE_LIMITED with a Retry-After longer than maxDelayMs goes to the next adapter at once', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'RATE_LIMITED', options: { retryAfterMs: 60_000 } }], b: ['ok'] });
    const started = performance.now();
    const result = await mailer.send(message);
    expect(result.adapter).toBe('b');
    expect(adapters[0]!.calls).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('REJECTED stops the chain: the next adapter is not tried', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'REJECTED', options: { smtpCode: 550, rejected: ['ann@example.com'] } }], b: ['ok'] });
    const error = await mailErrorOf(mailer.send(message));
    expect(error.code).toBe('REJECTED');
    expect(error.attempts).toHaveLength(1);
    expect(adapters[1]!.calls).toHaveLength(0);
  });

  it('AMBIGUOUS goes to the next adapter by default and marks a possible duplicate', async () => {
    const { mailer } = chain({ a: [{ fail: 'AMBIGUOUS' }], b: ['ok'] });
    const result = await mailer.send(message);
    expect(result.adapter).toBe('b');
    expect(result.warnings.join()).toMatch(/may have delivered/);
    expect((await mailer.journal.get(result.id))!.possibleDuplicate).toBe(true);
  });

  it('AMBIGUOUS is never retried on the same adapter, even when the error says retryable', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'AMBIGUOUS', options: { retryable: true } }, 'ok'], b: ['ok'] });
    const result = await mailer.send(message);
    expect(adapters[0]!.calls).toHaveLength(1);
    expect(result.attempts.map((attempt) => [attempt.adapter, attempt.error?.code])).toEqual([['a', 'AMBIGUOUS'], ['b', undefined]]);
    expect((await mailer.journal.get(result.id))!.possibleDuplicate).toBe(true);
    // The only adapter of its chain: the send fails after that one attempt, never with a second copy.
    const single = chain({ a: [{ fail: 'AMBIGUOUS', options: { retryable: true } }, 'ok'] });
    const failure = await mailErrorOf(single.mailer.send(message));
    expect(failure.attempts?.map((attempt) => attempt.error?.code)).toEqual(['AMBIGUOUS']);
    expect(single.adapters[0]!.calls).toHaveLength(1);
  });

  it('AMBIGUOUS stops when onAmbiguous is "stop"', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'AMBIGUOUS' }], b: ['ok'] }, { onAmbiguous: 'stop' });
    expect((await mailErrorOf(mailer.send(message))).code).toBe('AMBIGUOUS');
    expect(adapters[1]!.calls).toHaveLength(0);
  });

  it('ALL_FAILED carries every attempt in order, and the journal entry is failed', async () => {
    const { mailer } = chain({ a: [{ fail: 'AUTH' }], b: [{ fail: 'TRANSIENT' }], c: [{ fail: 'RATE_LIMITED', options: { retryAfterMs: 90_000 } }] });
    const error = await mailErrorOf(mailer.send(message));
    expect(error.code).toBe('ALL_FAILED');
    expect(error.attempts!.map((a) => `${a.adapter}:${a.error!.code}`)).toEqual([
      'a:AUTH', 'b:TRANSIENT', 'b:TRANSIENT', 'b:TRANSIENT', 'c:RATE_LIMITED',
    ]);
    const [entry] = (await mailer.journal.list({ status: 'failed' })).entries;
    expect(entry!.attempts).toHaveLength(5);
    expect(entry!.error!.code).toBe('ALL_FAILED');
  });

  it('wraps a foreign error thrown by an adapter into a TRANSIENT MailError with its cause', async () => {
    const foreign = new TypeError('socket hang up');
    const { mailer } = chain({ a: [{ throw: foreign }] }, { retry: { attempts: 1 } });
    const error = await mailErrorOf(mailer.send(message));
    expect(error.attempts![0]!.error).toMatchObject({ code: 'TRANSIENT' });
    expect(error.attempts![0]!.error!.message).toMatch(/socket hang up/);
  });

  it('adds the remedy of the diagnosis catalogue to an attempt', async () => {
    const { mailer } = chain({ a: [{ fail: 'AUTH', options: { smtpCode: 535, enhancedCode: '5.7.139' } }] });
    const error = await mailErrorOf(mailer.send(message));
    expect(error.attempts![0]!.error!.remedy).toMatch(/SMTP AUTH is disabled/);
    expect(error.remedy).toMatch(/SMTP AUTH is disabled/);
  });
});

describe('timeouts', () => {
  it('an adapter that ignores the abort signal is abandoned with TRANSIENT after timeoutMs', async () => {
    const { mailer, adapters } = chain({ slow: ['hang'], b: ['ok'] }, { timeoutMs: 50, retry: { attempts: 1 } });
    const result = await mailer.send(message);
    expect(result.adapter).toBe('b');
    expect(result.attempts[0]!.error).toMatchObject({ code: 'TRANSIENT' });
    expect(result.attempts[0]!.error!.message).toMatch(/no answer within 50 ms/);
    expect(adapters[0]!.calls[0]!.ctx.signal.aborted).toBe(true);
  });

  it("an adapter that honours the signal keeps its own classification (AMBIGUOUS mid-handover)", async () => {
    const { mailer } = chain({ slow: [{ abortable: 'AMBIGUOUS' }], b: ['ok'] }, { timeoutMs: 50 });
    const result = await mailer.send(message);
    expect(result.attempts[0]!.error!.code).toBe('AMBIGUOUS');
    expect(result.adapter).toBe('b');
  });
});

describe('cooldown', () => {
  it('skips an adapter after repeated failures and tries it again after the period', async () => {
    const flaky = scriptedAdapter('flaky', [{ fail: 'AUTH' }, { fail: 'AUTH' }, 'ok']);
    const backup = scriptedAdapter('backup', ['ok']);
    const mailer = createMailer({ adapters: [flaky, backup], journal: false, cooldown: { failures: 2, periodMs: 150 } });
    await mailer.send(message);
    await mailer.send(message);
    expect(flaky.calls).toHaveLength(2);
    const third = await mailer.send(message);
    expect(flaky.calls).toHaveLength(2); // cooling down: not called
    expect(third.adapter).toBe('backup');
    expect(third.warnings.join()).toMatch(/flaky skipped: cooling down/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const fourth = await mailer.send(message);
    expect(flaky.calls).toHaveLength(3); // back in the chain, never dead forever
    expect(fourth.adapter).toBe('flaky');
  });

  it('tries a cooling adapter anyway when every other adapter failed', async () => {
    const only = scriptedAdapter('only', [{ fail: 'AUTH' }, { fail: 'AUTH' }, 'ok']);
    const mailer = createMailer({ adapters: [only], journal: false, cooldown: { failures: 2, periodMs: 60_000 } });
    await mailErrorOf(mailer.send(message));
    await mailErrorOf(mailer.send(message));
    const result = await mailer.send(message);
    expect(result.adapter).toBe('only');
    expect(result.warnings.join()).toMatch(/cooling down/);
  });

  it('does not count message faults (REJECTED) towards a cooldown', async () => {
    const picky = scriptedAdapter('picky', [{ fail: 'REJECTED' }, { fail: 'REJECTED' }, 'ok']);
    const mailer = createMailer({ adapters: [picky, scriptedAdapter('other', ['ok'])], journal: false, cooldown: { failures: 2 } });
    await mailErrorOf(mailer.send(message));
    await mailErrorOf(mailer.send(message));
    expect((await mailer.send(message)).adapter).toBe('picky');
  });
});

describe('idempotency', () => {
  it('a second send with a key already sent returns the first receipt and sends nothing', async () => {
    const { mailer, adapters } = chain({ a: ['ok'] });
    const first = await mailer.send({ ...message, idempotencyKey: 'order-1042-confirmation' });
    const second = await mailer.send({ ...message, idempotencyKey: 'order-1042-confirmation' });
    expect(adapters[0]!.delivered).toHaveLength(1);
    expect(second).toMatchObject({ id: first.id, deduplicated: true, adapter: 'a', providerMessageId: first.providerMessageId, messageId: first.messageId });
  });

  it('concurrent sends with one key deliver once', async () => {
    const { mailer, adapters } = chain({ a: ['ok'] });
    const results = await Promise.all([1, 2, 3].map(() => mailer.send({ ...message, idempotencyKey: 'webhook-retry' })));
    expect(adapters[0]!.delivered).toHaveLength(1);
    expect(new Set(results.map((r: SendResult) => r.id)).size).toBe(1);
  });

  it('a key whose earlier send failed is sent again', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'AUTH' }, 'ok'] }, { retry: { attempts: 1 } });
    await mailErrorOf(mailer.send({ ...message, idempotencyKey: 'k' }));
    const result = await mailer.send({ ...message, idempotencyKey: 'k' });
    expect(result.deduplicated).toBeUndefined();
    expect(adapters[0]!.delivered).toHaveLength(1);
  });

  it('a failed send retried with its key is linked to it, so resending failed entries sends nothing twice', async () => {
    const { mailer, adapters } = chain({ a: [{ fail: 'AUTH' }, 'ok'] }, { retry: { attempts: 1 } });
    const failure = await mailErrorOf(mailer.send({ ...message, idempotencyKey: 'order-7-confirmation' }));
    expect(failure.code).toBe('ALL_FAILED');
    const retried = await mailer.send({ ...message, idempotencyKey: 'order-7-confirmation' });
    const [failed] = (await mailer.journal.list({ status: 'failed' })).entries;
    expect(failed!.resentAs).toEqual([retried.id]);
    expect((await mailer.journal.get(retried.id))!.resendOf).toBe(failed!.id);
    expect(adapters[0]!.delivered).toHaveLength(1);
  });

  it('resending a failed entry whose key was delivered since returns that delivery and sends nothing', async () => {
    const store = new Keyv();
    const { mailer, adapters } = chain({ a: [{ fail: 'AUTH' }, 'ok'] }, { retry: { attempts: 1 }, journal: store });
    await mailErrorOf(mailer.send({ ...message, idempotencyKey: 'order-8-confirmation' }));
    const delivered = await mailer.send({ ...message, idempotencyKey: 'order-8-confirmation' });
    // As a journal from before the link (or a lost link write) leaves it: the failed entry without
    // resentAs, the key pointing at the later delivery.
    const journal = new SendJournal({ store });
    const [failed] = (await journal.list({ status: 'failed' })).entries;
    delete failed!.resentAs;
    await journal.write(failed!);
    await journal.write((await journal.get(delivered.id))!);
    const resent = await mailer.journal.resend(failed!.id);
    expect(resent).toMatchObject({ id: delivered.id, deduplicated: true, adapter: 'a' });
    expect(adapters[0]!.delivered).toHaveLength(1);
  });
});

describe('events and journal failures', () => {
  it('emits failover, sent and failed', async () => {
    const { mailer } = chain({ a: [{ fail: 'AUTH' }], b: ['ok'] });
    const seen: string[] = [];
    mailer.on('failover', (info) => seen.push(`failover ${info.from}->${info.to} ${info.error.code}`));
    mailer.on('sent', (result) => seen.push(`sent ${result.adapter}`));
    mailer.on('failed', (error) => seen.push(`failed ${error.code}`));
    await mailer.send(message);
    // Refused before any I/O: not accepted, so no event.
    expect((await mailErrorOf(mailer.send({ ...message, subject: 'a\r\nBcc: evil@example.com' }))).code).toBe('INVALID_MESSAGE');
    expect(seen).toEqual(['failover a->b AUTH', 'sent b']);
    const failing = chain({ a: [{ fail: 'REJECTED' }] });
    failing.mailer.on('failed', (error) => seen.push(`failed ${error.code}`));
    await mailErrorOf(failing.mailer.send(message));
    expect(seen.at(-1)).toBe('failed REJECTED');
  });

  it('a listener that throws never changes the send: failover goes on, the result stands, the error is a process warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error & { code?: string }) => warning.code === LISTENER_WARNING_CODE && warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const { mailer, adapters } = chain({ a: [{ fail: 'AUTH' }], b: ['ok'] });
      const after: string[] = [];
      for (const event of ['attempt', 'failover', 'sent'] as const) {
        mailer.on(event, () => { throw new Error(`${event} listener broke`); });
        mailer.on(event, () => after.push(event));
      }
      mailer.on('sent', async () => { throw new Error('async sent listener broke'); });
      const result = await mailer.send(message);
      expect(result).toMatchObject({ status: 'sent', adapter: 'b' });
      expect(adapters[1]!.delivered).toHaveLength(1);
      expect((await mailer.journal.get(result.id))?.status).toBe('sent');
      // The listeners after the one that threw still hear the event.
      expect(after).toEqual(['attempt', 'failover', 'attempt', 'sent']);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => warning.message)).toEqual(expect.arrayContaining([expect.stringMatching(/failover listener broke/), expect.stringMatching(/"sent" event threw: sent listener broke/)]));
      // A failed send keeps its own error, whatever its listener throws.
      const failing = chain({ a: [{ fail: 'REJECTED' }] });
      failing.mailer.on('failed', () => { throw new Error('failed listener broke'); });
      expect((await mailErrorOf(failing.mailer.send(message))).code).toBe('REJECTED');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('on() and off() refuse an event the mailer never emits (CONFIG, with the closest name), and a listener that is not a function', async () => {
    const { mailer } = chain({ a: [{ fail: 'REJECTED' }] });
    const subscribe = (event: string, listener: unknown = () => undefined) => () => mailer.on(event as never, listener as never);
    // `on('fail')` or Node's `on('error')` would have waited for ever: the alert wired there never came.
    expect(subscribe('fail')).toThrow(expect.objectContaining({ code: 'CONFIG', message: expect.stringMatching(/"fail" \(did you mean "failed"\?\)\): the mailer has no such event/) }));
    expect(subscribe('error')).toThrow(expect.objectContaining({ code: 'CONFIG', remedy: expect.stringMatching(/"failed"/) }));
    expect(() => mailer.off('sendt' as never, (() => undefined) as never)).toThrow(/did you mean "sent"/);
    expect(subscribe('failed', null)).toThrow(expect.objectContaining({ code: 'CONFIG', message: expect.stringMatching(/the listener must be a function/) }));
    const failed: string[] = [];
    mailer.on('failed', (error) => failed.push(error.code));
    await mailErrorOf(mailer.send(message));
    expect(failed).toEqual(['REJECTED']);
    await mailer.close();
  });

  it('every close() call waits for the mailer to be closed, and it is closed once', async () => {
    let release!: () => void;
    const closing = new Promise<void>((resolve) => { release = resolve; });
    let closes = 0;
    const adapter = { ...scriptedAdapter('a', ['ok']), close: async () => { closes += 1; await closing; } };
    const mailer = createMailer({ adapters: [adapter], journal: false });
    await mailer.send(message);
    const settled: string[] = [];
    const first = mailer.close().then(() => settled.push('first'));
    const second = mailer.close().then(() => settled.push('second'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toEqual([]);
    release();
    await Promise.all([first, second]);
    expect(settled.sort()).toEqual(['first', 'second']);
    await mailer.close();
    expect(closes).toBe(1);
  });

  it('after close(), a resend, a journal read and verify() say the mailer is closed (CONFIG), with no I/O', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-closed-'));
    let verifies = 0;
    const adapter = { ...scriptedAdapter('a', [{ fail: 'AUTH' }, 'ok']), verify: async () => { verifies += 1; } };
    const mailer = createMailer({ adapters: [adapter], journal: join(dir, 'journal.sqlite'), ...fast });
    try {
      await mailErrorOf(mailer.send(message));
      const [failed] = (await mailer.journal.list({ status: 'failed' })).entries;
      await mailer.close();
      const closed = /after close\(\): this mailer is closed/;
      for (const call of [() => mailer.journal.resend(failed!.id), () => mailer.journal.get(failed!.id), () => mailer.journal.list(), () => mailer.journal.recordEvents([])]) {
        const error = await mailErrorOf(call());
        expect(error).toBeInstanceOf(MailError);
        expect(error.code).toBe('CONFIG');
        expect(error.message).toMatch(closed);
      }
      expect(adapter.calls).toHaveLength(1);
      const [check] = await mailer.verify();
      expect(check).toMatchObject({ adapter: 'a', ok: false, error: { code: 'CONFIG' } });
      expect(check!.error!.message).toMatch(closed);
      expect(verifies).toBe(0);
    } finally {
      await mailer.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a broken journal never blocks delivery: it raises journal-error', async () => {
    const { default: Keyv } = await import('keyv');
    const broken = new Keyv({
      store: {
        get: async () => undefined,
        set: async () => { throw new Error('disk full'); },
        delete: async () => false,
        clear: async () => undefined,
        on: () => undefined,
      } as never,
      throwOnErrors: true,
    });
    const adapter = scriptedAdapter('a', ['ok']);
    const mailer = createMailer({ adapters: [adapter], journal: broken });
    const errors: MailError[] = [];
    mailer.on('journal-error', (error) => errors.push(error));
    const result = await mailer.send(message);
    expect(result.status).toBe('sent');
    expect(adapter.delivered).toHaveLength(1);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.message).toMatch(/disk full/);
  });
});
