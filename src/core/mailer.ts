// createMailer: the one entry point, as wiring. A message goes in once: rendered and normalized,
// claimed in the journal (its idempotency key answered there), carried by the failover chain, its
// journal entry closed "sent" or "failed", and the outcome announced. Each step is a named function
// in src/core/mailer/. See README "How a send works".
import { attachAlerts } from '../alerts/alerts.js';
import { dsnSecrets } from './dsn.js';
import type { MailMessage } from './message.js';
import { buildChain } from './mailer/chain-setup.js';
import { claim } from './mailer/claim.js';
import { deliver } from './mailer/deliver.js';
import { MailerEventHub } from './mailer/events.js';
import { openJournal, refuseUnstorableData, requireJournal, resultFromEntry } from './mailer/journal-steps.js';
import type { MailerParts } from './mailer/parts.js';
import { createPreparer } from './mailer/prepare.js';
import { resend } from './mailer/resend.js';
import type { Mailer, MailerOptions, SendResult } from './mailer/types.js';
import { verify } from './mailer/verify.js';
import { RunningSends } from './mailer/work.js';

export type { AttemptStart, JournalResendOptions, Mailer, MailerEvents, MailerJournal, MailerOptions, SendResult, VerifyResult } from './mailer/types.js';
export { DEFAULT_DSN, IMPLICIT_OUTBOX_WARNING_CODE, JOURNAL_WARNING_CODE } from './mailer/types.js';

export function createMailer(options: MailerOptions = {}): Mailer {
  const { chain, dsn } = buildChain(options); // throws CONFIG now for a bad chain
  const parts: MailerParts = { options, chain, journal: openJournal(options.journal), events: new MailerEventHub(), prepare: createPreparer(options, chain) };
  const sends = new RunningSends();
  const journal = () => requireJournal(parts.journal);

  const mailer: Mailer = {
    send: async (input) => sends.start(input?.idempotencyKey, () => sendMessage(parts, input)),
    verify: () => verify(parts),
    async close() {
      if (sends.closed) return;
      await sends.drain();
      // Alerts first: their digests may go out by email through the chain's adapters.
      await alerts?.close();
      await (await chain.catch(() => undefined))?.close();
      await parts.journal?.close().catch((error: unknown) => parts.events.journalError(error));
    },
    on(event, listener) {
      parts.events.on(event, listener);
      return mailer;
    },
    off(event, listener) {
      parts.events.off(event, listener);
      return mailer;
    },
    adapters: async () => [...(await chain).members],
    journal: {
      get: (id) => journal().get(id),
      list: (query) => journal().list(query),
      findByIdempotencyKey: (key) => journal().findByIdempotencyKey(key),
      prune: () => journal().prune(),
      describe: () => journal().describe(),
      resend: (id, resendOptions) => sends.track(resend(parts, id, resendOptions)),
    },
  };
  const alerts = options.alerts
    ? attachAlerts(parts.events.source, options.alerts, {
        adapters: mailer.adapters,
        ...(parts.journal ? { journal: mailer.journal } : {}),
        ...(options.from !== undefined ? { from: options.from } : {}),
        secrets: dsn ? dsnSecrets(dsn) : [],
      })
    : undefined;
  return mailer;
}

/** render -> normalize -> journal claim -> chain -> journal close -> events. */
async function sendMessage(parts: MailerParts, input: MailMessage): Promise<SendResult> {
  if (parts.journal?.storeContent && !input.sensitive) refuseUnstorableData(input);
  const message = await parts.prepare(input);
  const claimed = await claim(parts, input, message);
  if (claimed.kind === 'sent') return resultFromEntry(claimed.entry);
  // An interrupted earlier send (a killed process): complete that entry with its Message-ID, so a
  // receiver that dedupes by Message-ID keeps one copy.
  const messageId = claimed.kind === 'resume' ? claimed.entry.messageId : message.messageId;
  return deliver(parts, { ...message, messageId }, claimed.entry, claimed.written);
}
