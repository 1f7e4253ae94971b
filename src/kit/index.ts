// `mailroom-js/adapter-kit`: the parts mailroom's own adapters are built from, for adapters written
// outside this package. An HTTP API adapter is `defineHttpAdapter` plus its payload, receipt and
// error mapping (README "Write your own adapter"); an adapter of another kind implements MailAdapter
// with the pieces below: the capability check, the MIME builder, the SMTP reply classifier, the
// Microsoft token source, the send limiter, redaction and the error catalogue.
export { defineHttpAdapter } from './http-adapter.js';
export type { HttpAdapterOptions, HttpAdapterDefinition, HttpAdapterKit, HttpAdapterContext, HttpCall } from './http-adapter.js';

// The adapter contract and the capability check.
export { declareCapabilities, FULL_CAPABILITIES, sendWithin, unsupportedReason, allRecipients, httpEndpoint } from '../core/adapter.js';
export type { MailAdapter, AdapterCapabilities, AdapterEndpoint, SendContext, SendReceipt, SizeLimits } from '../core/adapter.js';
export type { NormalizedMessage, NormalizedAttachment } from '../core/message.js';
// The message as an adapter receives it (what a test of an adapter builds), and its Message-ID.
export { normalizeMessage, createMessageId, headersWithTags } from '../core/message.js';
export { parseAddress, parseAddressList, formatAddress, formatAddressList, toAsciiAddress } from '../core/address.js';
export type { Address } from '../core/address.js';

// DSN declarations and the helpers an option reader is built from.
export { defineDsn, requireDsnPart, dsnApiKey, dsnWholeNumber, dsnChoice, dsnBoolean, baseUrlFromDsn, dsnCommonOptions, microsoftAppCredentials } from '../core/dsn-options.js';
export type { AdapterDsn, DsnDeclaration } from '../core/dsn-options.js';
export { parseDsn, parseDsnChain, adaptersFromDsn, DSN_SCHEMES } from '../core/dsn.js';
export type { ParsedDsn, AdapterFromDsn } from '../core/dsn.js';

// The request and the mapping of its answers.
export { httpRequest, errorFromResponse, errorText, successReceipt, unreadableSuccess, unlessOtherSuccess, retryAfterMs, basicAuth, resolveBaseUrl, codeForStatus, DEFAULT_HTTP_TIMEOUT_MS } from './http.js';
export type { HttpRequestOptions, HttpResponse, SuccessRule } from './http.js';

// An adapter on an AWS SDK v3 client (Amazon SES): its requests through the same http.ts, its errors mapped.
export { sdkRequestHandler, errorFromSdk } from './aws-sdk.js';
export type { SdkHttpRequest, SdkRequestHandlerOptions } from './aws-sdk.js';

// The journal's handover report of an attempt, found through its signal (a transport of one's own).
export { handoverReporter } from '../core/handover.js';
export type { HandoverReport } from '../core/handover.js';

// Errors, their catalogue (code and remedy from the provider's own text) and redaction.
export { MailError, isMailError, toMailError } from '../core/errors.js';
export type { MailErrorCode, MailErrorOptions } from '../core/errors.js';
export { diagnose, decidedCode, explain } from '../core/diagnose.js';
export type { Diagnosis } from '../core/diagnose.js';
export { SecretScrubber, guardSecrets, scrubbingErrors } from '../core/secrets.js';
export type { SecretLogin } from '../core/secrets.js';

// MIME, SMTP replies, Microsoft identity (one token source shared by adapters of one app registration),
// send rates (one SendLimiter shared by adapters of one mailbox: adapter options `tokenSource`, `messagesPerMinute`).
export { buildMime, toNodemailerMessage } from './mime.js';
export { smtpError, isGreetingTimeout, unansweredError } from './smtp-errors.js';
export type { SmtpErrorContext } from './smtp-errors.js';
export { MicrosoftTokenSource, OUTLOOK_SCOPE, GRAPH_SCOPE } from './microsoft-token.js';
export type { MicrosoftTokenOptions, MicrosoftToken, MicrosoftCertificate } from './microsoft-token.js';
export { SendLimiter } from './send-limits.js';
export type { SendLimitOptions } from './send-limits.js';
// An adapter's pace and the `limits` it declares (what the HTTP kit, SES and Graph use for `messagesPerMinute`).
export { adapterPace } from './adapter-pace.js';
export type { PaceOptions, AdapterPace } from './adapter-pace.js';

// Optional peer dependencies: a CONFIG error with the install command when one is missing.
export { requireInstalled, loadOptional, missingPackageError, installCommand, AWS_SES_SDK, MSAL_NODE } from './optional-package.js';
export type { OptionalPackage } from './optional-package.js';
