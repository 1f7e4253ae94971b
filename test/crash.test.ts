// A process sending 200 order confirmations is killed with SIGKILL mid-run. Afterwards every
// message that reached the outbox is in the journal (sent or pending), every send the process saw
// succeed is "sent", resending the pending ones leaves exactly one copy of each at the sink, and
// running the job again completes the set without sending any order twice.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMailer, type JournalEntry } from '../src/index.js';

const sender = fileURLToPath(new URL('./fixtures/crash-sender.ts', import.meta.url));

function runSender(dir: string, killAfter?: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', sender, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts);
      if (killAfter !== undefined && lines.filter((l) => l.startsWith('sent')).length >= killAfter) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (killAfter === undefined && code !== 0) reject(new Error(`sender exited ${code}: ${stderr}`));
      else if (killAfter !== undefined && signal !== 'SIGKILL') reject(new Error(`sender was not killed (exit ${code}): ${stderr}`));
      else resolve(lines);
    });
  });
}

async function ordersAtSink(dir: string): Promise<string[]> {
  const files = (await readdir(join(dir, 'outbox'))).filter((f) => f.endsWith('.eml'));
  return Promise.all(files.map(async (f) => /^X-Order: (\d+)$/m.exec(await readFile(join(dir, 'outbox', f), 'utf8'))![1]!));
}

async function allEntries(mailer: ReturnType<typeof createMailer>): Promise<JournalEntry[]> {
  return (await mailer.journal.list({ limit: 10_000 })).entries;
}

describe('crash safety', () => {
  it('loses nothing and duplicates nothing when the sending process is killed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-crash-'));
    const before = await runSender(dir, 60);
    const reportedSent = before.filter((l) => l.startsWith('sent ')).map((l) => l.slice(5));
    expect(reportedSent.length).toBeGreaterThanOrEqual(60);
    expect(before).not.toContain('done');

    const mailer = createMailer({ dsn: `outbox://${dir}/outbox`, journal: join(dir, 'journal.sqlite') });
    const entries = await allEntries(mailer);
    const byOrder = new Map(entries.map((e) => [e.idempotencyKey!.split('-')[1]!, e]));
    expect(entries.every((e) => e.status === 'sent' || e.status === 'pending')).toBe(true);
    // Every send the process saw succeed is journaled as sent.
    for (const order of reportedSent) expect(byOrder.get(order)?.status).toBe('sent');
    // Nothing reached the sink without a journal entry.
    const sinkBefore = await ordersAtSink(dir);
    for (const order of sinkBefore) expect(byOrder.has(order)).toBe(true);

    // Resend what the crash left pending.
    const pending = (await mailer.journal.list({ status: 'pending', limit: 10_000 })).entries;
    console.log(`crash left ${pending.length} pending of ${entries.length} journaled, ${sinkBefore.length} at the sink`);
    for (const entry of pending) expect((await mailer.journal.resend(entry.id)).status).toBe('sent');
    expect((await mailer.journal.list({ status: 'pending' })).entries).toHaveLength(0);
    const sinkAfterResend = await ordersAtSink(dir);
    expect(new Set(sinkAfterResend).size).toBe(sinkAfterResend.length);
    expect(sinkAfterResend.length).toBe(entries.length);
    await mailer.close();

    // Running the job again sends only the orders never started: 200 orders, one copy each.
    const after = await runSender(dir);
    expect(after.at(-1)).toBe('done');
    expect(after.filter((l) => l.startsWith('skipped')).length).toBe(entries.length);
    const sink = await ordersAtSink(dir);
    expect(sink.length).toBe(200);
    expect(new Set(sink).size).toBe(200);
    const final = createMailer({ dsn: 'memory://', journal: join(dir, 'journal.sqlite') });
    const finalEntries = await allEntries(final);
    expect(finalEntries).toHaveLength(200);
    expect(finalEntries.every((e) => e.status === 'sent')).toBe(true);
    await final.close();
  }, 60_000);
});
