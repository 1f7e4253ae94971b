// A journal entry's content (what a resend needs) is stored once in a row of its own, and entries
// read back whole: the entry row, rewritten at every change of state, stays small.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Keyv from 'keyv';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeMessage, type MailMessage } from '../src/core/message.js';
import { SendJournal } from '../src/journal/journal.js';

const dir = mkdtempSync(join(tmpdir(), 'mailroom-content-row-'));
const html = `<table>${'<tr><td>Item</td><td>€ 12.50</td></tr>'.repeat(300)}</table>`;
const input: MailMessage = { from: 'shop@example.com', to: 'customer@example.com', subject: 'Order 7', html, text: 'Order 7' };
const journals: SendJournal[] = [];
const journalAt = (file: string, options: { encryptionKey?: string } = {}) => {
  const journal = new SendJournal({ store: join(dir, file), ...options });
  journals.push(journal);
  return journal;
};
afterAll(async () => {
  await Promise.all(journals.map((journal) => journal.close()));
});

async function rows(journal: SendJournal): Promise<Map<string, string>> {
  const { sql } = await journal.open();
  const found = await sql!.query('SELECT key, value FROM keyv');
  return new Map(found.map((row) => [String(row.key), String(row.value)]));
}

describe('journal content row', () => {
  it('moves its expiry with the entry when the entry is rewritten long after it was made (a late webhook)', async () => {
    const journal = new SendJournal({ store: join(dir, 'late-rewrite.sqlite'), ttlMs: 2_000 });
    journals.push(journal);
    const entry = journal.createEntry(normalizeMessage(input), input);
    // Made two hours ago; written now with a 2 s ttl.
    entry.createdAt = new Date(Date.now() - 2 * 60 * 60 * 1000).toISOString();
    await journal.write(entry);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // A delivery event rewrites the entry 1.5 s later: its expiry moves 2 s on from now.
    const read = (await journal.get(entry.id))!;
    read.delivery = { states: ['delivered'], recipients: {}, events: [] } as never;
    await journal.write(read);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const later = await journal.get(entry.id);
    expect(later).toBeDefined();
    expect(later?.content?.html).toBe(html);
  });

  it('keeps the bodies out of the entry row, in one content row written with the first write only', async () => {
    const journal = journalAt('layout.sqlite');
    const entry = journal.createEntry(normalizeMessage(input), input);
    await journal.write(entry);
    const first = await rows(journal);
    expect(first.get(`mailroom:entry:${entry.id}`)).not.toContain('Item</td>');
    expect(first.get(`mailroom:content:${entry.id}`)).toContain('Item</td>');
    // Mark the stored content: later writes of the entry (handover, sent) must leave it as it is.
    const { sql } = await journal.open();
    await sql!.query('UPDATE keyv SET value = replace(value, ?, ?) WHERE key = ?', 'Order 7', 'Order 7 (as first written)', `mailroom:content:${entry.id}`);
    entry.handedOver = { adapter: 'smtp', at: new Date().toISOString() };
    await journal.write(entry);
    Object.assign(entry, { status: 'sent', adapter: 'smtp' });
    await journal.write(entry);
    const read = await journal.get(entry.id);
    expect(read).toMatchObject({ status: 'sent', content: { html, subject: 'Order 7 (as first written)' } });
    expect(read).not.toHaveProperty('contentRow');
    expect((await journal.list()).entries[0]).toMatchObject({ id: entry.id, content: { html } });
  });

  it('gives a resend\'s new entry a content row of its own, from the content read back', async () => {
    const journal = journalAt('resend.sqlite');
    const first = journal.createEntry(normalizeMessage(input), input);
    await journal.write(first);
    const read = (await journal.get(first.id))!;
    const content = journal.contentFor(read)!;
    const again = journal.createEntry(normalizeMessage(content), content, { resendOf: first.id });
    await journal.write(again);
    await journal.write({ ...read, resentAs: [again.id] });
    const reader = journalAt('resend.sqlite');
    expect(await reader.get(again.id)).toMatchObject({ resendOf: first.id, content: { html } });
    expect(await reader.get(first.id)).toMatchObject({ resentAs: [again.id], content: { html } });
  });

  it('reads entries written with their content inline, as before the content row', async () => {
    const journal = journalAt('inline.sqlite');
    const entry = journal.createEntry(normalizeMessage(input), input);
    const { keyv } = await journal.open();
    await keyv.set(`entry:${entry.id}`, { ...entry, status: 'failed' });
    expect(await journal.get(entry.id)).toMatchObject({ status: 'failed', content: { html } });
    expect(journal.contentFor((await journal.list({ status: 'failed' })).entries[0]!)).toMatchObject({ html });
    // Rewritten now, the content moves to its own row and still reads back.
    const read = (await journal.get(entry.id))!;
    await journal.write({ ...read, status: 'sent' });
    expect((await rows(journal)).get(`mailroom:content:${entry.id}`)).toContain('Item</td>');
    expect(await journal.get(entry.id)).toMatchObject({ status: 'sent', content: { html } });
  });

  it('seals the content row with the journal key, and forgets both rows of an entry', async () => {
    const key = 'ab'.repeat(32);
    const journal = journalAt('sealed.sqlite', { encryptionKey: key });
    const entry = journal.createEntry(normalizeMessage(input), input);
    await journal.write(entry);
    expect([...(await rows(journal)).values()].some((value) => value.includes('Item</td>'))).toBe(false);
    expect((await journalAt('sealed.sqlite', { encryptionKey: key }).get(entry.id))?.content).toMatchObject({ html });
    await journal.forget(entry);
    expect([...(await rows(journal)).keys()].filter((row) => row.includes(entry.id))).toEqual([]);
  });

  it('works the same on a store without SQL (keyv in memory)', async () => {
    const journal = new SendJournal({ store: new Keyv() });
    journals.push(journal);
    const entry = journal.createEntry(normalizeMessage(input), input);
    await journal.write(entry);
    await journal.write({ ...entry, status: 'sent' });
    expect(await journal.get(entry.id)).toMatchObject({ status: 'sent', content: { html } });
    expect((await journal.list({ status: 'sent' })).entries.map((one) => one.content?.html)).toEqual([html]);
  });
});
