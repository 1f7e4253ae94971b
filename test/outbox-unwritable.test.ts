// An outbox folder that cannot be created (a file in the way, a read-only disk, no permission) is
// a configuration problem: CONFIG with a remedy, tried once, not TRANSIENT retried three times
// under the remedy of a passing network failure.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMailer, MailError } from '../src/index.js';
import { outboxAdapter } from '../adapters/outbox.js';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';

let cwd: string;
let blocked: string;

beforeAll(async () => {
  [cwd] = await Promise.all([mkdtemp(join(tmpdir(), 'mailroom-outbox-unwritable-')), builtCli()]);
  // A regular file where a folder of the path should be: mkdir fails for root too.
  await writeFile(join(cwd, 'not-a-folder'), 'x');
  blocked = join(cwd, 'not-a-folder', 'outbox');
});

describe('an outbox folder that cannot be created', () => {
  it('fails the send once with CONFIG and a remedy', async () => {
    const mailer = createMailer({ adapters: [outboxAdapter({ dir: blocked })], journal: false });
    const error = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', text: 'x' }).then(() => undefined, (thrown: unknown) => thrown as MailError);
    await mailer.close();
    expect(error).toBeInstanceOf(MailError);
    expect(error!.attempts).toHaveLength(1);
    expect(error!.attempts![0]!.error).toMatchObject({ code: 'CONFIG', message: expect.stringContaining(`cannot create the outbox folder ${blocked}`), remedy: expect.stringContaining('a folder this process can write') });
  });

  it('mailroom send and verify say so with the remedy', async () => {
    const env = { MAILROOM_DSN: `outbox://${blocked}` };
    const sent = await runCli(['send', '--to', 'ann@example.com', '--from', 'shop@example.com', '--text', 'hi', '--journal', 'off'], { cwd, env });
    expect(sent.code).toBe(1);
    expect(sent.stderr).toMatch(/^ {2}- outbox: CONFIG \[mailroom\] \[outbox\] cannot create the outbox folder/m);
    expect(sent.stderr).not.toMatch(/attempts\)|passing failure/);
    const verified = await runCli(['verify'], { cwd, env });
    expect(verified.code).toBe(1);
    expect(verified.stdout).toMatch(/remedy: Point the outbox at a folder this process can write/);
  });
});
