// First contact with the CLI, run as a child process against real local servers: a server that
// accepts the TCP connection and never answers is diagnosed within one timeout, with progress on
// stderr and no retry at full timeout; a failed send lists each adapter once; DSN mistakes are
// CONFIG at once; a "+" in an Entra client secret reaches the token endpoint intact.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../src/journal/journal.js';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';
import { startIdentityServer, type IdentityServer } from './helpers/identity-server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { createTestTls } from './helpers/tls.js';
import { startBrevoServer, type BrevoServer } from './providers/brevo.js';

const BREVO_KEY = 'xkeysib-SECRET-first-contact-0123';
const TENANT = '11111111-2222-3333-4444-555555555555';
const CLIENT_ID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
// An Entra client secret with a "+", written into the DSN as it is.
const CLIENT_SECRET = 'Abc8Q~first+contact+SECRET';
const MAILBOX = 'orders@corp.example';

let base: string;
let caFile: string;
let silent: Server;
let silentPort: number;
let refusedPort: number;
let brevo: BrevoServer;
let identity: IdentityServer;
let xoauth: TestSmtpServer;
const held: Socket[] = [];

async function workdir(name: string): Promise<string> {
  const dir = join(base, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

const run = (args: string[], cwd: string, env: Record<string, string> = {}) => runCli(args, { cwd, env: { NODE_EXTRA_CA_CERTS: caFile, ...env } });

beforeAll(async () => {
  await builtCli();
  base = await mkdtemp(join(tmpdir(), 'mailroom-first-contact-'));
  const tls = await createTestTls();
  caFile = join(base, 'ca.pem');
  await writeFile(caFile, tls.ca);
  // Accepts every connection and never writes a byte: a wrong port, or a TLS mode mismatch.
  silent = createServer((socket) => {
    held.push(socket);
    socket.on('error', () => undefined);
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  silentPort = (silent.address() as { port: number }).port;
  // A port nothing listens on: bound, then released.
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  refusedPort = (probe.address() as { port: number }).port;
  await new Promise((done) => probe.close(done));
  brevo = await startBrevoServer(BREVO_KEY);
  identity = await startIdentityServer({ tls, tenant: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  xoauth = await startSmtpServer({ tls, tokens: { [MAILBOX]: identity.issued } });
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await Promise.all([new Promise((done) => silent?.close(done)), brevo?.close(), identity?.close(), xoauth?.close()]);
  if (base) await rm(base, { recursive: true, force: true });
});

describe('a server that accepts the connection and never answers', () => {
  const SILENT = () => `smtp://shop%40example.com:pw@127.0.0.1:${silentPort}`;
  const diagnosis = () => `127.0.0.1:${silentPort} accepted the connection but never answered`;

  it('send, verify and test say so within one --timeout, with progress on stderr, and do not retry it', async () => {
    const cwd = await workdir('silent');
    // The send takes its timeout from the configuration file (timeoutMs), verify and test from --timeout.
    const sendCwd = await workdir('silent-send');
    await writeFile(join(sendCwd, 'mailroom.config.json'), JSON.stringify({ timeoutMs: 6000 }));
    const timeout = ['--timeout', '6s'];
    const [send, verify, test] = await Promise.all([
      run(['send', '--dsn', SILENT(), '--from', 'shop@example.com', '--to', 'ann@example.com', '--subject', 'hi', '--text', 'hi'], sendCwd),
      run(['verify', '--dsn', SILENT(), ...timeout], cwd),
      run(['test', '--dsn', SILENT(), '--from', 'shop@example.com', '--to', 'ann@example.com', '--journal', 'memory://', ...timeout], cwd),
    ]);
    for (const [name, result] of Object.entries({ send, verify, test })) {
      expect(result.code, name).toBe(1);
      const output = result.stdout + result.stderr;
      expect(output, name).toContain(diagnosis());
      expect(output, name).toContain('wrong port or TLS mode? 587 is STARTTLS (smtp://), 465 implicit TLS (smtps://)');
      expect(output, name).toMatch(/remedy: No SMTP greeting: port 465 expects implicit TLS/);
      expect(output, name).not.toContain('remedy: none known');
      expect(output, name).not.toContain('verify was aborted');
      // Progress while it waits, on stderr only (stdout stays the result).
      expect(result.stderr, name).toMatch(new RegExp(`(waiting for|checking) smtp\\(127\\.0\\.0\\.1:${silentPort}, shop@example\\.com\\)… 5 s`));
      expect(result.stdout, name).not.toContain('… 5 s');
    }
    // One attempt, not three at full timeout: the journal of the send holds one.
    expect(send.stderr).toMatch(/every adapter failed: smtp \([^)]*\): TRANSIENT\n/);
    const journal = await run(['journal', '--json'], sendCwd);
    const [entry] = JSON.parse(journal.stdout) as JournalEntry[];
    expect(entry!.status).toBe('failed');
    expect(entry!.attempts).toHaveLength(1);
  });

  it('moves on to the next adapter instead of retrying the silent one', async () => {
    const cwd = await workdir('silent-failover');
    const dsn = `failover(${SILENT()} brevo+api://${BREVO_KEY}@127.0.0.1:${brevo.port}?insecure=true)`;
    const send = await run(['send', '--dsn', dsn, '--from', 'shop@example.com', '--to', 'ann@example.com', '--subject', 'hi', '--text', 'hi', '--timeout', '2s', '--json'], cwd);
    expect(send.code, send.stderr).toBe(0);
    const result = JSON.parse(send.stdout) as { adapter: string; attempts: Array<{ adapter: string; error?: { message: string; remedy?: string } }> };
    expect(result.adapter).toBe('brevo');
    expect(result.attempts.map((attempt) => attempt.adapter)).toEqual(['smtp', 'brevo']);
    expect(result.attempts[0]!.error!.message).toContain(diagnosis());
    expect(result.attempts[0]!.error!.remedy).toMatch(/^No SMTP greeting/);
  });
});

describe('a failed send, as printed', () => {
  it('lists each adapter once with its attempt count, and each remedy once', async () => {
    const cwd = await workdir('refused');
    const send = await run(['send', '--dsn', `smtp://u:p@127.0.0.1:${refusedPort}`, '--from', 'shop@example.com', '--to', 'ann@example.com', '--subject', 'hi', '--text', 'hi'], cwd);
    expect(send.code).toBe(1);
    expect(send.stderr).toMatch(/error ALL_FAILED: \[mailroom\] every adapter failed: smtp \([^)]*\): TRANSIENT after 3 attempts\n/);
    expect(send.stderr.match(/^ {2}- smtp/gm)).toEqual(['  - smtp']);
    expect(send.stderr).toContain('  - smtp (3 attempts): TRANSIENT');
    expect(send.stderr.match(/remedy: /g)).toHaveLength(1);
    expect(send.stderr).toContain('remedy: Nothing listens at this host and port');
  });
});

describe('DSN mistakes in the CLI', () => {
  it('are CONFIG at once, with the form to write and without the key', async () => {
    const cwd = await workdir('bad-dsn');
    for (const command of [['verify'], ['send', '--from', 'shop@example.com', '--to', 'ann@example.com', '--text', 'hi'], ['test', '--to', 'ann@example.com']]) {
      const result = await run([...command, '--dsn', `brevo+api://${BREVO_KEY}`], cwd);
      expect(result.code, command[0]).toBe(1);
      expect(result.stderr, command[0]).toContain('error CONFIG: [mailroom] the brevo+api DSN "brevo+api://***" has no "@default"');
      expect(result.stderr, command[0]).toContain('remedy: write it as brevo+api://KEY@default');
      expect(result.stdout + result.stderr, command[0]).not.toContain(BREVO_KEY);
    }
  });
});

describe('a "+" in an Entra client secret', () => {
  it('reaches the token endpoint intact, from graph:// and office365+oauth:// DSNs', async () => {
    const cwd = await workdir('plus-secret');
    const query = `client_id=${CLIENT_ID}&client_secret=${CLIENT_SECRET}&authority=${identity.url}`;
    const graph = await run(['verify', '--dsn', `graph://orders%40corp.example@${TENANT}?${query}`], cwd);
    expect(graph.stdout + graph.stderr).toMatch(/1 adapter ok/);
    expect(graph.code).toBe(0);
    const office365 = await run(['verify', '--dsn', `office365+oauth://orders%40corp.example@${TENANT}?${query}&smtp_host=localhost&smtp_port=${xoauth.port}`], cwd);
    expect(office365.stdout + office365.stderr).toMatch(/1 adapter ok/);
    expect(office365.code).toBe(0);
    const secrets = identity.requests.map((request) => request.form.client_secret);
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    expect(new Set(secrets)).toEqual(new Set([CLIENT_SECRET]));
    for (const result of [graph, office365]) expect(result.stdout + result.stderr).not.toContain(CLIENT_SECRET);
  });
});

describe('output piped into a reader that stops early (mailroom … | head)', () => {
  it('ends quietly: no EPIPE stack trace on stderr', async () => {
    const cli = await builtCli();
    const cwd = await workdir('epipe');
    for (const args of [['doctor', '--dsn', 'memory://', '--journal', 'memory://'], ['preview', 'order-confirmation'], ['--help']]) {
      const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      // The reader is gone before the command writes its first line.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = (await once(child, 'close')) as [number | null];
      expect(stderr, args.join(' ')).not.toMatch(/EPIPE|node:events|at .*\(node:/);
      expect(code, args.join(' ')).toBe(0);
    }
  });
});
