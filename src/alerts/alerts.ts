// Failure alerts: listens to a mailer's events, turns each into an alert, throttles per (trigger,
// adapter, code) and hands what passes to every channel. A listener only decides and queues, so a
// send never waits on an alert; deliveries run in the background, bounded in number and time, and
// a failing channel is reported once (a process warning) until it works again. See README "Alerts".
import type { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { MailAdapter } from '../core/adapter.js';
import type { AddressInput } from '../core/address.js';
import { MailError, toMailError } from '../core/errors.js';
import { SecretScrubber } from '../core/secrets.js';
import type { JournalPage, JournalQuery, JournalEntry } from '../journal/journal.js';
import { digestOf, finishAlert, showRecipient, type Alert, type AlertDraft, type AlertTrigger } from './alert.js';
import { urlSecrets, type AlertChannel } from './channels/channel.js';
import { discordChannel } from './channels/discord.js';
import { emailChannel } from './channels/email.js';
import { slackChannel } from './channels/slack.js';
import { teamsChannel } from './channels/teams.js';
import { webhookChannel } from './channels/webhook.js';
import type { AlertChannelOptions, AlertOptions } from './options.js';
import { watchQueue, type AlertLead, type WatchedQueue } from './queue-watch.js';
import { AlertThrottle, systemClock } from './throttle.js';
import { cooldownDraft, deliveryDraft, failedDraft, failoverDraft, journalErrorDraft, PENDING_SCAN_LIMIT, pendingDraft, testDraft, type DeliveryEventLike } from './triggers.js';

/** `code` of the process warning printed once when an alert channel fails. */
export const ALERT_WARNING_CODE = 'MAILROOM_ALERT_FAILED';

// Alert deliveries running at once at most; beyond it alerts are dropped and counted. The throttle
// keeps real outages far below it: this only bounds a flood of distinct keys.
const MAX_IN_FLIGHT = 50;

// The name of the pending scan's lead in the journal.
const PENDING_LEAD = 'alerts:pending';

/** What alerts listen to: the mailer's event emitter, or any emitter of the same events. */
export type AlertSource = Pick<EventEmitter, 'on' | 'off'>;
type Listener = Parameters<EventEmitter['on']>[1];

/** What the monitor needs from the mailer besides its events. */
export interface AlertContext {
  /** The chain, for the email channel. */
  adapters?: () => Promise<MailAdapter[]>;
  /** The journal, for recipients of failed entries and the pending scan. */
  journal?: { get(id: string): Promise<JournalEntry | undefined>; list(query?: JournalQuery): Promise<JournalPage> };
  /** The mailer's default sender, for the email channel. */
  from?: AddressInput;
  /** Secrets to keep out of every alert (the DSN's passwords and keys). */
  secrets?: string[];
  /** Queue mode: the queue, for the no-worker check. */
  queue?: WatchedQueue;
  /**
   * Which of the processes sharing the journal speaks for a scan they all run (SendJournal.lead),
   * so N instances send the pending alert once, not N times. Without it, this one always does.
   */
  lead?: AlertLead;
}

/** One channel's answer to `test()`. */
export interface AlertChannelResult {
  channel: string;
  ok: boolean;
  durationMs: number;
  error?: MailError;
}

export interface AlertMonitor {
  /** Sends one test alert through every channel, unthrottled; never throws, answers per channel. */
  test(): Promise<AlertChannelResult[]>;
  /** Alerts held back so far, per throttle key "trigger|adapter|code". */
  held(): Record<string, number>;
  /** Resolves when every alert started so far has been answered by its channels. */
  idle(): Promise<void>;
  /** Stops listening and scanning, sends the pending digests, waits for deliveries in flight. */
  close(): Promise<void>;
}

/** Attaches alerts to a mailer (createMailer does it for its `alerts` option). */
export function attachAlerts(source: AlertSource, options: AlertOptions, context: AlertContext = {}): AlertMonitor {
  const clock = options.clock ?? systemClock;
  const site = options.site ?? hostname();
  const recipients = options.recipients ?? 'masked';
  const timeoutMs = options.timeoutMs ?? 10_000;
  // Before anything reads a channel: options from plain JavaScript or JSON may hold anything.
  checkChannels(options.channels);
  checkTimings(options);
  const scrubber = new SecretScrubber([
    ...(context.secrets ?? []),
    ...options.channels.flatMap((channel) => [...('url' in channel ? urlSecrets(channel.url) : []), ...('secret' in channel ? [channel.secret] : [])]),
  ]);
  const channels = options.channels.map((channel) => buildChannel(channel, options, context, timeoutMs, clock.now));
  const inFlight = new Set<Promise<void>>();
  const failing = new Set<string>();
  let dropped = 0;
  let closed = false;

  const enabled = (trigger: AlertTrigger) => options.triggers?.[trigger as Exclude<AlertTrigger, 'test'>] !== false;

  const deliver = (alert: Alert): void => {
    if (inFlight.size >= MAX_IN_FLIGHT) {
      if (dropped++ === 0) warn(`alerts are arriving faster than the channels take them: ${alert.title} and later ones were dropped`);
      return;
    }
    const work = withRecipients(alert)
      .then((complete) => Promise.all(channels.map((channel) => sendOne(channel, complete))))
      .then(() => undefined);
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const throttle = new AlertThrottle<Alert>(options.throttle?.windowMs ?? 600_000, clock, (alert, held) => {
    deliver(held ? digestOf(alert, held.count, new Date(held.firstAt).toISOString(), new Date(held.lastAt).toISOString()) : alert);
  });

  // Called from the mailer's emit(), inside a send: it must not throw, and does no I/O.
  const raise = (makeDraft: () => AlertDraft | undefined): void => {
    if (closed) return;
    try {
      const draft = makeDraft();
      if (!draft || !enabled(draft.trigger)) return;
      const alert = finishAlert(draft, site, scrubber, clock.now(), recipients);
      throttle.offer(`${alert.trigger}|${alert.adapter ?? '-'}|${alert.code ?? '-'}`, alert);
    } catch (error) {
      // An alert must never break the send whose event raised it.
      warn(`an alert could not be prepared: ${(error as Error).message}`);
    }
  };

  // `report`: a failure becomes the process warning; test() answers with it instead (its caller prints it).
  async function sendOne(channel: AlertChannel, alert: Alert, report = true): Promise<AlertChannelResult> {
    const started = clock.now();
    try {
      await channel.send(alert);
      failing.delete(channel.label);
      return { channel: channel.label, ok: true, durationMs: clock.now() - started };
    } catch (thrown) {
      const error = scrubber.error(toMailError(thrown, { code: 'TRANSIENT', provider: channel.label }));
      if (report && !failing.has(channel.label)) {
        failing.add(channel.label);
        warn(`the alert channel ${channel.label} failed: ${error.message}${error.specificRemedy ? ` ${error.specificRemedy}` : ''}`);
      }
      return { channel: channel.label, ok: false, durationMs: clock.now() - started, error };
    }
  }

  // The recipients of a failed message, as the journal has them, shown as `recipients` says.
  async function withRecipients(alert: Alert): Promise<Alert> {
    if (recipients === 'none' || alert.digest || !alert.entryId || !context.journal || (alert.trigger !== 'failed' && alert.trigger !== 'failover')) return alert;
    const entry = await context.journal.get(alert.entryId).catch(() => undefined);
    if (!entry) return alert;
    const all = [...entry.summary.to, ...entry.summary.cc, ...entry.summary.bcc];
    const shown = all.slice(0, 3).map((address) => showRecipient(address, recipients)).join(', ');
    const more = all.length > 3 ? ` and ${all.length - 3} more` : '';
    return { ...alert, facts: [...alert.facts, { label: 'Recipients', value: scrubber.text(`${shown}${more}`) }] };
  }

  const listeners: Array<[string, Listener]> = [
    ['failed', ((error: MailError, entryId: string) => raise(() => failedDraft(error, entryId)))],
    ['failover', ((info: Parameters<typeof failoverDraft>[0]) => raise(() => failoverDraft(info)))],
    ['cooldown', ((info: Parameters<typeof cooldownDraft>[0]) => raise(() => cooldownDraft(info)))],
    ['delivery', ((event: DeliveryEventLike) => raise(() => deliveryDraft(event, recipients)))],
  ];
  // Listening to journal-error takes over the mailer's own one-time warning, so only when wanted.
  if (enabled('journal-error')) listeners.push(['journal-error', ((error: MailError) => raise(() => journalErrorDraft(error)))]);
  for (const [event, listener] of listeners) source.on(event, listener);

  let scanTimer: unknown;
  let scanning: Promise<void> = Promise.resolve();
  const olderThanMinutes = options.pendingOlderThanMinutes ?? 30;
  const pendingCheckMs = options.pendingCheckMs ?? 300_000;
  // Every instance on a shared journal finds the same pending entries: one speaks (renewed at each
  // scan that finds some, lapsing after three scans missed, given up on close).
  const speaker = randomUUID();
  let spoke = false;
  const scanPending = async () => {
    const page = await context.journal!.list({ status: 'pending', until: new Date(clock.now() - olderThanMinutes * 60_000), limit: PENDING_SCAN_LIMIT });
    if (page.entries.length === 0) return;
    if (context.lead && !(await context.lead.take(PENDING_LEAD, speaker, 3 * pendingCheckMs))) return;
    spoke = true;
    const oldest = page.entries[page.entries.length - 1]!;
    raise(() => pendingDraft(page.entries.length, olderThanMinutes, { id: oldest.id, createdAt: oldest.createdAt }));
  };
  const scheduleScan = () => {
    scanTimer = clock.setTimeout(() => {
      // A journal that cannot be read is reported by the journal's own error path, not here.
      scanning = scanPending().catch(() => undefined).finally(() => {
        if (!closed) scheduleScan();
      });
    }, pendingCheckMs);
  };
  if (olderThanMinutes > 0 && context.journal && enabled('pending')) scheduleScan();
  const noWorkerMinutes = options.noWorkerMinutes ?? 5;
  const queueWatch = noWorkerMinutes > 0 && context.queue && enabled('no-worker') ? watchQueue(context.queue, { noWorkerMinutes, checkMs: options.queueCheckMs ?? 60_000, clock, ...(context.lead ? { lead: context.lead } : {}) }, raise) : undefined;

  return {
    async test() {
      const alert = finishAlert(testDraft(), site, scrubber, clock.now(), recipients);
      return Promise.all(channels.map((channel) => sendOne(channel, alert, false)));
    },
    held: () => throttle.held(),
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const [event, listener] of listeners) source.off(event, listener);
      if (scanTimer !== undefined) clock.clearTimeout(scanTimer);
      await scanning;
      if (spoke) await context.lead?.leave(PENDING_LEAD, speaker).catch(() => undefined);
      await queueWatch?.stop();
      throttle.flush();
      await this.idle();
      await Promise.allSettled(channels.map((channel) => channel.close?.()));
    },
  };
}

function buildChannel(channel: AlertChannelOptions, options: AlertOptions, context: AlertContext, timeoutMs: number, now: () => number): AlertChannel {
  const http = { timeoutMs, ...(options.fetch ? { fetch: options.fetch } : {}) };
  switch (channel.type) {
    case 'slack':
      return slackChannel(channel, http);
    case 'teams':
      return teamsChannel(channel, http);
    case 'discord':
      return discordChannel(channel, http);
    case 'webhook':
      return webhookChannel(channel, { ...http, now });
    case 'email':
      return emailChannel(channel, { adapters: context.adapters ?? (async () => []), ...(context.from !== undefined ? { from: context.from } : {}), timeoutMs });
    default:
      throw new MailError('CONFIG', `unknown alert channel type "${(channel as { type?: unknown }).type}": use slack, teams, discord, webhook or email`);
  }
}

const CHANNEL_TYPES = ['slack', 'teams', 'discord', 'webhook', 'email'] as const;
const CHANNELS_REMEDY =
  'Give alerts a list of channels, e.g. alerts: { channels: [{ type: "slack", url: "https://hooks.slack.com/services/..." }] }; each is an object whose type is slack, teams, discord, webhook (url and secret) or email (to).';

// The same rules as the configuration file's schema (./schema.ts), for options given in code: a
// CONFIG error at createMailer, never a silent channel or a TypeError. Values are not echoed: URLs are secrets.
function checkChannels(channels: unknown): asserts channels is AlertChannelOptions[] {
  if (!Array.isArray(channels) || channels.length === 0) {
    throw new MailError('CONFIG', 'alerts: "channels" must be a list of at least one channel', { remedy: CHANNELS_REMEDY });
  }
  channels.forEach(checkChannel);
}

function checkChannel(channel: unknown, index: number): void {
  const type = typeof channel === 'object' && channel !== null ? (channel as { type?: unknown }).type : undefined;
  if (!CHANNEL_TYPES.includes(type as (typeof CHANNEL_TYPES)[number])) {
    throw new MailError('CONFIG', `alerts.channels[${index}] is not a channel: expected an object whose type is ${CHANNEL_TYPES.join(', ')}`, { remedy: CHANNELS_REMEDY });
  }
  const one = channel as AlertChannelOptions;
  const where = `alerts channel "${one.type}"`;
  if (one.type !== 'email' && (typeof one.url !== 'string' || !/^https?:\/\/\S+$/i.test(one.url))) {
    throw new MailError('CONFIG', `${where}: "url" must be an http(s) URL`, { remedy: `Copy the ${one.type} webhook URL into alerts.channels[${index}].url.` });
  }
  if (one.type === 'webhook' && (typeof one.secret !== 'string' || one.secret.length < 16)) {
    throw new MailError('CONFIG', `${where}: "secret" must be a signing secret of 16 characters or more`, { remedy: 'Generate a random secret (e.g. openssl rand -hex 32) and give it to the receiver too, to check the Mailroom-Signature header.' });
  }
  if (one.type === 'email' && !(typeof one.to === 'string' ? one.to : Array.isArray(one.to) && one.to.length > 0)) {
    throw new MailError('CONFIG', `${where}: "to" must be an address or a list of addresses`, { remedy: `Put who receives the alerts in alerts.channels[${index}].to, e.g. "ops@example.com".` });
  }
}

// Node runs a timer of more than 2^31 - 1 ms after 1 ms: a throttle window that long would let
// every alert through, a scan period that long (or 0) would scan the journal without pause.
const MAX_TIMER_MS = 2 ** 31 - 1;
const TIMINGS: Array<[keyof AlertOptions | 'throttle.windowMs', number, number, string]> = [
  ['throttle.windowMs', 1, MAX_TIMER_MS, 'e.g. 600000 (10 min)'],
  ['pendingCheckMs', 1000, MAX_TIMER_MS, 'e.g. 300000 (5 min); pendingOlderThanMinutes: 0 turns the scan off'],
  ['queueCheckMs', 1000, MAX_TIMER_MS, 'e.g. 60000 (1 min); noWorkerMinutes: 0 turns the check off'],
  ['timeoutMs', 1, MAX_TIMER_MS, 'e.g. 10000'],
  ['pendingOlderThanMinutes', 0, Number.MAX_SAFE_INTEGER, 'e.g. 30, or 0 to turn the scan off'],
  ['noWorkerMinutes', 0, Number.MAX_SAFE_INTEGER, 'e.g. 5, or 0 to turn the check off'],
];

// The configuration file's schema (./schema.ts) holds the same bounds, for options given in code.
function checkTimings(options: AlertOptions): void {
  for (const [name, min, max, example] of TIMINGS) {
    const value = name === 'throttle.windowMs' ? options.throttle?.windowMs : (options as unknown as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new MailError('CONFIG', `alerts.${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value) ?? String(value)}`, { remedy: `Set alerts.${name} to a whole number, ${example}.` });
    }
  }
}

function warn(message: string): void {
  process.emitWarning(`[mailroom] alerts: ${message}`, { type: 'MailroomWarning', code: ALERT_WARNING_CODE });
}
