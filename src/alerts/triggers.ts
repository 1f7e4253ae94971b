// What each mailer event becomes as an alert draft: the trigger, the throttle key's adapter and
// code, and the facts a person needs to act. Only MailError fields that never hold a secret are
// used (message, code, remedy, SMTP/HTTP codes); the monitor scrubs the result once more.
import { attemptsByAdapter, type MailError } from '../core/errors.js';
import { START_A_WORKER } from '../queue/send-queue.js';
import { showRecipient, type AlertDraft, type AlertFact, type RecipientDisplay } from './alert.js';

/** The part of a delivery event (mailroom-js/events' TrackingEvent) that alerts read. */
export interface DeliveryEventLike {
  eventType: string;
  provider?: string;
  recipient?: string;
  journalId?: string;
  rejectReason?: string;
  description?: string;
  mtaResponse?: string;
  timestamp?: string | Date;
}

export function failedDraft(error: MailError, entryId: string): AlertDraft {
  const attempts = error.attempts ?? [];
  const failing = [...new Set(attempts.filter((attempt) => !attempt.ok).map((attempt) => attempt.adapter))];
  const adapter = error.provider ?? (failing.length > 0 ? failing.join('+') : undefined);
  const tried = attemptsByAdapter(attempts)
    .map(({ adapter: name, count, last }) => `${name}: ${last.error?.code ?? 'ok'}${count > 1 ? ` after ${count} attempts` : ''}`)
    .join('; ');
  return {
    trigger: 'failed',
    headline: 'Mail failed for good',
    text: `A message could not be sent (${error.code}). ${error.remedy}`,
    facts: compact([
      ['Error', error.message],
      ['Code', error.code],
      ['Adapters tried', tried],
      ['Journal entry', entryId],
    ]),
    ...(adapter ? { adapter } : {}),
    code: error.code,
    entryId,
    avoidAdapters: failing.length > 0 ? failing : adapter ? [adapter] : [],
  };
}

export function failoverDraft(info: { from: string; to: string; error: MailError; entryId: string }): AlertDraft {
  return {
    trigger: 'failover',
    headline: `${info.from} failed, ${info.to} took over`,
    text: `${info.from} failed with ${info.error.code}; the message went on to ${info.to}. ${info.error.remedy}`,
    facts: compact([
      ['Failed adapter', info.from],
      ['Next adapter', info.to],
      ['Error', info.error.message],
      ['SMTP code', info.error.enhancedCode ?? (info.error.smtpCode ? String(info.error.smtpCode) : undefined)],
      ['HTTP status', info.error.status ? String(info.error.status) : undefined],
      ['Journal entry', info.entryId],
    ]),
    adapter: info.from,
    code: info.error.code,
    entryId: info.entryId,
  };
}

export function cooldownDraft(info: { adapter: string; code: string; until: Date | string }): AlertDraft {
  const until = new Date(info.until).toISOString();
  return {
    trigger: 'cooldown',
    headline: `${info.adapter} is cooling down`,
    text: `${info.adapter} failed repeatedly (${info.code}) and is skipped until ${until}; the other adapters of the chain carry the mail meanwhile.`,
    facts: [
      { label: 'Adapter', value: info.adapter },
      { label: 'Code', value: info.code },
      { label: 'Until', value: until },
    ],
    adapter: info.adapter,
    code: info.code,
  };
}

/** A hard bounce or a complaint; undefined for every other delivery event. */
export function deliveryDraft(event: DeliveryEventLike, recipients: RecipientDisplay): AlertDraft | undefined {
  const bounce = event.eventType === 'bounced' || (event.eventType === 'rejected' && event.rejectReason === 'bounced');
  const complaint = event.eventType === 'complained';
  if (!bounce && !complaint) return undefined;
  const provider = event.provider ?? 'provider';
  const shown = event.recipient ? showRecipient(event.recipient, recipients) : undefined;
  return {
    trigger: bounce ? 'bounce' : 'complaint',
    headline: bounce ? `Hard bounce reported by ${provider}` : `Spam complaint reported by ${provider}`,
    text: bounce
      ? `A recipient's server refused the message for good${shown ? ` (${shown})` : ''}. Check the address; do not resend to it.`
      : `A recipient marked the message as spam${shown ? ` (${shown})` : ''}. Stop sending this kind of mail to them.`,
    facts: compact([
      ['Recipient', shown],
      ['Provider', provider],
      ['Reason', event.rejectReason],
      ['Description', event.description],
      ['MTA response', event.mtaResponse],
      ['Journal entry', event.journalId],
    ]),
    adapter: provider,
    code: bounce ? (event.rejectReason ?? 'bounced') : 'complained',
    ...(event.journalId ? { entryId: event.journalId } : {}),
    avoidAdapters: [],
  };
}

export function journalErrorDraft(error: MailError): AlertDraft {
  return {
    trigger: 'journal-error',
    headline: 'The send journal is failing',
    text: `The send journal cannot be written: sends go on, but resends and idempotency keys are at risk. ${error.remedy}`,
    facts: [
      { label: 'Error', value: error.message },
      { label: 'Code', value: error.code },
    ],
    code: error.code,
    avoidAdapters: [],
  };
}

export function pendingDraft(count: number, olderThanMinutes: number, oldest: { id: string; createdAt: string } | undefined): AlertDraft {
  return {
    trigger: 'pending',
    headline: `${count}${count >= PENDING_SCAN_LIMIT ? '+' : ''} message(s) pending for over ${olderThanMinutes} min`,
    text: `Journal entries are still pending after ${olderThanMinutes} minutes: a process may have stopped mid-send. Check them with mailroom journal --status pending, then mailroom resend.`,
    facts: compact([
      ['Pending', `${count}${count >= PENDING_SCAN_LIMIT ? '+' : ''}`],
      ['Oldest entry', oldest ? `${oldest.id} (${oldest.createdAt})` : undefined],
    ]),
    code: 'PENDING',
    ...(oldest ? { entryId: oldest.id } : {}),
    avoidAdapters: [],
  };
}

/** Messages wait in the queue and no worker has been alive for `minutes`: nothing is delivered. */
export function noWorkerDraft(queued: number, minutes: number, queue: string): AlertDraft {
  return {
    trigger: 'no-worker',
    headline: `${queued} message(s) queued, no worker for ${minutes} min`,
    text: `${queued} message(s) wait in the queue ${queue} and no worker has taken from it for ${minutes} minutes: nothing is delivered until one runs. To ${START_A_WORKER}; \`mailroom queue\` shows the count.`,
    facts: [
      { label: 'Queued', value: String(queued) },
      { label: 'Queue', value: queue },
      { label: 'Workers', value: '0' },
    ],
    code: 'NO_WORKER',
    avoidAdapters: [],
  };
}

export function testDraft(): AlertDraft {
  return {
    trigger: 'test',
    headline: 'Test alert',
    text: 'This is a test alert from mailroom (mailroom alerts test): this channel is set up correctly.',
    facts: [{ label: 'Sent by', value: 'mailroom alerts test' }],
    code: 'TEST',
    avoidAdapters: [],
  };
}

/** Entries one pending scan reads at most: enough to say "100+". */
export const PENDING_SCAN_LIMIT = 100;

function compact(pairs: Array<[string, string | undefined]>): AlertFact[] {
  return pairs.filter((pair): pair is [string, string] => Boolean(pair[1])).map(([label, value]) => ({ label, value }));
}
