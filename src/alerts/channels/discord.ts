// Discord channel webhook: POST {username, embeds, allowed_mentions}. Discord answers 204 (no
// ?wait=true). Embed limits: title 256, description 4096, 25 fields (name 256, value 1024), 6000
// characters in all; an over-long field is a 400 "Invalid Form Body" (code 50035). Mentions are
// switched off so an error text holding "@everyone" pings nobody.
import { clip, type Alert } from '../alert.js';
import { bodyExcerpt, channelLabel, escapeMarkdown, postAlert, type AlertChannel, type HttpChannelContext } from './channel.js';
import type { DiscordChannelOptions } from '../options.js';

// Embed colours: red for mail lost, orange for a degraded chain, yellow for the rest.
const COLOURS: Record<string, number> = { failed: 0xd73a49, bounce: 0xd73a49, complaint: 0xd73a49, failover: 0xf66a0a, cooldown: 0xf66a0a, 'journal-error': 0xf66a0a, pending: 0xdbab09, test: 0x2188ff };

export function discordChannel(options: DiscordChannelOptions, context: HttpChannelContext): AlertChannel {
  return {
    label: channelLabel('discord', options.url),
    async send(alert) {
      await postAlert('discord', options.url, JSON.stringify(discordPayload(alert, options.username)), {}, context, (response) => ({
        detail: `Discord refused the alert: ${response.status} ${bodyExcerpt(response)}`,
        remedy: DISCORD_REMEDIES[response.status] ?? 'Check the webhook in Discord (channel settings > Integrations > Webhooks).',
      }));
    },
  };
}

const DISCORD_REMEDIES: Record<number, string> = {
  400: 'Discord could not read the alert: report this as a mailroom bug with the mailroom version.',
  401: 'The webhook token is wrong: copy the webhook URL again (channel settings > Integrations > Webhooks > Copy Webhook URL).',
  404: 'The webhook was deleted: create a new one (channel settings > Integrations > Webhooks) and update the URL.',
  429: 'Discord rate-limited the webhook: too many messages to this channel; alerts are throttled, so another app shares it.',
};

/** The JSON body Discord receives for an alert. */
export function discordPayload(alert: Alert, username = 'mailroom'): unknown {
  const title = clip(alert.title, 256);
  // The description and field values are Markdown in Discord: what others wrote is escaped.
  const description = clip(escapeMarkdown(alert.text), 2000);
  const fields = alert.facts.slice(0, 25).map((fact) => ({ name: clip(fact.label, 256), value: clip(escapeMarkdown(fact.value), 1024), inline: fact.value.length <= 40 }));
  // Stay under the 6000-character total by dropping the longest facts' tails first.
  let total = title.length + description.length + fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0);
  for (const field of [...fields].sort((a, b) => b.value.length - a.value.length)) {
    if (total <= 5800) break;
    const cut = Math.min(field.value.length - 100, total - 5800);
    if (cut <= 0) continue;
    field.value = clip(field.value, field.value.length - cut);
    total -= cut;
  }
  return {
    username,
    embeds: [
      {
        title,
        description,
        color: COLOURS[alert.trigger] ?? 0xdbab09,
        fields,
        timestamp: alert.occurredAt,
        footer: { text: [`mailroom · ${alert.trigger}`, alert.entryId ? `journal ${alert.entryId}` : undefined].filter(Boolean).join(' · ') },
      },
    ],
    allowed_mentions: { parse: [] },
  };
}
