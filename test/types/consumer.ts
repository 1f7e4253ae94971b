// A TypeScript app using the installed mailroom-js the way the README does. test/package.test.ts
// compiles it with tsc under each module resolution an app may have: Node16, NodeNext, Bundler, and
// node10 with CommonJS (Strapi's server tsconfig). Any cast or `any` here would hide what the test
// is for: every value below is typed by the package's own declarations.
import { createMailer, MailError, type Mailer, type MailMessage, type SendResult } from 'mailroom-js';
import { brevoAdapter } from 'mailroom-js/adapters/brevo';
import { smtpAdapter } from 'mailroom-js/adapters/smtp';
import { defineConfig } from 'mailroom-js/config';
import { createWebhookHandler, type TrackingEvent, type WebhookHandler } from 'mailroom-js/events';
import { mailroomAdapter, mailroomEmail, type MailroomPayloadEmail } from 'mailroom-js/payload';
import { init, type StrapiEmailProvider, type StrapiProviderOptions } from 'mailroom-js/strapi';

const mailer: Mailer = createMailer({
  adapters: [brevoAdapter({ apiKey: 'KEY' }), smtpAdapter({ host: 'smtp.example.com' })],
  from: 'Shop <shop@example.com>',
});
const order: MailMessage = { to: 'ann@example.org', template: { name: 'order-confirmation', data: { order: { number: '1042' } }, locale: 'fr' } };
export const sent: Promise<SendResult> = mailer.send(order);
export const failedCode = (error: unknown): string | undefined => (error instanceof MailError ? error.code : undefined);

// Strapi: config/plugins.ts passes providerOptions; the email plugin keeps the provider.
const providerOptions: StrapiProviderOptions = { dsn: process.env.MAILROOM_DSN, journal: '.mailroom/journal.sqlite' };
const provider: StrapiEmailProvider = init(providerOptions, { defaultFrom: 'Shop <shop@example.com>' });
export const strapiJournalId: Promise<string> = provider.send({ to: 'ann@example.org', template: { name: 'password-reset', data: {} } }).then((result) => result.id);

// Payload: the adapter in payload.config, then payload.email as mailroom's, without a cast.
export const email = mailroomAdapter({ dsn: process.env.MAILROOM_DSN, defaultFromAddress: 'shop@example.com', defaultFromName: 'Shop' });
declare const payload: { email: unknown; sendEmail(message: Record<string, unknown>): Promise<unknown> };
const payloadEmail: MailroomPayloadEmail = mailroomEmail(payload);
export const payloadMessageId: Promise<string> = payloadEmail
  .sendEmail({ to: 'ann@example.org', template: { name: 'contact-form-receipt', data: { visitor: { name: 'Léa' } } } })
  .then((result) => result.messageId);
export const closed: Promise<void> = payloadEmail.mailer.close();

// Delivery webhooks: the handler records provider events in the mailer's journal.
const webhooks: WebhookHandler = createWebhookHandler({ mailer, mailgun: { signingKey: 'key' }, ses: { topics: ['arn:aws:sns:eu-west-1:123456789012:ses-events'] } });
export const webhookResponse: Promise<Response> = webhooks(new Request('https://shop.example.com/api/mailroom/webhooks/mailgun', { method: 'POST', body: '{}' }));
mailer.on('delivery', (event: TrackingEvent) => event.eventType);

export const config = defineConfig({ dsn: 'brevo+api://KEY@default', from: 'Shop <shop@example.com>' });

// The declarations are real, not `any`: a misspelt option must not compile.
// @ts-expect-error `dns` is not a mailer option
createMailer({ dns: 'memory://' });

// An adapter written outside the package, on the kit (README "Write your own adapter").
import { defineHttpAdapter, type HttpAdapterOptions, type MailAdapter as KitAdapter } from 'mailroom-js/adapter-kit';
const outside = defineHttpAdapter<HttpAdapterOptions & { apiKey: string }>({
  name: 'outside',
  defaultUrl: 'https://api.outside.example',
  required: ['apiKey'],
  whereToFind: 'Outside > API keys',
  capabilities: { attachments: true },
  success: { statuses: [202], unreadableBody: 'ambiguous', source: 'Outside API reference' },
  headers: (options) => ({ authorization: `Bearer ${options.apiKey}` }),
  secrets: (options) => [options.apiKey],
  send: { path: '/v1/send' },
  // A send's own header, from its context (README "Write your own adapter", `requestHeaders`).
  requestHeaders: (message, ctx) => ({ 'idempotency-key': ctx.idempotencyKey ?? message.messageId }),
  toPayload: (message) => ({ to: message.to.map((a) => a.address), subject: message.subject }),
  parseReceipt: (_response, { recipients }) => ({ accepted: recipients, rejected: [] }),
  verify: { path: '/v1/me' },
  dsn: { schemes: { 'outside+api': 'outside+api://KEY@default' }, options: (dsn) => ({ apiKey: dsn.user ?? '' }) },
});
export const outsideAdapter: KitAdapter = outside.create({ apiKey: 'KEY' });
createMailer({ adapters: [outsideAdapter] });

// Parts that left the main entry for the kit: one limiter and one token source shared by the
// adapters of one Office 365 mailbox (README "Office 365").
import { MicrosoftTokenSource, OUTLOOK_SCOPE, SendLimiter } from 'mailroom-js/adapter-kit';
import { office365Adapter } from 'mailroom-js/adapters/office365';
const limiter = new SendLimiter({ messagesPerMinute: 30 });
const tokenSource = new MicrosoftTokenSource({ tenant: 'contoso.onmicrosoft.com', clientId: 'ID', clientSecret: 'SECRET', scope: OUTLOOK_SCOPE });
export const mailbox: Mailer = createMailer({ adapters: [office365Adapter({ mailbox: 'orders@corp.com', tokenSource, messagesPerMinute: limiter })] });
