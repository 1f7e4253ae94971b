// The order-confirmation example run twice as its own process against the built package: the
// first run sends one confirmation, the second finds the idempotency key in the journal and sends nothing.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../examples/order-confirmation/index.js', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailroom-order-example-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('examples/order-confirmation', () => {
  it('confirms an order once, however often it runs', async () => {
    const env = { ...process.env, MAILROOM_DSN: `outbox://${join(dir, 'outbox')}`, MAILROOM_JOURNAL: join(dir, 'journal.sqlite') };
    const first = await run(process.execPath, [script], { env });
    expect(first.stdout).toMatch(/^order 1042: confirmation sent through outbox \(journal entry (\w+)\)/);
    const second = await run(process.execPath, [script], { env });
    const id = /journal entry (\w+)/.exec(first.stdout)?.[1];
    expect(second.stdout.trim()).toBe(`order 1042: already confirmed (journal entry ${id}), nothing sent`);

    const files = await readdir(join(dir, 'outbox'));
    expect(files).toHaveLength(1);
    const mail = await simpleParser(await readFile(join(dir, 'outbox', files[0]!)));
    expect(mail.subject).toBe('Order 1042 confirmed');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value : []).toEqual([{ address: 'camille.martin@example.com', name: 'Camille Martin' }]);
  });
});
