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
        // Provider delivery webhooks at POST /api/mailroom/webhooks/<provider>, recorded in the
        // journal (README "Delivery events"). Each provider is verified as it allows.
        ...(env('MAILGUN_WEBHOOK_SIGNING_KEY') || env('BREVO_WEBHOOK_SECRET')
          ? {
              webhooks: {
                ...(env('MAILGUN_WEBHOOK_SIGNING_KEY') ? { mailgun: { signingKey: env('MAILGUN_WEBHOOK_SIGNING_KEY') } } : {}),
                ...(env('BREVO_WEBHOOK_SECRET') ? { brevo: { secret: env('BREVO_WEBHOOK_SECRET') } } : {}),
              },
            }
          : {}),
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
