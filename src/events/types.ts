// The normalized delivery event every provider's webhook is turned into, after django-anymail's
// AnymailTrackingEvent: one event per recipient, the provider's own record kept in `raw`.

/** What happened to the message, normalized across providers. */
export type EventType =
  | 'queued' // the provider accepted it and will try
  | 'sent' // the provider sent it
  | 'delivered' // the receiving server accepted it
  | 'deferred' // the receiving server delayed it; a later delivered or bounced follows
  | 'bounced' // the receiving server refused it
  | 'rejected' // the provider refused to send it (suppression list, policy, invalid address)
  | 'failed' // the provider could not send it (a template or rendering error)
  | 'complained' // the recipient marked it as spam
  | 'unsubscribed'
  | 'opened'
  | 'clicked'
  | 'unknown';

/** Why a message was bounced or rejected, normalized. */
export type RejectReason = 'invalid' | 'bounced' | 'timed_out' | 'blocked' | 'spam' | 'unsubscribed' | 'other';

export const EVENT_TYPES: readonly EventType[] = ['queued', 'sent', 'delivered', 'deferred', 'bounced', 'rejected', 'failed', 'complained', 'unsubscribed', 'opened', 'clicked', 'unknown'];

/** One thing a provider reported about one recipient of one message. */
export interface TrackingEvent {
  eventType: EventType;
  /** The provider that reported it: "brevo", "mailjet", "mailgun", "smtp2go", "ses", "postmark", "sendgrid", "resend", "sparkpost". */
  provider: string;
  /** The provider's id of the message, as its send call returned it (Mailjet: the recipient's MessageUUID, which its events call Message_GUID; MessageID when an event has no GUID, as a string: it exceeds 2^53). */
  providerMessageId?: string;
  /**
   * The provider's other ids for the message, tried when `providerMessageId` finds no entry, and
   * only for an entry journaled with a single provider id (Mailjet: the recipient's MessageID, for
   * a message sent before mailroom kept each recipient's MessageUUID).
   */
  providerRefs?: string[];
  /** The journal entry it belongs to, once matched. */
  journalId?: string;
  /** One address, the email part only. */
  recipient?: string;
  /** When it happened, ISO 8601 UTC. */
  timestamp: string;
  rejectReason?: RejectReason;
  /** Human-readable, as the provider words it. */
  description?: string;
  /** The receiving server's reply, as the provider passes it on (may hold SMTP codes). */
  mtaResponse?: string;
  tags: string[];
  metadata: Record<string, string>;
  /** The provider's id of this event, when it has one: what deduplicates retried webhooks. */
  providerEventId?: string;
  /** Our RFC 5322 Message-ID, when the provider echoes it (SMTP2GO, Mailgun, SES). */
  messageIdHeader?: string;
  /** The provider's own event record, as parsed. */
  raw: unknown;
}
