// Benchmark: the send journal's cost. 5,000 messages through the mailer to the memory adapter with
// the SQLite journal off and on, in one run, and their ratio (target: at least 5,000 journaled
// messages/s on a 2-core machine). Then listing on 100,000 entries: the indexed SQLite query
// against a full scan of the same store (what any keyv store without SQL does).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Keyv from 'keyv';
import type { MailerOptions } from '../../src/index.js';
import { built } from './lib/dist.js';
import { median } from './lib/stats.js';

// mailroom as users run it, from dist/ (lib/dist.ts).
const { memoryAdapter } = (await built('adapters/memory.js')) as typeof import('../../adapters/memory.js');
const { createMailer } = (await built('src/index.js')) as typeof import('../../src/index.js');
const { normalizeMessage } = (await built('src/kit/index.js')) as typeof import('../../src/kit/index.js');
const { SendJournal } = (await built('src/journal/journal.js')) as typeof import('../../src/journal/journal.js');

// BENCH_SCALE=small: CI-sized counts (the figures are printed, nothing is asserted).
const SMALL = process.env.BENCH_SCALE === 'small';
const MESSAGES = SMALL ? 1_000 : 5_000;
const CONCURRENCY = 32; // an app sending order confirmations from concurrent requests
const ENTRIES = SMALL ? 10_000 : 100_000;
const dir = mkdtempSync(join(tmpdir(), 'mailroom-bench-'));

async function throughput(journal: MailerOptions['journal'], concurrency: number): Promise<number> {
  const mailer = createMailer({ adapters: [memoryAdapter()], from: 'Shop <shop@example.com>', journal });
  await mailer.send({ to: 'warmup@example.com', subject: 'warm-up', text: 'x' });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < MESSAGES) {
        const n = next++;
        await mailer.send({ to: `Customer ${n} <customer${n}@example.com>`, subject: `Order ${n} confirmed`, text: `Thank you for order ${n}.`, tags: ['orders'] });
      }
    }),
  );
  const perSecond = MESSAGES / ((performance.now() - started) / 1000);
  await mailer.close();
  return perSecond;
}

async function timed(run: () => Promise<unknown>, times: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

async function main(): Promise<void> {
  const rate = (n: number) => `${Math.round(n).toLocaleString('en')} messages/s`;
  // Warm-up: let the JIT settle on both paths before either is measured.
  await throughput(false, CONCURRENCY);
  await throughput(join(dir, 'journal-warm.sqlite'), CONCURRENCY);
  for (const concurrency of [CONCURRENCY, 1]) {
    // Median of three rounds alternating off and on: one run moves with what the machine did just before.
    const offs: number[] = [];
    const ons: number[] = [];
    for (let round = 0; round < 3; round++) {
      offs.push(await throughput(false, concurrency));
      ons.push(await throughput(join(dir, `journal-${concurrency}-${round}.sqlite`), concurrency));
    }
    const off = median(offs);
    const on = median(ons);
    const label = concurrency === 1 ? 'one at a time' : `${concurrency} concurrent sends`;
    console.log(`send ${MESSAGES} messages, ${label} (median of 3 rounds, from dist/):`);
    console.log(`  journal off (baseline)  ${rate(off)}`);
    console.log(`  SQLite journal on       ${rate(on)}`);
    console.log(`  ratio on/off            ${(on / off).toFixed(2)}${concurrency === CONCURRENCY ? `   target: >= 5,000 journaled messages/s -> ${on >= 5_000 ? 'met' : 'NOT met'}` : ''}`);
  }

  // 100k entries: written through the journal's own batched path.
  const store = join(dir, 'large.sqlite');
  const journal = new SendJournal({ store });
  const base = { from: 'shop@example.com', subject: 'Order', text: 'x' };
  const filling = performance.now();
  for (let start = 0; start < ENTRIES; start += 1_000) {
    const writes: Promise<void>[] = [];
    for (let i = start; i < start + 1_000; i++) {
      const input = { ...base, to: `customer${i}@example.com` };
      // With its content, as the mailer keeps it by default: a listed page reads the content rows too.
      const entry = journal.createEntry(normalizeMessage(input), input);
      entry.status = i % 100 === 0 ? 'failed' : 'sent';
      writes.push(journal.write(entry));
    }
    await Promise.all(writes);
  }
  console.log(`\njournal of ${ENTRIES.toLocaleString('en')} entries written in ${((performance.now() - filling) / 1000).toFixed(1)} s`);
  const indexed = {
    newest: await timed(() => journal.list({ limit: 50 }), 20),
    failed: await timed(() => journal.list({ status: 'failed', limit: 50 }), 20),
    recipient: await timed(() => journal.list({ to: 'customer99999@', limit: 50 }), 5),
  };
  await journal.close();
  // Disk: the database file after a checkpoint (the WAL folded in), per entry written.
  const bytes = ['', '-wal'].reduce((sum, suffix) => sum + (statSync(`${store}${suffix}`, { throwIfNoEntry: false })?.size ?? 0), 0);
  console.log(`disk per entry (SQLite file + WAL)   ${Math.round(bytes / ENTRIES).toLocaleString('en')} bytes (${(bytes / 1024 / 1024).toFixed(1)} MB for ${ENTRIES.toLocaleString('en')} entries without idempotency keys: an entry row and its content row each)`);
  // The same rows read as a store without SQL would: every entry through keyv's iterator.
  const { default: KeyvSqlite } = await import('@keyv/sqlite');
  const scanStore = new Keyv({ store: new KeyvSqlite({ uri: `sqlite://${store}`, iterationLimit: 1000 } as never), namespace: 'mailroom' });
  const scanning = new SendJournal({ store: scanStore });
  const scanned = await timed(() => scanning.list({ limit: 50 }), 1);
  console.log(`list newest 50 (SQLite, indexed)     ${indexed.newest.toFixed(2)} ms median`);
  console.log(`list 50 failed (SQLite, indexed)     ${indexed.failed.toFixed(2)} ms median   target: < 50 ms among 100,000 -> ${indexed.failed < 50 ? 'met' : 'NOT met'}${SMALL ? ' (small run: 10,000 entries)' : ''}`);
  console.log(`list by recipient (SQLite, indexed)  ${indexed.recipient.toFixed(2)} ms median`);
  console.log(`list newest 50 by full scan (baseline) ${scanned.toFixed(0)} ms`);
  console.log(`ratio scan/indexed                   ${(scanned / indexed.newest).toFixed(0)}x faster`);
  await scanStore.disconnect();
  rmSync(dir, { recursive: true, force: true });
}

await main();
