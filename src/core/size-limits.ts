// The documented size limits of a provider's message parts, declared by its adapter and checked
// before any request: a message over one skips the adapter as UNSUPPORTED (the chain tries the
// next) where the provider's 400 or 422 would be REJECTED and stop the chain. Each limit is
// measured the way its provider counts, in bytes.
import { formatAddressList } from './address.js';
import type { NormalizedMessage } from './message.js';

/** Size limits in bytes, each optional: absent means the provider documents none. */
export interface SizeLimits {
  /** The text part and the html part, each, in UTF-8 (Postmark's TextBody and HtmlBody: 5 MB). */
  bodyPartBytes?: number;
  /**
   * Text + html + every attachment and inline image after base64 (4/3 of its bytes): the whole
   * message as Postmark (10 MB) and SparkPost's transmission content (20 MB) count it.
   */
  contentBytes?: number;
  /** One attachment's file name in UTF-8; an inline image counts its Content-ID, the name it is sent under (SparkPost: 255). */
  attachmentNameBytes?: number;
  /** The metadata as a JSON object in UTF-8 (SendGrid's custom_args: 10,000; SparkPost's metadata: 10 KB). */
  metadataJsonBytes?: number;
  /**
   * Custom headers, Reply-To, tags and metadata as the form options `h:Name`, `o:tag`, `v:key`,
   * names and values in UTF-8 (Mailgun: its o:, h: and v: options, 16 KB in total).
   */
  formOptionBytes?: number;
}

/** What is over a limit, in words naming the field, its size and the limit; undefined when all fit. `tags` are the ones that will be sent. */
export function sizeLimitExceeded(limits: SizeLimits, message: NormalizedMessage, tags: string[]): string | undefined {
  const over = (what: string, size: number, limit: number | undefined) =>
    limit !== undefined && size > limit ? `${what} is ${bytes(size)}, over its limit of ${bytes(limit)}` : undefined;
  const bodyParts = (['text', 'html'] as const).map((part) => {
    const value = message[part];
    return value === undefined ? undefined : over(`the ${part} part`, Buffer.byteLength(value), limits.bodyPartBytes);
  });
  const named = message.attachments.map((a) => {
    const name = a.inline ? (a.cid ?? a.filename) : a.filename;
    return over(`the name of ${a.inline ? 'inline image' : 'attachment'} "${name.slice(0, 40)}"`, Buffer.byteLength(name), limits.attachmentNameBytes);
  });
  const metadata = Object.keys(message.metadata).length ? over('the metadata (as JSON)', Buffer.byteLength(JSON.stringify(message.metadata)), limits.metadataJsonBytes) : undefined;
  return [
    ...bodyParts,
    over('the message (text + html + attachments after base64)', contentBytes(message), limits.contentBytes),
    ...named,
    metadata,
    over('the custom headers, Reply-To, tags and metadata (as h:, o:tag and v: options)', formOptionBytes(message, tags), limits.formOptionBytes),
  ].find((reason) => reason !== undefined);
}

function contentBytes(message: NormalizedMessage): number {
  const base64 = (length: number) => 4 * Math.ceil(length / 3);
  const parts = [message.text, message.html].reduce((sum, part) => sum + (part === undefined ? 0 : Buffer.byteLength(part)), 0);
  return parts + message.attachments.reduce((sum, a) => sum + base64(a.content.length), 0);
}

function formOptionBytes(message: NormalizedMessage, tags: string[]): number {
  const fields: [string, string][] = [
    ...(message.replyTo.length ? [['h:Reply-To', formatAddressList(message.replyTo)] as [string, string]] : []),
    ...Object.entries(message.headers).map(([name, value]): [string, string] => [`h:${name}`, value]),
    ...tags.map((tag): [string, string] => ['o:tag', tag]),
    ...Object.entries(message.metadata).map(([key, value]): [string, string] => [`v:${key}`, value]),
  ];
  return fields.reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value), 0);
}

function bytes(count: number): string {
  if (count >= 1024 * 1024) return `${(count / (1024 * 1024)).toFixed(1)} MB (${count} bytes)`;
  return `${count} bytes`;
}
