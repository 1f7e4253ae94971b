// A contact form is a stranger writing into our mail: its fields must come out escaped in the html,
// must not add or change a header (CR/LF in a name or topic), and must never be evaluated as a
// template ("{{"). Checked at the renderer, then end to end through createMailer at two sinks: the
// memory adapter's NormalizedMessage and the raw .eml the outbox adapter writes.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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

// Escaping keeps data from adding markup, not from choosing a link's scheme: a value that begins a
// URL attribute must not become a script link, while ordinary links keep working.
describe('links built from data', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mailroom-xss-links-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a script scheme in href or src becomes "#", in a template of the app and in a built-in one', async () => {
    await writeFile(path.join(dir, 'profile.mjml'), [
      '---', 'subject: "Profile of {{name}}"', '---',
      '<mj-section><mj-column>',
      '<mj-button href="{{website}}">Website</mj-button>',
      '<mj-image src="{{avatar}}" href="{{links.home}}" alt="" />',
      '<mj-text><a href="{{other}}">other</a> <a href="{{lower other}}">lower</a> <a href="mailto:{{email}}">mail</a></mj-text>',
      '</mj-column></mj-section>',
    ].join('\n'));
    const renderer = createTemplateRenderer({ dir, brand, helpers: { lower: (value) => String(value).toLowerCase() } });
    const hostileLinks = { name: 'Eve', website: 'javascript:alert(1)', avatar: 'data:text/html,<script>alert(2)</script>', links: { home: ' java\tscript:alert(3)' }, other: 'VBScript:msgbox(4)', email: 'eve@example.org' };
    const out = await renderer.render('profile', hostileLinks);
    expect(out.html).not.toMatch(/(href|src)="\s*(java|vb|data:text)/i);
    expect(out.html).toContain('href="#"');
    expect(out.html).toContain('src="#"');
    expect(out.html).toContain('href="mailto:eve@example.org"');
    // Ordinary links are kept as given (escaped as any value).
    const fine = await renderer.render('profile', { name: 'Ann', website: 'https://ann.example/?a=1&b=2', avatar: 'data:image/png;base64,iVBORw0KGgo=', links: { home: '/home' }, other: 'tel:+33612345678', email: 'ann@example.org' });
    expect(fine.html).toContain('href="https://ann.example/?a&#x3D;1&amp;b&#x3D;2"');
    expect(fine.html).toContain('src="data:image/png;base64,iVBORw0KGgo&#x3D;"');
    expect(fine.html).toContain('href="/home"');
    expect(fine.html).toContain('href="tel:+33612345678"');

    // A partial is guarded the same way.
    await mkdir(path.join(dir, 'partials'));
    await writeFile(path.join(dir, 'partials', 'site.hbs'), '<a href="{{url}}">site</a>');
    await writeFile(path.join(dir, 'card.mjml'), '---\nsubject: Card\n---\n<mj-section><mj-column><mj-text>{{> site url=website}}</mj-text></mj-column></mj-section>');
    expect((await renderer.render('card', hostileLinks)).html).toContain('<a href="#">site</a>');

    const reset = await createTemplateRenderer({ brand }).render('password-reset', { user: { name: 'Eve' }, resetUrl: 'javascript:alert(5)', expiresInMinutes: 30, request: {} }, 'fr');
    expect(reset.html).not.toMatch(/href="javascript:/);
    expect(reset.html).toContain('href="#"');
  });
});
