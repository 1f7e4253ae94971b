// Microsoft Teams through a Workflows webhook (the Office 365 connectors are being retired):
// the "Post to a channel when a webhook request is received" template expects a message whose
// attachments hold one Adaptive Card; Workflows accept Adaptive Cards only. It answers 202.
// Failures: 400 when the body does not match the flow's trigger schema, 401/403 when the sig= of
// the URL is wrong, 404 when the flow was deleted, 429 when the flow is throttled.
import { clip, type Alert } from '../alert.js';
import { bodyExcerpt, channelLabel, escapeMarkdown, postAlert, type AlertChannel, type HttpChannelContext } from './channel.js';
import type { TeamsChannelOptions } from '../options.js';

export function teamsChannel(options: TeamsChannelOptions, context: HttpChannelContext): AlertChannel {
  return {
    label: channelLabel('teams', options.url),
    async send(alert) {
      await postAlert('teams', options.url, JSON.stringify(teamsPayload(alert)), {}, context, (response) => ({
        detail: `the Teams workflow refused the alert: ${response.status} ${bodyExcerpt(response)}`,
        remedy: TEAMS_REMEDIES[response.status] ?? 'Open the workflow in Teams (Workflows > Manage) and check its run history.',
      }));
    },
  };
}

const TEAMS_REMEDIES: Record<number, string> = {
  400: 'The workflow did not accept an Adaptive Card message: create it from the template "Post to a channel when a webhook request is received" (Teams > channel > Workflows), or make its trigger accept { type: "message", attachments: [...] }.',
  401: 'The workflow URL is not authorized: copy the whole URL again from the workflow\'s trigger, including its sig= parameter.',
  403: 'The workflow URL is not authorized: copy the whole URL again from the workflow\'s trigger, including its sig= parameter.',
  404: 'The workflow no longer exists (deleted, or its owner left): create it again and update the URL in the alerts configuration.',
};

/** The JSON body the Workflows webhook receives for an alert. */
export function teamsPayload(alert: Alert): unknown {
  const footer = [`mailroom · ${alert.trigger}`, alert.occurredAt, alert.entryId ? `journal ${alert.entryId}` : undefined].filter(Boolean).join(' · ');
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.2',
          body: [
            { type: 'TextBlock', text: clip(alert.title, 300), weight: 'Bolder', size: 'Medium', wrap: true },
            // TextBlock text and fact values are Markdown in Teams: what others wrote is escaped.
            { type: 'TextBlock', text: clip(escapeMarkdown(alert.text), 3000), wrap: true },
            ...(alert.facts.length > 0 ? [{ type: 'FactSet', facts: alert.facts.map((fact) => ({ title: fact.label, value: clip(escapeMarkdown(fact.value), 1000) })) }] : []),
            { type: 'TextBlock', text: footer, isSubtle: true, size: 'Small', wrap: true },
          ],
        },
      },
    ],
  };
}
