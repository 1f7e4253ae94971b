// The mailer's events, and the two rules about them: a journal failure is never silent (printed once
// when nobody listens), and a send's trace (attempts, failovers, cooldowns) becomes events as it
// happens.
import { EventEmitter } from 'node:events';
import type { MailAdapter } from '../adapter.js';
import { MailError, toMailError } from '../errors.js';
import { optionNames, unknownName } from '../known-options.js';
import { describeAdapter, type SendTrace } from '../failover.js';
import type { JournalEntry } from '../../journal/journal.js';
import { JOURNAL_WARNING_CODE, LISTENER_WARNING_CODE, type AttemptStart, type MailerEvents } from './types.js';

/** Every event a mailer emits (listed with the compiler's check against MailerEvents). */
export const MAILER_EVENTS = optionNames<MailerEvents>({ sent: true, failed: true, failover: true, 'journal-error': true, attempt: true, 'attempt-end': true, cooldown: true, delivery: true });

// From JavaScript, a listener on a name the mailer never emits (`on('error')`, Node's habit, or a
// typo such as `on('fail')`) would wait for ever: the failure alert wired there would never come.
function checkSubscription(method: 'on' | 'off', event: unknown, listener: unknown): void {
  if (typeof event !== 'string' || !MAILER_EVENTS.includes(event)) {
    throw new MailError('CONFIG', `mailer.${method}(${typeof event === 'string' ? unknownName(event, MAILER_EVENTS) : typeof event}): the mailer has no such event`, {
      remedy: `Listen to one of ${MAILER_EVENTS.map((name) => `"${name}"`).join(', ')}; a failed send is "failed" (its promise rejects too), a journal failure "journal-error". README "Mailer options" describes each.`,
    });
  }
  if (typeof listener !== 'function') throw new MailError('CONFIG', `mailer.${method}("${event}", …): the listener must be a function, got ${listener === null ? 'null' : typeof listener}`);
}

export class MailerEventHub {
  private readonly emitter = new EventEmitter();
  private journalWarned = false;
  private readonly listenerWarned = new Set<string>();

  on<E extends keyof MailerEvents>(event: E, listener: (...args: MailerEvents[E]) => void): void {
    checkSubscription('on', event, listener);
    this.emitter.on(event, listener as (...args: unknown[]) => void);
  }

  off<E extends keyof MailerEvents>(event: E, listener: (...args: MailerEvents[E]) => void): void {
    checkSubscription('off', event, listener);
    this.emitter.off(event, listener as (...args: unknown[]) => void);
  }

  /** The events as a plain emitter, for a monitor that subscribes to several (alerts). */
  get source(): Pick<EventEmitter, 'on' | 'off'> {
    return this.emitter;
  }

  /**
   * Calls each listener in turn. A listener is the application's code, told about a send that has
   * already happened: what it throws (or an async listener rejects with) is reported as a process
   * warning and never reaches the send. Thrown into the send, it would reject a delivered message
   * (whose caller then sends it again) or stop a failover and blame the provider.
   */
  emit<E extends keyof MailerEvents>(event: E, ...args: MailerEvents[E]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        const returned: unknown = listener(...args);
        if (isThenable(returned)) returned.then(undefined, (error: unknown) => this.listenerFailed(event, error));
      } catch (error) {
        this.listenerFailed(event, error);
      }
    }
  }

  // Once per event: a listener that breaks on every send would otherwise print a line for each.
  private listenerFailed(event: string, error: unknown): void {
    if (this.listenerWarned.has(event)) return;
    this.listenerWarned.add(event);
    const reason = error instanceof Error ? error.message : String(error);
    process.emitWarning(`a listener of the mailer's "${event}" event threw: ${reason} (the send was not affected; later failures of this event's listeners are not reported)`, {
      type: 'MailroomWarning',
      code: LISTENER_WARNING_CODE,
    });
  }

  /**
   * Never silent: a journal that cannot be written loses resends and idempotency keys, so when
   * nobody listens to journal-error the first failure is printed once on stderr. A listener (the
   * CLI prints its own line) takes over saying it.
   */
  journalError(error: unknown): void {
    const mailError = toMailError(error, { code: 'CONFIG', message: 'the send journal failed' });
    const listened = this.emitter.listenerCount('journal-error') > 0;
    if (!this.journalWarned && !listened) {
      this.journalWarned = true;
      process.emitWarning(`${mailError.message}${mailError.specificRemedy ? ` ${mailError.specificRemedy}` : ''}`, { type: 'MailroomWarning', code: JOURNAL_WARNING_CODE });
    }
    if (listened) this.emit('journal-error', mailError);
  }

  /** An adapter is asked to send or check (only built when someone listens: progress displays). */
  attempt(adapter: MailAdapter, attempt: number, action: AttemptStart['action']): void {
    if (this.emitter.listenerCount('attempt') > 0) this.emit('attempt', { adapter: adapter.name, target: describeAdapter(adapter), attempt, action });
  }

  /** An adapter's attempt or check ended. */
  attemptEnd(adapter: MailAdapter, attempt: number, action: AttemptStart['action'], outcome: { ok: boolean; durationMs: number; code?: string | undefined }): void {
    if (this.emitter.listenerCount('attempt-end') === 0) return;
    this.emit('attempt-end', { adapter: adapter.name, target: describeAdapter(adapter), attempt, action, ok: outcome.ok, durationMs: outcome.durationMs, ...(outcome.code ? { code: outcome.code } : {}) });
  }

  /** A trace for one send through the chain, writing into `entry.attempts` and raising events as it goes. */
  trace(entry: JournalEntry): SendTrace {
    return {
      attempts: entry.attempts,
      warnings: [],
      onAttempt: (adapter, attempt) => this.attempt(adapter, attempt, 'send'),
      onAttemptEnd: (adapter, ended, attempt) => this.attemptEnd(adapter, attempt, 'send', { ok: ended.ok, durationMs: ended.durationMs, code: ended.error?.code }),
      onFailover: (info) => this.emit('failover', { ...info, entryId: entry.id }),
      onCooldown: (info) => this.emit('cooldown', info),
    };
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
