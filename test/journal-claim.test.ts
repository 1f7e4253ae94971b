// The journal owns idempotency: `claim` answers, per message, "already sent", "resume the pending
// entry" or "new entry (linked to the failed one)", on top of the store's one atomic step
// `claimKey`. Real SQLite files.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SendJournal } from '../src/journal/journal.js';
import { normalizeMessage, type MailMessage } from '../src/core/message.js';

let dir: string;
const open: SendJournal[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailroom-claim-'));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((journal) => journal.close()));
});
const journalAt = (file = join(dir, `${Math.random().toString(36).slice(2)}.sqlite`)) => {
  const journal = new SendJournal({ store: file });
  open.push(journal);
  return journal;
};
const content = (key?: string): MailMessage => ({ from: 'shop@example.com', to: 'buyer@example.com', subject: 'Order 7', text: 'Thanks', ...(key ? { idempotencyKey: key } : {}) });
const message = (key?: string) => normalizeMessage(content(key));

describe('journal.claim', () => {
  it('a message without a key is always new and touches no key', async () => {
    const journal = journalAt();
    const first = await journal.claim(message(), content());
    const second = await journal.claim(message(), content());
    expect(first.kind).toBe('new');
    expect(second.kind).toBe('new');
    expect(first.entry.id).not.toBe(second.entry.id);
    expect(first.entry.status).toBe('pending');
  });

  it('a new key: a new pending entry, written, that now holds the key', async () => {
    const journal = journalAt();
    const claim = await journal.claim(message('order-1'), content('order-1'));
    expect(claim).toMatchObject({ kind: 'new', entry: { status: 'pending', idempotencyKey: 'order-1' } });
    expect(claim.kind === 'new' && claim.previous).toBeUndefined();
    expect((await journal.get(claim.entry.id))?.status).toBe('pending');
    expect((await journal.findByIdempotencyKey('order-1'))?.id).toBe(claim.entry.id);
  });

  it('a key whose entry is pending: resume that entry (its Message-ID)', async () => {
    const journal = journalAt();
    const first = await journal.claim(message('order-2'), content('order-2'));
    const again = await journal.claim(message('order-2'), content('order-2'));
    expect(again.kind).toBe('resume');
    expect(again.entry.id).toBe(first.entry.id);
    expect(again.entry.messageId).toBe(first.entry.messageId);
  });

  it('a key whose entry was sent: that entry, nothing new', async () => {
    const journal = journalAt();
    const first = await journal.claim(message('order-3'), content('order-3'));
    await journal.write({ ...first.entry, status: 'sent', adapter: 'memory' });
    const again = await journal.claim(message('order-3'), content('order-3'));
    expect(again).toMatchObject({ kind: 'sent', entry: { id: first.entry.id, status: 'sent', adapter: 'memory' } });
  });

  it('a key whose entry failed: a new entry linked both ways, and the key moves to it', async () => {
    const journal = journalAt();
    const first = await journal.claim(message('order-4'), content('order-4'));
    await journal.write({ ...first.entry, status: 'failed' });
    const again = await journal.claim(message('order-4'), content('order-4'));
    expect(again.kind).toBe('new');
    if (again.kind !== 'new') return;
    expect(again.previous?.id).toBe(first.entry.id);
    expect(again.entry.resendOf).toBe(first.entry.id);
    expect((await journal.get(first.entry.id))?.resentAs).toEqual([again.entry.id]);
    expect((await journal.findByIdempotencyKey('order-4'))?.id).toBe(again.entry.id);
    // The failed entry, rewritten later (a resend adding a link), does not take the key back.
    await journal.write((await journal.get(first.entry.id))!);
    expect((await journal.findByIdempotencyKey('order-4'))?.id).toBe(again.entry.id);
  });

  it('a key pointing at an entry that never reached the store (made a minute ago) is free again', async () => {
    const journal = journalAt();
    const lost = ulid(Date.now() - 60_000);
    const { claimKey } = await journal.open();
    expect(await claimKey('order-5', lost)).toBeUndefined();
    const again = await journal.claim(message('order-5'), content('order-5'));
    expect(again.kind).toBe('new');
    expect(again.kind === 'new' && again.previous).toBeUndefined();
    expect((await journal.findByIdempotencyKey('order-5'))?.id).toBe(again.entry.id);
  });

  it('a key whose entry is still on its way to the store is waited for, not taken over', async () => {
    const journal = journalAt();
    const { claimKey } = await journal.open();
    const first = journal.createEntry(message('order-9'), content('order-9'));
    expect(await claimKey('order-9', first.id)).toBeUndefined();
    const claiming = journal.claim(message('order-9'), content('order-9'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await journal.write(first);
    const again = await claiming;
    expect(again).toMatchObject({ kind: 'resume', entry: { id: first.id } });
    // The entry the losing claim had written is gone: the journal holds the message once.
    const { entries } = await journal.list();
    expect(entries.map((entry) => entry.id)).toEqual([first.id]);
  });

  it('claims of many keys made together: each a new entry that holds its own key', async () => {
    const journal = journalAt();
    const keys = Array.from({ length: 20 }, (_, n) => `together-${n}`);
    const claims = await Promise.all(keys.map((key) => journal.claim(message(key), content(key))));
    expect(claims.every((claim) => claim.kind === 'new')).toBe(true);
    for (const [n, key] of keys.entries()) expect((await journal.findByIdempotencyKey(key))?.id).toBe(claims[n]!.entry.id);
  });

  it('a claim made together with a write the store refuses: the refused write fails alone, the claim still holds its key', async () => {
    const journal = journalAt();
    // Template data JSON cannot carry (the mailer refuses it before; the journal must still cope).
    const unstorable = journal.createEntry(message(), { ...content(), template: { name: 'order', data: { total: 10n } } } as MailMessage);
    const [refused, claim] = await Promise.allSettled([journal.write(unstorable), journal.claim(message('order-10'), content('order-10'))]);
    expect(refused.status).toBe('rejected');
    expect(claim).toMatchObject({ status: 'fulfilled', value: { kind: 'new' } });
    const id = claim.status === 'fulfilled' ? claim.value.entry.id : undefined;
    expect((await journal.findByIdempotencyKey('order-10'))?.id).toBe(id);
    expect(await journal.get(unstorable.id)).toBeUndefined();
  });

  it('the answer survives the process: a second journal on the same file sees the first one\'s claim', async () => {
    const file = join(dir, 'shared.sqlite');
    const writer = new SendJournal({ store: file });
    await writer.claim(message('order-6'), content('order-6'));
    await writer.close();
    const reader = journalAt(file);
    expect((await reader.claim(message('order-6'), content('order-6'))).kind).toBe('resume');
  });
});

describe('the store primitive claimKey', () => {
  it('is insert-if-absent: the first claim wins, later ones are told who holds the key', async () => {
    const { claimKey } = await journalAt().open();
    expect(await claimKey('k', 'entry-a')).toBeUndefined();
    expect(await claimKey('k', 'entry-b')).toBe('entry-a');
    expect(await claimKey('k', 'entry-a')).toBe('entry-a');
  });

  it('takes a key over only from the entry named in `replacing`', async () => {
    const { claimKey } = await journalAt().open();
    await claimKey('k', 'entry-a');
    expect(await claimKey('k', 'entry-c', { replacing: 'entry-b' })).toBe('entry-a');
    expect(await claimKey('k', 'entry-c', { replacing: 'entry-a' })).toBeUndefined();
    expect(await claimKey('k', 'entry-d', { replacing: 'entry-a' })).toBe('entry-c');
  });

  it('50 concurrent claims of one key in one process: exactly one wins, all others name the winner', async () => {
    const { claimKey } = await journalAt().open();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, n) => claimKey('busy', `entry-${n}`)));
    const winners = answers.flatMap((answer, n) => (answer === undefined ? [`entry-${n}`] : []));
    expect(winners).toHaveLength(1);
    expect(answers.filter((answer) => answer !== undefined).every((answer) => answer === winners[0])).toBe(true);
  });

  it('50 concurrent journal claims of one key: one new entry, the others resume it; the journal holds one entry', async () => {
    const journal = journalAt();
    const claims = await Promise.all(Array.from({ length: 50 }, () => journal.claim(message('order-8'), content('order-8'))));
    const created = claims.filter((claim) => claim.kind === 'new');
    expect(created).toHaveLength(1);
    expect(claims.filter((claim) => claim.kind === 'resume').every((claim) => claim.entry.id === created[0]!.entry.id)).toBe(true);
    expect((await journal.list()).entries).toHaveLength(1);
  });
});
