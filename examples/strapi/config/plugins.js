// mailroom as Strapi's email provider: every email Strapi sends, its own password resets
// included, goes through mailroom's chain and journal.
module.exports = ({ env }) => ({
  email: {
    config: {
      provider: 'mailroom-js/strapi',
      // Mailer options (see mailroom's README): a DSN or a failover(...) chain, the journal, templates.
      providerOptions: {
        dsn: env('MAILROOM_DSN', 'outbox://./outbox'),
        journal: env('MAILROOM_JOURNAL', '.mailroom/journal.sqlite'),
      },
      settings: {
        defaultFrom: env('MAIL_FROM', 'Example Shop <shop@example.com>'),
        defaultReplyTo: env('MAIL_REPLY_TO', 'Example Support <support@example.com>'),
      },
    },
  },
  'users-permissions': {
    config: { jwtSecret: env('JWT_SECRET') },
  },
});
