// The rendered order confirmation in a real browser (Debian's headless Chromium through
// playwright-core): no horizontal scrollbar on a phone (375 px) or at the usual 600 px mail width,
// every line item readable, screenshots kept under test-results/ as artefacts. The page comes from
// a loopback server; any other request is blocked and reported.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemplateRenderer } from '../src/templates/templates.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const ARTEFACTS = path.join(ROOT, 'test-results', 'templates');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="280" height="60"><rect width="280" height="60" fill="#fff"/><text x="10" y="40" font-size="28">Atelier</text></svg>';

interface Item { name: string; sku: string; quantity: number; unitPrice: number; total: number }

let server: Server;
let base: string;
let profile: string;
let context: BrowserContext;
const pages = new Map<string, string>();
const blocked: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/logo.svg') {
      response.writeHead(200, { 'content-type': 'image/svg+xml' }).end(LOGO);
      return;
    }
    const html = pages.get(request.url ?? '');
    if (html) response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  profile = await mkdtemp(path.join(tmpdir(), 'mailroom-chromium-'));
  await mkdir(ARTEFACTS, { recursive: true });
  context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'data:' || (url.protocol === 'http:' && url.hostname === '127.0.0.1')) return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
});

afterAll(async () => {
  await context?.close();
  await new Promise((resolve) => server?.close(resolve));
  if (profile) await rm(profile, { recursive: true, force: true });
});

describe('order confirmation in headless Chromium', () => {
  it.each(['en', 'fr'])('fits 375 px and 600 px without a horizontal scrollbar and shows every line item (%s)', async (locale) => {
    const data = JSON.parse(await readFile(path.join(ROOT, 'templates', 'order-confirmation.sample.json'), 'utf8')) as { order: { items: Item[] } };
    // A long unbroken product name is what usually pushes a mail wider than a phone.
    data.order.items.push({ name: 'Extra-long-product-name-without-any-space-WidgetDeluxeProfessionalEdition2025', sku: 'SKU-WITH-A-VERY-LONG-REFERENCE-0000001', quantity: 12, unitPrice: 1234.56, total: 14814.72 });
    const renderer = createTemplateRenderer({
      builtinDir: path.join(ROOT, 'templates'),
      brand: { name: 'Atelier Lumière', logoUrl: `${base}/logo.svg`, color: '#7a3e9d', address: '3 place Bellecour\n69002 Lyon', url: 'https://atelier.example.com' },
      timeZone: 'UTC',
    });
    const { html } = await renderer.render('order-confirmation', data, locale);
    pages.set(`/order-${locale}.html`, html);

    const page = await context.newPage();
    try {
      for (const width of [375, 600]) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(`${base}/order-${locale}.html`, { waitUntil: 'load' });
        // Page functions as strings: this file is compiled without the DOM library.
        const size = await page.evaluate<{ scrollWidth: number; clientWidth: number }>('({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })');
        await page.screenshot({ path: path.join(ARTEFACTS, `order-confirmation-${locale}-${width}.png`), fullPage: true });
        expect(size.clientWidth, `viewport ${width}`).toBe(width);
        expect(size.scrollWidth, `no horizontal scrollbar at ${width} px`).toBeLessThanOrEqual(size.clientWidth);
        const text = await page.evaluate<string>('document.body.innerText');
        for (const item of data.order.items) {
          expect(text).toContain(item.name);
          expect(text).toContain(item.sku);
        }
        expect(await page.locator('img[src$="/logo.svg"]').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
      }
    } finally {
      await page.close();
    }
    expect(blocked, 'requests that would have left the machine').toEqual([]);
  });
});
