// The mailer's events, and the two rules about them: a journal failure is never silent (printed once
// when nobody listens), and a send's trace (attempts, failovers, cooldowns) becomes events as it
// happens.
import { EventEmitter } from 'node:events';
import type { MailAdapter } from '../adapter.js';
import { toMailError } from '../errors.js';
import { describeAdapter, type SendTrace } from '../failover.js';
import type { JournalEntry } from '../../journal/journal.js';
import { JOURNAL_WARNING_CODE, type AttemptStart, type MailerEvents } from './types.js';

export class MailerEventHub {
  private readonly emitter = new EventEmitter();
  private journalWarned = false;

  on<E extends keyof MailerEvents>(event: E, listener: (...args: MailerEvents[E]) => void): void {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
  }

  off<E extends keyof MailerEvents>(event: E, listener: (...args: MailerEvents[E]) => void): void {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
  }

  /** The events as a plain emitter, for a monitor that subscribes to several (alerts). */
  get source(): Pick<EventEmitter, 'on' | 'off'> {
    return this.emitter;
  }

  emit<E extends keyof MailerEvents>(event: E, ...args: MailerEvents[E]): void {
    this.emitter.emit(event, ...args);
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

  /** A trace for one send through the chain, writing into `entry.attempts` and raising events as it goes. */
  trace(entry: JournalEntry): SendTrace {
    return {
      attempts: entry.attempts,
      warnings: [],
      onAttempt: (adapter, attempt) => this.attempt(adapter, attempt, 'send'),
      onFailover: (info) => this.emit('failover', { ...info, entryId: entry.id }),
      onCooldown: (info) => this.emit('cooldown', info),
    };
  }
}
