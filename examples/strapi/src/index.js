// App lifecycle. Strapi seeds its password-reset email with the sender "no-reply@strapi.io", which
// no real mail provider will send for you: clearing it lets mailroom's defaultFrom apply. Strapi
// does not close email providers on shutdown, so `destroy` closes mailroom (journal flushed, SMTP
// pool closed).
const STRAPI_PLACEHOLDER_SENDER = 'no-reply@strapi.io';

module.exports = {
  register() {},

  async bootstrap({ strapi }) {
    const store = strapi.store({ type: 'plugin', name: 'users-permissions' });
    const emails = await store.get({ key: 'email' });
    if (!emails) return;
    let changed = false;
    for (const template of Object.values(emails)) {
      const from = template?.options?.from;
      if (from && from.email === STRAPI_PLACEHOLDER_SENDER) {
        template.options.from = { name: '', email: '' };
        changed = true;
      }
    }
    if (changed) await store.set({ key: 'email', value: emails });
  },

  async destroy({ strapi }) {
    await strapi.plugin('email').provider?.close?.();
  },
};
