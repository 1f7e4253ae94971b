'use client';
// The Mailroom screens in Payload's admin (the client half of mailroom-js/payload-admin): the
// shared screens on plain elements styled by Payload's admin CSS, talking to the plugin's
// /api/mailroom/... endpoints with the admin's session cookie. The server checks every call again;
// `can` only keeps controls a user may not use off the page.
import * as React from 'react';
import { createMailroomScreens } from './screens-core.js';
import { plainUi } from './plain-ui.js';

const h = React.createElement;
const screens = createMailroomScreens(plainUi);
export const { OverviewScreen, TestScreen, LogScreen, ResendFiltered, EntryScreen, ExplainScreen } = screens;

/**
 * The screens' `api` over the plugin's endpoints under `base` (the app's API route, e.g. '/api'):
 * each method resolves { status, body } whatever the status, as the screens expect.
 */
export function mailroomFetchApi(base = '/api', fetchImpl = globalThis.fetch) {
  const call = async (method, path, { query, body } = {}) => {
    const search = query && Object.keys(query).length ? `?${new URLSearchParams(query)}` : '';
    try {
      const response = await fetchImpl(`${base}/mailroom${path}${search}`, {
        method,
        credentials: 'include',
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed;
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        parsed = { error: { message: `the server answered ${response.status} with a body that is not JSON` } };
      }
      return { status: response.status, body: parsed };
    } catch (error) {
      return { status: 0, body: { error: { message: `the server could not be reached: ${String(error?.message ?? error)}` } } };
    }
  };
  return {
    overview: () => call('GET', '/overview'),
    verify: () => call('POST', '/verify', { body: {} }),
    list: (query) => call('GET', '/entries', { query }),
    get: (id) => call('GET', `/entries/${encodeURIComponent(id)}`),
    test: (body) => call('POST', '/test', { body }),
    resend: (body) => call('POST', '/resend', { body }),
    explain: (body) => call('POST', '/explain', { body }),
  };
}

/** The page's body: a heading and the screens, over `api` (default: the endpoints under `apiRoute`). */
export function PayloadMailroomScreens({ apiRoute = '/api', api, can = { sendTest: true, resend: true }, initial }) {
  const client = React.useMemo(() => api ?? mailroomFetchApi(apiRoute), [api, apiRoute]);
  return h('div', { className: 'mailroom-screens', style: { display: 'flex', flexDirection: 'column', gap: '16px', paddingBottom: '48px' } },
    h('header', null,
      h('h1', { style: { margin: 0 } }, 'Mailroom'),
      h('p', { style: { margin: '4px 0 0', color: 'var(--theme-elevation-600, #666)' } }, 'Health of the mail chain, test email, email log and resend')),
    h(screens.MailroomScreens, { api: client, can, initial }));
}
