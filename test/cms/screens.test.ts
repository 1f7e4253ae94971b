// @vitest-environment jsdom
// mailroom's admin screens (mailroom-js/admin-ui/screens, the components the Strapi page shows)
// rendered headless in jsdom with Testing Library, on Strapi's design system, talking to the real
// server functions (mailroom-js/admin over a real mailer): what a person sees and clicks.
import * as React from 'react';
import { cleanup, configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as designSystem from '@strapi/design-system';
import { createMailer, MailError, type MailAdapter, type Mailer } from 'mailroom-js';
import { memoryAdapter } from 'mailroom-js/adapters/memory';
import { createAdminApi } from 'mailroom-js/admin';
// A browser entry without types: the screens are plain ESM on the app's React.
// @ts-expect-error no declaration file
import { EntryScreen, ExplainScreen, LogScreen, MailroomScreens, TestScreen } from 'mailroom-js/admin-ui/screens';

const h = React.createElement;
// The design system's declarations re-export without file extensions, which NodeNext cannot follow.
const { DesignSystemProvider } = designSystem as unknown as { DesignSystemProvider: React.ComponentType<{ locale: string; children?: React.ReactNode }> };

beforeAll(() => {
  // Sends and journal writes are real: on a busy 2-core machine they outlast the default 1 s.
  configure({ asyncUtilTimeout: 15_000 });
  // What jsdom lacks and the design system's layout code asks for.
  globalThis.ResizeObserver ??= class { observe() {} unobserve() {} disconnect() {} } as never;
  // The select's option list (opened in the Status filter test) watches its scroll edges and scrolls the chosen option into view.
  globalThis.IntersectionObserver ??= class { observe() {} unobserve() {} disconnect() {} takeRecords() { return []; } } as never;
  Element.prototype.scrollIntoView ??= function scrollIntoView() {};
  window.matchMedia ??= ((query: string) => ({ matches: false, media: query, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {}, onchange: null, dispatchEvent: () => false })) as never;
});

let mailer: Mailer | undefined;
afterEach(async () => {
  cleanup();
  await mailer?.close();
  mailer = undefined;
});

// An adapter that refuses while `down` is set, as a provider having an outage.
function flakyAdapter(): MailAdapter & { down: boolean; delivered: number } {
  const inner = memoryAdapter({ name: 'flaky' });
  const adapter = {
    name: 'flaky',
    capabilities: inner.capabilities,
    down: false,
    delivered: 0,
    async send(message: Parameters<MailAdapter['send']>[0], ctx: Parameters<MailAdapter['send']>[1]) {
      if (adapter.down) throw new MailError('TRANSIENT', '[flaky] 503 Service Unavailable', { provider: 'flaky', status: 503 });
      adapter.delivered += 1;
      return inner.send(message, ctx);
    },
  };
  return adapter;
}

function setup(adapters: MailAdapter[], content = true) {
  mailer = createMailer({ adapters, journal: 'memory://', from: 'shop@example.com', retry: { attempts: 1 } });
  const admin = createAdminApi({ mailer, mailerOptions: { adapters } });
  const api = {
    overview: () => admin.overview(),
    verify: () => admin.verify(),
    list: (query: unknown) => admin.list(query),
    get: (id: string) => admin.get(id, { content }),
    test: (body: unknown) => admin.test(body),
    resend: (body: unknown) => admin.resend(body),
    explain: (body: unknown) => admin.explain(body),
  };
  return { mailer, api, show: (element: React.ReactElement) => render(h(DesignSystemProvider, { locale: 'en' }, element)) };
}

// A log row's cells by their column's header ("Status", "Adapter"...).
function cellsOf(row: HTMLElement): Record<string, HTMLElement> {
  const labels = Array.from(row.closest('table')!.querySelectorAll('thead th'), (header) => header.textContent ?? '');
  return Object.fromEntries(Array.from(row.querySelectorAll('td'), (cell, column) => [labels[column]!, cell]));
}

describe('admin screens (jsdom + Testing Library)', () => {
  it('Email log: newest first, filtered by recipient, and an entry opens with its attempts and a sandboxed preview', async () => {
    const { mailer, api, show } = setup([memoryAdapter()]);
    await mailer.send({ to: 'ann@example.org', subject: 'First', html: '<p>One</p><script>window.parent.hacked = true</script>' });
    await mailer.send({ to: 'bob@example.org', subject: 'Second', text: 'two' });
    let opened: string | undefined;
    const view = show(h(LogScreen, { api, onOpen: (id: string) => { opened = id; } }));
    const rows = await screen.findAllByRole('row', { name: /^Open / });
    expect(rows.map((row) => row.getAttribute('aria-label'))).toEqual(['Open Second', 'Open First']);

    fireEvent.change(screen.getByRole('textbox', { name: 'Recipient' }), { target: { value: 'ann@' } });
    fireEvent.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() => expect(screen.getAllByRole('row', { name: /^Open / }).map((row) => row.getAttribute('aria-label'))).toEqual(['Open First']));
    fireEvent.click(screen.getByRole('row', { name: 'Open First' }));
    expect(opened).toMatch(/^[0-9A-Z]{26}$/);
    view.unmount();

    show(h(EntryScreen, { api, id: opened }));
    const preview = (await screen.findByTitle('Message preview')) as HTMLIFrameElement;
    // An empty sandbox: no script, no form, no same-origin access.
    expect(preview.getAttribute('sandbox')).toBe('');
    expect(preview.getAttribute('srcdoc')).toContain('<p>One</p>');
    expect((window as { hacked?: boolean }).hacked).toBeUndefined();
    const attempts = screen.getByRole('heading', { name: 'Attempts' }).parentElement!;
    expect(within(attempts).getByText('memory')).toBeTruthy();
    expect(within(attempts).getByText('delivered')).toBeTruthy();
  });

  it('Email log: the Status filter offers every status the journal writes, queued included, and lists by it', async () => {
    const { api, show } = setup([memoryAdapter()]);
    const asked: unknown[] = [];
    show(h(LogScreen, { api: { ...api, list: (query: unknown) => { asked.push(query); return api.list(query); } } }));
    await waitFor(() => expect(asked).toHaveLength(1));
    fireEvent.keyDown(screen.getByRole('combobox', { name: 'Status' }), { key: 'ArrowDown' });
    const options = await screen.findAllByRole('option');
    expect(options.map((option) => option.textContent)).toEqual(['any', 'sent', 'failed', 'pending', 'queued']);
    fireEvent.keyDown(options[4]!, { key: 'Enter' });
    fireEvent.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() => expect(asked.at(-1)).toEqual({ status: 'queued', limit: '20' }));
    // The server takes it (queue mode's entries, see test/admin-api.test.ts): an empty page, no error.
    expect(screen.queryByText(/the server answered/)).toBeNull();
  });

  it('an entry without the content permission shows no content, and says why', async () => {
    const { mailer, api, show } = setup([memoryAdapter()], false);
    const sent = await mailer.send({ to: 'ann@example.org', subject: 'Private', html: '<p>Salary slip</p>' });
    show(h(EntryScreen, { api, id: sent.id }));
    expect(await screen.findByText(/shown to roles with the "View message content" permission/)).toBeTruthy();
    expect(screen.queryByTitle('Message preview')).toBeNull();
    expect(document.body.innerHTML).not.toContain('Salary slip');
  });

  it('Test email: sends through the chain and shows the result; a failure shows the error and its remedy', async () => {
    const flaky = flakyAdapter();
    const { api, show } = setup([flaky]);
    show(h(TestScreen, { api, adapters: ['flaky'] }));
    fireEvent.change(screen.getByRole('textbox', { name: /Send to/ }), { target: { value: 'owner@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send test email' }));
    expect(await screen.findByText(/^Delivered through flaky in \d+ ms\. Journal entry [0-9A-Z]{26}\.$/)).toBeTruthy();
    expect(flaky.delivered).toBe(1);

    flaky.down = true;
    fireEvent.click(screen.getByRole('button', { name: 'Send test email' }));
    // The design system keeps an empty live region with role "alert" too: find ours by its title.
    expect(await screen.findByText('Failed: TRANSIENT')).toBeTruthy();
    expect(screen.getByText(/503 Service Unavailable/)).toBeTruthy();
    expect(screen.getByText('What to do:', { exact: false })).toBeTruthy();
  });

  it('Resend: every failed entry matching the filter, with a summary; an entry\'s own Resend button', async () => {
    const flaky = flakyAdapter();
    const { mailer, api, show } = setup([flaky]);
    flaky.down = true;
    for (const n of [1, 2, 3]) await mailer.send({ to: `late${n}@example.org`, subject: `Late ${n}`, text: 'x' }).catch(() => undefined);
    flaky.down = false;
    const failed = (await mailer.journal.list({ status: 'failed' })).entries;
    expect(failed).toHaveLength(3);

    const entryView = show(h(EntryScreen, { api, id: failed[0]!.id }));
    expect(await screen.findAllByText(failed[0]!.error!.code, { exact: true })).toHaveLength(1);
    fireEvent.click(await screen.findByRole('button', { name: 'Resend' }));
    expect(await screen.findByText(/^Delivered through flaky, new entry [0-9A-Z]{26}\.$/)).toBeTruthy();
    entryView.unmount();

    show(h(LogScreen, { api }));
    fireEvent.click(screen.getByRole('button', { name: 'Resend failed emails matching the filter' }));
    expect(await screen.findByText('2 resent, 0 failed again, 0 skipped.', {}, { timeout: 10_000 })).toBeTruthy();
    expect(flaky.delivered).toBe(3);
  });

  it('Email log: a failed entry shows the adapter that failed last, its error code by its status, and its page the remedy once', async () => {
    const flaky = flakyAdapter();
    const { mailer, api, show } = setup([flaky]);
    await mailer.send({ to: 'ann@example.org', subject: 'On time', text: 'x' });
    flaky.down = true;
    await mailer.send({ to: 'bob@example.org', subject: 'Late', text: 'x' }).catch(() => undefined);
    const failed = (await mailer.journal.list({ status: 'failed' })).entries[0]!;
    expect(failed.adapter).toBeUndefined();

    const view = show(h(LogScreen, { api }));
    const late = cellsOf(await screen.findByRole('row', { name: 'Open Late' }));
    expect(late.Adapter!.textContent).toBe('flaky');
    expect(within(late.Status!).getByText('failed')).toBeTruthy();
    expect(within(late.Status!).getByText(failed.error!.code)).toBeTruthy();
    const onTime = cellsOf(screen.getByRole('row', { name: 'Open On time' }));
    expect(onTime.Adapter!.textContent).toBe('flaky');
    expect(onTime.Status!.textContent).toBe('sent');
    view.unmount();

    // ALL_FAILED's message ends with its last remedy (for message-only logs): shown once here.
    const remedy = failed.error!.remedy!;
    expect(failed.error!.message).toContain(`Last remedy: ${remedy}`);
    show(h(EntryScreen, { api, id: failed.id }));
    const shown = (await screen.findByText(/every adapter failed/)).textContent!;
    expect(shown).toContain(`What to do: ${remedy}`);
    expect(shown.split(remedy)).toHaveLength(2);
    expect(shown).not.toContain('Last remedy');
  });

  it('Explain: a pasted error gets its diagnosis', async () => {
    const { api, show } = setup([memoryAdapter()]);
    show(h(ExplainScreen, { api }));
    fireEvent.change(screen.getByRole('textbox'), { target: { value: '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.' } });
    fireEvent.click(screen.getByRole('button', { name: 'Explain' }));
    expect(await screen.findByText(/^AUTH: /)).toBeTruthy();
    expect(screen.getByText(/^What to do: .*SMTP AUTH/i)).toBeTruthy();
  });

  it('Overview and navigation: the chain and the doctor; no Test tab for a role without the test action', async () => {
    const { api, show } = setup([memoryAdapter({ name: 'primary' })]);
    show(h(MailroomScreens, { api, can: { sendTest: false, resend: false } }));
    expect(await screen.findByText('primary')).toBeTruthy();
    expect(screen.getByText('Doctor')).toBeTruthy();
    const nav = screen.getByRole('navigation', { name: 'Mailroom' });
    expect(within(nav).getAllByRole('button').map((button) => button.textContent)).toEqual(['Overview', 'Email log', 'Explain']);
  });
});
