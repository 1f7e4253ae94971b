// A minimal Payload 3 config with mailroom as its email adapter (set by mailroomPlugin):
// payload.sendEmail and Payload's own emails (forgot password, verification) go through mailroom's
// chain and journal, and the admin gets mailroom's endpoints under /api/mailroom/...
import { sqliteAdapter } from '@payloadcms/db-sqlite';
import { mailroomPlugin, mailroomWebhooks } from 'mailroom-js/payload';
import { buildConfig } from 'payload';

export default buildConfig({
  secret: process.env.PAYLOAD_SECRET,
  serverURL: process.env.SERVER_URL ?? 'http://localhost:3000',
  telemetry: false,
  db: sqliteAdapter({ client: { url: process.env.DATABASE_URL ?? 'file:./payload.db' }, push: true }),
  collections: [
    {
      slug: 'users',
      auth: true,
      fields: [{ name: 'role', type: 'select', options: ['admin', 'editor'], defaultValue: 'editor', required: true }],
    },
  ],
  plugins: [
    mailroomPlugin({
      defaultFromAddress: process.env.MAIL_FROM_ADDRESS ?? 'shop@example.com',
      defaultFromName: process.env.MAIL_FROM_NAME ?? 'Example Shop',
      // Mailer options (see mailroom's README): a DSN or a failover(...) chain, the journal, templates.
      dsn: process.env.MAILROOM_DSN ?? 'outbox://./outbox',
      journal: process.env.MAILROOM_JOURNAL ?? '.mailroom/journal.sqlite',
      // Who may use mailroom's admin screens (default: every logged-in admin user).
      access: {
        read: ({ req }) => Boolean(req.user),
        sendTest: ({ req }) => req.user?.role === 'admin',
        resend: ({ req }) => req.user?.role === 'admin',
        content: ({ req }) => req.user?.role === 'admin',
      },
    }),
  ],
  // Provider delivery webhooks at POST /api/mailroom/webhooks/<provider>, recorded in the journal
  // (README "Delivery events"). Each provider is verified as it allows: a key, topics or a secret.
  endpoints: process.env.MAILGUN_WEBHOOK_SIGNING_KEY
    ? [mailroomWebhooks({ mailgun: { signingKey: process.env.MAILGUN_WEBHOOK_SIGNING_KEY } })]
    : [],
});
