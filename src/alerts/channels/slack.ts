// Slack incoming webhook: POST {text, blocks}. `text` is the notification fallback; the blocks are
// a header, the sentence, the facts as mrkdwn fields and a context line. Slack answers 200 "ok", or
// a status with a plain-text code (400 invalid_payload, 403 action_prohibited, 404 no_service,
// 404 channel_not_found, 410 channel_is_archived). Block Kit limits: header text 150 characters,
// section text 3000, at most 10 fields of 2000 each.
import { clip, type Alert } from '../alert.js';
import { bodyExcerpt, channelLabel, postAlert, type AlertChannel, type HttpChannelContext } from './channel.js';
import type { SlackChannelOptions } from '../options.js';

export function slackChannel(options: SlackChannelOptions, context: HttpChannelContext): AlertChannel {
  return {
    label: channelLabel('slack', options.url),
    async send(alert) {
      await postAlert('slack', options.url, JSON.stringify(slackPayload(alert)), {}, context, (response) => {
        const code = bodyExcerpt(response);
        return { detail: `Slack refused the alert: ${response.status} ${code}`, remedy: SLACK_REMEDIES[code] ?? 'Check the incoming webhook in Slack (Apps > Incoming WebHooks) and the URL in the alerts configuration.' };
      });
    },
  };
}

const SLACK_REMEDIES: Record<string, string> = {
  no_service: 'The webhook URL is unknown or was revoked: create a new incoming webhook in Slack (Apps > Incoming WebHooks) and put its URL in the alerts configuration.',
  channel_not_found: 'The webhook\'s channel no longer exists: create a new incoming webhook for an existing channel.',
  channel_is_archived: 'The webhook\'s channel is archived: unarchive it or create a webhook for another channel.',
  action_prohibited: 'A Slack admin restricted posting to this channel: ask them, or use another channel.',
  invalid_payload: 'Slack could not read the alert: report this as a mailroom bug with the mailroom version.',
  invalid_token: 'The webhook URL is no longer valid: create a new incoming webhook and update the URL.',
};

/** The JSON body Slack receives for an alert. */
export function slackPayload(alert: Alert): { text: string; blocks: unknown[] } {
  const footer = [`mailroom · ${alert.trigger}`, alert.occurredAt, alert.entryId ? `journal ${alert.entryId}` : undefined].filter(Boolean).join(' · ');
  return {
    text: clip(`${alert.title}: ${alert.text}`, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(alert.title, 150), emoji: false } },
      { type: 'section', text: { type: 'mrkdwn', text: clip(escapeMrkdwn(alert.text), 3000) } },
      ...(alert.facts.length > 0
        ? [{ type: 'section', fields: alert.facts.slice(0, 10).map((fact) => ({ type: 'mrkdwn', text: clip(`*${escapeMrkdwn(fact.label)}*\n${escapeMrkdwn(fact.value)}`, 2000) })) }]
        : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(footer) }] },
    ],
  };
}

// Slack's mrkdwn treats &, < and > as control characters (links, mentions): they are escaped so
// an error text can never ping @channel or forge a link.
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
