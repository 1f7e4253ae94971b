// The CLI's progress line says what it waits on: the adapter during an attempt, the send journal
// once the adapter has taken the message (never the adapter that already answered). It follows the
// mailer's `attempt` and `attempt-end` events, which every send and verify() check raise.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMailer, type AttemptEnd, type Mailer } from '../src/index.js';
import { showProgress } from '../src/cli/progress.js';
import { memoryAdapter } from '../adapters/memory.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('showProgress', () => {
  it('names the adapter while it is asked, then the journal once the adapter took the message, and stops', () => {
    vi.useFakeTimers();
    const events = new EventEmitter();
    const lines: string[] = [];
    const stop = showProgress(events as unknown as Mailer, { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream);
    events.emit('attempt', { adapter: 'smtp', target: 'smtp(mail.example.com:587)', attempt: 1, action: 'send' });
    vi.advanceTimersByTime(5_000);
    expect(lines).toEqual(['waiting for smtp(mail.example.com:587)… 5 s\n']);
    events.emit('attempt-end', { adapter: 'smtp', target: 'smtp(mail.example.com:587)', attempt: 1, action: 'send', ok: true, durationMs: 5_200 });
    vi.advanceTimersByTime(10_000);
    expect(lines.slice(1)).toEqual(['smtp(mail.example.com:587) took the message: recording it in the send journal… 5 s\n', 'smtp(mail.example.com:587) took the message: recording it in the send journal… 10 s\n']);
    stop();
    vi.advanceTimersByTime(10_000);
    expect(lines).toHaveLength(3);
  });

  it('says nothing more after a failed attempt until the next one starts', () => {
    vi.useFakeTimers();
    const events = new EventEmitter();
    const lines: string[] = [];
    showProgress(events as unknown as Mailer, { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream);
    events.emit('attempt', { adapter: 'smtp', target: 'smtp(a)', attempt: 1, action: 'send' });
    events.emit('attempt-end', { adapter: 'smtp', target: 'smtp(a)', attempt: 1, action: 'send', ok: false, durationMs: 10, code: 'TRANSIENT' });
    vi.advanceTimersByTime(6_000);
    expect(lines).toEqual([]);
  });
});

describe('the attempt-end event', () => {
  it('follows every attempt of a send and every check of verify(), with its outcome', async () => {
    const mailer = createMailer({ adapters: [scriptedAdapter('a', [{ fail: 'TRANSIENT' }, 'ok']), memoryAdapter({ name: 'b' })], journal: false, from: 'shop@example.com', retry: { attempts: 2, baseDelayMs: 1 } });
    const ended: AttemptEnd[] = [];
    mailer.on('attempt-end', (info) => ended.push(info));
    await mailer.send({ to: 'ann@example.com', subject: 'Hi', text: 'Hello' });
    expect(ended.map(({ attempt, ok, code, action }) => ({ attempt, ok, code, action }))).toEqual([
      { attempt: 1, ok: false, code: 'TRANSIENT', action: 'send' },
      { attempt: 2, ok: true, code: undefined, action: 'send' },
    ]);
    await mailer.verify();
    // Only an adapter that has a check is checked (b); a's attempts above were its only ones.
    expect(ended.slice(2)).toMatchObject([{ adapter: 'b', action: 'verify', ok: true }]);
    await mailer.close();
  });
});
