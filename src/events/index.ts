// mailroom-js/events: provider delivery webhooks turned into one normalized TrackingEvent model,
// recorded in the send journal. See README "Delivery events".
export type { EventType, RejectReason, TrackingEvent } from './types.js';
export { EVENT_TYPES } from './types.js';
export { createWebhookHandler, parseWebhookBody, RAW_BODY_PROVIDERS, WEBHOOK_PROVIDERS } from './handler.js';
export type { EventSink, WebhookHandler, WebhookHandlerOptions, WebhookProvider, WebhookStats } from './handler.js';
export { toNodeListener } from './node-listener.js';
export { parseBrevoEvents } from './brevo.js';
export { parseMailjetBody, parseMailjetEvents } from './mailjet.js';
export { MailgunVerifier, parseMailgunEvents, type MailgunWebhookOptions } from './mailgun.js';
export { parseSmtp2goBody, parseSmtp2goEvents } from './smtp2go.js';
export { parseSesRecord } from './ses.js';
export { SnsVerifier, type SnsMessage, type SnsWebhookOptions } from './sns.js';
export { parsePostmarkEvents } from './postmark.js';
export { parseSendgridEvents, sendgridMessageId, SendgridVerifier, type SendgridWebhookOptions } from './sendgrid.js';
export { parseResendEvents } from './resend.js';
export { SvixVerifier, type SvixWebhookOptions } from './svix.js';
export { parseSparkpostEvents } from './sparkpost.js';
export { SharedSecret, type SharedSecretOptions } from './shared-secret.js';
export { WebhookError, type WebhookRefusal } from './webhook-error.js';
export type { DeliveryOutcome } from '../journal/delivery.js';
export type { DeliveryState, EntryDelivery, RecipientDelivery } from '../journal/delivery-state.js';
export { DELIVERY_STATES } from '../journal/delivery-state.js';
