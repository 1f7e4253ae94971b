// The RBAC actions of mailroom's Strapi admin plugin: one list for the server (registered with
// Strapi's action provider) and for the admin pages (which hide what the user may not do).

/** The plugin's name in Strapi (`plugin::mailroom.*`, routes under `/mailroom`). */
export const PLUGIN_NAME = 'mailroom';

/** The RBAC actions, as Strapi names them once registered. */
export const PERMISSIONS = {
  readLog: `plugin::${PLUGIN_NAME}.log.read`,
  sendTest: `plugin::${PLUGIN_NAME}.test.send`,
  resend: `plugin::${PLUGIN_NAME}.resend`,
  readContent: `plugin::${PLUGIN_NAME}.content.read`,
} as const;

export const ACTIONS = [
  { uid: 'log.read', displayName: 'Read the email log and the health of the chain' },
  { uid: 'test.send', displayName: 'Send a test email' },
  { uid: 'resend', displayName: 'Resend emails from the log' },
  { uid: 'content.read', displayName: 'View message content (bodies, template data, HTML preview)' },
];

