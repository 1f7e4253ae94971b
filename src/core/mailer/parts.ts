// What the mailer's steps share: its options, its chain, its journal and its events.
import type { FailoverAdapter } from '../failover.js';
import type { SendJournal } from '../../journal/journal.js';
import type { MailMessage, NormalizedMessage } from '../message.js';
import type { MailerEventHub } from './events.js';
import type { MailerOptions } from './types.js';
import type { SendQueue } from '../../queue/send-queue.js';

export interface MailerParts {
  readonly options: MailerOptions;
  /** The chain, built on first use (see chain-setup.ts). */
  readonly chain: Promise<FailoverAdapter>;
  /** Undefined with `journal: false`. */
  readonly journal: SendJournal | undefined;
  readonly events: MailerEventHub;
  /** The queue in queue mode (see src/queue/). */
  readonly queue?: SendQueue | undefined;
  /** Renders the template (if any) and normalizes the message (see prepare.ts). */
  prepare(input: MailMessage, messageId?: string): Promise<NormalizedMessage>;
}
