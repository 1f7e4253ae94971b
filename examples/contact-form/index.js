// Starts the contact form on http://127.0.0.1:3000/contact. Messages go through mailroom: by
// default into ./outbox as .eml files; set MAILROOM_DSN for a real provider.
//   node examples/contact-form/index.js
import { createServer } from 'node:http';
import { createMailer } from 'mailroom-js';
import { createContactForm } from './contact-form.js';

const env = process.env;
const mailer = createMailer({
  dsn: env.MAILROOM_DSN ?? 'outbox://./outbox',
  journal: env.MAILROOM_JOURNAL ?? '.mailroom/journal.sqlite',
  from: env.MAIL_FROM ?? 'Example Shop <shop@example.com>',
  templates: { brand: { name: env.SITE_NAME ?? 'Example Shop' } },
});
const handler = createContactForm({
  mailer,
  owner: env.CONTACT_OWNER ?? 'Example Shop <hello@example.com>',
  siteName: env.SITE_NAME ?? 'Example Shop',
  rateLimit: Number(env.RATE_LIMIT ?? 5),
  rateWindowMs: Number(env.RATE_WINDOW_MS ?? 10 * 60_000),
  trustProxy: env.TRUST_PROXY === 'true',
});

const server = createServer(handler);
server.listen(Number(env.PORT ?? 3000), env.HOST ?? '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`contact form on http://${address}:${port}/contact`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => server.close(() => mailer.close()));
}
