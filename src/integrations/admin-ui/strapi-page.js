// The Mailroom page in Strapi's admin: guarded by the "read log" permission (the menu link's
// permissions only hide the link), with the test and resend controls shown to roles holding those
// actions. The server checks every action again; this only keeps controls a role cannot use away.
import * as React from 'react';
import { Layouts, Page, useFetchClient, useRBAC } from '@strapi/strapi/admin';
import { MailroomScreens } from './screens.js';

const h = React.createElement;
const READ_LOG = [{ action: 'plugin::mailroom.log.read', subject: null }];
const ACTIONS = [
  { action: 'plugin::mailroom.test.send', subject: null },
  { action: 'plugin::mailroom.resend', subject: null },
];

// useFetchClient throws on a non-2xx answer; the screens want { status, body } either way.
function useMailroomApi() {
  const { get, post } = useFetchClient();
  return React.useMemo(() => {
    const settle = (request) => request.then(
      (response) => ({ status: response.status ?? 200, body: response.data }),
      (error) => ({ status: error?.status ?? error?.response?.status ?? 0, body: error?.response?.data ?? { error: { message: String(error?.message ?? error) } } }),
    );
    return {
      overview: () => settle(get('/mailroom/overview')),
      verify: () => settle(post('/mailroom/verify', {})),
      list: (query) => settle(get('/mailroom/entries', { params: query })),
      get: (id) => settle(get(`/mailroom/entries/${encodeURIComponent(id)}`)),
      test: (body) => settle(post('/mailroom/test', body)),
      resend: (body) => settle(post('/mailroom/resend', body)),
      explain: (body) => settle(post('/mailroom/explain', body)),
    };
  }, [get, post]);
}

function MailroomPage() {
  const api = useMailroomApi();
  const { allowedActions, isLoading } = useRBAC(ACTIONS);
  if (isLoading) return h(Page.Loading);
  return h(Page.Main, null,
    h(Page.Title, null, 'Mailroom'),
    h(Layouts.Header, { title: 'Mailroom', subtitle: 'Health of the mail chain, test email, email log and resend' }),
    h(Layouts.Content, null, h(MailroomScreens, { api, can: { sendTest: Boolean(allowedActions.canSend), resend: Boolean(allowedActions.canResend) } })));
}

export default function ProtectedMailroomPage() {
  return h(Page.Protect, { permissions: READ_LOG }, h(MailroomPage));
}
