// How the journal opens, in child processes that meet what users meet: nothing is written before the
// first send (read-only and serverless filesystems), a missing SQLite native binding or an
// unwritable journal never takes the process down, is said once on stderr even when nobody listens
// to journal-error, and makes sends with an idempotency key fail instead of silently dropping the key.
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hideSqliteBinding, openFolder, runJournalSender, type SenderRun } from './helpers/journal-process.js';

const outboxPlan = (dir: string, journal?: string) => ({ mailer: { dsn: `outbox://${join(dir, 'outbox')}`, ...(journal ? { journal } : {}) } });
const sent = (run: SenderRun) => run.lines.filter((line) => 'sent' in line);
const errors = (run: SenderRun) => run.lines.filter((line) => 'error' in line).map((line) => line.error as { code: string; message: string; remedy?: string });
const closed = (run: SenderRun) => run.lines.find((line) => 'closed' in line) as { journalErrors: string[] } | undefined;
const warnings = (run: SenderRun) => run.stderr.split('\n').filter((line) => line.includes('MailroomWarning'));

describe('the journal opens on first use', () => {
  it('createMailer and close write nothing: no .mailroom folder appears', async () => {
    const dir = await openFolder('mailroom-lazy-');
    const run = await runJournalSender({ mailer: { dsn: `outbox://${join(dir, 'outbox')}` }, sends: [] }, { cwd: dir });
    expect(run.code).toBe(0);
    expect(await readdir(dir)).toEqual([]);
    expect(run.stderr).toBe('');
  });

  it('a read-only working directory: createMailer and close succeed in silence, and the first send says where it could not write', async () => {
    const dir = await openFolder('mailroom-rocwd-');
    const cwd = join(dir, 'app');
    await mkdir(cwd);
    await chmod(cwd, 0o555);
    const quiet = await runJournalSender({ mailer: { dsn: `outbox://${join(dir, 'outbox')}` }, sends: [], listen: true }, { cwd, unprivileged: true });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(closed(quiet)?.journalErrors).toEqual([]);

    const sending = await runJournalSender({ ...outboxPlan(dir), sends: [{}] }, { cwd, unprivileged: true });
    expect(sent(sending)).toHaveLength(1);
    expect(warnings(sending)).toHaveLength(1);
    expect(sending.stderr).toContain(join(cwd, '.mailroom', 'journal.sqlite'));
    expect(await readdir(cwd)).toEqual([]);
  });
});

describe('an unwritable journal is never silent', () => {
  const cases: Array<[string, (dir: string) => Promise<string>]> = [
    ['a read-only folder', async (dir) => {
      const folder = join(dir, 'journal');
      await mkdir(folder);
      await chmod(folder, 0o555);
      return join(folder, 'journal.sqlite');
    }],
    ['a read-only file', async (dir) => {
      // A journal written earlier (by a deploy step as another user, say) that this process may only read.
      const folder = join(dir, 'journal');
      await mkdir(folder);
      await chmod(folder, 0o777);
      const file = join(folder, 'journal.sqlite');
      const seed = await runJournalSender({ ...outboxPlan(join(dir, 'seed'), file), sends: [{}] }, { cwd: dir });
      expect(sent(seed)).toHaveLength(1);
      await chmod(file, 0o444);
      return file;
    }],
    ['a path under a file', async (dir) => {
      const notAFolder = join(dir, 'not-a-folder');
      await writeFile(notAFolder, 'x');
      return join(notAFolder, 'journal.sqlite');
    }],
  ];

  it.each(cases)('%s: messages without a key are sent, the failure is printed once on stderr without any listener, a keyed send is refused', async (_, makeJournal) => {
    const dir = await openFolder('mailroom-unwritable-');
    const journal = await makeJournal(dir);
    const run = await runJournalSender(
      { mailer: { dsn: `outbox://${join(dir, 'outbox')}`, journal }, sends: [{}, {}, { idempotencyKey: 'order-1042-confirmation' }] },
      { cwd: dir, unprivileged: true },
    );
    expect(run.code).toBe(0);
    expect(sent(run)).toHaveLength(2);
    expect(warnings(run)).toHaveLength(1);
    expect(run.stderr).toContain(journal);
    const [refused] = errors(run);
    expect(refused).toMatchObject({ code: 'CONFIG' });
    expect(refused!.message).toMatch(/idempotency key "order-1042-confirmation" cannot be honoured.*nothing was sent/);
    expect(refused!.remedy).toMatch(/writable/);
    // Two messages at the sink, not three: the keyed one was not sent.
    expect((await readdir(join(dir, 'outbox'))).filter((name) => name.endsWith('.eml'))).toHaveLength(2);
  });

  it('the journal-error event still fires for each failure; a listener takes over saying it, so stderr stays quiet', async () => {
    const dir = await openFolder('mailroom-unwritable-');
    const notAFolder = join(dir, 'not-a-folder');
    await writeFile(notAFolder, 'x');
    const run = await runJournalSender({ ...outboxPlan(dir, join(notAFolder, 'journal.sqlite')), sends: [{}], listen: true }, { cwd: dir });
    expect(sent(run)).toHaveLength(1);
    expect(closed(run)?.journalErrors.length).toBeGreaterThan(0);
    expect(new Set(closed(run)?.journalErrors)).toEqual(new Set(['CONFIG']));
    expect(warnings(run)).toEqual([]);
  });
});

describe('a missing SQLite native binding', () => {
  let nodeArgs: string[];
  beforeAll(async () => {
    nodeArgs = await hideSqliteBinding();
  });

  // Where Node has its own SQLite (node:sqlite: Node >= 22.13), the journal falls back to it.
  const builtinSqlite = (() => {
    try {
      return Boolean(process.getBuiltinModule?.('node:sqlite'));
    } catch {
      return false;
    }
  })();

  it.runIf(builtinSqlite)('is not needed where Node has its own SQLite: the journal works', async () => {
    const dir = await openFolder('mailroom-nobinding-run-');
    const run = await runJournalSender({ ...outboxPlan(dir), sends: [{}, { idempotencyKey: 'signup-7' }, { idempotencyKey: 'signup-7' }], listen: true }, { cwd: dir, nodeArgs });
    expect(run.code).toBe(0);
    expect(sent(run)).toHaveLength(3);
    expect(closed(run)?.journalErrors).toEqual([]);
    expect(warnings(run)).toEqual([]);
    expect((await readdir(join(dir, 'outbox'))).filter((name) => name.endsWith('.eml'))).toHaveLength(2);
  });

  it.skipIf(builtinSqlite)('never takes the process down: the message is sent, journal-error says which package to build', async () => {
    const dir = await openFolder('mailroom-nobinding-run-');
    const run = await runJournalSender({ ...outboxPlan(dir), sends: [{}, { idempotencyKey: 'signup-7' }] }, { cwd: dir, nodeArgs });
    expect(run.code).toBe(0);
    expect(sent(run)).toHaveLength(1);
    expect(run.stderr).not.toMatch(/Unhandled|ERR_UNHANDLED_REJECTION/);
    expect(warnings(run)).toHaveLength(1);
    expect(run.stderr).toContain('npm rebuild sqlite3');
    expect(run.stderr).toContain('Node >= 24');
    const [refused] = errors(run);
    expect(refused).toMatchObject({ code: 'CONFIG' });
    expect(refused!.message).toMatch(/native binding of the package sqlite3/);
    expect(refused!.remedy).toContain('npm rebuild sqlite3');
  });
});

describe('which SQLite runs the journal', () => {
  // better-sqlite3 (an optional dependency, synchronous: no thread-pool round trip per write) before
  // the sqlite3 package; node:sqlite first where it is stable (Node >= 24).
  it('is node:sqlite on Node >= 24 and better-sqlite3 before', async () => {
    const { SendJournal } = await import('../src/journal/journal.js');
    const dir = await openFolder('mailroom-driver-');
    const journal = new SendJournal({ store: join(dir, 'journal.sqlite') });
    const expected = Number(process.versions.node.split('.')[0]) >= 24 ? 'node:sqlite' : 'better-sqlite3';
    expect((await journal.open()).driver).toBe(expected);
    await journal.close();
  });

  it.skipIf(Number(process.versions.node.split('.')[0]) >= 24)('falls back to the sqlite3 package when better-sqlite3 has no binding, and either reads the other\'s file', async () => {
    const dir = await openFolder('mailroom-driver-fallback-');
    const file = join(dir, 'journal.sqlite');
    const plan = { ...outboxPlan(dir, file), sends: [{}, { idempotencyKey: 'order-9' }, { idempotencyKey: 'order-9' }], listen: true, driver: file };
    const fallback = await runJournalSender(plan, { cwd: dir, nodeArgs: await hideSqliteBinding(['better-sqlite3']) });
    expect(fallback.code).toBe(0);
    expect(sent(fallback)).toHaveLength(3);
    expect(closed(fallback)?.journalErrors).toEqual([]);
    expect(fallback.lines.find((line) => 'driver' in line)).toEqual({ driver: 'sqlite3', entries: 2 });
    // The same file under better-sqlite3: the key sent under sqlite3 is answered from the journal.
    const faster = await runJournalSender({ ...plan, sends: [{ idempotencyKey: 'order-9' }, {}] }, { cwd: dir });
    expect(closed(faster)?.journalErrors).toEqual([]);
    expect(sent(faster)[0]).toEqual(sent(fallback)[1]);
    expect(faster.lines.find((line) => 'driver' in line)).toEqual({ driver: 'better-sqlite3', entries: 3 });
  });
});

describe('one journal file, opened by two mailers of one process at once', () => {
  it('neither waits out the busy timeout with the thread blocked, and both keep their idempotency keys', async () => {
    const { createMailer } = await import('../src/index.js');
    const { scriptedAdapter } = await import('./helpers/scripted-adapter.js');
    const file = join(await openFolder('mailroom-two-open-'), 'journal.sqlite');
    const a = createMailer({ adapters: [scriptedAdapter('a', ['ok'])], journal: file });
    const b = createMailer({ adapters: [scriptedAdapter('b', ['ok', 'ok'])], journal: file });
    const journalErrors: unknown[] = [];
    b.on('journal-error', (error) => journalErrors.push(error));
    let longestStall = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      longestStall = Math.max(longestStall, performance.now() - last);
      last = performance.now();
    }, 10);
    try {
      await Promise.all([a.journal.get('none'), b.journal.get('none')]);
      const keyed = await b.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 'Order 1', text: 'Thanks', idempotencyKey: 'two-open-1' });
      expect(keyed.status).toBe('sent');
      // The write lock each open takes to prove the file writable is never held across an await.
      expect(longestStall).toBeLessThan(2_000);
      expect(journalErrors).toEqual([]);
    } finally {
      clearInterval(ticker);
      await a.close();
      await b.close();
    }
  });
});
