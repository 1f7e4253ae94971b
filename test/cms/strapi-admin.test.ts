// mailroom's Strapi 5 admin plugin on a real Strapi (examples/strapi): the admin routes under
// /mailroom answer a Super Admin (list, open, test, resend, overview, explain), refuse an Editor
// until the role is granted each action (403), refuse an anonymous call (401), validate their
// input (400 with the reason), show message content only with the content permission, and never
// answer a configured secret.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootStrapi, type StrapiApp } from './helpers/strapi-app.js';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';

interface Role { id: number; code: string }
interface AdminUserService { create(values: Record<string, unknown>): Promise<{ id: number }> }
interface RoleService { getSuperAdmin(): Promise<Role> }
interface PermissionService { createMany(permissions: Array<Record<string, unknown>>): Promise<unknown> }

let sink: SmtpSink;
let cms: StrapiApp;
let adminToken: string;
let editorToken: string;
let editorRole: Role;
// Every body the plugin answered, for the secret check at the end.
const answered: string[] = [];

async function call(method: 'GET' | 'POST', path: string, token?: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${cms.baseUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  answered.push(text);
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function adminUser(email: string, role: Role): Promise<string> {
  const password = `Pw1${randomBytes(9).toString('base64url')}`;
  await (cms.strapi.service('admin::user') as AdminUserService).create({ email, firstname: email.split('@')[0], lastname: 'Test', password, isActive: true, registrationToken: null, roles: [role.id] });
  const { status, json } = await call('POST', '/admin/login', undefined, { email, password });
  expect(status).toBe(200);
  const token = json.data.token ?? json.data.accessToken;
  expect(typeof token).toBe('string');
  return token as string;
}

async function grant(role: Role, action: string): Promise<void> {
  await (cms.strapi.service('admin::permission') as PermissionService).createMany([{ action, subject: null, properties: {}, conditions: [], role: role.id }]);
}

beforeAll(async () => {
  sink = await startSmtpSink();
  cms = await bootStrapi(sink, { MAIL_FROM: 'Example Shop <shop@example.com>', MAIL_REPLY_TO: 'Example Support <support@example.com>' });
  const superAdmin = await (cms.strapi.service('admin::role') as RoleService).getSuperAdmin();
  editorRole = (await cms.strapi.db.query('admin::role').findOne({ where: { code: 'strapi-editor' } })) as unknown as Role;
  adminToken = await adminUser('owner@example.com', superAdmin);
  editorToken = await adminUser('editor@example.com', editorRole);
});

afterAll(async () => {
  await cms?.stop();
  await sink?.close();
});

describe('Strapi admin plugin "mailroom": a Super Admin', () => {
  it('sends a test email through the whole chain; it arrives and is in the log', async () => {
    const { status, json } = await call('POST', '/mailroom/test', adminToken, { to: 'owner@example.com' });
    expect(status).toBe(200);
    expect(json).toMatchObject({ ok: true, adapter: 'smtp', entryId: expect.any(String) });
    const received = await sink.waitFor((mail) => mail.mail.subject === 'mailroom test email via smtp');
    expect(received.envelope.to).toEqual(['owner@example.com']);

    const list = await call('GET', '/mailroom/entries?status=sent&to=owner@example.com', adminToken);
    expect(list.status).toBe(200);
    expect(list.json.entries[0]).toMatchObject({ id: json.entryId, status: 'sent', subject: 'mailroom test email via smtp', template: 'test-email', adapter: 'smtp' });
  });

  it('sends a test email through one chosen adapter, and refuses an adapter the chain does not have (400)', async () => {
    const { status, json } = await call('POST', '/mailroom/test', adminToken, { to: 'owner@example.com', adapter: 'smtp' });
    expect(status).toBe(200);
    expect(json).toMatchObject({ ok: true, adapter: 'smtp' });
    expect((await call('GET', `/mailroom/entries/${json.entryId}`, adminToken)).json).toMatchObject({ status: 'sent', summary: { tags: ['mailroom-test'] } });

    const unknown = await call('POST', '/mailroom/test', adminToken, { to: 'owner@example.com', adapter: 'brevo' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toMatch(/no adapter named "brevo"; it has smtp/);
  });

  it('opens an entry: attempts, and the content with its rendered HTML (Super Admin holds the content permission)', async () => {
    const sent = await (cms.strapi.plugin('email').service('email') as { send(o: Record<string, unknown>): Promise<{ id: string }> }).send({ to: 'ann@example.org', subject: 'Order shipped', html: '<p>Your order <b>1042</b> shipped.</p>' });
    const { status, json } = await call('GET', `/mailroom/entries/${sent.id}`, adminToken);
    expect(status).toBe(200);
    expect(json).toMatchObject({ id: sent.id, status: 'sent', adapter: 'smtp', summary: { subject: 'Order shipped', to: ['ann@example.org'] }, resendable: true });
    expect(json.attemptsDetail).toHaveLength(1);
    expect(json.attemptsDetail[0]).toMatchObject({ adapter: 'smtp', ok: true });
    expect(json.content.html).toContain('<b>1042</b>');

    const test = (await call('GET', '/mailroom/entries?template=test-email&limit=1', adminToken)).json.entries[0];
    const opened = await call('GET', `/mailroom/entries/${test.id}`, adminToken);
    // A template's entry keeps the template and its data; the preview is rendered from them.
    expect(opened.json.content.template.name).toBe('test-email');
    expect(opened.json.content.html).toContain('Delivery works');
  });

  it('sees a failed send with every attempt and its remedy, resends it, and the resend arrives', async () => {
    sink.refusing = true;
    const email = cms.strapi.plugin('email').service('email') as { send(o: Record<string, unknown>): Promise<unknown> };
    await expect(email.send({ to: 'late@example.org', subject: 'Invoice 77', text: 'Your invoice.' })).rejects.toMatchObject({ code: 'ALL_FAILED' });
    sink.refusing = false;

    const failed = await call('GET', '/mailroom/entries?status=failed&to=late@example.org', adminToken);
    expect(failed.status).toBe(200);
    expect(failed.json.entries).toHaveLength(1);
    const id = failed.json.entries[0].id as string;
    const entry = (await call('GET', `/mailroom/entries/${id}`, adminToken)).json;
    expect(entry.attemptsDetail.length).toBeGreaterThanOrEqual(1);
    expect(entry.attemptsDetail[0]).toMatchObject({ adapter: 'smtp', ok: false, error: { code: 'RATE_LIMITED', smtpCode: 451, remedy: expect.any(String) } });

    const resent = await call('POST', '/mailroom/resend', adminToken, { id });
    expect(resent.status).toBe(200);
    expect(resent.json).toMatchObject({ original: id, result: 'sent', adapter: 'smtp' });
    await sink.waitFor((mail) => mail.mail.subject === 'Invoice 77');
    expect((await call('GET', `/mailroom/entries/${id}`, adminToken)).json.resentAs).toEqual([resent.json.entryId]);
  });

  it('resends every failed entry matching a filter and answers a summary', async () => {
    sink.refusing = true;
    const email = cms.strapi.plugin('email').service('email') as { send(o: Record<string, unknown>): Promise<unknown> };
    for (const n of [1, 2]) await expect(email.send({ to: `batch${n}@example.org`, subject: `Batch ${n}`, text: 'x' })).rejects.toBeDefined();
    sink.refusing = false;
    const { status, json } = await call('POST', '/mailroom/resend', adminToken, { filter: { to: 'batch' } });
    expect(status).toBe(200);
    expect(json.summary).toEqual({ resent: 2, failed: 0, skipped: 0 });
    await sink.waitFor((mail) => mail.mail.subject === 'Batch 1');
    await sink.waitFor((mail) => mail.mail.subject === 'Batch 2');
    // Resent originals are not picked again.
    expect((await call('POST', '/mailroom/resend', adminToken, { filter: { to: 'batch' } })).json.summary).toEqual({ resent: 0, failed: 0, skipped: 0 });
  });

  it('reads the overview: the chain, its last success and failure, and the doctor\'s findings; verifies on demand', async () => {
    const { status, json } = await call('GET', '/mailroom/overview', adminToken);
    expect(status).toBe(200);
    expect(json.adapters).toEqual([expect.objectContaining({ name: 'smtp', endpoint: `127.0.0.1:${sink.port} STARTTLS`, auth: 'password', lastSuccess: expect.any(Object), lastFailure: expect.objectContaining({ code: 'RATE_LIMITED', message: expect.stringContaining('451 4.3.0') }) })]);
    expect(json.findings).toEqual(expect.arrayContaining([expect.objectContaining({ check: 'fallback', level: 'warning' })]));
    const verify = await call('POST', '/mailroom/verify', adminToken);
    expect(verify.json).toEqual({ results: [expect.objectContaining({ adapter: 'smtp', ok: true })] });
  });

  it('explains a pasted error', async () => {
    const { status, json } = await call('POST', '/mailroom/explain', adminToken, { text: '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.' });
    expect(status).toBe(200);
    expect(json).toMatchObject({ found: true, diagnosis: { code: 'AUTH', remedy: expect.stringMatching(/SMTP AUTH|Authenticated SMTP/i) } });
  });

  it('answers 400 with the reason for input it cannot use', async () => {
    const cases: Array<[ 'GET' | 'POST', string, unknown, RegExp ]> = [
      ['GET', '/mailroom/entries?status=lost', undefined, /status: expected one of pending, sent, failed, queued/],
      ['GET', '/mailroom/entries?limit=5000', undefined, /limit: at most 200/],
      ['GET', '/mailroom/entries?since=yesterday-ish', undefined, /since: expected a date/],
      ['GET', '/mailroom/entries/not-an-id', undefined, /expected an entry id/],
      ['POST', '/mailroom/test', {}, /to: expected an email address/],
      ['POST', '/mailroom/test', { to: 'x@example.org', cc: 'y@example.org' }, /unknown field: cc/],
      ['POST', '/mailroom/resend', {}, /expected \{ id \}/],
      ['POST', '/mailroom/explain', { text: '' }, /paste the error text/],
    ];
    for (const [method, path, body, reason] of cases) {
      const { status, json } = await call(method, path, adminToken, body);
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(json.error.message).toMatch(reason);
    }
    const missing = await call('GET', '/mailroom/entries/01ARZ3NDEKTSV4RRFFQ69G5FAV', adminToken);
    expect(missing.status).toBe(404);
  });
});

describe('Strapi admin plugin "mailroom": permissions', () => {
  it('answers 401 to an anonymous call on every route', async () => {
    for (const [method, path] of [['GET', '/mailroom/entries'], ['GET', '/mailroom/entries/01ARZ3NDEKTSV4RRFFQ69G5FAV'], ['GET', '/mailroom/overview'], ['POST', '/mailroom/verify'], ['POST', '/mailroom/test'], ['POST', '/mailroom/resend'], ['POST', '/mailroom/explain']] as const) {
      expect({ path, status: (await call(method, path, undefined, method === 'POST' ? { to: 'x@example.org' } : undefined)).status }).toEqual({ path, status: 401 });
    }
  });

  it('answers 403 to an Editor until the role is granted each action; content needs its own permission', async () => {
    const before = sink.received.length;
    for (const [method, path, body] of [['GET', '/mailroom/entries', undefined], ['GET', '/mailroom/overview', undefined], ['POST', '/mailroom/test', { to: 'editor@example.com' }], ['POST', '/mailroom/resend', { filter: {} }]] as const) {
      expect({ path, status: (await call(method, path, editorToken, body)).status }).toEqual({ path, status: 403 });
    }
    expect(sink.received.length).toBe(before);

    await grant(editorRole, 'plugin::mailroom.log.read');
    const list = await call('GET', '/mailroom/entries?to=ann@example.org', editorToken);
    expect(list.status).toBe(200);
    const id = list.json.entries[0].id as string;
    const withoutContent = await call('GET', `/mailroom/entries/${id}`, editorToken);
    expect(withoutContent.status).toBe(200);
    expect(withoutContent.json.summary.subject).toBe('Order shipped');
    expect(withoutContent.json.content).toBeUndefined();
    expect(JSON.stringify(withoutContent.json)).not.toContain('1042');
    expect((await call('POST', '/mailroom/test', editorToken, { to: 'editor@example.com' })).status).toBe(403);

    await grant(editorRole, 'plugin::mailroom.content.read');
    expect((await call('GET', `/mailroom/entries/${id}`, editorToken)).json.content.html).toContain('<b>1042</b>');
    await grant(editorRole, 'plugin::mailroom.test.send');
    expect((await call('POST', '/mailroom/test', editorToken, { to: 'editor@example.com' })).status).toBe(200);
    expect((await call('POST', '/mailroom/resend', editorToken, { filter: {} })).status).toBe(403);
  });

  it('never answered a configured secret', () => {
    expect(answered.length).toBeGreaterThan(30);
    const secrets = [sink.pass, process.env.ADMIN_JWT_SECRET!, process.env.APP_KEYS!.split(',')[0]!, process.env.JWT_SECRET!];
    for (const text of answered) for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
