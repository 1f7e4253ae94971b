// mailroom's public API. Adapters are imported from "mailroom-js/adapters/<name>" so that an app
// loads only the providers it uses; DSN strings load them on demand.
export { createMailer } from './core/mailer.js';
export type { Mailer, MailerOptions, MailerEvents, MailerJournal, JournalResendOptions, SendResult, QueuedResult, VerifyResult } from './core/mailer.js';
// Queue mode (BullMQ on Redis or PostgreSQL; bullmq and ioredis or pg load only when used).
export { startWorker } from './queue/worker.js';
export type { MailWorker, WorkerOptions } from './queue/worker.js';
export type { QueueOption, QueueOptions } from './queue/queue-options.js';
export type { QueueCounts } from './queue/send-queue.js';
export type { RetryOptions, CooldownOptions, CooldownStart } from './core/chain.js';
export { failover } from './core/failover.js';
export type { FailoverAdapter, FailoverOptions, ChainReceipt } from './core/failover.js';
export { MailError, isMailError, toMailError } from './core/errors.js';
export type { MailErrorCode, MailErrorOptions, Attempt, AttemptError } from './core/errors.js';
export { normalizeMessage, createMessageId } from './core/message.js';
export type { MailMessage, NormalizedMessage, NormalizedAttachment, AttachmentInput, MessageLimits } from './core/message.js';
export { parseAddress, parseAddressList, formatAddress, toAsciiAddress, addressProblem } from './core/address.js';
export type { Address, AddressInput } from './core/address.js';
export { FULL_CAPABILITIES, unsupportedReason, sendWithin, allRecipients } from './core/adapter.js';
export type { MailAdapter, AdapterCapabilities, SendContext, SendReceipt } from './core/adapter.js';
export { parseDsn, parseDsnChain, checkDsnChain, adaptersFromDsn, redactDsn, DSN_SCHEMES } from './core/dsn.js';
export type { ParsedDsn, AdapterFromDsn } from './core/dsn.js';
export { SendJournal, entryTime, possibleDeliveryReason } from './journal/journal.js';
export type { JournalEntry, JournalOptions, JournalQuery, JournalPage, JournalStatus, MessageSummary } from './journal/journal.js';
export { diagnose, explain } from './core/diagnose.js';
// Failure alerts (mailer option `alerts`); a webhook receiver checks `Mailroom-Signature` with verifyAlertSignature.
export { verifyAlertSignature, signAlert, ALERT_SIGNATURE_HEADER } from './alerts/channels/webhook.js';
export type { AlertOptions, AlertChannelOptions, SlackChannelOptions, TeamsChannelOptions, DiscordChannelOptions, WebhookChannelOptions, EmailChannelOptions } from './alerts/options.js';
export type { Alert, AlertFact, AlertTrigger, RecipientDisplay } from './alerts/alert.js';
export type { AlertClock } from './alerts/throttle.js';
// Shared between adapters of one mailbox / one app registration (adapter options `messagesPerMinute`, `tokenSource`).
export { SendLimiter } from './kit/send-limits.js';
export type { SendLimitOptions } from './kit/send-limits.js';
export { MicrosoftTokenSource, OUTLOOK_SCOPE, GRAPH_SCOPE } from './kit/microsoft-token.js';
export type { MicrosoftTokenOptions, MicrosoftToken, MicrosoftCertificate } from './kit/microsoft-token.js';
export type { Diagnosis } from './core/diagnose.js';
export { buildMime } from './kit/mime.js';
export { createTemplateRenderer } from './templates/templates.js';
export type { TemplateOptions, RenderedTemplate, TemplateRenderer, BrandOptions, StrictOptions, TemplateHelper } from './templates/templates.js';
// Strapi loads `provider: 'mailroom-js'` by require()ing the package main and calling its `init`:
// that is the same provider as `provider: 'mailroom-js/strapi'`, the documented name.
export { init } from './integrations/strapi.js';
