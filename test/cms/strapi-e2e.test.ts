// End to end in a real browser: examples/strapi with its admin panel built (`strapi build`, which
// bundles mailroom's admin pages from mailroom-js/strapi-admin), driven by Debian's headless
// Chromium through playwright-core. A Super Admin logs in, opens Mailroom, sends a test email that
// arrives at the local SMTP server, finds it in the email log, opens a failed entry and resends it
// (it arrives too), and asks Explain about an error. A screenshot of each screen goes to
// test/cms/screenshots/ (shown in the README).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendTestEmail, verifyFromOverview } from './helpers/mailroom-screens.js';
import { bootStrapi, type StrapiApp } from './helpers/strapi-app.js';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const shots = resolve(here, 'screenshots');
const CHROMIUM = process.env.MAILROOM_CHROMIUM ?? '/usr/bin/chromium';
const ADMIN = { email: 'owner@example.com', password: 'Owner-passw0rd', firstname: 'Olive', lastname: 'Owner' };

let sink: SmtpSink;
let cms: StrapiApp;
let browser: Browser;
let page: Page;
let buildSeconds = 0;

async function shoot(name: string): Promise<void> {
  // The admin keeps requests open (polling), so "network idle" may never come: the caller waited for its content.
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, `strapi-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  // No browser is a failure, never a skip: CI installs Debian's chromium (test/setup-machine.sh, run by run.sh).
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run bash test/setup-machine.sh (installs Debian's chromium) or set MAILROOM_CHROMIUM to a Chromium binary`);
  await mkdir(shots, { recursive: true });
  sink = await startSmtpSink();
  cms = await bootStrapi(sink, { MAIL_FROM: 'Example Shop <shop@example.com>', NODE_ENV: 'development' }, {
    serveAdminPanel: true,
    async beforeBoot(appDir) {
      const started = performance.now();
      // Strapi's admin build: Vite bundles the admin with every plugin's strapi-admin entry (mailroom's included).
      await run(join(appDir, 'node_modules', '.bin', 'strapi'), ['build'], { cwd: appDir, env: { ...process.env, NODE_ENV: 'production' }, maxBuffer: 64 * 1024 * 1024 });
      buildSeconds = Math.round((performance.now() - started) / 1000);
    },
  });
  const registered = await fetch(`${cms.baseUrl}/admin/register-admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  expect(registered.status).toBe(200);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await cms?.stop();
  await sink?.close();
});

describe('Strapi admin in Chromium: the Mailroom screens', () => {
  it('built the admin with mailroom\'s pages', () => {
    // Strapi writes the built admin to dist/build (TypeScript apps) or build/ (JavaScript apps).
    expect(['dist/build', 'build'].some((dir) => existsSync(join(cms.app.dir, dir, 'index.html')))).toBe(true);
    console.log(`strapi build: ${buildSeconds} s`);
  });

  it('logs in and opens the Overview: the chain and the doctor', async () => {
    await page.goto(`${cms.baseUrl}/admin/auth/login`);
    await page.fill('input[name="email"]', ADMIN.email);
    await page.fill('input[name="password"]', ADMIN.password);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/admin(\/)?$/, { timeout: 60_000 });
    await page.goto(`${cms.baseUrl}/admin/plugins/mailroom`);
    await verifyFromOverview(page, sink.port);
    await page.getByText('smtp', { exact: true }).first().waitFor();
    await shoot('overview');
  });

  it('sends a test email that arrives at the SMTP server', async () => {
    await sendTestEmail(page, 'owner@example.com');
    const received = await sink.waitFor((mail) => mail.mail.subject === 'mailroom test email via smtp');
    expect(received.envelope.to).toEqual(['owner@example.com']);
    await shoot('test-email');
  });

  it('shows it in the email log, opens a failed entry and resends it', async () => {
    sink.refusing = true;
    const email = cms.strapi.plugin('email').service('email') as { send(o: Record<string, unknown>): Promise<unknown> };
    await expect(email.send({ to: 'late@example.org', subject: 'Invoice 99', html: '<h1>Invoice 99</h1><p>Amount due: 120 EUR</p>' })).rejects.toBeDefined();
    sink.refusing = false;

    await page.getByRole('navigation', { name: 'Mailroom' }).getByRole('button', { name: 'Email log' }).click();
    await page.getByRole('row', { name: 'Open mailroom test email via smtp' }).waitFor();
    await page.getByRole('row', { name: 'Open Invoice 99' }).waitFor();
    await shoot('email-log');

    await page.getByRole('row', { name: 'Open Invoice 99' }).click();
    await page.getByRole('heading', { name: 'Attempts' }).waitFor();
    const frame = page.frameLocator('iframe[title="Message preview"]');
    await frame.getByText('Amount due: 120 EUR').waitFor();
    await shoot('entry-failed');
    await page.getByRole('button', { name: 'Resend', exact: true }).click();
    await page.getByText(/Delivered through smtp, new entry/).waitFor();
    await sink.waitFor((mail) => mail.mail.subject === 'Invoice 99');
    await shoot('entry-resent');
  });

  it('explains a pasted error', async () => {
    await page.getByRole('navigation', { name: 'Mailroom' }).getByRole('button', { name: 'Explain' }).click();
    await page.getByRole('textbox').fill('535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.');
    await page.getByRole('button', { name: 'Explain', exact: true }).last().click();
    await page.getByText(/What to do:/).waitFor();
    await shoot('explain');
  });
});
