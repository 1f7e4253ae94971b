// Alerts by email, never through an adapter that just failed: the chain is the mailer's own without
// the alert's failing adapters (or the channel's own `dsn` chain, minus any adapter that points at
// the same place as a failing one). When no adapter is left, the channel says so instead of sending
// through the broken one. The alert mailer keeps no journal and does not retry: an alert is not
// worth delaying, and it must not add entries to the journal it may be reporting on.
import { describeEndpoint, type MailAdapter } from '../../core/adapter.js';
import { adaptersFromDsn } from '../../core/dsn.js';
import { MailError } from '../../core/errors.js';
import type { AddressInput } from '../../core/address.js';
import type { Alert } from '../alert.js';
import type { AlertChannel } from './channel.js';
import type { EmailChannelOptions } from '../options.js';

export interface EmailChannelContext {
  /** The mailer's chain. */
  adapters: () => Promise<MailAdapter[]>;
  /** The mailer's default sender. */
  from?: AddressInput;
  timeoutMs: number;
}

export function emailChannel(options: EmailChannelOptions, context: EmailChannelContext): AlertChannel {
  const to = Array.isArray(options.to) ? options.to : [options.to];
  let own: Promise<MailAdapter[]> | undefined;
  return {
    label: `email (${to.length} recipient${to.length === 1 ? '' : 's'}${options.dsn ? ', own chain' : ''})`,
    async send(alert) {
      const chain = await context.adapters();
      const failing = chain.filter((adapter) => alert.avoidAdapters.includes(adapter.name));
      const candidates = options.dsn ? await (own ??= adaptersFromDsn(options.dsn)) : chain;
      const places = new Set(failing.map(place));
      const usable = candidates.filter((adapter) => (options.dsn ? !places.has(place(adapter)) : !alert.avoidAdapters.includes(adapter.name)));
      if (usable.length === 0) {
        throw new MailError('CONFIG', `no adapter is left to email this alert: ${alert.avoidAdapters.join(', ') || 'every adapter'} failed and an alert is never sent through a failing adapter`, {
          remedy: 'Give the email channel a chain of its own, e.g. { type: "email", to, dsn: "smtp://user:pass@other-host:587" }, or add a chat or webhook channel.',
        });
      }
      const { createMailer } = await import('../../core/mailer.js');
      const from = options.from ?? context.from;
      const mailer = createMailer({ adapters: usable.map(keepOpen), journal: false, retry: { attempts: 1 }, timeoutMs: context.timeoutMs, ...(from ? { from } : {}) });
      try {
        await mailer.send({ to, subject: alert.title, text: emailText(alert), tags: ['mailroom-alert'] });
      } finally {
        await mailer.close();
      }
    },
    async close() {
      const adapters = await own?.catch(() => []);
      await Promise.allSettled((adapters ?? []).map((adapter) => adapter.close?.()));
    },
  };
}

/** The plain-text body of an alert email. */
export function emailText(alert: Alert): string {
  const width = Math.max(0, ...alert.facts.map((fact) => fact.label.length));
  return [
    alert.text,
    '',
    ...alert.facts.map((fact) => `${`${fact.label}:`.padEnd(width + 2)}${fact.value}`),
    '',
    `-- mailroom alert (${alert.trigger}) at ${alert.occurredAt}${alert.entryId ? `; see mailroom journal show ${alert.entryId}` : ''}`,
  ].join('\n');
}

// Where an adapter sends to ("smtp(mail.example.com:587)"): two adapters with the same place are
// the same transport, whatever their names.
function place(adapter: MailAdapter): string {
  const endpoint = describeEndpoint(adapter.endpoint);
  if (endpoint) return `${adapter.name.replace(/-\d+$/, '')}:${endpoint}`;
  const text = String(adapter);
  return text === '[object Object]' ? `adapter:${adapter.name}` : text;
}

// The mailer's adapters lent to the alert mailer: its close() must not close them.
function keepOpen(adapter: MailAdapter): MailAdapter {
  return new Proxy(adapter, {
    get(target, property) {
      if (property === 'close') return undefined;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
