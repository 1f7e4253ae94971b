// The Strapi provider and the Payload adapter at unit level, through the memory adapter and a real
// in-memory journal: defaults, Strapi's `replyTo: ""`, nodemailer-style senders, templates,
// attachments, errors. The real CMSs are exercised in test/cms/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { memoryAdapter } from '../adapters/memory.js';
import { MailError } from '../src/core/errors.js';
import { createMailer } from '../src/core/mailer.js';
import { mailroomAdapter, mailroomEmail, mailroomPlugin, type MailroomPayloadAdapter } from '../src/integrations/payload.js';
import { init, type StrapiProviderOptions, type StrapiProviderSettings } from '../src/integrations/strapi.js';
import { controllers } from '../src/integrations/strapi-server.js';

const FROM = 'Example Shop <shop@example.com>';
const REPLY_TO = 'Support <support@example.com>';

function strapiProvider(settings = { defaultFrom: FROM, defaultReplyTo: REPLY_TO }) {
  const memory = memoryAdapter();
  const provider = init({ adapters: [memory], journal: 'memory://' }, settings);
  return { memory, provider };
}

function payloadEmail() {
  const memory = memoryAdapter();
  const adapter = mailroomAdapter({ adapters: [memory], journal: 'memory://', defaultFromAddress: 'shop@example.com', defaultFromName: 'Example Shop' });
  return { memory, email: adapter({ payload: {} }) };
}

describe('mailroom-js/strapi', () => {
  it('applies defaultFrom and defaultReplyTo to a message without them', async () => {
    const { memory, provider } = strapiProvider();
    const result = await provider.send({ to: 'ann@example.org', subject: 'Hi', text: 'Hello' });
    expect(memory.messages[0]).toMatchObject({
      from: { address: 'shop@example.com', name: 'Example Shop' },
      replyTo: [{ address: 'support@example.com', name: 'Support' }],
      to: [{ address: 'ann@example.org' }],
    });
    expect(result).toMatchObject({ status: 'sent', adapter: 'memory' });
    expect(await provider.mailer.journal.get(result.id)).toMatchObject({ status: 'sent', summary: { from: FROM, replyTo: [REPLY_TO] } });
  });

  it('applies the defaults when Strapi passes empty strings (users-permissions sends replyTo: "")', async () => {
    const { memory, provider } = strapiProvider();
    await provider.send({ to: 'ann@example.org', from: '', replyTo: '', cc: '', subject: 'Reset password', text: 'x' });
    expect(memory.messages[0]?.from.address).toBe('shop@example.com');
    expect(memory.messages[0]?.replyTo.map((a) => a.address)).toEqual(['support@example.com']);
    expect(memory.messages[0]?.cc).toEqual([]);
  });

  it('keeps the sender and reply-to the caller gives', async () => {
    const { memory, provider } = strapiProvider();
    await provider.send({ to: 'ann@example.org', from: '"Desk, Night" <desk@example.com>', replyTo: ['a@example.com', 'b@example.com'], subject: 'x', text: 'x' });
    expect(memory.messages[0]?.from).toEqual({ address: 'desk@example.com', name: 'Desk, Night' });
    expect(memory.messages[0]?.replyTo.map((a) => a.address)).toEqual(['a@example.com', 'b@example.com']);
  });

  it('falls back to the mailer\'s own `from` when settings give no defaultFrom', async () => {
    const memory = memoryAdapter();
    const provider = init({ adapters: [memory], journal: false, from: 'mailer@example.com' }, {});
    await provider.send({ to: 'ann@example.org', subject: 'x', text: 'x', replyTo: '' });
    expect(memory.messages[0]?.from.address).toBe('mailer@example.com');
    expect(memory.messages[0]?.replyTo).toEqual([]);
  });

  it('renders a mailroom template given as template: { name, data }', async () => {
    const { memory, provider } = strapiProvider();
    const result = await provider.send({
      to: 'owner@example.com',
      template: { name: 'contact-form', data: { visitor: { name: 'Léa <b>Dubois</b>', email: 'lea@example.org' }, message: 'Hello' } },
    });
    const sent = memory.messages[0]!;
    expect(sent.subject).toBe('Contact form: Léa <b>Dubois</b>');
    expect(sent.html).toContain('Léa &lt;b&gt;Dubois&lt;/b&gt;');
    expect(sent.text).toContain('Hello');
    // The template's own reply-to (the visitor) wins over defaultReplyTo, which is only a fallback.
    expect(sent.replyTo.map((a) => a.address)).toEqual(['lea@example.org']);
    expect((await provider.mailer.journal.get(result.id))?.summary.template).toBe('contact-form');

    await provider.send({ to: 'lea@example.org', template: { name: 'contact-form-receipt', data: { visitor: { name: 'Léa' }, message: 'Hello' } }, replyTo: '' });
    expect(memory.messages[1]?.replyTo.map((a) => a.address)).toEqual(['support@example.com']);
  });

  it('carries nodemailer-style attachments and Buffer bodies, and refuses paths', async () => {
    const { memory, provider } = strapiProvider();
    await provider.send({
      to: 'ann@example.org', subject: 'Invoice', text: Buffer.from('See attached'),
      attachments: [{ filename: 'a.txt', content: 'plain' }, { filename: 'b.bin', content: 'AAEC', encoding: 'base64' }],
    });
    expect(memory.messages[0]?.text).toBe('See attached');
    expect(memory.messages[0]?.attachments.map((a) => [a.filename, [...a.content]])).toEqual([
      ['a.txt', [...Buffer.from('plain')]],
      ['b.bin', [0, 1, 2]],
    ]);
    await expect(provider.send({ to: 'ann@example.org', subject: 'x', text: 'x', attachments: [{ filename: 'p', path: '/etc/passwd' }] }))
      .rejects.toMatchObject({ code: 'INVALID_MESSAGE', field: 'attachments[0]' });
    expect(memory.messages).toHaveLength(1);
  });

  it('carries nodemailer\'s inReplyTo, references and priority as the headers nodemailer writes', async () => {
    const { memory, provider } = strapiProvider();
    const parent = '<ab12@example.com>';
    await provider.send({ to: 'ann@example.org', subject: 'Re: x', text: 'x', inReplyTo: 'ab12@example.com', references: ['first@example.com', parent], priority: 'high' });
    await provider.send({ to: 'ann@example.org', subject: 'Re: x', text: 'x', references: `${parent} <cd34@example.com>`, priority: 'low' });
    await provider.send({ to: 'ann@example.org', subject: 'x', text: 'x', priority: 'normal' });
    expect(memory.messages.map((message) => message.headers)).toEqual([
      { 'In-Reply-To': parent, References: `<first@example.com> ${parent}`, 'X-Priority': '1 (Highest)', 'X-MSMail-Priority': 'High', Importance: 'High' },
      { References: `${parent} <cd34@example.com>`, 'X-Priority': '5 (Lowest)', 'X-MSMail-Priority': 'Low', Importance: 'Low' },
      {},
    ]);
    await expect(provider.send({ to: 'ann@example.org', subject: 'x', text: 'x', priority: 'urgent' as never })).rejects.toMatchObject({ code: 'INVALID_MESSAGE', field: 'priority' });
  });

  it.each(['binary', 'latin1', 'hex', 'base64', 'base64url', 'utf16le', 'UCS-2', 'UTF-8'])('decodes attachment content given with encoding %s', async (encoding) => {
    const { memory, provider } = strapiProvider();
    const bytes = encoding === 'UTF-8' ? Buffer.from('Grüße ✓') : Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x80, 0x7f]);
    const nodeEncoding = encoding.toLowerCase().replace(/[-_\s]/g, '') as BufferEncoding;
    await provider.send({ to: 'ann@example.org', subject: 'x', text: 'x', attachments: [{ filename: 'a.bin', content: bytes.toString(nodeEncoding), encoding }] });
    expect(memory.messages[0]!.attachments[0]!.content.equals(bytes)).toBe(true);
  });

  it('refuses base64 content that is not base64 (a data: URL), as the message checks do, instead of sending other bytes', async () => {
    const { memory, provider } = strapiProvider();
    const sending = provider.send({ to: 'ann@example.org', subject: 'x', text: 'x', attachments: [{ filename: 'a.pdf', content: 'data:application/pdf;base64,JVBERi0xLjQ=', encoding: 'base64' }] });
    await expect(sending).rejects.toMatchObject({ code: 'INVALID_MESSAGE', field: 'attachments[0].content' });
    expect(memory.messages).toHaveLength(0);
  });

  it('keeps an inline attachment with its cid, and refuses what it cannot carry, naming it', async () => {
    const { memory, provider } = strapiProvider();
    const image = { filename: 'logo.png', content: Buffer.from([0x89, 0x50]), cid: 'logo' };
    await provider.send({ to: 'ann@example.org', subject: 'x', html: '<img src="cid:logo">', attachments: [{ ...image, contentDisposition: 'inline' }, { filename: 'a.txt', content: 'a', contentDisposition: 'attachment' }] });
    expect(memory.messages[0]!.attachments.map((attachment) => [attachment.filename, attachment.inline, attachment.cid])).toEqual([['logo.png', true, 'logo'], ['a.txt', false, undefined]]);
    const refused: Array<[Record<string, unknown>, string]> = [
      [{ sender: 'desk@example.com' }, 'sender'],
      [{ envelope: { from: 'bounce@example.com', to: ['x@example.org'] } }, 'envelope'],
      [{ list: { unsubscribe: 'https://example.com/u' } }, 'list'],
      [{ attachments: [{ filename: 'a.bin', content: 'x', encoding: 'base-91' }] }, 'attachments[0].encoding'],
      [{ attachments: [{ filename: 'a.txt', content: 'a', contentDisposition: 'inline' }] }, 'attachments[0].contentDisposition'],
      [{ attachments: [{ ...image, contentDisposition: 'attachment' }] }, 'attachments[0].contentDisposition'],
      [{ attachments: [{ filename: 'a.txt', content: 'a', headers: { 'X-A': '1' } }] }, 'attachments[0].headers'],
    ];
    for (const [extra, field] of refused) {
      const error = await provider.send({ to: 'ann@example.org', subject: 'x', text: 'x', ...extra }).catch((thrown: unknown) => thrown);
      expect(error, field).toMatchObject({ code: 'INVALID_MESSAGE', field, message: expect.stringContaining(field) });
    }
    expect(memory.messages).toHaveLength(1);
  });

  it('marks a refused message statusCode 400 so Strapi answers 400 with the reason', async () => {
    const { memory, provider } = strapiProvider();
    const error = await provider.send({ to: 'nobody', subject: 'x', text: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailError);
    expect(error).toMatchObject({ code: 'INVALID_MESSAGE', field: 'to', statusCode: 400 });
    await expect(provider.send({ to: 'ann@example.org', template: { name: 'no-such-template' } })).rejects.toMatchObject({ code: 'TEMPLATE', statusCode: 400 });
    expect(memory.messages).toHaveLength(0);
  });

  it('answers the admin settings page: verify, isIdle while sending, capabilities', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const memory = memoryAdapter({ name: 'primary' });
    const slow = { ...memory, name: 'primary', send: async (...args: Parameters<typeof memory.send>) => { await gate; return memory.send(...args); } };
    const provider = init({ adapters: [slow, memoryAdapter({ name: 'backup' })], journal: false }, { defaultFrom: FROM });
    await expect(provider.verify()).resolves.toBeUndefined();
    expect(provider.getCapabilities()).toEqual({
      transport: { host: 'primary memory → backup memory' },
      features: [],
      adapters: ['primary', 'backup'],
      endpoints: [{ adapter: 'primary', host: 'memory', tls: 'local' }, { adapter: 'backup', host: 'memory', tls: 'local' }],
    });
    expect(provider.isIdle()).toBe(true);
    const sending = provider.send({ to: 'ann@example.org', subject: 'x', text: 'x' });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(provider.isIdle()).toBe(false);
    release();
    await sending;
    expect(provider.isIdle()).toBe(true);
    await provider.close();
  });

  it('verify names each adapter that failed', async () => {
    const broken = { ...memoryAdapter({ name: 'broken' }), verify: async () => { throw new MailError('AUTH', 'credentials refused', { provider: 'broken' }); } };
    const provider = init({ adapters: [memoryAdapter(), broken], journal: false }, {});
    await expect(provider.verify()).rejects.toMatchObject({ code: 'AUTH', message: expect.stringContaining('broken: [mailroom] [broken] credentials refused') });
  });

  it('is found by Strapi\'s loader: require("mailroom-js/strapi") from CommonJS gives a named init', () => {
    // What @strapi/email does: require.resolve, require, then read `init`.
    const script = "const p = require(require.resolve('mailroom-js/strapi')); process.stdout.write(typeof p.init + ' ' + typeof p.default)";
    const run = spawnSync(process.execPath, ['-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.stdout).toBe('function undefined');
  });
});

describe('mailroom-js/payload', () => {
  it('has the shape Payload expects', () => {
    const { email } = payloadEmail();
    expect(email).toMatchObject({ name: 'mailroom', defaultFromAddress: 'shop@example.com', defaultFromName: 'Example Shop' });
    expect(typeof email.sendEmail).toBe('function');
  });

  it('fills `from` when absent and returns the send result', async () => {
    const { memory, email } = payloadEmail();
    const result = await email.sendEmail({ to: 'ann@example.org', subject: 'x', html: '<p>x</p>' });
    expect(memory.messages[0]?.from).toEqual({ address: 'shop@example.com', name: 'Example Shop' });
    expect(result).toMatchObject({ status: 'sent', adapter: 'memory', providerMessageId: 'memory-1', accepted: ['ann@example.org'] });
    expect(await email.mailer.journal.get(result.id)).toMatchObject({ status: 'sent' });
  });

  it.each([
    ['a plain address', 'desk@example.com', { address: 'desk@example.com' }],
    ['an object', { name: 'Night Desk', address: 'desk@example.com' }, { address: 'desk@example.com', name: 'Night Desk' }],
    ['a quoted "Name" <addr>', '"Desk, Night" <desk@example.com>', { address: 'desk@example.com', name: 'Desk, Night' }],
    ['Payload\'s own format', '"Example Shop" <shop@example.com>', { address: 'shop@example.com', name: 'Example Shop' }],
  ])('takes from as %s', async (_label, from, expected) => {
    const { memory, email } = payloadEmail();
    await email.sendEmail({ from, to: [{ name: 'Ann', address: 'ann@example.org' }, 'bob@example.org'], subject: 'x', text: 'x' });
    expect(memory.messages[0]?.from).toEqual(expected);
    expect(memory.messages[0]?.to).toEqual([{ address: 'ann@example.org', name: 'Ann' }, { address: 'bob@example.org' }]);
  });

  it('mailroomEmail(payload) gives the adapter typed as mailroom\'s, or a CONFIG error naming the fix', () => {
    const { email } = payloadEmail();
    expect(mailroomEmail({ email })).toBe(email);
    const other = { name: 'nodemailer', defaultFromAddress: 'a@example.com', defaultFromName: '', sendEmail: async () => ({}) };
    for (const payload of [{ email: other }, {}]) {
      expect(() => mailroomEmail(payload)).toThrow(MailError);
      expect(() => mailroomEmail(payload)).toThrow(expect.objectContaining({ code: 'CONFIG', remedy: expect.stringContaining('mailroomAdapter(') }));
    }
  });

  it('uses one mailer however often Payload initializes the adapter', () => {
    const adapter = mailroomAdapter({ adapters: [memoryAdapter()], journal: false, defaultFromAddress: 'shop@example.com', defaultFromName: '' });
    expect(adapter({ payload: {} }).mailer).toBe(adapter({ payload: {} }).mailer);
  });

  it('renders a mailroom template and rejects a bad message with MailError', async () => {
    const { memory, email } = payloadEmail();
    await email.sendEmail({ to: 'lea@example.org', template: { name: 'contact-form-receipt', data: { visitor: { name: 'Léa' }, message: 'Hi' } } });
    expect(memory.messages[0]?.html).toContain('Thank you, Léa');
    await expect(email.sendEmail({ to: 'ann@example.org', subject: 'x\r\nBcc: evil@example.com', text: 'x' })).rejects.toMatchObject({ code: 'INVALID_MESSAGE', field: 'subject' });
  });
});

// The admin endpoints of both CMSs, called as each CMS calls them: Payload's endpoint handler with
// its request, Strapi's controller with a Koa context. Structural fakes stand for the CMSs here; the
// real ones run in test/cms/.
type AdminAnswer = { status: number; body: any };

function payloadAdmin(options: Parameters<typeof mailroomPlugin>[0]) {
  // The plugin returns the config it was given, typed as given: what it adds is read by shape.
  const config = mailroomPlugin(options)({}) as unknown as { email: MailroomPayloadAdapter; endpoints: Array<{ path: string; handler: (req: unknown) => Promise<Response> }> };
  const payload = { email: config.email({ payload: {} }), config: { admin: { user: 'users' } } };
  const endpoint = (path: string) => config.endpoints.find((candidate) => candidate.path === `/mailroom${path}`)!;
  const call = async (path: string, body?: unknown): Promise<AdminAnswer> => {
    const response = await endpoint(path).handler({ user: { collection: 'users' }, payload, query: {}, ...(body === undefined ? {} : { json: async () => body }) });
    return { status: response.status, body: await response.json() };
  };
  return { email: payload.email, call };
}

function strapiAdmin(providerOptions: StrapiProviderOptions, settings: StrapiProviderSettings) {
  const provider = init(providerOptions, settings);
  const strapi = {
    plugin: (name: string) => (name === 'email' ? { provider } : undefined),
    config: { get: (path: string) => (path === 'plugin::email' ? { provider: 'mailroom-js/strapi', providerOptions, settings } : undefined) },
  };
  const controller = controllers.admin({ strapi }) as Record<string, (ctx: unknown) => Promise<void>>;
  const call = async (action: string, body?: unknown): Promise<AdminAnswer> => {
    const ctx = { params: {}, query: {}, request: { body }, state: {}, status: 0, body: undefined as unknown };
    await controller[action]!(ctx);
    return { status: ctx.status, body: ctx.body };
  };
  return { provider, call };
}

describe('the admin endpoints', () => {
  it('Payload: sends the test email from defaultFromAddress, through the chain or one adapter', async () => {
    const primary = memoryAdapter({ name: 'primary' });
    const backup = memoryAdapter({ name: 'backup' });
    const { email, call } = payloadAdmin({ adapters: [primary, backup], journal: 'memory://', defaultFromAddress: 'shop@example.com', defaultFromName: 'Example Shop' });
    try {
      expect(await call('/test', { to: 'owner@example.com' })).toMatchObject({ status: 200, body: { ok: true, adapter: 'primary' } });
      expect(await call('/test', { to: 'owner@example.com', adapter: 'backup' })).toMatchObject({ status: 200, body: { ok: true, adapter: 'backup' } });
      expect([...primary.messages, ...backup.messages].map((message) => message.from)).toEqual([
        { address: 'shop@example.com', name: 'Example Shop' },
        { address: 'shop@example.com', name: 'Example Shop' },
      ]);
    } finally {
      await email.mailer.close();
    }
  });

  it('Payload with a `mailer`: the Overview leaves the doctor out, the test email (whole chain or one adapter) uses the mailer\'s journal, and no journal file appears', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-admin-'));
    const cwd = process.cwd();
    // The default journal is a file under the working directory: a stray one would appear here.
    process.chdir(dir);
    const mailer = createMailer({ adapters: [memoryAdapter()], journal: 'memory://' });
    try {
      const { call } = payloadAdmin({ mailer, defaultFromAddress: 'shop@example.com', defaultFromName: 'Example Shop' });
      const overview = await call('/overview');
      expect(overview).toMatchObject({ status: 200, body: { journal: await mailer.journal.describe() } });
      // The doctor reads a DSN configuration; a mailer given as is has none to read.
      expect(overview.body.findings).toEqual([expect.objectContaining({ level: 'info', check: 'chain' })]);
      const chainTest = await call('/test', { to: 'owner@example.com' });
      expect(chainTest).toMatchObject({ status: 200, body: { ok: true, adapter: 'memory' } });
      expect(await mailer.journal.get(chainTest.body.entryId)).toMatchObject({ status: 'sent', summary: { from: FROM } });
      // Through one adapter: the mailer's own parts, so the same journal and sender.
      const oneTest = await call('/test', { to: 'owner@example.com', adapter: 'memory' });
      expect(oneTest).toMatchObject({ status: 200, body: { ok: true, adapter: 'memory' } });
      expect(await mailer.journal.get(oneTest.body.entryId)).toMatchObject({ status: 'sent', summary: { from: FROM } });
      expect(existsSync(join(dir, '.mailroom'))).toBe(false);
    } finally {
      process.chdir(cwd);
      await mailer.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Strapi: sends the test email from settings.defaultFrom with its defaultReplyTo, through the chain or one adapter', async () => {
    const primary = memoryAdapter({ name: 'primary' });
    const backup = memoryAdapter({ name: 'backup' });
    const { provider, call } = strapiAdmin({ adapters: [primary, backup], journal: 'memory://' }, { defaultFrom: FROM, defaultReplyTo: REPLY_TO });
    try {
      expect(await call('test', { to: 'owner@example.com', adapter: 'backup' })).toMatchObject({ status: 200, body: { ok: true, adapter: 'backup' } });
      expect(await call('test', { to: 'owner@example.com' })).toMatchObject({ status: 200, body: { ok: true, adapter: 'primary' } });
      for (const message of [...backup.messages, ...primary.messages]) {
        expect(message.from).toEqual({ address: 'shop@example.com', name: 'Example Shop' });
        expect(message.replyTo).toEqual([{ address: 'support@example.com', name: 'Support' }]);
      }
      expect(backup.messages).toHaveLength(1);
      expect(primary.messages).toHaveLength(1);
    } finally {
      await provider.close();
    }
  });
});
