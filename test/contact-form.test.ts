// The contact-form example run as its own process (node examples/contact-form/index.js) against the
// built package, sending into an outbox folder: a valid post reaches the owner and the visitor,
// a filled honeypot sends nothing, a burst from one IP is cut off with 429, visitor input is escaped.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../examples/contact-form/index.js', import.meta.url));
let dir: string;
let server: ChildProcess;
let base: string;
let ipCounter = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailroom-contact-form-'));
  server = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      MAILROOM_DSN: `outbox://${join(dir, 'outbox')}`,
      MAILROOM_JOURNAL: join(dir, 'journal.sqlite'),
      CONTACT_OWNER: 'Shop Owner <owner@example.com>',
      MAIL_FROM: 'Example Shop <shop@example.com>',
      RATE_LIMIT: '3',
      TRUST_PROXY: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  base = await new Promise<string>((resolve, reject) => {
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /contact form on (http:\/\/[^\s]+)\/contact/.exec(output);
      if (match) resolve(match[1]!);
    });
    server.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    server.once('exit', (code) => reject(new Error(`the example exited (${code}): ${output}`)));
  });
});

afterAll(async () => {
  server?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

/** A fresh client IP per test, so the rate limit of one test does not spill into another. */
function post(fields: Record<string, string>, options: { ip?: string; accept?: string } = {}) {
  ipCounter += 1;
  return fetch(`${base}/contact`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': options.ip ?? `203.0.113.${ipCounter}`, accept: options.accept ?? 'application/json' },
    body: new URLSearchParams(fields).toString(),
  });
}

async function outbox(): Promise<ParsedMail[]> {
  const files = await readdir(join(dir, 'outbox')).catch(() => [] as string[]);
  return Promise.all(files.filter((f) => f.endsWith('.eml')).map(async (f) => simpleParser(await readFile(join(dir, 'outbox', f)))));
}

function recipient(mail: ParsedMail): string | undefined {
  return mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined;
}

const valid = { name: 'Léa Dubois', email: 'lea@example.org', topic: 'Wedding order', message: 'Hello,\n40 engraved mugs?', website: '' };

describe('examples/contact-form', () => {
  it('serves the form with a hidden honeypot field', async () => {
    const response = await fetch(`${base}/contact`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('name="website"');
    expect(html).toContain('aria-hidden="true"');
  });

  it('sends the message to the owner (reply-to: the visitor) and a receipt to the visitor', async () => {
    const response = await post(valid);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    const mails = await outbox();
    const toOwner = mails.find((m) => recipient(m) === 'owner@example.com' && m.text?.includes('40 engraved mugs'));
    const receipt = mails.find((m) => recipient(m) === 'lea@example.org');
    expect(toOwner?.subject).toBe('Contact form: Léa Dubois – Wedding order');
    expect(toOwner?.replyTo?.value).toEqual([{ address: 'lea@example.org', name: 'Léa Dubois' }]);
    expect(toOwner?.from?.value).toEqual([{ address: 'shop@example.com', name: 'Example Shop' }]);
    expect(receipt?.html).toContain('Thank you, Léa Dubois');
  });

  it('sends nothing when the honeypot is filled, and answers like a success', async () => {
    const before = (await outbox()).length;
    const response = await post({ ...valid, message: 'Buy cheap watches', website: 'http://spam.example' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect((await outbox()).length).toBe(before);
  });

  it('rate-limits a burst from one IP with 429 and Retry-After, while another IP still gets through', async () => {
    const ip = '198.51.100.7';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await post({ ...valid, message: `burst ${i}` }, { ip });
      statuses.push(response.status);
      if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect((await post({ ...valid, message: 'other visitor' }, { ip: '198.51.100.8' })).status).toBe(200);
    const sent = (await outbox()).filter((m) => recipient(m) === 'owner@example.com' && /burst \d/.test(m.text ?? ''));
    expect(sent).toHaveLength(3);
  });

  it('escapes the visitor\'s input in the emails and in the page it answers with', async () => {
    const hostile = { ...valid, name: '<img src=x onerror=alert(1)>', topic: '"><script>alert(2)</script>', message: '<script>alert(3)</script>\n<a href="javascript:x">click</a>' };
    const response = await post(hostile, { accept: 'text/html' });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toContain('<img');
    const toOwner = (await outbox()).find((m) => m.text?.includes('alert(3)') && recipient(m) === 'owner@example.com');
    expect(toOwner).toBeDefined();
    expect(toOwner!.html).not.toMatch(/<script|<img src=x|href="javascript:/i);
    expect(toOwner!.html).toContain('&lt;script&gt;alert(3)&lt;/script&gt;');
  });

  it('refuses invalid input with the fields named, a header injection in the name included', async () => {
    const response = await post({ ...valid, name: 'Eve\r\nBcc: victim@example.com', email: 'not-an-address', message: '' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { ok: boolean; errors: Record<string, string> };
    expect(body.ok).toBe(false);
    expect(Object.keys(body.errors).sort()).toEqual(['email', 'message', 'name']);
  });
});
