// A journal entry's content (what a resend needs: the bodies, template data, attachments, or their
// sealed form) is stored once, in a row of its own beside the entry: the entry itself is rewritten at
// every change of state (pending, handover, sent or failed, delivery events), and an order
// confirmation's 10-50 kB of HTML rewritten with it three times cost more than the send. Entries are
// read back whole: `get` and `list` put the content in again, so nothing outside the journal sees
// the split, and entries written before it (content inline) read as they always did.
import type { MailMessage } from '../core/message.js';
import type { JournalEntry } from './journal.js';

/** Key prefix of content rows, beside `entry:<id>`. */
export const CONTENT = 'content:';

/** The entry row as stored: content left out, and said to be in its own row. */
export type EntryRow = Omit<JournalEntry, 'content' | 'sealedContent'> & { contentRow?: true };

/** The content as stored: the message, or its sealed form (a string) under a journal key. */
export type ContentRow = MailMessage | string;

/** An entry (content sealed already, when there is a key) as an entry row and its content row. */
export function splitContent(entry: JournalEntry): { row: EntryRow; content?: ContentRow } {
  const content = entry.content ?? entry.sealedContent;
  if (content === undefined) return { row: entry };
  const { content: _content, sealedContent: _sealed, ...row } = entry;
  return { row: { ...row, contentRow: true }, content };
}

/**
 * Entries as read back: the content of each one whose row says so fetched (`fetch` answers them in
 * the order asked; undefined for a row that expired or never reached the store).
 */
export async function withContent(rows: EntryRow[], fetch: (ids: string[]) => Promise<Array<ContentRow | undefined>>): Promise<JournalEntry[]> {
  const wanting = rows.filter((row) => row.contentRow);
  const contents = wanting.length > 0 ? await fetch(wanting.map((row) => row.id)) : [];
  const byId = new Map(wanting.map((row, index) => [row.id, contents[index]]));
  return rows.map((stored) => {
    if (!stored.contentRow) return stored as JournalEntry;
    const { contentRow: _flag, ...entry } = stored;
    const content = byId.get(stored.id);
    if (content === undefined) return entry;
    return typeof content === 'string' ? { ...entry, sealedContent: content } : { ...entry, content };
  });
}
