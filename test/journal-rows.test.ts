// The journal's own row writer and id source: rows byte for byte what keyv's serializer writes (so
// every journal stays readable by keyv and by older versions), ids and Message-IDs still random.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDeserialize, defaultSerialize } from '@keyv/serialize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randomBase64url, randomUnit } from '../src/core/random-pool.js';
import { createMessageId, normalizeMessage } from '../src/core/message.js';
import { keyvRow, SerializedValue, serializeKeyvRow } from '../src/journal/fast-serialize.js';
import { SendJournal } from '../src/journal/journal.js';

// Strings that start with ":" (escaped by keyv), look like its Buffer form, or hold JSON-ish text.
const tricky = fc.oneof(fc.string(), fc.string().map((s) => `:${s}`), fc.constantFrom(':base64:aGk=', '::', ':', '",":', 'a,', '"type":"Buffer"'));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, tricky, fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(tricky, fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 4 }),
})).value;

describe('journal rows', () => {
  it('serializes any JSON value exactly as keyv does, and reads back the same', () => {
    fc.assert(
      fc.property(json, fc.option(fc.integer({ min: 0 }), { nil: undefined }), (value, expires) => {
        const row = { value, expires };
        expect(serializeKeyvRow(row)).toBe(defaultSerialize(row));
        expect(defaultDeserialize(serializeKeyvRow(row))).toEqual(defaultDeserialize(defaultSerialize(row)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('makes the same row from a value serialized when it was queued', () => {
    fc.assert(
      fc.property(json, fc.option(fc.integer({ min: 0 }), { nil: undefined }), (value, expires) => {
        expect(keyvRow(new SerializedValue(value), expires)).toBe(defaultSerialize({ value, expires }));
      }),
      { numRuns: 2_000 },
    );
    expect(keyvRow(new SerializedValue(':an id'), 5)).toBe(defaultSerialize({ value: ':an id', expires: 5 }));
  });

  it('writes a Buffer in keyv\'s :base64: form, and null and undefined as null', () => {
    const row = { value: { file: Buffer.from('hello'), list: [Buffer.from([0, 255])], note: ':base64:not-a-buffer' } };
    expect(serializeKeyvRow(row)).toBe(defaultSerialize(row));
    expect((defaultDeserialize(serializeKeyvRow(row)) as { value: { file: Buffer } }).value.file.toString()).toBe('hello');
    expect(serializeKeyvRow(undefined)).toBe('null');
    expect(serializeKeyvRow(null)).toBe('null');
  });

  it('keeps a subject that starts with a colon through the SQLite journal', async () => {
    const journal = new SendJournal({ store: join(mkdtempSync(join(tmpdir(), 'mailroom-rows-')), 'journal.sqlite') });
    const entry = journal.createEntry(normalizeMessage({ from: 'shop@example.com', to: 'a@example.com', subject: ':) thanks', text: '::x' }), undefined);
    await journal.write(entry);
    expect((await journal.get(entry.id))?.summary.subject).toBe(':) thanks');
    await journal.close();
  });
});

describe('pooled randomness', () => {
  it('gives every byte value and distinct draws', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 20_000; i++) seen.add(Math.floor(randomUnit() * 256));
    expect(seen.size).toBe(256);
    const draws = new Set(Array.from({ length: 10_000 }, () => randomBase64url(9)));
    expect(draws.size).toBe(10_000);
    expect([...draws].every((draw) => /^[A-Za-z0-9_-]{12}$/.test(draw))).toBe(true);
  });

  it('makes distinct Message-IDs and journal ids across pool refills', () => {
    const ids = new Set(Array.from({ length: 5_000 }, () => createMessageId('shop@example.com')));
    expect(ids.size).toBe(5_000);
    const journal = new SendJournal({ store: 'memory://' });
    const message = normalizeMessage({ from: 'shop@example.com', to: 'a@example.com', subject: 's', text: 't' });
    const entryIds = Array.from({ length: 5_000 }, () => journal.createEntry(message, undefined).id);
    expect(new Set(entryIds).size).toBe(5_000);
    expect([...entryIds].sort()).toEqual(entryIds); // monotonic: sortable by creation
  });
});
