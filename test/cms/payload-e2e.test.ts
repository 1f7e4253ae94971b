// End to end in a real browser: a Payload 3 admin (Next.js, test/cms/payload-next, with mailroom-js
// installed from the packed tarball) copied to a temp folder, its import map generated
// (`payload generate:importmap` picks up mailroom-js/payload-admin), `next build`, the schema pushed
// and an admin created, then `next start`, driven by Debian's headless Chromium through
// playwright-core. The admin logs in, follows the Mailroom nav link, sends a test email that arrives
// at the local SMTP server, sends one while the server refuses, finds both in the email log, resends
// the failed one (it arrives), and asks Explain; an anonymous visitor is sent to the login page.
// A screenshot of each screen goes to test/cms/screenshots/ (shown in the README).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendTestEmail, verifyFromOverview } from './helpers/mailroom-screens.js';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const template = join(here, 'payload-next');
const shots = resolve(here, 'screenshots');
const CHROMIUM = process.env.MAILROOM_CHROMIUM ?? '/usr/bin/chromium';
const ADMIN = { email: 'owner@example.com', password: `Owner-${randomBytes(6).toString('hex')}` };

let sink: SmtpSink;
let dir: string;
let server: ChildProcess | undefined;
let serverLog = '';
let baseUrl: string;
let browser: Browser;
let page: Page;
let buildSeconds = 0;

async function shoot(name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, `payload-${name}.png`), fullPage: true });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

async function waitForServer(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null && server?.exitCode !== undefined) throw new Error(`next start exited ${server.exitCode}:\n${serverLog}`);
    const status = await fetch(url, { redirect: 'manual' }).then((response) => response.status, () => 0);
    if (status > 0 && status < 500) return;
    await new Promise((done) => setTimeout(done, 500));
  }
  throw new Error(`next start did not answer within ${timeoutMs} ms:\n${serverLog}`);
}

beforeAll(async () => {
  // No browser is a failure, never a skip (as in strapi-e2e.test.ts); checked before the minutes of build.
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run bash test/setup-machine.sh (installs Debian's chromium) or set MAILROOM_CHROMIUM to a Chromium binary`);
  await mkdir(shots, { recursive: true });
  sink = await startSmtpSink();
  dir = await mkdtemp(join(tmpdir(), 'mailroom-payload-next-'));
  await cp(template, dir, { recursive: true, filter: (source) => !['node_modules', '.next', 'package-lock.json'].includes(basename(source)) && !/\.db$|importMap\.js$/.test(source) });
  // Hard links: the install's 800 MB appear in the app folder at once, and Next's bundler sees a real node_modules inside its root.
  await run('cp', ['-al', join(template, 'node_modules'), join(dir, 'node_modules')]);
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    PAYLOAD_SECRET: randomBytes(24).toString('base64'),
    PAYLOAD_CONFIG_PATH: join(dir, 'payload.config.js'),
    DATABASE_URL: `file:${join(dir, 'payload.db')}`,
    MAILROOM_DSN: sink.dsn,
    MAILROOM_JOURNAL: join(dir, 'journal.sqlite'),
    SERVER_URL: baseUrl,
    NEXT_TELEMETRY_DISABLED: '1',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  };
  const bin = (name: string) => join(dir, 'node_modules', '.bin', name);
  // The import map: how Payload's admin bundle finds mailroom-js/payload-admin#MailroomView.
  await run(bin('payload'), ['generate:importmap'], { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 });
  const started = performance.now();
  await run(bin('next'), ['build'], { cwd: dir, env: { ...env, NODE_ENV: 'production' }, maxBuffer: 64 * 1024 * 1024 });
  buildSeconds = Math.round((performance.now() - started) / 1000);
  await run(process.execPath, ['seed.js'], { cwd: dir, env: { ...env, NODE_ENV: 'development' }, maxBuffer: 16 * 1024 * 1024 });
  server = spawn(bin('next'), ['start', '-p', String(port), '-H', '127.0.0.1'], { cwd: dir, env: { ...env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (chunk) => { serverLog += chunk; });
  server.stderr!.on('data', (chunk) => { serverLog += chunk; });
  await waitForServer(`${baseUrl}/admin/login`, 120_000);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
}, 1_200_000);

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((done) => server!.once('exit', done));
  }
  await sink?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Payload admin in Chromium: the Mailroom view', () => {
  it('sends an anonymous visitor to the login page, and the endpoints answer 401', async () => {
    console.log(`payload next build: ${buildSeconds} s`);
    await page.goto(`${baseUrl}/admin/mailroom`);
    await page.waitForURL(/\/admin\/login/, { timeout: 60_000 });
    expect((await fetch(`${baseUrl}/api/mailroom/entries`)).status).toBe(401);
  });

  it('logs in, follows the Mailroom nav link and shows the Overview: the chain and the doctor', async () => {
    await page.goto(`${baseUrl}/admin/login`);
    await page.fill('#field-email', ADMIN.email);
    await page.fill('#field-password', ADMIN.password);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/admin\/?$/, { timeout: 60_000 });
    // The nav link is there for an admin (Payload may keep the nav collapsed at this width).
    const link = page.locator('a#nav-mailroom').first();
    await link.waitFor({ state: 'attached' });
    expect(await link.getAttribute('href')).toBe('/admin/mailroom');
    await page.goto(`${baseUrl}/admin/mailroom`);
    await verifyFromOverview(page, sink.port);
    await shoot('overview');
  });

  it('sends a test email that arrives at the SMTP server; one the server refuses shows the error and its remedy', async () => {
    await sendTestEmail(page, 'owner@example.com');
    const received = await sink.waitFor((mail) => mail.envelope.to.includes('owner@example.com'));
    expect(received.secure).toBe(true);
    await shoot('test-email');

    sink.refusing = true;
    await page.getByRole('textbox', { name: 'Send to' }).fill('late@example.org');
    await page.getByRole('button', { name: 'Send test email' }).click();
    await page.getByText(/^Failed: /).waitFor();
    await page.getByText(/451/).first().waitFor();
    sink.refusing = false;
    await shoot('test-email-failed');
  });

  it('shows both in the email log, opens the failed entry and resends it: it arrives', async () => {
    await page.getByRole('navigation', { name: 'Mailroom' }).getByRole('button', { name: 'Email log' }).click();
    await expect.poll(async () => page.getByRole('row', { name: /^Open / }).count(), { timeout: 30_000 }).toBe(2);
    // Scoped to the screens: Payload's own admin chrome has buttons of its own.
    const screens = page.locator('.mailroom-screens');
    await screens.getByLabel('Status').selectOption('failed');
    await screens.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect.poll(async () => page.getByRole('row', { name: /^Open / }).count(), { timeout: 30_000 }).toBe(1);
    await shoot('email-log');

    await page.getByRole('row', { name: /^Open / }).first().click();
    await page.getByRole('heading', { name: 'Attempts' }).waitFor();
    await page.getByText(/the server answered 451/).first().waitFor();
    await shoot('entry-failed');
    await page.getByRole('button', { name: 'Resend', exact: true }).click();
    await page.getByText(/Delivered through smtp, new entry/).waitFor();
    const resent = await sink.waitFor((mail) => mail.envelope.to.includes('late@example.org'));
    expect(resent.secure).toBe(true);
    await shoot('entry-resent');
  });

  it('explains a pasted error', async () => {
    await page.getByRole('navigation', { name: 'Mailroom' }).getByRole('button', { name: 'Explain' }).click();
    await page.getByRole('textbox', { name: /Error text/ }).fill('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.');
    await page.locator('form').getByRole('button', { name: 'Explain', exact: true }).click();
    await page.getByText(/What to do:/).first().waitFor();
    await shoot('explain');
  });
});
