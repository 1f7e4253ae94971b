// The adapter contract: what every provider file in adapters/ implements, and the capability
// check that lets the chain skip an adapter that cannot carry a message before it is tried.
import { MailError } from './errors.js';
import type { NormalizedMessage } from './message.js';

/** What an adapter can carry. The chain checks these before sending and skips with UNSUPPORTED. */
export interface AdapterCapabilities {
  attachments: boolean;
  /** Inline images referenced by `cid:`. */
  inlineImages: boolean;
  /** true: any header; 'x-only': only names starting with "X-" (Microsoft Graph); false: none. */
  customHeaders: boolean | 'x-only';
  tags: boolean;
  metadata: boolean;
  /** Most Reply-To addresses (Brevo and Mailjet take one). */
  maxReplyTo: number;
  /** Most recipients, to + cc + bcc. */
  maxRecipients: number;
}

export interface SendContext {
  /** Aborted when the attempt times out or the caller gives up. */
  signal: AbortSignal;
  /** 1 for the first attempt through this adapter, 2 for its first retry... */
  attempt: number;
  idempotencyKey?: string;
}

export interface SendReceipt {
  providerMessageId?: string;
  accepted: string[];
  rejected: string[];
  warnings?: string[];
}

export interface MailAdapter {
  /** "office365", "brevo"...: unique in a chain, never a secret. */
  readonly name: string;
  readonly capabilities: AdapterCapabilities;
  /** Delivers or throws MailError; never anything else. */
  send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt>;
  /** Checks credentials and reachability without sending anything. */
  verify?(ctx?: { signal?: AbortSignal }): Promise<void>;
  close?(): Promise<void>;
}

/** Capabilities of an adapter that carries everything (SMTP, outbox, memory). */
export const FULL_CAPABILITIES: AdapterCapabilities = Object.freeze({
  attachments: true,
  inlineImages: true,
  customHeaders: true,
  tags: true,
  metadata: true,
  maxReplyTo: Number.POSITIVE_INFINITY,
  maxRecipients: Number.POSITIVE_INFINITY,
});

/** Says why `adapter` cannot carry `message`, as an UNSUPPORTED error, or undefined when it can. */
export function unsupportedReason(adapter: MailAdapter, message: NormalizedMessage): MailError | undefined {
  const caps = adapter.capabilities;
  const refuse = (what: string) =>
    new MailError('UNSUPPORTED', `${adapter.name} cannot carry this message: ${what}`, { provider: adapter.name });
  const files = message.attachments.filter((a) => !a.inline).length;
  const inline = message.attachments.length - files;
  if (files > 0 && !caps.attachments) return refuse('it does not support attachments');
  if (inline > 0 && !caps.inlineImages) return refuse('it does not support inline images');
  const headerNames = Object.keys(message.headers);
  if (headerNames.length > 0) {
    if (caps.customHeaders === false) return refuse('it does not support custom headers');
    if (caps.customHeaders === 'x-only') {
      const other = headerNames.find((name) => !/^x-/i.test(name));
      if (other) return refuse(`it only accepts custom headers named "X-...", not "${other}"`);
    }
  }
  if (message.tags.length > 0 && !caps.tags) return refuse('it does not support tags');
  if (Object.keys(message.metadata).length > 0 && !caps.metadata) return refuse('it does not support metadata');
  if (message.replyTo.length > caps.maxReplyTo) {
    return refuse(`it takes at most ${caps.maxReplyTo} reply-to address(es), the message has ${message.replyTo.length}`);
  }
  const recipients = message.to.length + message.cc.length + message.bcc.length;
  if (recipients > caps.maxRecipients) {
    return refuse(`it takes at most ${caps.maxRecipients} recipients, the message has ${recipients}`);
  }
  return undefined;
}

/** Every recipient address of a message, for receipts. */
export function allRecipients(message: NormalizedMessage): string[] {
  return [...message.to, ...message.cc, ...message.bcc].map((a) => a.address);
}
