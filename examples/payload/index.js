// Boots Payload from payload.config.js without Next.js, sends one message with payload.sendEmail
// and one forgot-password email, prints their journal entries, and stops. Run: node index.js
import { randomBytes } from 'node:crypto';

// A throwaway secret and an in-memory database for a demo run; a real app sets these.
process.env.PAYLOAD_SECRET ??= randomBytes(24).toString('base64');
process.env.DATABASE_URL ??= ':memory:';

const { getPayload } = await import('payload');
const { default: config } = await import('./payload.config.js');
const payload = await getPayload({ config });
try {
  const email = process.argv[2] ?? 'editor@example.com';
  await payload.create({ collection: 'users', data: { email, password: randomBytes(12).toString('base64') } });

  const result = await payload.sendEmail({ to: email, subject: 'Hello from Payload through mailroom', text: 'This message went through payload.sendEmail and mailroom.' });
  await payload.forgotPassword({ collection: 'users', data: { email } });

  const { entries } = await payload.email.mailer.journal.list({ limit: 2 });
  console.log(`sent ${result.id} through ${result.adapter}`);
  console.log(JSON.stringify(entries.map(({ id, status, adapter, summary }) => ({ id, status, adapter, from: summary.from, to: summary.to, subject: summary.subject })), null, 2));
} finally {
  await payload.email.mailer.close();
  await payload.destroy();
}
