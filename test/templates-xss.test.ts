// A contact form is a stranger writing into our mail: its fields must come out escaped in the html,
// must not add or change a header (CR/LF in a name or topic), and must never be evaluated as a
// template ("{{"). Checked at the renderer, then end to end through createMailer at two sinks: the
// memory adapter's NormalizedMessage and the raw .eml the outbox adapter writes.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memoryAdapter } from '../adapters/memory.js';
import { outboxAdapter } from '../adapters/outbox.js';
import { createMailer } from '../src/core/mailer.js';
import { createTemplateRenderer } from '../src/templates/templates.js';

const brand = { name: 'Atelier Lumière', address: '3 place Bellecour\n69002 Lyon' };
const hostile = {
  visitor: {
    name: '<script>alert("name")</script>\r\nBcc: victim@example.net',
    email: 'eve@example.org',
    phone: '<img src=x onerror=alert(1)>',
  },
  topic: 'Hi\r\nX-Injected: yes\r\n\r\n<b>body</b>',
  message: 'Hello <img src=x onerror="alert(2)">\r\n{{@brand.name}} {{visitor.email}} {{{evil}}}\nline <script>alert(3)</script>',
  page: 'javascript:alert(4)',
};

function expectEscapedHtml(html: string): void {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<img[^>]*onerror/i);
  expect(html).not.toContain('<b>body</b>');
  expect(html).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;');
  expect(html).toContain('&lt;img src&#x3D;x onerror&#x3D;&quot;alert(2)&quot;&gt;');
  expect(html).toContain('&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
  // "{{" in data is text, never a template: the brand name is not filled in, the email not repeated.
  expect(html).toContain('{{@brand.name}} {{visitor.email}} {{{evil}}}<br>');
  expect(html).not.toContain('href="javascript:');
}

describe('contact form with hostile fields', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mailroom-xss-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders escaped html, a one-line subject and a quoted reply-to', async () => {
    for (const locale of ['en', 'fr']) {
      const out = await createTemplateRenderer({ brand }).render('contact-form', hostile, locale);
      expectEscapedHtml(out.html);
      expect(out.subject).not.toMatch(/[\r\n]/);
      expect(out.subject).toContain('<script>alert("name")</script> Bcc: victim@example.net');
      expect(out.subject).toContain('Hi X-Injected: yes <b>body</b>');
      expect(out.replyTo).toBe('"<script>alert(\\"name\\")</script> Bcc: victim@example.net" <eve@example.org>');
      // The text part is plain text: the visitor's words as typed, line breaks kept.
      expect(out.text).toContain('Hello <img src=x onerror="alert(2)">\r\n{{@brand.name}} {{visitor.email}} {{{evil}}}\nline <script>alert(3)</script>');
    }
  });

  it('a reply-to that would not be one address is refused, not passed on', async () => {
    const renderer = createTemplateRenderer({ brand });
    const error = await renderer.render('contact-form', { ...hostile, visitor: { ...hostile.visitor, email: 'eve@example.org>, boss@example.com' } })
      .then(() => undefined, (thrown: unknown) => thrown as Error & { code: string; field: string });
    expect(error?.code).toBe('TEMPLATE');
    expect(error?.field).toBe('replyTo');
  });

  it('sends through the mailer with headers intact (memory sink)', async () => {
    const memory = memoryAdapter();
    const mailer = createMailer({ adapters: [memory], from: 'Site <site@example.com>', journal: false, templates: { brand } });
    try {
      const result = await mailer.send({ to: 'owner@example.com', template: { name: 'contact-form', data: hostile } });
      expect(result.status).toBe('sent');
      const [message] = memory.messages;
      expect(message!.to).toEqual([{ address: 'owner@example.com' }]);
      expect(message!.bcc).toEqual([]);
      expect(message!.headers).toEqual({});
      expect(message!.replyTo).toEqual([{ address: 'eve@example.org', name: '<script>alert("name")</script> Bcc: victim@example.net' }]);
      expect(message!.subject).not.toMatch(/[\r\n]/);
      expectEscapedHtml(message!.html!);
    } finally {
      await mailer.close();
    }
  });

  it('sends through the mailer with headers intact (raw .eml at the outbox sink)', async () => {
    const mailer = createMailer({ adapters: [outboxAdapter({ dir })], from: 'site@example.com', journal: false, templates: { brand } });
    try {
      await mailer.send({ to: 'owner@example.com', template: { name: 'contact-form', data: hostile, locale: 'fr' } });
    } finally {
      await mailer.close();
    }
    const [file] = await readdir(dir);
    const raw = await readFile(path.join(dir, file!));
    const head = raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1');
    // One header per line start: none of the visitor's "headers" became one.
    const names = head.split('\r\n').filter((line) => /^[!-9;-~]+:/.test(line)).map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
    expect(names).not.toContain('bcc');
    expect(names).not.toContain('x-injected');
    expect(names.filter((name) => name === 'subject')).toHaveLength(1);
    expect(names.filter((name) => name === 'reply-to')).toHaveLength(1);

    const mail = await simpleParser(raw);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((one) => one.address) : []).toEqual(['owner@example.com']);
    expect(mail.bcc).toBeUndefined();
    expect(mail.headers.has('x-injected')).toBe(false);
    expect(mail.replyTo?.value).toEqual([{ address: 'eve@example.org', name: '<script>alert("name")</script> Bcc: victim@example.net' }]);
    expect(mail.subject).toBe('Formulaire de contact : <script>alert("name")</script> Bcc: victim@example.net – Hi X-Injected: yes <b>body</b>');
    expectEscapedHtml(String(mail.html));
    expect(mail.text).toContain('line <script>alert(3)</script>');
  });
});
