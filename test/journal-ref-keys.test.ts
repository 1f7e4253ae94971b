// A sent entry is indexed by the ids provider webhooks name it by. A short ASCII id is its own key
// (ids that begin with the time then sit side by side in the store's index); a long or non-ASCII
// one is hashed. Entries journaled before plain keys were kept, indexed by the hash only, are still
// found by their events.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryAdapter } from '../adapters/memory.js';
import { createMailer, type Mailer } from '../src/index.js';
import { hashedRefKey, refKey, refKeys } from '../src/journal/delivery-state.js';
import { SendJournal } from '../src/journal/journal.js';
import type { TrackingEvent } from '../src/events/types.js';

const dir = mkdtempSync(join(tmpdir(), 'mailroom-ref-keys-'));
const mailers: Mailer[] = [];
afterAll(async () => {
  await Promise.all(mailers.map((mailer) => mailer.close()));
});
const mailerAt = (file: string) => {
  const mailer = createMailer({ adapters: [memoryAdapter()], journal: join(dir, file) });
  mailers.push(mailer);
  return mailer;
};
const delivered = (messageIdHeader: string): TrackingEvent => ({
  eventType: 'delivered', provider: 'mailgun', recipient: 'ann@example.com', timestamp: new Date().toISOString(), tags: [], metadata: {}, messageIdHeader, raw: {},
});

// The rows as the journal's store holds them (SQLite through the journal's own driver).
async function sqlOn(file: string, sql: string, ...params: unknown[]): Promise<Array<Record<string, unknown>>> {
  const journal = new SendJournal({ store: join(dir, file) });
  try {
    return await (await journal.open()).sql!.query(sql, ...params);
  } finally {
    await journal.close();
  }
}
const keysOf = async (file: string) => (await sqlOn(file, 'SELECT key FROM keyv')).map((row) => String(row.key));

describe('message-id index keys', () => {
  it('are the id itself when it is short printable ASCII, else its hash', () => {
    expect(refKey('<MX2302XI.88-nG8@Example.com>')).toBe('ref:=mx2302xi.88-ng8@example.com');
    expect(refKey('0100018c-1b2c-4d5e-000000')).toBe('ref:=0100018c-1b2c-4d5e-000000');
    for (const id of [`<${'a'.repeat(181)}@example.com>`, '<ünïcode@example.com>', 'two words']) {
      expect(refKey(id)).toBe(hashedRefKey(id));
      expect(refKey(id)).toMatch(/^ref:[A-Za-z0-9_-]{27}$/);
    }
    expect(refKeys('<a@example.com>')).toEqual(['ref:=a@example.com', hashedRefKey('<a@example.com>')]);
  });

  it('index a sent entry under the plain key, and an event finds it by it', async () => {
    const mailer = mailerAt('plain.sqlite');
    const result = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 'Order 1', text: 'Thanks' });
    const entry = (await mailer.journal.get(result.id))!;
    const keys = await keysOf('plain.sqlite');
    expect(keys).toContain(`mailroom:${refKey(entry.messageId)}`);
    expect(keys).not.toContain(`mailroom:${hashedRefKey(entry.messageId)}`);
    const outcome = await mailer.journal.recordEvents([delivered(entry.messageId)]);
    expect(outcome.recorded).toHaveLength(1);
    expect((await mailer.journal.get(entry.id))!.delivery?.states).toEqual(['delivered']);
  });

  it('still find an entry indexed by the hash alone (journaled by an earlier version)', async () => {
    const first = mailerAt('earlier.sqlite');
    const result = await first.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 'Order 2', text: 'Thanks' });
    const entry = (await first.journal.get(result.id))!;
    await first.close();
    // The index row as an earlier version wrote it: under the hash of the id.
    await sqlOn('earlier.sqlite', 'UPDATE keyv SET key = ? WHERE key = ?', `mailroom:${hashedRefKey(entry.messageId)}`, `mailroom:${refKey(entry.messageId)}`);
    const keys = await keysOf('earlier.sqlite');
    expect(keys).toContain(`mailroom:${hashedRefKey(entry.messageId)}`);
    expect(keys).not.toContain(`mailroom:${refKey(entry.messageId)}`);

    const later = mailerAt('earlier.sqlite');
    const outcome = await later.journal.recordEvents([delivered(entry.messageId)]);
    expect(outcome.unmatched).toEqual([]);
    expect(outcome.recorded).toHaveLength(1);
    expect((await later.journal.get(entry.id))!.delivery?.states).toEqual(['delivered']);
  });
});
