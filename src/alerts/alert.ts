// One alert, as every channel receives it: what happened (trigger), to which adapter with which
// error code (the throttle key), a title, a sentence and a few facts. Built once from a mailer event,
// scrubbed once; each channel only lays it out (Slack blocks, an Adaptive Card, an embed...).
import type { SecretScrubber } from '../core/secrets.js';

/** What raised an alert. */
export type AlertTrigger = 'failed' | 'failover' | 'cooldown' | 'bounce' | 'complaint' | 'journal-error' | 'pending' | 'no-worker' | 'test';

/** Every trigger, in the order the README lists them. */
export const ALERT_TRIGGERS: readonly AlertTrigger[] = ['failed', 'failover', 'cooldown', 'bounce', 'complaint', 'journal-error', 'pending', 'no-worker', 'test'];

export interface AlertFact {
  label: string;
  value: string;
}

export interface Alert {
  trigger: AlertTrigger;
  /** Names the site: "[shop.example] Mail failed for good". */
  title: string;
  /** One or two sentences: what happened and what to do. */
  text: string;
  facts: AlertFact[];
  /** The adapter concerned, when one is. */
  adapter?: string;
  /** The MailError code (or bounce reason) concerned, when one is. */
  code?: string;
  /** The journal entry to look at (`mailroom journal show <id>`). */
  entryId?: string;
  /** The site or app name given in the alerts options. */
  site: string;
  /** When it happened (ISO 8601). */
  occurredAt: string;
  /** Set on a digest: how many more alerts like this one were held back by the throttle, and when. */
  digest?: { count: number; firstAt: string; lastAt: string };
  /** Adapters an email alert must not be sent through: the ones that failed. */
  avoidAdapters: string[];
}

/** What an alert is made from, before the title names the site and the text is scrubbed. */
export type AlertDraft = Omit<Alert, 'title' | 'site' | 'occurredAt' | 'avoidAdapters'> & { headline: string; avoidAdapters?: string[]; occurredAt?: string };

/** How recipient addresses appear in alerts: masked ("c***@example.com", the default), in full, or not at all. */
export type RecipientDisplay = 'masked' | 'full' | 'none';

/**
 * The alert with the site in its title and every string passed through the scrubber, then through
 * the recipient display: an address also hides in an error message or a bounce's MTA response.
 */
export function finishAlert(draft: AlertDraft, site: string, scrubber: SecretScrubber, now: number, recipients: RecipientDisplay): Alert {
  const { headline, avoidAdapters, occurredAt, ...rest } = draft;
  const clean = (text: string) => showAddressesIn(scrubber.text(text), recipients);
  return {
    ...rest,
    title: clean(`[${site}] ${headline}`),
    text: clean(draft.text),
    facts: draft.facts.map((fact) => ({ label: fact.label, value: clean(fact.value) })),
    site,
    occurredAt: occurredAt ?? new Date(now).toISOString(),
    avoidAdapters: avoidAdapters ?? (draft.adapter ? [draft.adapter] : []),
  };
}

/** The digest that follows an alert: the same key, with how many were held back since. */
export function digestOf(first: Alert, count: number, firstAt: string, lastAt: string): Alert {
  return {
    ...first,
    title: `${first.title} (and ${count} more like this)`,
    text: `${count} more alert${count === 1 ? '' : 's'} like this one were held back between ${firstAt} and ${lastAt}. ${first.text}`,
    occurredAt: lastAt,
    digest: { count, firstAt, lastAt },
  };
}

/**
 * A recipient as alerts show it. Alerts leave the application for third-party chat services, so by
 * default only the first character of the local part and the domain are kept: enough to tell
 * "which customer domain bounces", not enough to identify a person.
 */
export function showRecipient(address: string, display: RecipientDisplay): string | undefined {
  if (display === 'none') return undefined;
  const bare = /<([^<>]+)>\s*$/.exec(address)?.[1] ?? address;
  if (display === 'full') return bare;
  const at = bare.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${bare[0]}***${bare.slice(at)}`;
}

// Anything shaped like local@domain: the characters RFC 5322 allows unquoted in a local part, and
// letters of any script (an internationalized address is still a person's).
const ADDRESS_SHAPED = /[\p{L}\p{N}.!#$%&'*+/=?^_`{|}~-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*/gu;

/** A free text (an error, an MTA reply) with each address in it shown as `display` says; "none" leaves a placeholder. */
export function showAddressesIn(text: string, display: RecipientDisplay): string {
  if (display === 'full') return text;
  return text.replace(ADDRESS_SHAPED, (address) => showRecipient(address, display) ?? '(address hidden)');
}

/** Keeps a text within a channel's limit, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
