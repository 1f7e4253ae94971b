// The Mailroom view and nav link in Payload 3's admin (`mailroom-js/payload-admin`), registered by
// mailroomPlugin as a custom root view at /admin/mailroom and an afterNavLinks entry. Both are
// React Server Components: Payload renders custom views for anyone ("public by default"), so the
// view itself sends anonymous visitors to the login page and shows users the plugin's `access`
// refuses a refusal instead of the screens. `mailroomCan` comes from the plugin (serverProps): the
// same access rule its /api/mailroom endpoints apply.
import * as React from 'react';
import { DefaultTemplate } from '@payloadcms/next/templates';
import { redirect } from 'next/navigation.js';
import { PayloadMailroomScreens } from './payload-screens.js';

const h = React.createElement;

function isAdminUser(user, config) {
  return Boolean(user) && (!config.admin?.user || user.collection === config.admin.user);
}

/** /admin/mailroom: the screens inside Payload's admin template (nav, header), for users the access rule lets read the log. */
export async function MailroomView({ initPageResult, params, searchParams, mailroomCan }) {
  const { req, permissions, locale, visibleEntities } = initPageResult;
  const { config } = req.payload;
  const adminRoute = config.routes?.admin ?? '/admin';
  if (!isAdminUser(req.user, config)) redirect(`${adminRoute}/login?redirect=${encodeURIComponent(`${adminRoute}/mailroom`)}`);
  const can = mailroomCan ? await mailroomCan(req) : { read: true, sendTest: true, resend: true };
  const body = can.read
    ? h(PayloadMailroomScreens, { apiRoute: config.routes?.api ?? '/api', can: { sendTest: can.sendTest, resend: can.resend } })
    : h('div', { role: 'alert' }, h('h1', null, 'Mailroom'), h('p', null, 'Your role may not read the email log. An administrator can grant it in the mailroomPlugin access option.'));
  return h(DefaultTemplate, {
    i18n: req.i18n, locale, params, payload: req.payload, permissions, req, searchParams, user: req.user, visibleEntities,
  }, h('div', { className: 'gutter gutter--left gutter--right', style: { paddingTop: '24px' } }, body));
}

/** The "Mailroom" link under the nav's collections, shown to users the access rule lets read the log. */
export async function MailroomNavLink({ payload, user, mailroomCan }) {
  if (!payload || !isAdminUser(user, payload.config)) return null;
  const can = mailroomCan ? await mailroomCan({ payload, user }) : { read: true };
  if (!can.read) return null;
  return h('a', { className: 'nav__link', href: `${payload.config.routes?.admin ?? '/admin'}/mailroom`, id: 'nav-mailroom' },
    h('span', { className: 'nav__link-label' }, 'Mailroom'));
}
