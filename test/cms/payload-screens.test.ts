// @vitest-environment jsdom
// The Mailroom screens as Payload's admin shows them (mailroom-js/admin-ui/payload-screens: the
// shared screens on plain elements, talking to /api/mailroom/... with fetch), rendered headless in
// jsdom with Testing Library. Behind the screens, the plugin's own endpoint handlers
// (mailroomPlugin's config) over a real loopback HTTP server and a mailer sending to a local SMTP
// server; only Payload's router and session lookup are stood in for (test/cms/payload-admin.test.ts
// runs the same handlers on a real Payload boot, the Payload e2e in Chromium).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as React from 'react';
import { cleanup, configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from 'mailroom-js';
import { mailroomPlugin, type MailroomAccessOptions } from 'mailroom-js/payload';
// A browser entry without types: plain ESM on the app's React.
// @ts-expect-error no declaration file
import { PayloadMailroomScreens, mailroomFetchApi } from 'mailroom-js/admin-ui/payload-screens';
import { startSmtpSink, type SmtpSink } from './helpers/smtp-sink.js';

const h = React.createElement;

interface Endpoint { path: string; method: string; handler: (req: unknown) => Promise<Response> }
interface PluginConfig {
  endpoints: Endpoint[];
  email: (args: { payload: unknown }) => unknown;
  admin: { components: { views: Record<string, { path: string; exact?: boolean; Component: { path: string; serverProps: { mailroomCan: (req: unknown) => Promise<Record<string, boolean>> } } }>; afterNavLinks: { path: string }[] } };
}

// Users by the session the browser would hold; `role` is what the access rule below reads.
const USERS: Record<string, { collection: string; role: string }> = {
  admin: { collection: 'users', role: 'admin' },
  editor: { collection: 'users', role: 'editor' },
};
const editorsRead: MailroomAccessOptions = {
  read: () => true,
  sendTest: ({ req }) => (req.user as { role?: string } | null)?.role === 'admin',
  resend: ({ req }) => (req.user as { role?: string } | null)?.role === 'admin',
  content: ({ req }) => (req.user as { role?: string } | null)?.role === 'admin',
};

let sink: SmtpSink;
let mailer: Mailer;
let config: PluginConfig;
let server: Server;
let base: string;

// Payload's part: route /api/mailroom/... to the plugin's handlers with the session's user, route params and query.
function servePlugin(endpoints: Endpoint[], payload: unknown): Server {
  return createServer(async (request, response) => {
    const url = new URL(request.url!, 'http://localhost');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    for (const endpoint of endpoints) {
      const pattern = new RegExp(`^/api${endpoint.path.replace(/:(\w+)/g, '(?<$1>[^/]+)')}$`);
      const match = pattern.exec(url.pathname);
      if (!match || endpoint.method !== request.method!.toLowerCase()) continue;
      const session = String(request.headers['x-session'] ?? '');
      const reply = await endpoint.handler({
        user: USERS[session] ?? null,
        payload,
        query: Object.fromEntries(url.searchParams),
        routeParams: Object.fromEntries(Object.entries(match.groups ?? {}).map(([key, value]) => [key, decodeURIComponent(value)])),
        json: async () => JSON.parse(raw),
      });
      response.writeHead(reply.status, { 'content-type': 'application/json' });
      response.end(await reply.text());
      return;
    }
    response.writeHead(404, { 'content-type': 'text/html' });
    response.end('<html>not found</html>');
  });
}

// The browser's cookie, as a header the stand-in router reads.
const as = (session?: string) => mailroomFetchApi(`${base}/api`, (url: string, init: RequestInit) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...(session ? { 'x-session': session } : {}) } }));

beforeAll(async () => {
  configure({ asyncUtilTimeout: 15_000 });
  sink = await startSmtpSink();
  mailer = createMailer({ dsn: sink.dsn, journal: 'memory://', from: 'shop@example.com', retry: { attempts: 1 } });
  config = mailroomPlugin({ mailer, defaultFromAddress: 'shop@example.com', defaultFromName: 'Shop', access: editorsRead })({}) as unknown as PluginConfig;
  const payload = { config: { admin: { user: 'users' } }, email: undefined as unknown };
  payload.email = config.email({ payload });
  server = servePlugin(config.endpoints, payload);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => cleanup());

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await mailer?.close();
  await sink?.close();
});

describe('Payload admin: mailroomPlugin registers the view', () => {
  it('adds /admin/mailroom and a nav link, both resolved from the package by import-map paths that exist', async () => {
    const { views, afterNavLinks } = config.admin.components;
    expect(views.mailroom).toMatchObject({ path: '/mailroom', Component: { path: 'mailroom-js/payload-admin#MailroomView' } });
    expect(afterNavLinks.map((link) => link.path)).toEqual(['mailroom-js/payload-admin#MailroomNavLink']);
    // `payload generate:importmap` imports these names from the package's export.
    const source = await readFile(fileURLToPath(import.meta.resolve('mailroom-js/payload-admin')), 'utf8');
    expect(source).toMatch(/export async function MailroomView\(/);
    expect(source).toMatch(/export async function MailroomNavLink\(/);
  });

  it('tells the view what a user may do with the same access rule as the endpoints', async () => {
    const can = config.admin.components.views.mailroom!.Component.serverProps.mailroomCan;
    expect(await can({ user: USERS.admin })).toEqual({ read: true, sendTest: true, resend: true });
    expect(await can({ user: USERS.editor })).toEqual({ read: true, sendTest: false, resend: false });
  });
});

describe('Payload admin screens (jsdom + Testing Library, over HTTP)', () => {
  it('an admin sends a test email that arrives, sees it in the log, opens it, and resends a failed one', async () => {
    render(h(PayloadMailroomScreens, { api: as('admin') }));
    expect(await screen.findByRole('heading', { name: 'Mailroom', level: 1 })).toBeTruthy();
    // Overview: the chain's adapter, then the test tab.
    expect(await screen.findByText('smtp')).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Mailroom' });
    expect(within(nav).getAllByRole('button').map((button) => button.textContent)).toEqual(['Overview', 'Email log', 'Test email', 'Explain']);

    fireEvent.click(within(nav).getByRole('button', { name: 'Test email' }));
    fireEvent.change(screen.getByRole('textbox', { name: 'Send to' }), { target: { value: 'owner@example.org' } });
    expect(screen.getByRole('combobox', { name: 'Through' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Send test email' }));
    expect(await screen.findByText(/^Delivered through smtp in \d+ ms\. Journal entry [0-9A-Z]{26}\.$/)).toBeTruthy();
    const arrived = await sink.waitFor((mail) => mail.envelope.to.includes('owner@example.org'));
    expect(arrived.secure).toBe(true);

    // A message the SMTP server refuses, then the log, the failed entry, and its resend.
    sink.refusing = true;
    await mailer.send({ to: 'late@example.org', subject: 'Order shipped', html: '<p>On its way</p>' }).catch(() => undefined);
    sink.refusing = false;
    fireEvent.click(within(nav).getByRole('button', { name: 'Email log' }));
    await waitFor(() => expect(screen.getAllByRole('row', { name: /^Open / }).map((row) => row.getAttribute('aria-label'))).toEqual(['Open Order shipped', expect.stringMatching(/^Open /)]));
    fireEvent.change(screen.getByRole('combobox', { name: 'Status' }), { target: { value: 'failed' } });
    fireEvent.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() => expect(screen.getAllByRole('row', { name: /^Open / })).toHaveLength(1));
    fireEvent.click(screen.getByRole('row', { name: 'Open Order shipped' }));
    expect(await screen.findByRole('heading', { name: 'Order shipped' })).toBeTruthy();
    // The attempt with the SMTP server's refusal, its reply code in the Code column.
    const attempts = screen.getByRole('heading', { name: 'Attempts' }).parentElement!;
    expect(within(attempts).getByText(/the server answered 451 4\.3\.0 Temporary system problem/)).toBeTruthy();
    expect(within(attempts).getByText(/^[A-Z_]+ 451 4\.3\.0$/)).toBeTruthy();
    const preview = screen.getByTitle('Message preview');
    expect(preview.getAttribute('sandbox')).toBe('');
    fireEvent.click(screen.getByRole('button', { name: 'Resend' }));
    expect(await screen.findByText(/^Delivered through smtp, new entry [0-9A-Z]{26}\.$/)).toBeTruthy();
    const resent = await sink.waitFor((mail) => mail.envelope.to.includes('late@example.org'));
    expect(resent.mail.subject).toBe('Order shipped');
  });

  it('an editor the access rule lets only read: no Test tab, no message content, resend refused', async () => {
    const sent = await mailer.send({ to: 'ann@example.org', subject: 'Payslip', html: '<p>Salary</p>' });
    render(h(PayloadMailroomScreens, { api: as('editor'), can: { sendTest: false, resend: false } }));
    const nav = screen.getByRole('navigation', { name: 'Mailroom' });
    expect(within(nav).getAllByRole('button').map((button) => button.textContent)).toEqual(['Overview', 'Email log', 'Explain']);
    fireEvent.click(within(nav).getByRole('button', { name: 'Email log' }));
    fireEvent.click(await screen.findByRole('row', { name: 'Open Payslip' }));
    expect(await screen.findByText(/shown to roles with the "View message content" permission/)).toBeTruthy();
    expect(document.body.innerHTML).not.toContain('Salary');
    // The server refuses what the page hides.
    expect((await as('editor').test({ to: 'x@example.org' })).status).toBe(403);
    expect((await as('editor').resend({ id: sent.id })).status).toBe(403);
  });

  it('an anonymous visitor gets 401 from every endpoint, shown with its reason', async () => {
    render(h(PayloadMailroomScreens, { api: as() }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('UNAUTHORIZED');
    expect(alert.textContent).toContain('log in to the admin panel first');
    expect((await as().list({})).status).toBe(401);
  });

  it('Explain through the endpoint; a reply that is not JSON or a server that is gone becomes a readable error', async () => {
    render(h(PayloadMailroomScreens, { api: as('admin') }));
    fireEvent.click(within(screen.getByRole('navigation', { name: 'Mailroom' })).getByRole('button', { name: 'Explain' }));
    const text = screen.getByRole('textbox', { name: /Error text/ });
    fireEvent.change(text, { target: { value: '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.' } });
    fireEvent.click(within(text.closest('form')!).getByRole('button', { name: 'Explain' }));
    expect(await screen.findByText(/^AUTH: /)).toBeTruthy();

    const wrongRoute = await mailroomFetchApi(`${base}/nowhere`).overview();
    expect(wrongRoute).toEqual({ status: 404, body: { error: { message: 'the server answered 404 with a body that is not JSON' } } });
    const gone = await mailroomFetchApi('http://127.0.0.1:1/api').overview();
    expect(gone.status).toBe(0);
    expect(gone.body.error.message).toMatch(/^the server could not be reached/);
  });
});
