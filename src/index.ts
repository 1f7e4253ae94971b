// mailroom's public API. Adapters are imported from "mailroom-js/adapters/<name>" so that an app
// loads only the providers it uses; DSN strings load them on demand.
export { createMailer } from './mailer.js';
export type { Mailer, MailerOptions, MailerEvents, MailerJournal, JournalResendOptions, SendResult, VerifyResult } from './mailer.js';
export type { RetryOptions, CooldownOptions } from './chain.js';
export { MailError, isMailError, toMailError } from './errors.js';
export type { MailErrorCode, MailErrorOptions, Attempt, AttemptError } from './errors.js';
export { normalizeMessage, createMessageId } from './message.js';
export type { MailMessage, NormalizedMessage, NormalizedAttachment, AttachmentInput, MessageLimits } from './message.js';
export { parseAddress, parseAddressList, formatAddress, toAsciiAddress, addressProblem } from './address.js';
export type { Address, AddressInput } from './address.js';
export { FULL_CAPABILITIES, unsupportedReason, sendWithin, allRecipients } from './adapter.js';
export type { MailAdapter, AdapterCapabilities, SendContext, SendReceipt } from './adapter.js';
export { parseDsn, parseDsnChain, checkDsnChain, adaptersFromDsn, redactDsn, DSN_SCHEMES } from './dsn.js';
export type { ParsedDsn, AdapterFromDsn } from './dsn.js';
export { SendJournal, entryTime, possibleDeliveryReason } from './journal.js';
export type { JournalEntry, JournalOptions, JournalQuery, JournalPage, JournalStatus, MessageSummary } from './journal.js';
export { diagnose, explain } from './diagnose.js';
// Shared between adapters of one mailbox / one app registration (adapter options `messagesPerMinute`, `tokenSource`).
export { SendLimiter } from './send-limits.js';
export type { SendLimitOptions } from './send-limits.js';
export { MicrosoftTokenSource, OUTLOOK_SCOPE, GRAPH_SCOPE } from './microsoft-token.js';
export type { MicrosoftTokenOptions, MicrosoftToken, MicrosoftCertificate } from './microsoft-token.js';
export type { Diagnosis } from './diagnose.js';
export { buildMime } from './mime.js';
export { createTemplateRenderer } from './templates.js';
export type { TemplateOptions, RenderedTemplate, TemplateRenderer, BrandOptions, StrictOptions, TemplateHelper } from './templates.js';
// Strapi loads `provider: 'mailroom-js'` by require()ing the package main and calling its `init`:
// that is the same provider as `provider: 'mailroom-js/strapi'`, the documented name.
export { init } from './integrations/strapi.js';
