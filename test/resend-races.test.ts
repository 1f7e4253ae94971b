// Resends that meet each other: two resends of one entry (two `mailroom resend` runs, two admin
// clicks on two instances), a resend and the application's send of the same idempotency key, a key
// retried after a failure that may have been delivered. Each case shares one SQLite journal between
// two mailers, as two processes would, and counts what the adapter delivered: one delivery, or a
// second one flagged possible duplicate, never a silent second copy.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMailer, type MailMessage } from '../src/index.js';
import { normalizeMessage } from '../src/kit/index.js';
import { SendJournal } from '../src/journal/journal.js';
import { mailErrorOf } from './helpers/assertions.js';
import { builtCli, CLI } from './helpers/built-cli.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';

const ROUNDS = 5;
const order = (n: number, key = true): MailMessage => ({ from: 'shop@example.com', to: `buyer-${n}@example.com`, subject: `Order ${n}`, text: 'Thanks', ...(key ? { idempotencyKey: `order-${n}` } : {}) });
const journalFile = async () => join(await mkdtemp(join(tmpdir(), 'mailroom-resend-races-')), 'journal.sqlite');

// As a killed process leaves its sends: pending, an hour old, never handed over.
async function seedPending(file: string, messages: MailMessage[]): Promise<string[]> {
  const journal = new SendJournal({ store: file });
  const ids: string[] = [];
  for (const [index, content] of messages.entries()) {
    const entry = journal.createEntry(normalizeMessage(content), content);
    entry.id = ulid(Date.now() - 3_600_000 + index);
    entry.createdAt = entry.updatedAt = new Date(Date.now() - 3_600_000).toISOString();
    await journal.write(entry);
    ids.push(entry.id);
  }
  await journal.close();
  return ids;
}

describe('two resends of one entry at once', () => {
  it.each([
    ['a failed entry with an idempotency key', true],
    ['a failed entry without one', false],
  ])('%s is resent once; the other caller is told it is being sent', async (_name, keyed) => {
    for (let round = 0; round < ROUNDS; round++) {
      const file = await journalFile();
      const adapter = scriptedAdapter('smtp', [{ fail: 'REJECTED' }, 'ok', 'ok']);
      const a = createMailer({ adapters: [adapter], journal: file });
      const b = createMailer({ adapters: [adapter], journal: file });
      await a.send(order(1, keyed)).catch(() => undefined);
      const failedId = (await a.journal.list({ status: 'failed' })).entries[0]!.id;
      const results = await Promise.allSettled([a.journal.resend(failedId), b.journal.resend(failedId)]);
      expect(adapter.delivered).toHaveLength(1);
      // The loser met the resend running, or came after it and got its answer.
      for (const result of results) {
        if (result.status === 'rejected') expect(String((result.reason as Error).message)).toMatch(/being sent right now/);
        else expect(adapter.delivered).toHaveLength(1);
      }
      expect((await a.journal.get(failedId))?.resentAs).toHaveLength(1);
      await a.close();
      await b.close();
    }
  });

  it('a pending entry left by a crash is completed once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const file = await journalFile();
      const [id] = await seedPending(file, [order(2)]);
      const adapter = scriptedAdapter('smtp', ['ok', 'ok']);
      const a = createMailer({ adapters: [adapter], journal: file });
      const b = createMailer({ adapters: [adapter], journal: file });
      await Promise.allSettled([a.journal.resend(id!), b.journal.resend(id!)]);
      expect(adapter.delivered).toHaveLength(1);
      expect((await a.journal.get(id!))?.status).toBe('sent');
      await a.close();
      await b.close();
    }
  });

  it('a failed entry already resent answers with its resend, and sends nothing', async () => {
    const file = await journalFile();
    const adapter = scriptedAdapter('smtp', [{ fail: 'REJECTED' }, 'ok', 'ok']);
    const mailer = createMailer({ adapters: [adapter], journal: file });
    await mailer.send(order(3, false)).catch(() => undefined);
    const failedId = (await mailer.journal.list({ status: 'failed' })).entries[0]!.id;
    const first = await mailer.journal.resend(failedId);
    const again = await mailer.journal.resend(failedId);
    expect(adapter.delivered).toHaveLength(1);
    expect(again.id).toBe(first.id);
    expect(again.deduplicated).toBe(true);
    expect(again.warnings.join(' ')).toContain(`was resent as ${first.id}`);
    await mailer.close();
  });

  it('onlyIf: an entry no longer in the status it was chosen in is not sent', async () => {
    const file = await journalFile();
    const [id] = await seedPending(file, [order(4)]);
    const adapter = scriptedAdapter('smtp', ['ok', 'ok']);
    const mailer = createMailer({ adapters: [adapter], journal: file });
    await mailer.journal.resend(id!, { onlyIf: 'pending' });
    // Chosen from a listing that said pending, read after another run completed it.
    const error = await mailErrorOf(mailer.journal.resend(id!, { onlyIf: 'pending' }));
    expect(error.code).toBe('CONFIG');
    expect(error.field).toBe('status');
    expect(error.message).toContain('is sent now, no longer pending');
    expect(adapter.delivered).toHaveLength(1);
    await mailer.close();
  });
});

describe('a resend and a send of the same idempotency key', () => {
  it('deliver it once: the key decides who sends', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const file = await journalFile();
      const adapter = scriptedAdapter('smtp', [{ fail: 'REJECTED' }, 'ok', 'ok']);
      const app = createMailer({ adapters: [adapter], journal: file });
      await app.send(order(5)).catch(() => undefined);
      const failedId = (await app.journal.list({ status: 'failed' })).entries[0]!.id;
      const cli = createMailer({ adapters: [adapter], journal: file });
      const [sent, resent] = await Promise.all([app.send(order(5)), cli.journal.resend(failedId)]);
      expect(adapter.delivered).toHaveLength(1);
      expect(sent.id).toBe(resent.id);
      expect((await app.journal.findByIdempotencyKey('order-5'))?.id).toBe(sent.id);
      await app.close();
      await cli.close();
    }
  });
});

describe('a key retried after a failure that may have been delivered', () => {
  it('is sent, and the new entry is marked possible duplicate with a warning', async () => {
    const adapter = scriptedAdapter('smtp', [{ fail: 'AMBIGUOUS' }, 'ok']);
    const mailer = createMailer({ adapters: [adapter], journal: await journalFile() });
    const first = await mailErrorOf(mailer.send(order(6)));
    expect(first.code).toBe('ALL_FAILED');
    const second = await mailer.send(order(6));
    expect(second.status).toBe('sent');
    expect(second.warnings.join(' ')).toMatch(/may have been delivered/);
    const entry = await mailer.journal.get(second.id);
    expect(entry?.possibleDuplicate).toBe(true);
    expect(entry?.resendOf).toBeDefined();
    await mailer.close();
  });
});

describe('two `mailroom resend --pending` runs at once (the CLI as built)', () => {
  beforeAll(async () => {
    await builtCli();
  });

  const run = (cwd: string, args: string[]) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.on('close', (code) => resolve({ code, stdout }));
    });

  it('deliver each of 20 crash leftovers once, and each run says what the other took', async () => {
    const file = await journalFile();
    const cwd = join(file, '..');
    await seedPending(file, Array.from({ length: 20 }, (_, n) => order(100 + n)));
    const args = ['resend', '--pending', '--journal', file, '--dsn', 'outbox://./outbox'];
    const [first, second] = await Promise.all([run(cwd, args), run(cwd, args)]);
    expect(await readdir(join(cwd, 'outbox'))).toHaveLength(20);
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const sent = (output: string) => Number(/(\d+) sent/.exec(output)?.[1] ?? 0);
    expect(sent(first.stdout) + sent(second.stdout)).toBe(20);
  });
});
