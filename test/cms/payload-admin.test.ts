// mailroomPlugin on a real Payload 3 (examples/payload, REST API through Payload's own
// handleEndpoints, no Next.js): /api/mailroom/... answers a logged-in admin (list, open, test,
// resend, overview, explain), answers 403 where the config's access function says no (an editor
// may read the log but not send, resend or see content), 401 to anonymous calls, 400 with the
// reason to input it cannot use, and never a configured secret.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, Payload, Plugin } from 'payload';
import { mailroomPlugin } from 'mailroom-js/payload';
import { copyExample, type ExampleApp } from './helpers/example-app.js';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';

// mailroomPlugin must be a Payload Plugin as Payload types it (checked by tsc in run.sh).
const typed: Plugin = mailroomPlugin({ defaultFromAddress: 'a@example.com', defaultFromName: 'A' });
void typed;

let sink: SmtpSink;
let app: ExampleApp;
let journalDir: string;
let payload: Payload;
let config: Promise<Config>;
let handleEndpoints: typeof import('payload').handleEndpoints;
let adminToken: string;
let editorToken: string;
const answered: string[] = [];

async function call(method: 'GET' | 'POST', path: string, token?: string, body?: unknown): Promise<{ status: number; json: any }> {
  const request = new Request(`http://cms.example.com/api${path}`, {
    method,
    headers: { ...(token ? { authorization: `JWT ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const response = await handleEndpoints({ config: config as never, request });
  const text = await response.text();
  answered.push(text);
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function user(email: string, role: 'admin' | 'editor'): Promise<string> {
  const password = randomBytes(12).toString('base64');
  await payload.create({ collection: 'users', data: { email, password, role } as never });
  const { status, json } = await call('POST', '/users/login', undefined, { email, password });
  expect(status).toBe(200);
  return json.token as string;
}

beforeAll(async () => {
  sink = await startSmtpSink();
  app = await copyExample('payload');
  journalDir = await mkdtemp(join(tmpdir(), 'mailroom-payload-admin-'));
  Object.assign(process.env, {
    MAILROOM_DSN: sink.dsn,
    MAILROOM_JOURNAL: join(journalDir, 'journal.sqlite'),
    DATABASE_URL: ':memory:',
    PAYLOAD_SECRET: randomBytes(24).toString('base64'),
    SERVER_URL: 'http://cms.example.com',
  });
  const loaded = (await import(pathToFileURL(join(app.dir, 'payload.config.js')).href)) as { default: Promise<Config> };
  config = loaded.default;
  const payloadModule = (await import(pathToFileURL(join(app.dir, 'node_modules', 'payload', 'dist', 'index.js')).href)) as typeof import('payload');
  handleEndpoints = payloadModule.handleEndpoints;
  // The default instance key: handleEndpoints finds this instance (and its in-memory database).
  payload = await payloadModule.getPayload({ config: config as never });
  adminToken = await user('owner@example.com', 'admin');
  editorToken = await user('editor@example.com', 'editor');
});

afterAll(async () => {
  await payload?.destroy();
  await sink?.close();
  await app?.remove();
  if (journalDir) await rm(journalDir, { recursive: true, force: true });
});

describe('Payload mailroomPlugin: an admin', () => {
  it('set Payload\'s email adapter to mailroom\'s', () => {
    expect((payload.email as { name: string }).name).toBe('mailroom');
  });

  it('sends a test email that arrives, then lists and opens it with its rendered HTML', async () => {
    const test = await call('POST', '/mailroom/test', adminToken, { to: 'owner@example.com' });
    expect(test.status).toBe(200);
    expect(test.json).toMatchObject({ ok: true, adapter: 'smtp', entryId: expect.any(String) });
    await sink.waitFor((mail) => mail.mail.subject === 'mailroom test email via smtp');

    const list = await call('GET', '/mailroom/entries?template=test-email', adminToken);
    expect(list.status).toBe(200);
    expect(list.json.entries.map((row: { id: string }) => row.id)).toContain(test.json.entryId);
    const entry = await call('GET', `/mailroom/entries/${test.json.entryId}`, adminToken);
    expect(entry.status).toBe(200);
    expect(entry.json).toMatchObject({ status: 'sent', attemptsDetail: [expect.objectContaining({ adapter: 'smtp', ok: true })] });
    expect(entry.json.content.html).toContain('Delivery works');
  });

  it('resends a failed entry, which then arrives', async () => {
    sink.refusing = true;
    await expect(payload.sendEmail({ to: 'late@example.org', subject: 'Invoice 78', text: 'Your invoice.' })).rejects.toMatchObject({ code: 'ALL_FAILED' });
    sink.refusing = false;
    const failed = await call('GET', '/mailroom/entries?status=failed', adminToken);
    expect(failed.json.entries).toHaveLength(1);
    const id = failed.json.entries[0].id as string;
    const resent = await call('POST', '/mailroom/resend', adminToken, { id });
    expect(resent.json).toMatchObject({ original: id, result: 'sent' });
    await sink.waitFor((mail) => mail.mail.subject === 'Invoice 78');
  });

  it('reads the overview and explains an error', async () => {
    const overview = await call('GET', '/mailroom/overview', adminToken);
    expect(overview.status).toBe(200);
    expect(overview.json.adapters).toEqual([expect.objectContaining({ name: 'smtp', endpoint: `127.0.0.1:${sink.port} STARTTLS`, lastSuccess: expect.any(Object) })]);
    const explained = await call('POST', '/mailroom/explain', adminToken, { text: '550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.' });
    expect(explained.json.found).toBe(true);
  });

  it('answers 400 with the reason for input it cannot use', async () => {
    expect((await call('GET', '/mailroom/entries?status=lost', adminToken)).json.error.message).toMatch(/status: expected one of/);
    const badId = await call('GET', '/mailroom/entries/nope', adminToken);
    expect(badId.status).toBe(400);
    const noTo = await call('POST', '/mailroom/test', adminToken, {});
    expect(noTo.status).toBe(400);
    expect(noTo.json.error.message).toMatch(/to: expected an email address/);
  });
});

describe('Payload mailroomPlugin: access', () => {
  it('answers 401 to anonymous calls', async () => {
    for (const [method, path] of [['GET', '/mailroom/entries'], ['GET', '/mailroom/overview'], ['POST', '/mailroom/test'], ['POST', '/mailroom/resend']] as const) {
      expect({ path, status: (await call(method, path, undefined, method === 'POST' ? { to: 'x@example.org' } : undefined)).status }).toEqual({ path, status: 401 });
    }
  });

  it('lets an editor read the log without content, and answers 403 to test and resend', async () => {
    const before = sink.received.length;
    const list = await call('GET', '/mailroom/entries?template=test-email', editorToken);
    expect(list.status).toBe(200);
    const entry = await call('GET', `/mailroom/entries/${list.json.entries[0].id}`, editorToken);
    expect(entry.status).toBe(200);
    expect(entry.json.content).toBeUndefined();
    expect((await call('POST', '/mailroom/test', editorToken, { to: 'editor@example.com' })).status).toBe(403);
    expect((await call('POST', '/mailroom/resend', editorToken, { filter: {} })).status).toBe(403);
    expect(sink.received.length).toBe(before);
  });

  it('never answered a configured secret', () => {
    expect(answered.length).toBeGreaterThan(15);
    for (const text of answered) {
      expect(text).not.toContain(sink.pass);
      expect(text).not.toContain(process.env.PAYLOAD_SECRET);
    }
  });
});
