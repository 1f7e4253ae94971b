// What an operator meets at the edges of the CLI and the API: an id given twice, a chain built by
// hand, a template whose data is wrong, a journal file that is not one. Each is a typed MailError
// with a remedy about that very mistake, and nothing is sent twice or lost.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';

let dir: string;

beforeAll(async () => {
  await builtCli();
  dir = await mkdtemp(join(tmpdir(), 'mailroom-operator-edges-'));
});

async function workdir(): Promise<string> {
  return mkdtemp(join(dir, 'run-'));
}

describe('mailroom resend with ids', () => {
  it('sends an id given twice once, and says so', async () => {
    const cwd = await workdir();
    const env = { MAILROOM_DSN: 'outbox://./outbox', MAILROOM_FROM: 'shop@example.com' };
    const sent = await runCli(['send', '--to', 'ann@example.com', '--subject', 'Order 1042', '--text', 'Thanks', '--json'], { cwd, env });
    expect(sent.code).toBe(0);
    const id = (JSON.parse(sent.stdout) as { id: string }).id;

    const resent = await runCli(['resend', id, id, '--json'], { cwd, env });
    expect(resent.code).toBe(0);
    const report = JSON.parse(resent.stdout) as { sent: number; outcomes: unknown[] };
    expect(report.sent).toBe(1);
    expect(report.outcomes).toHaveLength(1);
    // The original and one resend: not two.
    expect(await readdir(join(cwd, 'outbox'))).toHaveLength(2);

    const table = await runCli(['resend', id, id, '--dry-run'], { cwd, env });
    expect(table.stdout).toContain(`would resend 1: ${id}`);
    expect(table.stdout).toMatch(/given more than once/);
  });
});

describe('createMailer with adapters written by hand', () => {
  it('refuses an adapter that breaks the contract with CONFIG naming it, not a TypeError', async () => {
    const { createMailer, MailError } = await import('../src/index.js');
    const send = async () => ({ accepted: [], rejected: [] });
    const cases: Array<[unknown, RegExp]> = [
      [{ name: 'acme', send }, /adapter "acme".*capabilities/],
      [{ capabilities: {}, send }, /adapter 1 .*name/],
      [{ name: 'acme', capabilities: {} }, /adapter "acme".*send/],
      [null, /adapter 1 is not an adapter/],
    ];
    for (const [adapter, message] of cases) {
      let thrown: unknown;
      try {
        createMailer({ adapters: [adapter as never], journal: false });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, String(message)).toBeInstanceOf(MailError);
      expect((thrown as InstanceType<typeof MailError>).code).toBe('CONFIG');
      expect((thrown as Error).message).toMatch(message);
    }
  });
});

describe('template errors say what to fix: the data, the name or the locale', () => {
  const FILE_REMEDY = /Fix the template the error names \(file and line are given\)/;

  it('a variable missing from the data, a value a helper cannot format, an unknown name, a bad locale', async () => {
    const { createTemplateRenderer, createMailer, MailError } = await import('../src/index.js');
    const renderer = createTemplateRenderer({});
    const sample = JSON.parse(await (await import('node:fs/promises')).readFile(new URL('../templates/order-confirmation.sample.json', import.meta.url), 'utf8')) as { order: Record<string, unknown> };
    const failures: Array<[() => Promise<unknown>, RegExp, RegExp]> = [
      [() => renderer.render('order-confirmation', {}), /the data lacks "customer\.name"/, /"customer\.name".*template data/],
      [() => renderer.render('order-confirmation', { ...sample, order: { ...sample.order, total: 'a lot' } }), /is not a number/, /template data/],
      [() => renderer.render('order-confirmaton', sample), /unknown template "order-confirmaton"/, /known names|templates\.dir/],
      [() => renderer.render('order-confirmation', sample, 'not a locale!!'), /is not a BCP 47 language tag/, /locale/],
      [() => renderer.render('contact-form', { visitor: { name: 'Eve', email: 'eve at example.com' }, message: 'hi' }), /replyTo renders to an invalid address/, /data.*address/],
    ];
    for (const [render, message, remedy] of failures) {
      const error = await render().then(() => undefined, (thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(MailError);
      const mailError = error as InstanceType<typeof MailError>;
      expect(mailError.code).toBe('TEMPLATE');
      expect(mailError.message).toMatch(message);
      expect(mailError.remedy, mailError.message).not.toMatch(FILE_REMEDY);
      expect(mailError.remedy, mailError.message).toMatch(remedy);
    }

    // The same remedy reaches a failed send and the CLI.
    const mailer = createMailer({ dsn: 'memory://', journal: false, from: 'shop@example.com' });
    const sendError = await mailer.send({ to: 'ann@example.com', template: { name: 'order-confirmation', data: {} } }).then(() => undefined, (thrown: unknown) => thrown as InstanceType<typeof MailError>);
    await mailer.close();
    expect(sendError?.remedy).toMatch(/"customer\.name".*template data/);
    const cwd = await workdir();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(cwd, 'empty.json'), '{}');
    const preview = await runCli(['preview', 'order-confirmation', '--data', 'empty.json'], { cwd });
    expect(preview.code).toBe(1);
    expect(preview.stderr).toMatch(/remedy: .*"customer\.name".*template data/);
  });
});

describe('a journal file that is not an SQLite database', () => {
  it('says the file is damaged or not a journal, and how to start a new one, without touching it', async () => {
    const cwd = await workdir();
    const { readFile, writeFile } = await import('node:fs/promises');
    const garbage = Buffer.from('this is not a database, it is a text file someone wrote over the journal\n'.repeat(100));
    await writeFile(join(cwd, 'journal.sqlite'), garbage);
    const run = await runCli(['journal', '--journal', './journal.sqlite'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error CONFIG: .*journal\.sqlite.*not a database/);
    expect(run.stderr).toMatch(/remedy: .*not an SQLite journal, or damaged.*move it aside/);
    expect(run.stderr).not.toMatch(/Point the journal at a writable place/);
    expect(await readFile(join(cwd, 'journal.sqlite'))).toEqual(garbage);
  });
});

describe('mailroom explain without text', () => {
  it('says how to give the text, not the remedy of the example it quotes', async () => {
    const cwd = await workdir();
    const run = await runCli(['explain'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error CONFIG: .*give the error text to explain/);
    expect(run.stderr).toMatch(/remedy: .*quoted.*mailroom explain -/);
    expect(run.stderr).not.toMatch(/Exchange|mailbox|password/);
  });
});

describe('reading a journal that does not exist', () => {
  it('journal, journal show, journal prune and resend say there is no journal there, and create none', async () => {
    const cwd = await workdir();
    const { existsSync } = await import('node:fs');
    const commands = [['journal'], ['journal', 'show', '01M8K1P45T519RVRN02S011J2B'], ['journal', 'prune'], ['resend', '--failed'], ['resend', '01M8K1P45T519RVRN02S011J2B']];
    for (const args of commands) {
      const run = await runCli(args, { cwd });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(/error CONFIG: \[mailroom\] no journal at \.mailroom\/journal\.sqlite \(the default\)/);
      expect(run.stderr, args.join(' ')).toMatch(/remedy: .*folder the application runs in.*--journal/);
      expect(existsSync(join(cwd, '.mailroom')), args.join(' ')).toBe(false);
    }
    const typo = await runCli(['journal', '--journal', './jornal.sqlite'], { cwd });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/no journal at \.\/jornal\.sqlite \(from the --journal option\)/);
    expect(existsSync(join(cwd, 'jornal.sqlite'))).toBe(false);

    // Once something was sent, the same commands read it.
    await runCli(['send', '--to', 'ann@example.com', '--from', 'shop@example.com', '--text', 'hi'], { cwd, env: { MAILROOM_DSN: 'outbox://./outbox' } });
    const listed = await runCli(['journal'], { cwd });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('ann@example.com');
  });
});

describe('a send with the journal off or failing', () => {
  it('exits 0 once the message is sent, and says whether it was journaled', async () => {
    const cwd = await workdir();
    const { writeFile, readdir: list } = await import('node:fs/promises');
    await writeFile(join(cwd, 'mailroom.config.json'), JSON.stringify({ dsn: 'outbox://./outbox', from: 'shop@example.com', journal: false }));
    const off = await runCli(['send', '--to', 'ann@example.com', '--text', 'hi'], { cwd });
    expect(off.stderr).toBe('');
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/^sent \w{26} via outbox$/m);
    expect(off.stdout).toContain('  journal: off');
    expect(await list(join(cwd, 'outbox'))).toHaveLength(1);

    await writeFile(join(cwd, 'broken.sqlite'), 'not a database\n'.repeat(200));
    const failing = await runCli(['send', '--to', 'ann@example.com', '--text', 'hi', '--journal', './broken.sqlite'], { cwd });
    expect(failing.code).toBe(0);
    expect(failing.stdout).toContain('  journal: not written');
    expect(failing.stderr).toMatch(/warning: the send journal failed: .*not a database/);
  });

  it('mailer.journal methods answer a rejected promise when the journal is off, never throw on the spot', async () => {
    const { createMailer, MailError } = await import('../src/index.js');
    const mailer = createMailer({ dsn: 'memory://', journal: false });
    const calls = [() => mailer.journal.describe(), () => mailer.journal.list(), () => mailer.journal.get('x'), () => mailer.journal.prune(), () => mailer.journal.findByIdempotencyKey('k')];
    for (const call of calls) {
      let answer: unknown;
      expect(() => (answer = call())).not.toThrow();
      await expect(answer).rejects.toBeInstanceOf(MailError);
    }
    await mailer.close();
  });
});

describe('journal.list() with a query it cannot read', () => {
  it('is a CONFIG error naming the field, never a store error, a TypeError or a silent empty list', async () => {
    const { createMailer, MailError } = await import('../src/index.js');
    for (const store of [join(await workdir(), 'journal.sqlite'), 'memory://']) {
      const mailer = createMailer({ dsn: 'memory://', journal: store, from: 'shop@example.com' });
      await mailer.send({ to: 'ann@example.com', subject: 'Order 1042', text: 'Thanks' });
      const bad: Array<[Record<string, unknown>, string]> = [
        [{ status: 'faild' }, 'status'],
        [{ delivery: 'lost' }, 'delivery'],
        [{ limit: 0 }, 'limit'],
        [{ limit: 'x' }, 'limit'],
        [{ limit: 2.5 }, 'limit'],
        [{ to: 5 }, 'to'],
        [{ cursor: 'garbage' }, 'cursor'],
      ];
      for (const [query, field] of bad) {
        const error = await mailer.journal.list(query as never).then(() => undefined, (thrown: unknown) => thrown);
        expect(error, `${store} ${JSON.stringify(query)}`).toBeInstanceOf(MailError);
        expect((error as InstanceType<typeof MailError>).code).toBe('CONFIG');
        expect((error as InstanceType<typeof MailError>).field).toBe(field);
        expect((error as Error).message).toContain(`journal.list(): ${field}`);
      }
      const { entries } = await mailer.journal.list({ limit: 1 });
      expect(entries).toHaveLength(1);
      // A cursor is an entry id: in lower case it is the same id.
      expect((await mailer.journal.list({ cursor: entries[0]!.id.toLowerCase() })).entries).toEqual([]);
      await mailer.close();
    }
  });
});

describe('resend of an id the journal does not hold', () => {
  it('says where ids come from and which journal was read, not the generic configuration remedy', async () => {
    const cwd = await workdir();
    const env = { MAILROOM_DSN: 'outbox://./outbox', MAILROOM_FROM: 'shop@example.com' };
    expect((await runCli(['send', '--to', 'ann@example.com', '--text', 'hi'], { cwd, env })).code).toBe(0);
    const run = await runCli(['resend', '01M8K1P45T519RVRN02S011J2B'], { cwd, env });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/01M8K1P45T519RVRN02S011J2B +failed .*CONFIG: \[mailroom\] no journal entry with id 01M8K1P45T519RVRN02S011J2B/);
    expect(run.stdout).toMatch(/remedy: .*first column of `mailroom journal`.*same (store|journal)/);
    expect(run.stdout).not.toMatch(/Fix the option, flag or DSN/);
  });
});

describe('the journal key in the configuration file', () => {
  it('journal.encryptionKey is accepted, as the remedy of a sealed entry says, and never printed', async () => {
    const cwd = await workdir();
    const { writeFile } = await import('node:fs/promises');
    const { randomBytes } = await import('node:crypto');
    const key = randomBytes(32).toString('base64');
    await writeFile(join(cwd, 'mailroom.config.json'), JSON.stringify({ dsn: 'outbox://./outbox', from: 'shop@example.com', journal: { store: 'mail.sqlite', encryptionKey: key } }));
    const sent = await runCli(['send', '--to', 'ann@example.com', '--text', 'hi', '--json'], { cwd });
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    const id = (JSON.parse(sent.stdout) as { id: string }).id;
    // Sealed with the file's key: without it the entry's content cannot be opened.
    const shown = await runCli(['journal', 'show', id, '--journal', 'mail.sqlite', '--config', join(cwd, 'none.json')], { cwd });
    expect(shown.stderr).toMatch(/none\.json/);
    await writeFile(join(cwd, 'none.json'), '{}');
    const sealed = await runCli(['journal', 'show', id, '--journal', 'mail.sqlite', '--config', join(cwd, 'none.json')], { cwd });
    expect(sealed.stdout).toMatch(/content +stored, encrypted/);
    const resent = await runCli(['resend', id], { cwd });
    expect(resent.code).toBe(0);
    expect(resent.stdout).toMatch(/resent 1: 1 sent, 0 failed/);

    await writeFile(join(cwd, 'mailroom.config.json'), JSON.stringify({ dsn: 'outbox://./outbox', journal: { encryptionKey: 42 } }));
    const wrong = await runCli(['doctor'], { cwd });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/option "journal\.encryptionKey": expected the key as a string/);
    for (const run of [sent, resent, wrong]) expect(run.stdout + run.stderr).not.toContain(key);
  });
});

describe('send() with a message of the wrong shape', () => {
  it('is INVALID_MESSAGE or TEMPLATE naming what to pass, not a TypeError', async () => {
    const { createMailer, MailError } = await import('../src/index.js');
    const mailer = createMailer({ dsn: 'memory://', journal: false, from: 'shop@example.com' });
    const cases: Array<[unknown, string, RegExp]> = [
      [null, 'INVALID_MESSAGE', /send\(\) takes a message object such as/],
      [undefined, 'INVALID_MESSAGE', /send\(\) takes a message object such as/],
      ['ann@example.com', 'INVALID_MESSAGE', /send\(\) takes a message object such as/],
      [{ to: 'ann@example.com', template: 'order-confirmation' }, 'TEMPLATE', /"template" must be \{ name, data\?, locale\? \}.*got a string/],
    ];
    for (const [message, code, text] of cases) {
      const error = await mailer.send(message as never).then(() => undefined, (thrown: unknown) => thrown);
      expect(error, String(message)).toBeInstanceOf(MailError);
      expect((error as InstanceType<typeof MailError>).code).toBe(code);
      expect((error as Error).message).toMatch(text);
    }
    await mailer.close();
  });
});

describe('mailroom preview --out to a place it cannot write', () => {
  it('names --out and the path, with a remedy, and exits 1', async () => {
    const cwd = await workdir();
    const run = await runCli(['preview', 'order-confirmation', '--out', join(cwd, 'missing-folder', 'page.html')], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error CONFIG: \[mailroom\] --out: cannot write .*missing-folder\/page\.html: ENOENT/);
    expect(run.stderr).toMatch(/remedy: .*folder/);
    expect(run.stderr).not.toMatch(/Fix the option, flag or DSN/);
  });
});

describe('resend by id of a pending entry a process may still be sending', () => {
  it('skips it while younger than --older-than, and sends it with --older-than 0s', async () => {
    const cwd = await workdir();
    const { SendJournal } = await import('../src/journal/journal.js');
    const { normalizeMessage } = await import('../src/kit/index.js');
    const content = { from: 'shop@example.com', to: 'ann@example.com', subject: 'Order 1042', text: 'Thanks' };
    const journal = new SendJournal({ store: join(cwd, '.mailroom/journal.sqlite') });
    const entry = journal.createEntry(normalizeMessage(content), content);
    await journal.write(entry);
    await journal.close();
    const env = { MAILROOM_DSN: 'outbox://./outbox' };

    const young = await runCli(['resend', entry.id], { cwd, env });
    expect(young.code).toBe(0);
    expect(young.stdout).toMatch(new RegExp(`${entry.id} +skipped`));
    expect(young.stdout).toMatch(/may still be sending/);
    expect(young.stdout).toContain(`mailroom resend ${entry.id} --older-than 0s`);
    expect((await readdir(cwd)).includes('outbox')).toBe(false);

    const now = await runCli(['resend', entry.id, '--older-than', '0s'], { cwd, env });
    expect(now.code).toBe(0);
    expect(now.stdout).toMatch(/resent 1: 1 sent, 0 failed/);
    expect(await readdir(join(cwd, 'outbox'))).toHaveLength(1);
  });
});

describe('an entry id in lower case', () => {
  it('is the same entry for journal show, resend and journal.get (ids are case-insensitive base32)', async () => {
    const cwd = await workdir();
    const env = { MAILROOM_DSN: 'outbox://./outbox', MAILROOM_FROM: 'shop@example.com' };
    const sent = await runCli(['send', '--to', 'ann@example.com', '--subject', 'Order 1042', '--text', 'Thanks', '--json'], { cwd, env });
    const id = (JSON.parse(sent.stdout) as { id: string }).id;
    const shown = await runCli(['journal', 'show', id.toLowerCase()], { cwd, env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^entry +${id}$`, 'm'));
    const resent = await runCli(['resend', id.toLowerCase(), id, '--json'], { cwd, env });
    expect(resent.code).toBe(0);
    expect((JSON.parse(resent.stdout) as { sent: number }).sent).toBe(1);
    const { createMailer } = await import('../src/index.js');
    const mailer = createMailer({ dsn: 'outbox://' + join(cwd, 'outbox'), journal: join(cwd, '.mailroom/journal.sqlite') });
    expect((await mailer.journal.get(id.toLowerCase()))?.id).toBe(id);
    await mailer.close();
  });
});

describe('an error about a command-line flag whose value looks like an SMTP reply', () => {
  it('gets the remedy about the flag, not the catalogue remedy of the text it echoes', async () => {
    const cwd = await workdir();
    const env = { MAILROOM_DSN: 'outbox://./outbox', MAILROOM_FROM: 'shop@example.com' };
    for (const args of [['journal', '--since', '535 5.7.139'], ['journal', '--status', '421 4.7.0 throttled'], ['test', '--to', 'ann@example.com', '--adapter', '550 5.7.60']]) {
      const run = await runCli(args, { cwd, env });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(/^error CONFIG: \[mailroom\] --/m);
      expect(run.stderr, args.join(' ')).toMatch(/remedy: Fix the option, flag or DSN the error names/);
      expect(run.stderr, args.join(' ')).not.toMatch(/Microsoft|Exchange|slow down|Send As/);
    }
  });
});

describe('resend --failed over more failed entries than one run reads', () => {
  it('says that one run reads at most 10,000 entries, not to raise a --limit that is not the cap', async () => {
    const cwd = await workdir();
    const { createMailer, MailError } = await import('../src/index.js');
    const { FULL_CAPABILITIES } = await import('../src/core/adapter.js');
    const refusing = { name: 'refusing', capabilities: FULL_CAPABILITIES, async send(): Promise<never> { throw new MailError('REJECTED', '550 refused'); } };
    const mailer = createMailer({ adapters: [refusing], from: 'shop@example.com', journal: join(cwd, '.mailroom/journal.sqlite') });
    await Promise.allSettled(Array.from({ length: 10_020 }, (_, n) => mailer.send({ to: `buyer-${n}@example.com`, subject: `Order ${n}`, text: 'Thanks' })));
    await mailer.close();
    const run = await runCli(['resend', '--failed', '--limit', '20000', '--dry-run', '--dsn', 'outbox://./outbox'], { cwd, timeoutMs: 60_000 });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^would resend 10000: /m);
    expect(run.stdout).not.toMatch(/raise --limit/);
    expect(run.stdout).toMatch(/more remain: one run reads at most 10,000 failed entries; run the command again/);
  }, 120_000);
});
