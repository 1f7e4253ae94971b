// The built-in adapters: outbox (.eml files) and memory, through the shared conformance suite, plus
// the outbox's promise that one Message-ID is one file.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryAdapter } from '../adapters/memory.js';
import { outboxAdapter } from '../adapters/outbox.js';
import { normalizeMessage } from '../src/kit/index.js';
import { arrivalFromMime, runConformance, type Arrival } from './conformance.js';

runConformance('outbox', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mailroom-outbox-'));
  const seen = new Set<string>();
  return {
    adapter: outboxAdapter({ dir: join(dir, 'out') }),
    async takeArrivals() {
      const files = (await readdir(join(dir, 'out')).catch(() => [] as string[])).filter((f) => f.endsWith('.eml') && !seen.has(f)).sort();
      const arrivals: Arrival[] = [];
      for (const file of files) {
        seen.add(file);
        arrivals.push({ ...(await arrivalFromMime(await readFile(join(dir, 'out', file)))), providerMessageId: join(dir, 'out', file) });
      }
      return arrivals;
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
  // No provider to be unreachable: a folder it cannot create is CONFIG (test/outbox-unwritable.test.ts).
}, { unreachable: false, handsOver: false });

runConformance('memory', async () => {
  const adapter = memoryAdapter();
  let taken = 0;
  return {
    adapter,
    async takeArrivals() {
      const fresh = adapter.messages.slice(taken);
      taken = adapter.messages.length;
      return fresh.map((m, index): Arrival => ({
        from: m.from, to: m.to, cc: m.cc, bcc: m.bcc, replyTo: m.replyTo, subject: m.subject,
        ...(m.text !== undefined ? { text: m.text } : {}),
        ...(m.html !== undefined ? { html: m.html } : {}),
        attachments: m.attachments, headers: m.headers, tags: m.tags, metadata: m.metadata,
        providerMessageId: `memory-${taken - fresh.length + index + 1}`,
      }));
    },
  };
}, { unreachable: false, idn: 'as-given', handsOver: false });

describe('outbox files', () => {
  it('writes one file per Message-ID: sending the same message again replaces it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-outbox-'));
    const adapter = outboxAdapter({ dir });
    const message = normalizeMessage({ from: 'shop@example.com', to: 'ann@example.com', bcc: 'audit@example.com', subject: 'Order', text: 'x' });
    const ctx = { signal: new AbortController().signal, attempt: 1 };
    const first = await adapter.send(message, ctx);
    await adapter.send(message, ctx);
    const files = await readdir(dir);
    expect(files).toEqual([first.providerMessageId!.slice(dir.length + 1)]);
    const eml = await readFile(first.providerMessageId!, 'utf8');
    expect(eml).toContain(`Message-ID: ${message.messageId}`);
    expect(eml).toContain('Bcc: audit@example.com'); // kept in the .eml copy so it shows who got it
  });
});
