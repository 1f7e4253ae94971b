// Mail that carries a credential never rests in the journal: a message marked `sensitive` (the CMS
// integrations mark their password-reset and confirmation mails themselves) keeps its summary and
// attempts but no body, link or template data, and cannot be resent; and stored content can be
// encrypted at rest with a key from the configuration. Checked in the SQLite file's own bytes.
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { memoryAdapter } from '../adapters/memory.js';
import { createMailer, MailError, type MailerOptions } from '../src/index.js';
import { mailroomAdapter } from '../src/integrations/payload.js';
import { init } from '../src/integrations/strapi.js';
import { SendJournal } from '../src/journal/journal.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailroom-sensitive-'));
});

/** Everything the SQLite journal holds on disk, as text. */
async function journalBytes(file: string): Promise<string> {
  const parts = await Promise.all([file, `${file}-wal`].filter((path) => existsSync(path)).map((path) => readFile(path)));
  return Buffer.concat(parts).toString('latin1');
}

const token = (bytes: number) => Array.from({ length: bytes }, (_, i) => ((i * 7 + 3) % 16).toString(16)).join('');

async function mailErrorOf(promise: Promise<unknown>): Promise<MailError> {
  try {
    await promise;
  } catch (error) {
    return error as MailError;
  }
  throw new Error('expected a MailError');
}

describe('sensitive: true', () => {
  it('keeps the summary and attempts, never the body or link, and refuses a resend with what to do', async () => {
    const file = join(dir, 'journal.sqlite');
    const secret = token(64);
    const mailer = createMailer({ adapters: [memoryAdapter()], journal: file, from: 'shop@example.com' });
    const result = await mailer.send({
      to: 'ann@example.com',
      subject: 'Reset your password',
      html: `<p><a href="https://shop.example.com/reset?code=${secret}">Choose a new password</a></p>`,
      text: `https://shop.example.com/reset?code=${secret}`,
      sensitive: true,
    });
    const entry = await mailer.journal.get(result.id);
    expect(entry).toMatchObject({ status: 'sent', sensitive: true, summary: { to: ['ann@example.com'], subject: 'Reset your password' } });
    expect(entry!.attempts).toEqual([expect.objectContaining({ adapter: 'memory', ok: true })]);
    expect(entry!.content).toBeUndefined();
    const error = await mailErrorOf(mailer.journal.resend(result.id));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toMatch(/sensitive.*cannot be resent/);
    expect(error.remedy).toMatch(/request a new link/);
    await mailer.close();
    expect(await journalBytes(file)).not.toContain(secret);
  });

  it('keeps no template data either: the built-in password-reset template says `sensitive: true` in its front matter', async () => {
    const file = join(dir, 'journal.sqlite');
    const secret = token(40);
    const mailer = createMailer({ adapters: [memoryAdapter()], journal: file, from: 'shop@example.com' });
    const result = await mailer.send({
      to: 'ann@example.com',
      template: { name: 'password-reset', data: { user: { name: 'Ann' }, resetUrl: `https://shop.example.com/reset/${secret}`, expiresInMinutes: 30 } },
    });
    expect(await mailer.journal.get(result.id)).toMatchObject({ sensitive: true, summary: { template: 'password-reset', subject: 'Reset your password' } });
    await mailer.close();
    expect(await journalBytes(file)).not.toContain(secret);
  });

  it('must be a boolean', async () => {
    const mailer = createMailer({ adapters: [memoryAdapter()], journal: false, from: 'shop@example.com' });
    const error = await mailErrorOf(mailer.send({ to: 'ann@example.com', text: 'x', sensitive: 'yes' as never }));
    expect(error).toMatchObject({ code: 'INVALID_MESSAGE', field: 'sensitive' });
  });
});

// What the CMSs send by default (Strapi 5 users-permissions and admin, Payload 3 auth), as their
// email provider receives it.
const strapiReset = (code: string) => {
  const body = `<p>We heard that you lost your password. Sorry about that!</p>\n\n<p>But don’t worry! You can use the following link to reset your password:</p>\n<p>http://cms.example.com/admin/plugins/users-permissions/auth/reset-password?code=${code}</p>\n\n<p>Thanks.</p>`;
  return { to: 'ann@example.org', from: '', replyTo: '', subject: 'Reset password', text: body, html: body };
};
const strapiConfirmation = (code: string) => {
  const body = `<p>Thank you for registering!</p>\n\n<p>You have to confirm your email address. Please click on the link below.</p>\n\n<p>http://cms.example.com/api/auth/email-confirmation?confirmation=${code}</p>\n\n<p>Thanks.</p>`;
  return { to: 'ann@example.org', subject: 'Account confirmation', text: body, html: body };
};
const strapiAdminReset = (code: string) => ({
  to: 'editor@example.org',
  subject: 'Reset password',
  text: `Your link is http://cms.example.com/admin/auth/reset-password?code=${code}`,
  html: `<p>Your link is <a href="http://cms.example.com/admin/auth/reset-password?code=${code}">http://cms.example.com/admin/auth/reset-password?code=${code}</a></p>`,
});
const payloadReset = (token: string) => ({
  from: '"Shop" <shop@example.com>',
  to: 'ann@example.org',
  subject: 'Reset your password',
  html: `You are receiving this because you (or someone else) have requested the reset of the password for your account. Please click on the following link, or paste this into your browser to complete the process:\n    <a href="http://cms.example.com/admin/reset/${token}">http://cms.example.com/admin/reset/${token}</a>\n    If you did not request this, please ignore this email and your password will remain unchanged.`,
});
const payloadVerify = (token: string) => ({
  to: 'ann@example.org',
  subject: 'Verify your email',
  html: `A new account has just been created for you to access <a href="http://cms.example.com">http://cms.example.com</a>. Please click on the following link or paste the URL below into your browser to verify your email: <a href="http://cms.example.com/admin/users/verify/${token}">http://cms.example.com/admin/users/verify/${token}</a><br> After verifying your email, you will be able to log in successfully.`,
});

describe('the integrations recognise the CMS\'s own auth mails', () => {
  const strapiCases: Array<[string, (secret: string) => Record<string, unknown>, number]> = [
    ['users-permissions reset password', strapiReset, 64],
    ['users-permissions email confirmation', strapiConfirmation, 20],
    ['admin forgot password', strapiAdminReset, 20],
  ];

  it.each(strapiCases)('Strapi %s: sent, marked sensitive, the token nowhere in the journal file', async (_, build, bytes) => {
    const file = join(dir, 'journal.sqlite');
    const secret = token(bytes);
    const memory = memoryAdapter();
    const provider = init({ adapters: [memory], journal: file }, { defaultFrom: 'shop@example.com' });
    const result = await provider.send(build(secret) as never);
    expect(memory.messages[0]!.html).toContain(secret);
    expect(await provider.mailer.journal.get(result.id)).toMatchObject({ status: 'sent', sensitive: true });
    await provider.close();
    expect(await journalBytes(file)).not.toContain(secret);
  });

  it.each([
    ['forgot password', payloadReset],
    ['verify email', payloadVerify],
  ])('Payload %s: sent, marked sensitive, the token nowhere in the journal file', async (_, build) => {
    const file = join(dir, 'journal.sqlite');
    const secret = token(20);
    const memory = memoryAdapter();
    const email = mailroomAdapter({ adapters: [memory], journal: file, defaultFromAddress: 'shop@example.com', defaultFromName: 'Shop' })({ payload: {} });
    const result = await email.sendEmail(build(secret));
    expect(memory.messages[0]!.html).toContain(secret);
    expect(await email.mailer.journal.get(result.id)).toMatchObject({ status: 'sent', sensitive: true });
    await email.mailer.close();
    expect(await journalBytes(file)).not.toContain(secret);
  });

  it('a custom reset mail with ?token=, or a mailroom template whose data holds the link, is recognised too', async () => {
    const memory = memoryAdapter();
    const provider = init({ adapters: [memory], journal: 'memory://' }, { defaultFrom: 'shop@example.com' });
    const custom = await provider.send({ to: 'ann@example.org', subject: 'Locked out?', html: `<a href="https://shop.example.com/reset-password?token=${token(20)}">Reset</a>` });
    // A template of the app's own (not marked sensitive) whose data carries a confirmation link.
    const order = JSON.parse(await readFile(new URL('../templates/order-confirmation.sample.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const templated = await provider.send({ to: 'ann@example.org', template: { name: 'order-confirmation', data: { ...order, accountUrl: `https://shop.example.com/account/verify/${token(20)}` } } });
    expect((await provider.mailer.journal.get(custom.id))?.sensitive).toBe(true);
    expect((await provider.mailer.journal.get(templated.id))?.sensitive).toBe(true);
  });

  it('ordinary mail with links stays resendable, and sensitive: false is respected', async () => {
    const memory = memoryAdapter();
    const provider = init({ adapters: [memory], journal: 'memory://' }, { defaultFrom: 'shop@example.com' });
    const order = await provider.send({ to: 'ann@example.org', subject: 'Order 1042', html: '<p>See <a href="https://shop.example.com/orders/1042?utm_source=mail&amp;ref=confirmation">your order</a>.</p>' });
    const forced = await provider.send({ to: 'ann@example.org', subject: 'Code', html: `https://shop.example.com/x?code=${token(20)}`, sensitive: false });
    for (const id of [order.id, forced.id]) {
      const entry = await provider.mailer.journal.get(id);
      expect(entry?.sensitive).toBeUndefined();
      expect(entry?.content?.html).toBeTruthy();
    }
    expect((await provider.mailer.journal.resend(order.id)).status).toBe('sent');
  });
});

describe('encryption of stored content at rest', () => {
  const KEY = Buffer.alloc(32, 7).toString('base64');
  const OTHER = 'a'.repeat(64);
  const options = (file: string, encryptionKey?: string): MailerOptions => ({
    adapters: [memoryAdapter()],
    from: 'shop@example.com',
    journal: { store: file, ...(encryptionKey ? { encryptionKey } : {}) },
  });
  const body = 'Your order 1042: 2 × Linen shirt, delivered Tuesday';

  it('keeps the content unreadable in the file, readable and resendable with the key', async () => {
    const file = join(dir, 'journal.sqlite');
    const mailer = createMailer(options(file, KEY));
    const sent = await mailer.send({ to: 'ann@example.com', subject: 'Order 1042', text: body });
    const entry = await mailer.journal.get(sent.id);
    expect(entry?.content?.text).toBe(body);
    expect(entry?.sealedContent).toBeUndefined();
    expect((await mailer.journal.list()).entries[0]?.content?.text).toBe(body);
    expect((await mailer.journal.resend(sent.id)).status).toBe('sent');
    expect(inspect(mailer, { depth: 10 }) + JSON.stringify(await mailer.journal.get(sent.id))).not.toContain(KEY);
    await mailer.close();
    const bytes = await journalBytes(file);
    expect(bytes).toContain('Order 1042'); // the summary stays readable, for listing
    expect(bytes).not.toContain('Linen shirt');
  });

  it('a wrong key or no key: the entry still lists, and a resend says which key is needed', async () => {
    const file = join(dir, 'journal.sqlite');
    const writer = createMailer(options(file, KEY));
    const sent = await writer.send({ to: 'ann@example.com', subject: 'Order 1042', text: body });
    await writer.close();

    const wrong = createMailer(options(file, OTHER));
    const entry = await wrong.journal.get(sent.id);
    expect(entry?.content).toBeUndefined();
    expect(entry?.summary.subject).toBe('Order 1042');
    const wrongKey = await mailErrorOf(wrong.journal.resend(sent.id));
    expect(wrongKey.code).toBe('CONFIG');
    expect(wrongKey.message).toMatch(/cannot be decrypted.*another key/);
    expect(wrongKey.message + wrongKey.remedy).not.toContain(OTHER);
    await wrong.close();

    const none = createMailer(options(file));
    const noKey = await mailErrorOf(none.journal.resend(sent.id));
    expect(noKey.message).toMatch(/encrypted and no journal key is set/);
    expect(noKey.remedy).toMatch(/MAILROOM_JOURNAL_KEY/);
    await none.close();
  });

  it('entries written before the key was set stay readable and resendable', async () => {
    const file = join(dir, 'journal.sqlite');
    const before = createMailer(options(file));
    const sent = await before.send({ to: 'ann@example.com', subject: 'Old', text: body });
    await before.close();
    const after = createMailer(options(file, KEY));
    expect((await after.journal.get(sent.id))?.content?.text).toBe(body);
    expect((await after.journal.resend(sent.id)).status).toBe('sent');
    await after.close();
  });

  it('sealed content opens for its own entry only: copied onto another entry, it does not', async () => {
    const file = join(dir, 'journal.sqlite');
    const mailer = createMailer(options(file, KEY));
    const alice = await mailer.send({ to: 'alice@example.com', subject: 'Invoice', text: 'alice private invoice' });
    const bob = await mailer.send({ to: 'bob@example.com', subject: 'Invoice', text: 'bob invoice' });
    await mailer.close();
    const journal = new SendJournal({ store: file, encryptionKey: KEY });
    const { sql } = await journal.open();
    const [row] = (await sql!.query('SELECT value FROM keyv WHERE key = ?', `mailroom:content:${alice.id}`)) as Array<{ value: string }>;
    const value = row!.value;
    await sql!.query('UPDATE keyv SET value = ? WHERE key = ?', value, `mailroom:content:${bob.id}`);
    await journal.close();

    const reader = createMailer(options(file, KEY));
    expect((await reader.journal.get(bob.id))?.content).toBeUndefined();
    const refused = await mailErrorOf(reader.journal.resend(bob.id));
    expect(refused.code).toBe('CONFIG');
    expect(refused.message).toMatch(/cannot be decrypted/);
    expect((await reader.journal.get(alice.id))?.content?.text).toBe('alice private invoice');
    await reader.close();
  });

  it('content sealed before entries were bound to it (aes-256-gcm:v1) still opens', async () => {
    const file = join(dir, 'journal.sqlite');
    const mailer = createMailer(options(file, KEY));
    const sent = await mailer.send({ to: 'ann@example.com', subject: 'Old seal', text: body });
    await mailer.close();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', Buffer.from(KEY, 'base64'), iv);
    const data = Buffer.concat([cipher.update(JSON.stringify({ to: 'ann@example.com', subject: 'Old seal', text: body }), 'utf8'), cipher.final()]);
    const v1 = `aes-256-gcm:v1:${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')}`;
    const journal = new SendJournal({ store: file, encryptionKey: KEY });
    const { sql } = await journal.open();
    await sql!.query('UPDATE keyv SET value = ? WHERE key = ?', JSON.stringify({ value: v1 }), `mailroom:content:${sent.id}`);
    await journal.close();
    const reader = createMailer(options(file, KEY));
    expect((await reader.journal.get(sent.id))?.content?.text).toBe(body);
    await reader.close();
  });

  it('reads the key from MAILROOM_JOURNAL_KEY', async () => {
    const file = join(dir, 'journal.sqlite');
    process.env.MAILROOM_JOURNAL_KEY = KEY;
    try {
      const mailer = createMailer(options(file));
      await mailer.send({ to: 'ann@example.com', subject: 'Env', text: body });
      await mailer.close();
    } finally {
      delete process.env.MAILROOM_JOURNAL_KEY;
    }
    expect(await journalBytes(file)).not.toContain('Linen shirt');
  });

  it('a key that is not 32 bytes is a CONFIG error at createMailer that never repeats it', () => {
    let error: MailError | undefined;
    try {
      createMailer(options(join(dir, 'journal.sqlite'), 'correct horse battery staple'));
    } catch (thrown) {
      error = thrown as MailError;
    }
    expect(error).toMatchObject({ code: 'CONFIG' });
    expect(error!.message).toMatch(/32-byte key/);
    expect(error!.message + error!.remedy).not.toContain('correct horse');
    expect(error!.remedy).toContain('openssl rand -base64 32');
  });
});

describe('Strapi\'s reset link without a full URL', () => {
  it('is recognised too: a fresh install writes "<setting>?code=…" with the setting empty or a path', async () => {
    const memory = memoryAdapter();
    const provider = init({ adapters: [memory], journal: 'memory://' }, { defaultFrom: 'shop@example.com' });
    for (const prefix of ['null', '/reset-password', '']) {
      const body = `<p>But don’t worry! You can use the following link to reset your password:</p>\n<p>${prefix}?code=${token(64)}</p>`;
      const result = await provider.send({ to: 'ann@example.org', subject: 'Reset password', text: body, html: body });
      expect((await provider.mailer.journal.get(result.id))?.sensitive, prefix).toBe(true);
    }
  });
});
