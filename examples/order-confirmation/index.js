// Sends the confirmation of one order: node examples/order-confirmation/index.js [order.json]
// The order JSON has the `order-confirmation` template's data (customer, order). The send carries
// the idempotency key `order-<number>-confirmation`: run it twice, or let a webhook retry, and the
// customer still gets one email; the second run returns the first receipt from the journal.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createMailer } from 'mailroom-js';

const file = process.argv[2] ?? fileURLToPath(new URL('./order-1042.json', import.meta.url));
const data = JSON.parse(await readFile(file, 'utf8'));
if (!data?.customer?.email || !data?.order?.number) {
  console.error(`${file}: expected { customer: { name, email }, order: { number, ... } }`);
  process.exit(1);
}

const mailer = createMailer({
  dsn: process.env.MAILROOM_DSN ?? 'outbox://./outbox',
  // The journal is what makes the idempotency key hold across runs: keep it on a durable store.
  journal: process.env.MAILROOM_JOURNAL ?? '.mailroom/journal.sqlite',
  from: process.env.MAIL_FROM ?? 'Example Shop <orders@example.com>',
  templates: { brand: { name: process.env.SITE_NAME ?? 'Example Shop' } },
});

try {
  const result = await mailer.send({
    to: { name: data.customer.name, address: data.customer.email },
    template: { name: 'order-confirmation', data, ...(data.locale ? { locale: data.locale } : {}) },
    idempotencyKey: `order-${data.order.number}-confirmation`,
    tags: ['order-confirmation'],
  });
  console.log(result.deduplicated
    ? `order ${data.order.number}: already confirmed (journal entry ${result.id}), nothing sent`
    : `order ${data.order.number}: confirmation sent through ${result.adapter} (journal entry ${result.id})`);
} catch (error) {
  console.error(`order ${data.order.number}: ${error.message}${error.remedy ? `\n${error.remedy}` : ''}`);
  process.exitCode = 1;
} finally {
  await mailer.close();
}
