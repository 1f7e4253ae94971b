// The `alerts` option of createMailer and of the configuration file (checked by ./schema.ts).
import type { AlertTrigger, RecipientDisplay } from './alert.js';
import type { AlertClock } from './throttle.js';

export interface SlackChannelOptions {
  type: 'slack';
  /** The incoming webhook URL (https://hooks.slack.com/services/...). A secret: never shown. */
  url: string;
}

export interface TeamsChannelOptions {
  type: 'teams';
  /** The Workflows webhook URL ("Post to a channel when a webhook request is received"). A secret: never shown. */
  url: string;
}

export interface DiscordChannelOptions {
  type: 'discord';
  /** The channel webhook URL (https://discord.com/api/webhooks/ID/TOKEN). A secret: never shown. */
  url: string;
  /** Name the messages appear under. Default "mailroom". */
  username?: string;
}

export interface WebhookChannelOptions {
  type: 'webhook';
  /** Where the JSON alert is POSTed. */
  url: string;
  /** Key of the HMAC-SHA256 signature in the `Mailroom-Signature` header (README "Alerts"). At least 16 characters. */
  secret: string;
}

export interface EmailChannelOptions {
  type: 'email';
  /** Who receives the alerts. */
  to: string | string[];
  /**
   * A chain of its own for alerts (e.g. another provider). Default: the mailer's own chain, without
   * the adapters that failed. Either way an alert never goes through an adapter that just failed.
   */
  dsn?: string;
  /** Sender of the alerts. Default: the mailer's `from`, else the chain's mailbox. */
  from?: string;
}

export type AlertChannelOptions = SlackChannelOptions | TeamsChannelOptions | DiscordChannelOptions | WebhookChannelOptions | EmailChannelOptions;

export interface AlertOptions {
  /** Where alerts go; each channel gets every alert. */
  channels: AlertChannelOptions[];
  /** The name alerts start with: "[shop.example] Mail failed for good". Default the host name. */
  site?: string;
  /** Throttle per (trigger, adapter, code). */
  throttle?: {
    /** After an alert, how long alike ones are only counted, then sent as one digest. Default 600,000 ms (10 min). */
    windowMs?: number;
  };
  /** Triggers to leave out, e.g. { failover: false }. Default: every trigger is on. */
  triggers?: Partial<Record<Exclude<AlertTrigger, 'test'>, boolean>>;
  /** Alert when journal entries stay pending longer than this. 0 turns the scan off. Default 30. */
  pendingOlderThanMinutes?: number;
  /** How often the journal is scanned for old pending entries. Default 300,000 ms (5 min). */
  pendingCheckMs?: number;
  /**
   * Queue mode: alert when messages wait in the queue and no worker has been alive for this long
   * (worker presence, not message age: a backlog a rate limit holds back while a worker runs is no
   * alert). 0 turns the check off. Default 5.
   */
  noWorkerMinutes?: number;
  /** How often the queue is checked for waiting messages and live workers. Default 60,000 ms (1 min). */
  queueCheckMs?: number;
  /** How recipient addresses appear: "masked" (c***@example.com, default), "full" or "none". */
  recipients?: RecipientDisplay;
  /** Longest one channel may take to accept an alert. Default 10,000 ms. */
  timeoutMs?: number;
  /** Injectable fetch for the HTTP channels. Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Injectable clock and timers (tests). Default real time. */
  clock?: AlertClock;
}
