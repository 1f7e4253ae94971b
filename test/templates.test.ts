// The template renderer: built-in templates in both languages, escaping, locale lookup and
// formatting, layouts, partials, brand options, strict mode, errors with file and line, and the
// compile cache keyed by file version (an edited file is seen on the next render).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compile } from 'html-to-text';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MailError } from '../src/core/errors.js';
import { escapeHtml } from '../src/templates/template-helpers.js';
import { HTML_TO_TEXT_OPTIONS } from '../src/templates/template-text.js';
import { createTemplateRenderer, type TemplateOptions } from '../src/templates/templates.js';

const BUILTIN = path.resolve(import.meta.dirname, '..', 'templates');
const NAMES = ['contact-form', 'contact-form-receipt', 'order-confirmation', 'password-reset', 'test-email'];
const brand = { name: 'Atelier Lumière', color: '#7a3e9d', address: '3 place Bellecour\n69002 Lyon', url: 'https://atelier.example.com', logoUrl: 'https://atelier.example.com/logo.png' };

async function sample(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(BUILTIN, `${name}.sample.json`), 'utf8')) as Record<string, unknown>;
}

async function templateError(promise: Promise<unknown>): Promise<MailError> {
  const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(MailError);
  expect((error as MailError).code).toBe('TEMPLATE');
  return error as MailError;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mailroom-templates-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The text part's non-empty lines: where blank lines fall is not the point of these tests. */
const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter(Boolean);
const renderer = (options: TemplateOptions = {}) => createTemplateRenderer({ dir, brand, timeZone: 'UTC', ...options });

describe('built-in templates', () => {
  it('lists the built-ins and the app folder together', async () => {
    await writeFile(path.join(dir, 'invoice.mjml'), '---\nsubject: Invoice\n---\n<mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section>');
    await writeFile(path.join(dir, 'invoice.de.mjml'), '---\nsubject: Rechnung\n---\n<mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section>');
    expect(await renderer().list()).toEqual([...NAMES, 'invoice'].sort());
  });

  it.each(NAMES.flatMap((name) => [[name, 'en'], [name, 'fr']]))('%s renders in %s with its sample data', async (name, locale) => {
    const data = await sample(name);
    const english = await renderer().render(name, data, 'en');
    const out = await renderer().render(name, data, locale);
    expect(out.subject.length).toBeGreaterThan(5);
    expect(out.subject).not.toMatch(/[\r\n]|\{\{/);
    expect(out.html).toMatch(/^<!doctype html>/i);
    expect(out.html).not.toContain('{{');
    expect(out.html).toContain(`lang="${locale}"`);
    expect(out.text).not.toContain('{{');
    expect(out.text).not.toMatch(/<[a-z]/i);
    // The shared layout: brand colour, logo, footer address.
    expect(out.html).toContain('background:#7a3e9d');
    expect(out.html).toContain('src="https://atelier.example.com/logo.png"');
    expect(out.html).toContain('3 place Bellecour<br>');
    expect(out.text).toContain('3 place Bellecour\n69002 Lyon');
    // The page title (browser tab, some mail clients' web view) is the subject.
    expect(out.html).toContain(`<title>${escapeHtml(out.subject)}</title>`);
    if (locale === 'fr') {
      expect(out.subject).not.toBe(english.subject);
      expect(out.text).not.toBe(english.text);
    }
  });

  it('order-confirmation shows every line item with prices formatted for the locale', async () => {
    const data = await sample('order-confirmation');
    const en = await renderer().render('order-confirmation', data, 'en');
    const fr = await renderer().render('order-confirmation', data, 'fr');
    const de = await renderer().render('order-confirmation', data, 'de-CH');
    expect(en.subject).toBe('Order 1042 confirmed');
    expect(fr.subject).toBe('Commande 1042 confirmée');
    for (const item of ['Linen tea towel, natural', 'Stoneware mug 350 ml', 'Olive wood serving board, large']) {
      expect(en.html).toContain(item);
      expect(en.text).toContain(item);
    }
    expect(en.text).toContain('Olive wood serving board, large (BRD-OLV-L) 1 €1,249.00 €1,249.00');
    expect(en.text).toContain('Total €1,336.50');
    expect(en.text).toContain('placed on March 14, 2025');
    expect(fr.text).toContain('Total 1\u202f336,50\u00a0€');
    expect(fr.text).toContain('passée le 14 mars 2025');
    // No German file: the English one, with Swiss German number formats.
    expect(de.subject).toBe('Order 1042 confirmed');
    expect(de.text).toContain("Total EUR\u00a01'336.50");
    // Billing and shipping addresses through the address partial.
    expect(en.text).toContain('Shipping address\nCamille Martin\nAtelier Martin\n4 quai Saint-Antoine\nBâtiment B\n69002 Lyon\nFrance');
    expect(en.text).toContain('Billing address\nCamille Martin\n12 rue des Lilas\n69003 Lyon\nFrance');
  });

  it('derives the same text part as converting the final html would', async () => {
    const convert = compile(HTML_TO_TEXT_OPTIONS);
    for (const name of NAMES) {
      for (const locale of ['en', 'fr']) {
        const out = await renderer().render(name, await sample(name), locale);
        expect(lines(out.text), `${name} ${locale}`).toEqual(lines(convert(out.html)));
      }
    }
  });

  it('contact-form sets replyTo to the visitor and keeps the message line breaks', async () => {
    const out = await renderer().render('contact-form', await sample('contact-form'));
    expect(out.replyTo).toBe('Léa Dubois <lea.dubois@example.org>');
    expect(out.subject).toBe('Contact form: Léa Dubois – Custom order for a wedding');
    expect(out.html).toContain('Hello,<br>\nWould it be possible');
    expect(out.text).toContain('Hello,\nWould it be possible to order 40 engraved mugs for a wedding in June?\nThank you,\nLéa');
    expect(out.text).toContain('Received Mar 14, 2025, 09:12 AM UTC');
  });

  it('a template without replyTo gives none; the brand fills a subject', async () => {
    const out = await renderer().render('contact-form-receipt', await sample('contact-form-receipt'), 'fr');
    expect(out.replyTo).toBeUndefined();
    expect(out.subject).toBe('Nous avons bien reçu votre message – Atelier Lumière');
  });

  it('the layout shows the brand name when there is no logo, and the default colour', async () => {
    const out = await createTemplateRenderer({ builtinDir: BUILTIN, brand: { name: 'Shop' } }).render('password-reset', await sample('password-reset'));
    expect(out.html).not.toContain('<img');
    expect(out.html).toContain('background:#1f4e79');
    expect(out.text.startsWith('Shop\n')).toBe(true);
  });

  it('refuses brand options that would break the layout', () => {
    expect(() => createTemplateRenderer({ brand: { color: 'red;x' } })).toThrow(/brand.color/);
    expect(() => createTemplateRenderer({ brand: { logoUrl: 'javascript:alert(1)' } })).toThrow(/brand.logoUrl/);
    expect(() => createTemplateRenderer({ brand: { name: 'Shop {{secret}}' } })).toThrow(/brand.name must not contain "\{\{"/);
  });
});

describe('escaping and helpers', () => {
  const page = (body: string, frontMatter = 'subject: "Hi {{name}}"') => `---\n${frontMatter}\n---\n<mj-section><mj-column>${body}</mj-column></mj-section>\n`;

  it('html-escapes variables in the html and keeps them raw in the text part and subject', async () => {
    await writeFile(path.join(dir, 'hello.mjml'), page('<mj-text>Hello {{name}}, <a href="{{url}}">link</a></mj-text>'));
    const out = await renderer().render('hello', { name: 'Tom & "Jerry" <b>', url: 'https://x.example/?a=1&b="2"' });
    expect(out.html).toContain('Hello Tom &amp; &quot;Jerry&quot; &lt;b&gt;');
    expect(out.html).toContain('href="https://x.example/?a&#x3D;1&amp;b&#x3D;&quot;2&quot;"');
    expect(out.text).toContain('Hello Tom & "Jerry" <b>, link [https://x.example/?a=1&b="2"]');
    expect(out.subject).toBe('Hi Tom & "Jerry" <b>');
  });

  it('braces written as entities in the html stay literal in the text part', async () => {
    await writeFile(path.join(dir, 'braces.mjml'), page('<mj-text>&#123;&#123;name}} is {{name}}</mj-text>'));
    const out = await renderer().render('braces', { name: 'Ann' });
    expect(out.html).toContain('&#123;&#123;name}} is Ann');
    expect(out.text).toContain('{{name}} is Ann');
  });

  it('{{{x}}} puts trusted html in the html part and its text in the text part', async () => {
    await writeFile(path.join(dir, 'rich.mjml'), page('<mj-text>{{{intro}}}</mj-text>'));
    const out = await renderer().render('rich', { name: 'x', intro: '<p>Hello <strong>world</strong></p><p>Bye</p>' });
    expect(out.html).toContain('<p>Hello <strong>world</strong></p>');
    expect(out.text).toContain('Hello world\nBye');
  });

  it('formats money, numbers and dates for the locale, with a default currency', async () => {
    await writeFile(path.join(dir, 'fmt.mjml'), page('<mj-text>{{money a}}|{{money a "CHF"}}|{{money a currency="JPY"}}|{{number n digits=2}}|{{date d}}|{{date d style="short"}}|{{datetime d}}</mj-text>'));
    const data = { name: 'x', a: 1234.5, n: 3.14159, d: '2025-12-31T23:30:00Z' };
    const en = await renderer({ currency: 'USD' }).render('fmt', data, 'en-US');
    expect(en.text).toContain('$1,234.50|CHF\u00a01,234.50|¥1,235|3.14|December 31, 2025|12/31/25|Dec 31, 2025, 11:30 PM UTC');
    const fr = await renderer({ timeZone: 'Europe/Paris' }).render('fmt', data, 'fr');
    expect(fr.text).toContain('1\u202f234,50\u00a0€|1\u202f234,50\u00a0CHF|1\u202f235\u00a0JPY|3,14|1 janvier 2026|01/01/2026|1 janv. 2026, 00:30 UTC+1');
  });

  it('a helper given bad input is a TEMPLATE error naming the template', async () => {
    await writeFile(path.join(dir, 'fmt.mjml'), page('<mj-text>{{money a "EURO"}}</mj-text>'));
    const error = await templateError(renderer().render('fmt', { name: 'x', a: 1 }));
    expect(error.message).toContain('template "fmt"');
    expect(error.message).toContain('"EURO" is not an ISO 4217 currency code');
    await writeFile(path.join(dir, 'fmt.mjml'), page('<mj-text>{{money a}}</mj-text>'));
    expect((await templateError(renderer().render('fmt', { name: 'x', a: 'lots' }))).message).toContain('money: "lots" is not a number, in {{money a}}');
  });

  // The value alone ("abc") does not say which field of the data is wrong: the expression does.
  it('a helper failure names the expression, inside a block and in a built-in template', async () => {
    await writeFile(path.join(dir, 'lines.mjml'), page('<mj-text>{{#each items}}{{name}}: {{money unitPrice}} {{date shippedOn style="short"}}<br>{{/each}}</mj-text>'));
    const bad = { name: 'x', items: [{ name: 'Mug', unitPrice: 3, shippedOn: '2025-01-02' }, { name: 'Cup', unitPrice: 'abc', shippedOn: '2025-01-02' }] };
    expect((await templateError(renderer().render('lines', bad))).message).toContain('money: "abc" is not a number, in {{money unitPrice}}');
    bad.items[1]!.unitPrice = 2;
    bad.items[1]!.shippedOn = 'soon';
    expect((await templateError(renderer().render('lines', bad))).message).toContain('date: "soon" is not a date, in {{date shippedOn style="short"}}');
    const order = await sample('order-confirmation');
    (order.order as { items: { unitPrice: unknown }[] }).items[0]!.unitPrice = '12,50';
    expect((await templateError(renderer().render('order-confirmation', order, 'fr'))).message).toContain('money: "12,50" is not a number, in {{money unitPrice');
  });

  it('runs extra helpers in both parts', async () => {
    await writeFile(path.join(dir, 'shout.mjml'), page('<mj-text>{{shout name}}</mj-text>', 'subject: "{{shout name}}"'));
    const out = await renderer({ helpers: { shout: (value) => `${String(value).toUpperCase()}!` } }).render('shout', { name: 'ann' });
    expect(out.subject).toBe('ANN!');
    expect(out.html).toContain('ANN!');
    expect(out.text).toContain('ANN!');
  });
});

describe('locales', () => {
  beforeEach(async () => {
    await writeFile(path.join(dir, 'greet.mjml'), '---\nsubject: Hello\n---\n<mj-section><mj-column><mj-text>Hello</mj-text></mj-column></mj-section>');
    await writeFile(path.join(dir, 'greet.fr.mjml'), '---\nsubject: Bonjour\n---\n<mj-section><mj-column><mj-text>Bonjour</mj-text></mj-column></mj-section>');
    await writeFile(path.join(dir, 'greet.fr-CA.mjml'), '---\nsubject: Allô\n---\n<mj-section><mj-column><mj-text>Allô</mj-text></mj-column></mj-section>');
  });

  it('picks the most specific locale file, then the language, then the default', async () => {
    const r = renderer();
    expect((await r.render('greet', {}, 'fr-CA')).subject).toBe('Allô');
    expect((await r.render('greet', {}, 'fr_ca')).subject).toBe('Allô');
    expect((await r.render('greet', {}, 'fr-BE')).subject).toBe('Bonjour');
    expect((await r.render('greet', {}, 'fr')).subject).toBe('Bonjour');
    expect((await r.render('greet', {}, 'de')).subject).toBe('Hello');
    expect((await r.render('greet')).subject).toBe('Hello');
  });

  it('a render without a locale chooses the file for defaultLocale, as its dates and lang do', async () => {
    const french = renderer({ defaultLocale: 'fr-CA' });
    expect((await french.render('greet')).subject).toBe('Allô');
    expect((await renderer({ defaultLocale: 'fr' }).render('greet')).subject).toBe('Bonjour');
    expect((await renderer({ defaultLocale: 'de' }).render('greet')).subject).toBe('Hello');
    expect((await french.source('greet')).file).toBe(path.join(dir, 'greet.fr-CA.mjml'));
    // A requested locale still wins over the default.
    expect((await french.render('greet', {}, 'en')).subject).toBe('Hello');

    await writeFile(path.join(dir, 'welcome.fr.mjml'), '---\nsubject: Bienvenue\n---\n<mj-section><mj-column><mj-text>Bienvenue</mj-text></mj-column></mj-section>');
    const welcome = await renderer({ defaultLocale: 'fr' }).render('welcome');
    expect(welcome.subject).toBe('Bienvenue');
    expect(welcome.html).toContain('lang="fr"');

    const order = await renderer({ defaultLocale: 'fr' }).render('order-confirmation', await sample('order-confirmation'));
    expect(order).toEqual(await renderer().render('order-confirmation', await sample('order-confirmation'), 'fr'));
  });

  it('refuses a locale that is not a language tag', async () => {
    const error = await templateError(renderer().render('greet', {}, '../../etc'));
    expect(error.field).toBe('template.locale');
  });

  it('the app folder wins over the built-ins for a name, with all its locales', async () => {
    await writeFile(path.join(dir, 'password-reset.mjml'), '---\nsubject: Our own reset\n---\n<mj-section><mj-column><mj-text>own</mj-text></mj-column></mj-section>');
    const r = renderer();
    expect((await r.render('password-reset', {}, 'en')).subject).toBe('Our own reset');
    // The app has no French file: its own default, not the built-in French one.
    expect((await r.render('password-reset', {}, 'fr')).subject).toBe('Our own reset');
    expect((await r.render('test-email', await sample('test-email'), 'fr')).subject).toBe('E-mail de test mailroom via office365');
  });
});

describe('layouts and partials', () => {
  it('uses a layout from the app folder, filled with the brand', async () => {
    await mkdir(path.join(dir, 'layouts'));
    await writeFile(path.join(dir, 'layouts', 'plain.mjml'), '<mjml>\n<mj-body>\n<mj-section background-color="{{@brand.color}}"><mj-column><mj-text>PLAIN {{@brand.name}}</mj-text></mj-column></mj-section>\n{{{body}}}\n</mj-body>\n</mjml>\n');
    await writeFile(path.join(dir, 'note.mjml'), '---\nsubject: Note\nlayout: plain\npreheader: "Preview {{who}}"\n---\n<mj-section><mj-column><mj-text>Note for {{who}}</mj-text></mj-column></mj-section>');
    const out = await renderer().render('note', { who: 'Ann' });
    expect(out.html).toContain('PLAIN Atelier Lumière');
    expect(out.html).toContain('background-color:#7a3e9d');
    expect(out.html).toMatch(/<div style="display:none;[^"]*">Preview Ann/);
    expect(lines(out.text)).toEqual(['PLAIN Atelier Lumière', 'Note for Ann']);
  });

  it('a locale variant of the layout goes with the locale of the template file', async () => {
    await mkdir(path.join(dir, 'layouts'));
    await writeFile(path.join(dir, 'layouts', 'default.mjml'), '<mjml><mj-body><mj-section><mj-column><mj-text>Footer EN</mj-text></mj-column></mj-section>{{{body}}}</mj-body></mjml>');
    await writeFile(path.join(dir, 'layouts', 'default.fr.mjml'), '<mjml><mj-body><mj-section><mj-column><mj-text>Pied FR</mj-text></mj-column></mj-section>{{{body}}}</mj-body></mjml>');
    await writeFile(path.join(dir, 'x.mjml'), '---\nsubject: X\n---\n<mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section>');
    await writeFile(path.join(dir, 'x.fr.mjml'), '---\nsubject: X\n---\n<mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section>');
    expect((await renderer().render('x', {}, 'fr')).text).toContain('Pied FR');
    expect((await renderer().render('x', {}, 'en')).text).toContain('Footer EN');
  });

  it('a whole <mjml> document needs no layout', async () => {
    await writeFile(path.join(dir, 'bare.mjml'), '---\nsubject: Bare\n---\n<mjml><mj-body><mj-section><mj-column><mj-text>Only me</mj-text></mj-column></mj-section></mj-body></mjml>');
    const out = await renderer().render('bare');
    expect(out.text).toBe('Only me\n');
  });

  it('the page title is the rendered subject, html-escaped, and stays out of the text part', async () => {
    await writeFile(path.join(dir, 'note.mjml'), '---\nsubject: "Note {{n}} & <more>"\n---\n<mj-section><mj-column><mj-text>Body {{n}}</mj-text></mj-column></mj-section>');
    const out = await renderer().render('note', { n: '"7"' });
    expect(out.subject).toBe('Note "7" & <more>');
    expect(out.html).toContain('<title>Note &quot;7&quot; &amp; &lt;more&gt;</title>');
    expect(out.text).toContain('Body "7"');
    expect(out.text).not.toContain('Note');
    // A whole-document template names its own title with {{@subject}}.
    await writeFile(path.join(dir, 'bare.mjml'), '---\nsubject: Bare {{n}}\n---\n<mjml><mj-head><mj-title>{{@subject}}</mj-title></mj-head><mj-body><mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section></mj-body></mjml>');
    expect((await renderer().render('bare', { n: 2 })).html).toContain('<title>Bare 2</title>');
  });

  it('partials from the app folder win over the built-in ones and may nest', async () => {
    await mkdir(path.join(dir, 'partials'));
    await writeFile(path.join(dir, 'partials', 'address.hbs'), '[{{city}}] {{> sig}}');
    await writeFile(path.join(dir, 'partials', 'sig.hbs'), 'signed {{@brand.name}}');
    await writeFile(path.join(dir, 'addr.mjml'), '---\nsubject: A\n---\n<mj-section><mj-column><mj-text>{{> address home}}</mj-text></mj-column></mj-section>');
    const out = await renderer().render('addr', { home: { city: 'Lyon' } });
    expect(out.html).toContain('[Lyon] signed Atelier Lumière');
    expect(out.text).toContain('[Lyon] signed Atelier Lumière');
  });

  it('a missing partial or layout is a TEMPLATE error naming it', async () => {
    await writeFile(path.join(dir, 'p.mjml'), '---\nsubject: P\n---\n<mj-section><mj-column><mj-text>{{> nowhere}}</mj-text></mj-column></mj-section>');
    expect((await templateError(renderer().render('p'))).message).toContain('partial "nowhere" not found');
    await writeFile(path.join(dir, 'l.mjml'), '---\nsubject: L\nlayout: fancy\n---\n<mj-section></mj-section>');
    expect((await templateError(renderer().render('l'))).message).toContain('layout "fancy" not found');
  });
});

describe('strict mode', () => {
  beforeEach(async () => {
    await writeFile(path.join(dir, 'order.mjml'), '---\nsubject: "Order {{order.number}} for {{customer.name}}"\nrequired: [order.items]\n---\n<mj-section><mj-column><mj-text>{{order.note}}|{{#each order.items}}{{name}}{{/each}}</mj-text></mj-column></mj-section>');
  });

  it('a variable the subject uses but the data lacks is an error naming it', async () => {
    const error = await templateError(renderer().render('order', { order: { items: [] }, customer: { name: 'Ann' } }));
    expect(error.message).toContain('the data lacks "order.number"');
    expect(error.message).toContain('order.mjml');
    expect(error.field).toBe('template.data.order.number');
  });

  it('a path listed under required is checked', async () => {
    const error = await templateError(renderer().render('order', { order: { number: 7 }, customer: { name: 'Ann' } }));
    expect(error.message).toContain('the data lacks "order.items"');
  });

  it('optional body variables render empty unless body strictness is on', async () => {
    const data = { order: { number: 7, items: [{ name: 'Mug' }] }, customer: { name: 'Ann' } };
    expect(lines((await renderer().render('order', data)).text)[0]).toBe('|Mug');
    const error = await templateError(renderer({ strict: { body: true } }).render('order', data));
    expect(error.message).toContain('the data lacks "order.note"');
    expect(error.remedy).toContain('Give "order.note"');
    // A template of the app's own has no sample file to point at: the remedy does not promise one.
    expect(error.remedy).toContain('where it has one');
    expect(error.remedy).toContain('mailroom preview NAME --data FILE');
  });

  // Handlebars names only the last segment ("number"); the error names the path as written.
  it('body strictness names the whole missing path, in the html, the text part and inside blocks', async () => {
    await writeFile(path.join(dir, 'receipt.mjml'), '---\nsubject: Receipt\n---\n<mj-section><mj-column><mj-text>Hello\n{{customer.address.city}}</mj-text><mj-text>{{#each items}}{{product.name}}{{/each}}</mj-text></mj-column></mj-section>');
    await writeFile(path.join(dir, 'plain.mjml'), '---\nsubject: Plain\ntext: |\n  Hi {{user.first}}\n---\n<mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section>');
    const strictBody = renderer({ strict: { body: true } });
    expect((await templateError(strictBody.render('receipt', { items: [] }))).message).toContain('the data lacks "customer.address.city"');
    expect((await templateError(strictBody.render('receipt', { customer: { address: { city: 'Lyon' } }, items: [{ product: {} }] }))).message).toContain('the data lacks "product.name"');
    expect((await templateError(strictBody.render('plain', { user: {} }))).message).toContain('the data lacks "user.first"');
    // A link address is checked like any value (the link guard keeps it a plain {{x}}).
    await writeFile(path.join(dir, 'links.mjml'), '---\nsubject: Links\n---\n<mj-section><mj-column><mj-text>{{#each items}}<a href="{{product.url}}">x</a>{{/each}}</mj-text></mj-column></mj-section>');
    expect((await templateError(strictBody.render('links', { items: [{ product: {} }] }))).message).toContain('the data lacks "product.url"');
    // As Handlebars' strict mode has it: a value given as null renders empty.
    await writeFile(path.join(dir, 'total.mjml'), '---\nsubject: Total\n---\n<mj-section><mj-column><mj-text>{{note}}|{{order.total}}</mj-text></mj-column></mj-section>');
    expect(lines((await strictBody.render('total', { note: null, order: { total: 5 } })).text)[0]).toBe('|5');
  });

  it('strict: false renders whatever is there', async () => {
    const out = await renderer({ strict: false }).render('order', {});
    expect(out.subject).toBe('Order  for');
  });
});

describe('errors', () => {
  it('an unknown template lists the known ones', async () => {
    const error = await templateError(renderer().render('order-confirmaton'));
    expect(error.message).toContain('unknown template "order-confirmaton"');
    expect(error.message).toContain('known templates: contact-form, contact-form-receipt, order-confirmation, password-reset, test-email');
    expect((await templateError(renderer().render('../secrets'))).message).toContain('is not valid');
  });

  it('a template option of the wrong type is CONFIG naming it: thrown by createMailer, not Node\'s TypeError at the first send', async () => {
    const { createMailer } = await import('../src/index.js');
    const { memoryAdapter } = await import('../adapters/memory.js');
    // At createMailer: before, the first templated send rejected with ERR_INVALID_ARG_TYPE.
    let error: unknown;
    try {
      createMailer({ adapters: [memoryAdapter()], journal: false, from: 'shop@example.com', templates: { dir: 5 } as never });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailError);
    expect(error).toMatchObject({ code: 'CONFIG', field: 'templates' });
    expect((error as MailError).message).toContain('option "templates.dir": expected a folder path');
    // A "no" string would have read as true; strict: "yes" kept the defaults.
    expect(() => createTemplateRenderer({ reloadOnChange: 'no', strict: 'yes' } as never)).toThrow(/option "templates.strict": expected true, false or .*option "templates.reloadOnChange": expected true or false|option "templates.reloadOnChange": expected true or false/);
  });

  it('a templates.dir that is not a folder is CONFIG, not the built-in template sent in place of the app\'s', async () => {
    const missing = path.join(dir, 'emials');
    let error: unknown;
    try {
      createTemplateRenderer({ dir: missing });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).code).toBe('CONFIG');
    expect((error as MailError).message).toContain(`templates.dir "${missing}" is not a folder`);
    expect((error as MailError).specificRemedy).toMatch(/working directory/);
    // Through a mailer: the templated send is refused, nothing sent; once the folder is there, the next send renders from it.
    const { createMailer } = await import('../src/index.js');
    const { memoryAdapter } = await import('../adapters/memory.js');
    const adapter = memoryAdapter();
    const mailer = createMailer({ adapters: [adapter], journal: false, from: 'shop@example.com', templates: { dir: missing } });
    try {
      const refused = await mailer.send({ to: 'ann@example.com', template: { name: 'order-confirmation', data: await sample('order-confirmation') } }).catch((thrown: unknown) => thrown);
      expect(refused).toMatchObject({ code: 'CONFIG' });
      expect(adapter.messages).toHaveLength(0);
      await mkdir(missing);
      await writeFile(path.join(missing, 'order-confirmation.mjml'), '---\nsubject: Own order\n---\n<mj-section><mj-column><mj-text>Ours</mj-text></mj-column></mj-section>\n');
      expect(await mailer.send({ to: 'ann@example.com', template: { name: 'order-confirmation', data: await sample('order-confirmation') } })).toMatchObject({ status: 'sent' });
      expect(adapter.messages.at(-1)!.subject).toMatch(/^Own order/);
    } finally {
      await mailer.close();
    }
  });

  it('an MJML validation error names the file and line', async () => {
    const file = path.join(dir, 'broken.mjml');
    await writeFile(file, '---\nsubject: Broken\n---\n<mj-section>\n  <mj-column>\n    <mj-text>ok</mj-text>\n    <mj-bogus>no</mj-bogus>\n  </mj-column>\n</mj-section>\n');
    const error = await templateError(renderer().render('broken'));
    expect(error.message).toContain(`${file}:7: Element mj-bogus doesn't exist or is not registered`);
  });

  it('an MJML error in a whole-document template names its line too', async () => {
    const file = path.join(dir, 'doc.mjml');
    await writeFile(file, '---\nsubject: Doc\nlayout: none\n---\n<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n<mj-button href="#" padding="wide">x</mj-button>\n</mj-column>\n</mj-section>\n</mj-body>\n</mjml>\n');
    const error = await templateError(renderer().render('doc'));
    expect(error.message).toContain(`${file}:9: Attribute padding has invalid value: wide`);
  });

  it('a Handlebars syntax error names the file and line', async () => {
    const file = path.join(dir, 'hb.mjml');
    await writeFile(file, '---\nsubject: Hb\n---\n<mj-section>\n<mj-column>\n<mj-text>{{#if x}}open</mj-text>\n</mj-column>\n</mj-section>\n');
    const error = await templateError(renderer().render('hb'));
    expect(error.message).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: Handlebars syntax error`));
  });

  it('front matter mistakes name the file and line', async () => {
    const file = path.join(dir, 'fm.mjml');
    await writeFile(file, '---\nsubject: Fm\nsubjet: typo\n---\n<mj-section></mj-section>');
    expect((await templateError(renderer().render('fm'))).message).toContain(`${file}:3: unknown front matter key "subjet"`);
    await writeFile(file, '---\nsubject: "two\\nlines"\n---\n<mj-section></mj-section>');
    expect((await templateError(renderer().render('fm'))).message).toContain(`${file}:2: "subject" must be on one line`);
    await writeFile(file, '---\npreheader: no subject\n---\n<mj-section></mj-section>');
    expect((await templateError(renderer().render('fm'))).message).toContain('the front matter has no "subject"');
  });

  it('a template may give its own text part', async () => {
    await writeFile(path.join(dir, 't.mjml'), '---\nsubject: T\ntext: |\n  Hello {{name}} & co\n  Bye\n---\n<mj-section><mj-column><mj-text>html {{name}}</mj-text></mj-column></mj-section>');
    const out = await renderer().render('t', { name: '<Ann>' });
    expect(out.text).toBe('Hello <Ann> & co\nBye\n');
    expect(out.html).toContain('html &lt;Ann&gt;');
  });
});

describe('compile cache', () => {
  const file = () => path.join(dir, 'live.mjml');
  const version = (word: string) => `---\nsubject: "${word} {{n}}"\n---\n<mj-section><mj-column><mj-text>${word} body {{n}}</mj-text></mj-column></mj-section>\n`;

  it('an edited template file is compiled again on the next render', async () => {
    const r = renderer({ reloadCheckMs: 0 });
    await writeFile(file(), version('first'));
    expect(lines((await r.render('live', { n: 1 })).text)).toEqual(['first body 1', 'Atelier Lumière', '3 place Bellecour', '69002 Lyon', 'https://atelier.example.com']);
    await writeFile(file(), version('second'));
    const out = await r.render('live', { n: 2 });
    expect(out.subject).toBe('second 2');
    expect(out.text).toContain('second body 2');
  });

  it('checks the files at most once per reloadCheckMs', async () => {
    const r = renderer({ reloadCheckMs: 300 });
    await writeFile(file(), version('first'));
    expect((await r.render('live', { n: 1 })).subject).toBe('first 1');
    await writeFile(file(), version('second'));
    expect((await r.render('live', { n: 1 })).subject).toBe('first 1'); // within the interval: not checked
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await r.render('live', { n: 1 })).subject).toBe('second 1');
  });

  it('compiles once per file version: same mtime and size means the cached compile', async () => {
    const r = renderer({ reloadCheckMs: 0 });
    const then = 1_700_000_000; // whole seconds: utimes cannot restore a nanosecond part
    await writeFile(file(), version('alpha'));
    await utimes(file(), then, then);
    expect((await r.render('live', { n: 1 })).subject).toBe('alpha 1');
    // Same length, same timestamps, same inode: the cache cannot tell, so it must not read the file.
    await writeFile(file(), version('omega'));
    await utimes(file(), then, then);
    expect((await r.render('live', { n: 1 })).subject).toBe('alpha 1');
    await utimes(file(), then, then + 5);
    expect((await r.render('live', { n: 1 })).subject).toBe('omega 1');
  });

  it('an edited layout or partial and a new locale file are seen too', async () => {
    const r = renderer({ reloadCheckMs: 0 });
    await mkdir(path.join(dir, 'layouts'));
    await mkdir(path.join(dir, 'partials'));
    await writeFile(path.join(dir, 'layouts', 'default.mjml'), '<mjml><mj-body>{{{body}}}<mj-section><mj-column><mj-text>L1</mj-text></mj-column></mj-section></mj-body></mjml>');
    await writeFile(path.join(dir, 'partials', 'p.hbs'), 'P1');
    await writeFile(file(), '---\nsubject: S\n---\n<mj-section><mj-column><mj-text>{{> p}}</mj-text></mj-column></mj-section>');
    expect(lines((await r.render('live')).text)).toEqual(['P1', 'L1']);
    await writeFile(path.join(dir, 'layouts', 'default.mjml'), '<mjml><mj-body>{{{body}}}<mj-section><mj-column><mj-text>L2 changed</mj-text></mj-column></mj-section></mj-body></mjml>');
    expect(lines((await r.render('live')).text)).toEqual(['P1', 'L2 changed']);
    await writeFile(path.join(dir, 'partials', 'p.hbs'), 'P2 changed');
    expect(lines((await r.render('live')).text)).toEqual(['P2 changed', 'L2 changed']);
    expect(lines((await r.render('live', {}, 'fr')).text)).toEqual(['P2 changed', 'L2 changed']);
    await writeFile(path.join(dir, 'live.fr.mjml'), '---\nsubject: S\n---\n<mj-section><mj-column><mj-text>FR</mj-text></mj-column></mj-section>');
    expect(lines((await r.render('live', {}, 'fr')).text)).toEqual(['FR', 'L2 changed']);
  });

  it('reloadOnChange: false keeps the first compile until clear()', async () => {
    const r = renderer({ reloadOnChange: false });
    await writeFile(file(), version('first'));
    expect((await r.render('live', { n: 1 })).subject).toBe('first 1');
    await writeFile(file(), version('second, longer'));
    expect((await r.render('live', { n: 1 })).subject).toBe('first 1');
    r.clear();
    expect((await r.render('live', { n: 1 })).subject).toBe('second, longer 1');
  });

  it('concurrent first renders share one compile; a failed compile is retried later', async () => {
    const r = renderer();
    await writeFile(file(), '---\nsubject: S\n---\n<mj-section><mj-column><mj-bogus/></mj-column></mj-section>');
    await templateError(r.render('live'));
    await writeFile(file(), version('fixed'));
    const outs = await Promise.all(Array.from({ length: 5 }, (_, n) => r.render('live', { n })));
    expect(outs.map((out) => out.subject)).toEqual(['fixed 0', 'fixed 1', 'fixed 2', 'fixed 3', 'fixed 4']);
  });

  it('source() shows the composed MJML a render compiles', async () => {
    const { file: found, mjml } = await renderer().source('order-confirmation', 'fr');
    expect(found).toBe(path.join(BUILTIN, 'order-confirmation.fr.mjml'));
    expect(mjml).toContain('<mjml lang="fr">');
    expect(mjml).toContain('<mj-preview>Merci, {{customer.name}}');
    expect(mjml).toContain('{{#each order.items}}');
  });
});

describe('lazy loading', () => {
  it('importing the renderer loads neither mjml nor html-to-text; the first render does', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).filter((file) => /node_modules[\\\\/](mjml|html-to-text|handlebars)[\\\\/]/.test(file)).length;
      const { createTemplateRenderer } = await import(${JSON.stringify(path.resolve(import.meta.dirname, '..', 'src', 'templates', 'templates.ts'))});
      const before = loaded();
      await createTemplateRenderer().render('test-email', { adapter: 'memory', time: '2025-01-01T00:00:00Z', host: 'h' });
      console.log(JSON.stringify({ before, after: loaded() }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: path.resolve(import.meta.dirname, '..') });
    const counts = JSON.parse(stdout.trim().split('\n').pop()!) as { before: number; after: number };
    expect(counts.before).toBe(0);
    expect(counts.after).toBeGreaterThan(0);
  });
});
