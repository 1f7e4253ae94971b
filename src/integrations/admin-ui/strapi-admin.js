// The admin half of mailroom's Strapi 5 plugin (`mailroom-js/strapi-admin`): a "Mailroom" menu link
// shown to roles that may read the email log, opening the screens of ./screens.js. Strapi's admin
// build (`strapi build`) bundles it with the app's React and design system.
import * as React from 'react';
import { Mail } from '@strapi/icons';

const READ_LOG = [{ action: 'plugin::mailroom.log.read', subject: null }];

export default {
  register(app) {
    app.addMenuLink({
      to: '/plugins/mailroom',
      icon: () => React.createElement(Mail),
      intlLabel: { id: 'mailroom.plugin.name', defaultMessage: 'Mailroom' },
      Component: () => import('./strapi-page.js'),
      permissions: READ_LOG,
    });
    app.registerPlugin({ id: 'mailroom', name: 'Mailroom' });
  },
  bootstrap() {},
  async registerTrads() {
    return [];
  },
};
