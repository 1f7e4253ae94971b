// Queue mode needs one journal that the mailers which queue and the workers which deliver all read:
// a worker closes the entry the mailer wrote. A `memory://` journal is made anew by each
// createMailer and startWorker (the worker builds a mailer of its own), even in one process, so a
// worker can never find a queued message there: each job would be refused, one by one, and the
// message stay queued for ever. Said once, at setup. (A Keyv instance given to both is one store:
// that in-process case works and is left alone.)
import { MailError } from '../core/errors.js';
import type { MailerOptions } from '../core/mailer/types.js';

/** CONFIG when `journal` is the per-instance in-memory store; `who` is "createMailer" or "startWorker". */
export function refuseProcessLocalJournal(journal: MailerOptions['journal'], who: 'createMailer' | 'startWorker'): void {
  const store = typeof journal === 'string' ? journal : typeof journal === 'object' && journal !== null && 'store' in journal ? journal.store : undefined;
  if (store !== 'memory://' && store !== 'memory') return;
  throw new MailError('CONFIG', `${who}: queue mode cannot use the memory:// journal: each mailer and worker gets one of its own, so no worker would ever find the messages queued`, {
    field: 'journal',
    remedy: 'Give the mailers and the workers one journal they share: journal: "redis://…" (the queue\'s Redis will do) or "postgres://…", or an SQLite file on a disk they share; in a test, one Keyv instance passed to both.',
  });
}
