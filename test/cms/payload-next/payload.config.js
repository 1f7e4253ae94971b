// The Payload app of the Chromium e2e (../payload-e2e.test.ts): one auth collection, SQLite, and
// mailroomPlugin, which sets the email adapter and adds /api/mailroom/... and /admin/mailroom.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sqliteAdapter } from '@payloadcms/db-sqlite';
import { mailroomPlugin } from 'mailroom-js/payload';
import { buildConfig } from 'payload';

const dirname = path.dirname(fileURLToPath(import.meta.url));

export default buildConfig({
  secret: process.env.PAYLOAD_SECRET,
  serverURL: process.env.SERVER_URL,
  telemetry: false,
  admin: { user: 'users', importMap: { baseDir: dirname, importMapFile: path.join(dirname, 'app', '(payload)', 'admin', 'importMap.js') } },
  db: sqliteAdapter({ client: { url: process.env.DATABASE_URL }, push: true }),
  collections: [
    { slug: 'users', auth: true, fields: [{ name: 'role', type: 'select', options: ['admin', 'editor'], defaultValue: 'editor', required: true }] },
  ],
  plugins: [
    mailroomPlugin({
      defaultFromAddress: 'shop@example.com',
      defaultFromName: 'Example Shop',
      dsn: process.env.MAILROOM_DSN,
      journal: process.env.MAILROOM_JOURNAL,
      retry: { attempts: 1 },
      access: {
        read: ({ req }) => Boolean(req.user),
        sendTest: ({ req }) => req.user?.role === 'admin',
        resend: ({ req }) => req.user?.role === 'admin',
        content: ({ req }) => req.user?.role === 'admin',
      },
    }),
  ],
});
