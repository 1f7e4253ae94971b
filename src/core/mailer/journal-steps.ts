// The mailer's side of the journal: opening it from the option, writing entries without letting a
// journal failure stop a message (unless its idempotency key depends on it), and the shapes kept.
import type Keyv from 'keyv';
import { formatAddress } from '../address.js';
import { MailError } from '../errors.js';
import { SendJournal, type JournalEntry, type JournalOptions } from '../../journal/journal.js';
import { describeValue } from '../../journal/journal-store.js';
import type { AttachmentInput, MailMessage, NormalizedMessage } from '../message.js';
import type { MailerEventHub } from './events.js';
import type { MailerOptions, SendResult } from './types.js';

export function openJournal(option: MailerOptions['journal']): SendJournal | undefined {
  if (option === false) return undefined;
  if (option === undefined || typeof option === 'string' || isKeyv(option)) return new SendJournal({ store: option as string | Keyv | undefined });
  // From JavaScript: `true`, null or a number would have been read as the default journal, or a TypeError.
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw new MailError('CONFIG', `the journal option must be false, a store (file path or URL, or a Keyv) or { store, storeContent, ttlMs, encryptionKey }, got ${describeValue(option)}`, {
      remedy: 'Leave journal out for the default SQLite journal (.mailroom/journal.sqlite), give a store such as "memory://" or "redis://host:6379", or journal: false to turn it off.',
    });
  }
  return new SendJournal(option as JournalOptions);
}

function isKeyv(value: unknown): value is Keyv {
  return typeof value === 'object' && value !== null && typeof (value as Keyv).get === 'function' && typeof (value as Keyv).set === 'function';
}

export function requireJournal(journal: SendJournal | undefined): SendJournal {
  if (!journal) throw new MailError('CONFIG', 'the send journal is off (mailer option journal: false)');
  return journal;
}

/** CONFIG for an id the journal does not hold, saying which store was read and where ids come from. */
export async function noSuchEntry(journal: Pick<SendJournal, 'describe'>, id: string): Promise<MailError> {
  return new MailError('CONFIG', `no journal entry with id ${id} in ${await journal.describe()}`, {
    field: 'id',
    remedy: 'Copy the id from the first column of `mailroom journal` (or an entry\'s id from journal.list()), and check that this mailer reads the same journal the message was sent with (--journal, MAILROOM_JOURNAL, the journal option); an entry past its retention (ttlMs) is gone.',
  });
}

/** Writes an entry; resolves the failure (raised as journal-error too), or undefined. */
export async function record(journal: SendJournal | undefined, events: MailerEventHub, entry: JournalEntry): Promise<unknown> {
  if (!journal) return undefined;
  try {
    await journal.write(entry);
    return undefined;
  } catch (error) {
    events.journalError(error);
    return error ?? new Error('the journal write failed');
  }
}

// What a resend needs: the message as given, with the sender and reply-to it was actually sent
// with (they may have come from the mailer's defaults, which a later process may not share).
// Attachments are kept as base64 so the entry stays JSON. Only the message's own fields are kept:
// a JavaScript caller may pass an object carrying more (its own record spread into the message,
// a BigInt, a circular reference), which no send reads and which must not fail the journal write.
export function contentToKeep(input: MailMessage, message: NormalizedMessage): MailMessage {
  const given = pick(input, MESSAGE_FIELDS) as Partial<MailMessage>;
  for (const field of ADDRESS_FIELDS) if (given[field] !== undefined) (given as Record<string, unknown>)[field] = keptAddresses(given[field]);
  if (given.template !== null && typeof given.template === 'object') given.template = pick(given.template, ['name', 'data', 'locale']) as MailMessage['template'];
  const rest: MailMessage = {
    ...given,
    to: given.to!,
    from: given.from ?? formatAddress(message.from),
    ...(input.replyTo === undefined && message.replyTo.length > 0 ? { replyTo: message.replyTo.map(formatAddress) } : {}),
  };
  const attachments = input.attachments;
  if (!attachments?.length) return rest;
  return {
    ...rest,
    attachments: attachments.map((a) => ({
      ...(pick(a, ATTACHMENT_FIELDS) as unknown as AttachmentInput),
      ...(typeof a.content === 'string' ? {} : { content: Buffer.from(a.content).toString('base64'), encoding: 'base64' as const }),
    })),
  };
}

const MESSAGE_FIELDS = ['from', 'to', 'cc', 'bcc', 'replyTo', 'subject', 'text', 'html', 'template', 'headers', 'tags', 'metadata', 'idempotencyKey', 'sensitive'] as const satisfies ReadonlyArray<Exclude<keyof MailMessage, 'attachments'>>;
const ADDRESS_FIELDS = ['from', 'to', 'cc', 'bcc', 'replyTo'] as const;
const ATTACHMENT_FIELDS = ['filename', 'content', 'encoding', 'contentType', 'cid'] as const satisfies ReadonlyArray<keyof AttachmentInput>;

function pick(value: object, fields: readonly string[]): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const field of fields) if (Object.hasOwn(value, field) && (value as Record<string, unknown>)[field] !== undefined) kept[field] = (value as Record<string, unknown>)[field];
  return kept;
}

// An address object keeps its address and name only.
function keptAddresses(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keptAddresses);
  return value !== null && typeof value === 'object' ? pick(value, ['address', 'name']) : value;
}

// The journal keeps template data as JSON for resends: a value JSON cannot carry (a BigInt, a
// circular object) would fail the write of every entry committed in the same batch. Refused before
// anything is written, as the message's own fault.
export function refuseUnstorableData(input: MailMessage): void {
  const data = input?.template?.data;
  if (data === undefined) return;
  try {
    JSON.stringify(data);
  } catch (error) {
    throw new MailError('TEMPLATE', `template.data cannot be kept in the send journal for a resend: ${(error as Error).message}. Pass plain JSON values (a BigInt as a string or number, no circular references), or run the journal with storeContent: false`, { field: 'template.data', cause: error });
  }
}

/** The result of an earlier send, answered instead of sending again. */
export function resultFromEntry(entry: JournalEntry): SendResult {
  return {
    id: entry.id,
    status: 'sent',
    adapter: entry.adapter ?? 'unknown',
    ...(entry.providerMessageId ? { providerMessageId: entry.providerMessageId } : {}),
    messageId: entry.messageId,
    accepted: [...entry.summary.to, ...entry.summary.cc, ...entry.summary.bcc].map((formatted) => /<([^<>]+)>$/.exec(formatted)?.[1] ?? formatted),
    rejected: [],
    attempts: entry.attempts,
    deduplicated: true,
    warnings: entry.warnings ?? [],
  };
}

// A send with an idempotency key is refused when the journal cannot be read or written: sending it
// anyway would silently drop the guarantee the key asks for (a retried webhook would send twice).
export function keyCannotBeHonoured(key: string, error: unknown): MailError {
  const cause = error instanceof MailError ? error : undefined;
  const reason = `: ${cause ? cause.detail : (error as Error)?.message ?? String(error)}`;
  return new MailError(cause?.code === 'CONFIG' ? 'CONFIG' : 'TRANSIENT', `the idempotency key "${key}" cannot be honoured because the send journal failed${reason}; nothing was sent`, {
    cause: error,
    remedy: `${cause?.specificRemedy ? `${cause.specificRemedy} ` : ''}Fix the journal, or send without idempotencyKey if a duplicate is acceptable.`,
  });
}
