// mailroom's public API: what an application needs to send, configure, read the journal and
// explain a failure. Adapters are imported from "mailroom-js/adapters/<name>" so that an app loads
// only the providers it uses; DSN strings load them on demand. The parts adapters are built from
// (address and DSN parsers, the MIME builder, the send limiter, the Microsoft token source, the
// capability check, message normalization) are in "mailroom-js/adapter-kit".
export { createMailer } from './core/mailer.js';
export type { AttemptEnd, AttemptStart, Mailer, MailerOptions, MailerEvents, MailerJournal, JournalResendOptions, SendResult, QueuedResult, VerifyResult } from './core/mailer.js';
// Queue mode (BullMQ on Redis or PostgreSQL; bullmq and ioredis or pg load only when used).
export { startWorker } from './queue/worker.js';
export type { MailWorker, WorkerOptions } from './queue/worker.js';
export type { QueueOption, QueueOptions } from './queue/queue-options.js';
export type { QueueCounts } from './queue/send-queue.js';
export type { RetryOptions, CooldownOptions, CooldownStart } from './core/chain.js';
export { failover } from './core/failover.js';
export type { FailoverAdapter, FailoverOptions, ChainReceipt } from './core/failover.js';
export { MailError, isMailError } from './core/errors.js';
export type { MailErrorCode, Attempt, AttemptError } from './core/errors.js';
export type { MailMessage, NormalizedMessage, AttachmentInput, MessageLimits } from './core/message.js';
// A form's address field checked with the same rules a send applies.
export { fieldAddressProblem as addressProblem } from './core/address.js';
export type { AddressInput } from './core/address.js';
export type { MailAdapter, AdapterCapabilities, SendContext, SendReceipt } from './core/adapter.js';
// A configuration string checked at startup, and printed without its secrets.
export { checkDsnChain, redactDsn } from './core/dsn.js';
export { possibleDeliveryReason } from './journal/journal.js';
export type { JournalEntry, JournalOptions, JournalQuery, JournalPage, JournalStatus, MessageSummary } from './journal/journal.js';
export { diagnose, explain } from './core/diagnose.js';
export type { Diagnosis } from './core/diagnose.js';
// Failure alerts (mailer option `alerts`); a webhook receiver checks `Mailroom-Signature` with verifyAlertSignature.
export { verifyAlertSignature, signAlert, ALERT_SIGNATURE_HEADER } from './alerts/channels/webhook.js';
export type { AlertOptions, AlertChannelOptions, SlackChannelOptions, TeamsChannelOptions, DiscordChannelOptions, WebhookChannelOptions, EmailChannelOptions } from './alerts/options.js';
export type { Alert, AlertFact, AlertTrigger, RecipientDisplay } from './alerts/alert.js';
export type { AlertClock } from './alerts/throttle.js';
export { createTemplateRenderer } from './templates/templates.js';
export type { TemplateOptions, RenderedTemplate, TemplateRenderer, BrandOptions, StrictOptions, TemplateHelper } from './templates/templates.js';
// Strapi loads `provider: 'mailroom-js'` by require()ing the package main and calling its `init`:
// that is the same provider as `provider: 'mailroom-js/strapi'`, the documented name.
export { init } from './integrations/strapi.js';
