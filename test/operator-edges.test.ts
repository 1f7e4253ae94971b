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
