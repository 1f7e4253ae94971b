// A `mailroom send` that fails says which journal entry holds the message, so that it is one
// command away from `mailroom resend`; with --json, the failure is JSON on stdout as well.
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';

let cwd: string;
let env: Record<string, string>;

beforeAll(async () => {
  // The Brevo API on a loopback port nothing listens on: every attempt fails before the request is sent.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  [cwd] = await Promise.all([mkdtemp(join(tmpdir(), 'mailroom-send-failed-')), builtCli()]);
  env = { MAILROOM_DSN: `brevo+api://KEY-ABC@127.0.0.1:${port}?insecure=true`, MAILROOM_FROM: 'shop@example.com' };
});

describe('mailroom send that fails', () => {
  it('names the failed journal entry and how to resend it, and exits 1', async () => {
    const run = await runCli(['send', '--to', 'ann@example.com', '--subject', 'Order 1042', '--text', 'hi'], { cwd, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error ALL_FAILED: /m);
    const id = /^journaled as (\w{26}): `mailroom journal show \1` says why, `mailroom resend \1` sends it again$/m.exec(run.stderr)?.[1];
    expect(id, run.stderr).toBeDefined();
    const shown = await runCli(['journal', 'show', id!, '--json'], { cwd, env });
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, status: 'failed', summary: { subject: 'Order 1042' } });
    expect(run.stdout + run.stderr).not.toContain('KEY-ABC');
  });

  it('with --json prints the failure as JSON on stdout, the entry id first', async () => {
    const run = await runCli(['send', '--to', 'ann@example.com', '--text', 'hi', '--json'], { cwd, env });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as { id: string; status: string; error: { code: string; remedy?: string }; attempts: unknown[] };
    expect(result).toMatchObject({ status: 'failed', error: { code: 'ALL_FAILED' } });
    expect(result.attempts.length).toBeGreaterThan(0);
    expect(run.stderr).toContain(`journaled as ${result.id}`);
  });

  it('with the journal off says nothing of an entry', async () => {
    const run = await runCli(['send', '--to', 'ann@example.com', '--text', 'hi', '--journal', 'off'], { cwd, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error ALL_FAILED: /m);
    expect(run.stderr).not.toContain('journaled as');
  });
});
