// The no-worker check of queue mode: a queued message's journal entry stays `queued` until a worker
// takes it, so without a worker nothing fails and nothing is pending, and no other trigger speaks.
// Every `queueCheckMs` the queue is asked how many messages wait and how many workers are alive;
// messages waiting while no worker has been seen for `noWorkerMinutes` raise one alert (throttled
// as any other). Presence, not age: a backlog a rate limit holds back while a worker runs is fine.
// Every mailer on the queue sees the same backlog: only the one holding the lead in the journal
// they share (queue mode needs one; SendJournal.lead) raises it, so N instances send one alert, not N.
import { randomUUID } from 'node:crypto';
import { queuedCount } from '../queue/send-queue.js';
import type { AlertDraft } from './alert.js';
import type { AlertClock } from './throttle.js';
import { noWorkerDraft } from './triggers.js';

/** What the check reads of a queue (SendQueue's probe). */
export interface WatchedQueue {
  probe(): Promise<{ counts: { waiting: number; active: number; delayed: number }; workers: number }>;
  /** "redis://host:6379 mailroom", without credentials. */
  describe(): string;
}

/** Which of the mailers sharing the queue speaks (AlertContext.lead): taken or renewed for `ttlMs`, or given up. */
export interface AlertLead {
  take(name: string, owner: string, ttlMs: number): Promise<boolean>;
  leave(name: string, owner: string): Promise<void>;
}


/**
 * Starts the periodic check; `stop()` ends it. The clock starts with the watch: a mailer that starts
 * beside a backlog and no worker alerts `noWorkerMinutes` later, not at once (a worker may be starting too).
 */
export function watchQueue(queue: WatchedQueue, options: { noWorkerMinutes: number; checkMs: number; clock: AlertClock; lead?: AlertLead }, raise: (draft: () => AlertDraft | undefined) => void): { stop(): Promise<void> } {
  const { clock, noWorkerMinutes } = options;
  const owner = randomUUID();
  // Renewed at each check that would raise: a lead that stops checking (closed, crashed, its
  // outage over) lapses after a few periods and the next mailer to see a backlog takes it.
  const leadMs = 3 * options.checkMs;
  // One lead per queue: two queues on one journal each have their speaker.
  const leadName = `alerts:no-worker:${queue.describe()}`;
  let lastWorkerSeen = clock.now();
  let timer: unknown;
  let stopped = false;
  let spoke = false;
  let checking: Promise<void> = Promise.resolve();

  const check = async () => {
    // A server that does not answer is not this alert's business: send() fails TRANSIENT meanwhile, doctor says why.
    const { counts, workers } = await queue.probe();
    const now = clock.now();
    if (workers > 0) {
      lastWorkerSeen = now;
      return;
    }
    // Active jobs with no worker alive belong to a worker that died; delayed ones are retries. Both wait for a worker.
    const queued = queuedCount(counts);
    if (queued === 0 || now - lastWorkerSeen < noWorkerMinutes * 60_000) return;
    // A journal that cannot say who speaks: better the same alert twice than none.
    if (options.lead && !(await options.lead.take(leadName, owner, leadMs).catch(() => true))) return;
    spoke = true;
    raise(() => noWorkerDraft(queued, noWorkerMinutes, queue.describe()));
  };
  const schedule = () => {
    timer = clock.setTimeout(() => {
      checking = check()
        .catch(() => undefined)
        .finally(() => {
          if (!stopped) schedule();
        });
    }, options.checkMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clock.clearTimeout(timer);
      // After a check in progress, which may have just taken the lead.
      await checking;
      if (spoke) await options.lead?.leave(leadName, owner).catch(() => undefined);
    },
  };
}
