// What every alert channel is: a label safe to print, and send(), which resolves when the service
// accepted the alert and throws a MailError (with a remedy) when it did not. The HTTP channels share
// postAlert(): the kit's httpRequest (timeout, no redirects, network errors classified), with the
// channel's secrets scrubbed from whatever comes back.
import { MailError } from '../../core/errors.js';
import { SecretScrubber } from '../../core/secrets.js';
import { httpRequest, type HttpResponse } from '../../kit/http.js';
import type { Alert } from '../alert.js';

export interface AlertChannel {
  /** "slack (hooks.slack.com)": the kind and host, never the URL's secret path. */
  readonly label: string;
  send(alert: Alert): Promise<void>;
  close?(): Promise<void>;
}

export interface HttpChannelContext {
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** The label of an HTTP channel: its type and host only (the path of a webhook URL is its credential). */
export function channelLabel(type: string, url: string): string {
  try {
    return `${type} (${new URL(url).host})`;
  } catch {
    return type;
  }
}

/** The forms of a webhook URL that must never be shown: the whole URL, its path and its query. */
export function urlSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [url, `${parsed.pathname}${parsed.search}`, parsed.pathname, parsed.search.slice(1), ...[...parsed.searchParams.values()]].filter((part) => part.length >= 8);
  } catch {
    return [url];
  }
}

/**
 * POSTs a JSON body; resolves the response when `accepted(status)`, else throws CONFIG (a 4xx: the
 * URL or the payload is wrong, retrying will not help) or TRANSIENT (5xx), built by `explain`.
 */
export async function postAlert(
  type: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  context: HttpChannelContext,
  explain: (response: HttpResponse) => { detail: string; remedy: string },
): Promise<HttpResponse> {
  const scrubber = new SecretScrubber(urlSecrets(url));
  try {
    const response = await httpRequest({
      provider: type,
      url,
      body,
      headers: { 'content-type': 'application/json', ...headers },
      timeoutMs: context.timeoutMs,
      ...(context.fetch ? { fetch: context.fetch } : {}),
    });
    if (response.status >= 200 && response.status < 300) return response;
    const { detail, remedy } = explain(response);
    throw new MailError(response.status >= 500 || response.status === 429 ? 'TRANSIENT' : 'CONFIG', detail, { provider: type, status: response.status, remedy });
  } catch (error) {
    throw scrubber.error(error instanceof MailError && error.status === undefined ? unreachable(error, type, url) : error);
  }
}

// The kit's network errors speak of a provider that "may have accepted the message" and quote the
// URL; for an alert channel, the host and what happened are what a person needs.
function unreachable(error: MailError, type: string, url: string): MailError {
  let detail = error.detail.replace(/: the provider may have accepted the message$/, '');
  try {
    const parsed = new URL(url);
    detail = detail.split(`${parsed.origin}${parsed.pathname}`).join(parsed.host);
  } catch {
    // an unparsable URL is scrubbed whole below
  }
  return new MailError('TRANSIENT', detail, { provider: type, cause: error, remedy: `Check that ${type === 'webhook' ? 'the receiver' : `the ${type} webhook`} is reachable from this server (DNS, firewall, proxy) and answers within the alerts timeoutMs.` });
}

/** The first line of a response body, short enough for one error line. */
export function bodyExcerpt(response: HttpResponse): string {
  const text = response.text.trim().split('\n')[0] ?? '';
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

// The characters Markdown (CommonMark, which Teams' Adaptive Cards and Discord both follow for
// these) acts on inline: emphasis, strike, code, links, autolinks, spoilers. Parentheses are left
// as they are: without its brackets a URL in them is no link.
const MARKDOWN_ACTIVE = /[\\*_~`[\]<>|]/g;

/**
 * Text for a Markdown surface (Teams, Discord) shown as written: a bounce reply or an error message
 * is written by someone else (the recipient's mail server), and must not become a link or emphasis.
 * Slack's mrkdwn has its own rules (slack.ts).
 */
export function escapeMarkdown(text: string): string {
  return text.replace(MARKDOWN_ACTIVE, (character) => `\\${character}`);
}
