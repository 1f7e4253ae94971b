// The adapter contract: what every provider file in adapters/ implements, and the capability
// check that lets the chain skip an adapter that cannot carry a message before it is tried.
import { isAsciiLocalPart, toWireMessage } from './address.js';
import { MailError } from './errors.js';
import { optionNames } from './known-options.js';
import { contentTypeFromName, type NormalizedMessage } from './message.js';
import { sizeLimitExceeded, type SizeLimits } from './size-limits.js';

export type { SizeLimits } from './size-limits.js';

/**
 * What an adapter can carry, declared in full by each adapter (anymail's rule: what is not declared
 * is not supported). The chain checks a message against these before any I/O: a message over a
 * limit skips the adapter as UNSUPPORTED with the reason, except for tags: a tag outside `tagLimits`
 * and tags over `maxTags` are dropped with a warning (tags label reports; the message matters more).
 */
export interface AdapterCapabilities {
  attachments: boolean;
  /** Inline images referenced by `cid:`. */
  inlineImages: boolean;
  /** Largest single attachment (inline images included), in bytes. */
  maxAttachmentBytes: number;
  /** All attachments together, in bytes. */
  maxTotalAttachmentBytes: number;
  /** true: any header; 'x-only': only names starting with "X-" (Microsoft Graph); false: none. */
  customHeaders: boolean | 'x-only';
  /**
   * Most custom headers, counting X-Mailroom-Tags and X-Mailroom-Metadata when the message has
   * tags or metadata (the adapters that declare a limit carry them as headers).
   */
  maxCustomHeaders: number;
  /**
   * Header names (in any case) the provider will not take as custom headers: it sets them itself
   * or has a field of its own for them (Mailjet's forbidden headers, SendGrid's reserved ones), and
   * answers 400. A message with one skips the adapter as UNSUPPORTED, naming the header. Optional,
   * so an adapter written before it still compiles; absent means none beyond mailroom's own.
   */
  refusedHeaders?: readonly string[];
  /**
   * Every attachment's `contentType` must be the type its file name's extension implies, when the
   * extension is a known one (Resend drops such a message without an error: anymail's Resend docs).
   * A mismatch skips the adapter as UNSUPPORTED, naming the file. Optional; absent means any type.
   */
  attachmentTypeMatchesName?: boolean;
  /**
   * File name extensions (without the dot, in any case) the provider refuses in an attachment or
   * an inline image, e.g. "exe", "js" (SES's and Resend's unsupported attachment types, Postmark's
   * forbidden file types). A message with one skips the adapter as UNSUPPORTED, naming the file,
   * instead of the provider's 4xx that would stop the chain. Optional; absent means any extension.
   */
  refusedAttachmentExtensions?: readonly string[];
  tags: boolean;
  /** Most tags; the rest are dropped with a warning. */
  maxTags: number;
  /**
   * What one tag may be: a tag outside these limits is dropped with a warning before `maxTags`
   * applies. Optional, so an adapter written before it still compiles; absent means any tag.
   */
  tagLimits?: TagLimits;
  metadata: boolean;
  /** Most Reply-To addresses (Brevo and Mailjet take one). */
  maxReplyTo: number;
  /** Most recipients, to + cc + bcc. */
  maxRecipients: number;
  /**
   * The provider requires at least one `to` recipient (Brevo, Mailjet, Mailgun, SMTP2GO, SendGrid,
   * Resend): a message with recipients only in cc or bcc skips it as UNSUPPORTED. Optional, so an
   * adapter written before it still compiles; absent means cc or bcc alone is fine.
   */
  requiresTo?: boolean;
  /**
   * The provider refuses a message without a subject (Brevo, SendGrid: a 400, which would stop the
   * chain): a message with no subject skips it as UNSUPPORTED. Optional, so an adapter written
   * before it still compiles; absent means an empty subject is fine.
   */
  requiresSubject?: boolean;
  /**
   * Longest subject in UTF-16 code units (JavaScript's `length`; Mailjet and SMTP2GO take 255): a
   * longer one skips the adapter as UNSUPPORTED instead of the provider's 400, which would stop the
   * chain. Optional, so an adapter written before it still compiles; absent means any length.
   */
  maxSubjectLength?: number;
  /**
   * The provider's documented size limits on message parts (a body part, the whole content, an
   * attachment's name, the metadata...): a message over one skips the adapter as UNSUPPORTED,
   * naming the part and the limit. Optional, so an adapter written before it still compiles;
   * absent means none beyond the attachment limits above.
   */
  sizeLimits?: SizeLimits;
  /**
   * Addresses whose local part is not ASCII (RFC 6531, `pierre.müller@…`). Domains need no
   * capability: every adapter sends them in punycode (`toWireMessage`).
   */
  unicodeLocalParts: boolean;
}

/**
 * Every name AdapterCapabilities has, kept in step with it by the compiler: what an adapter that
 * takes capabilities from its caller (SMTP's `capabilities`) checks them against.
 */
export const CAPABILITY_NAMES = optionNames<AdapterCapabilities>({
  attachments: true, inlineImages: true, maxAttachmentBytes: true, maxTotalAttachmentBytes: true, customHeaders: true, maxCustomHeaders: true, refusedHeaders: true,
  attachmentTypeMatchesName: true, refusedAttachmentExtensions: true, tags: true,
  maxTags: true, tagLimits: true, metadata: true, maxReplyTo: true, maxRecipients: true, requiresTo: true, requiresSubject: true, maxSubjectLength: true, sizeLimits: true,
  unicodeLocalParts: true,
});

/** The documented limits on one tag (SparkPost's campaign_id, SendGrid's categories, Mailgun's o:tag). */
export interface TagLimits {
  /**
   * Longest tag in UTF-16 code units (JavaScript's `length`): never fewer than the characters, so a
   * tag within it is within the provider's character limit however the provider counts.
   */
  maxLength?: number;
  /** Longest tag in UTF-8 bytes. */
  maxBytes?: number;
  /** Only ASCII characters. */
  asciiOnly?: boolean;
}

export interface SendContext {
  /**
   * Aborted when the attempt times out or the caller gives up. It also names the attempt: pass it
   * on (to `httpRequest`), and a transport of your own finds the journal's handover report with
   * `handoverReporter(signal)` (src/core/handover.ts).
   */
  signal: AbortSignal;
  /** 1 for the first attempt through this adapter, 2 for its first retry... */
  attempt: number;
  idempotencyKey?: string;
}

export interface SendReceipt {
  providerMessageId?: string;
  /**
   * Other ids the provider's webhooks may name this message by, when it has more than one: per
   * recipient ids (Mailjet gives each recipient a MessageID and a MessageUUID). The journal indexes
   * them with `providerMessageId`, so an event about any recipient finds its entry.
   */
  providerRefs?: string[];
  accepted: string[];
  rejected: string[];
  warnings?: string[];
}

/** Where an adapter sends and how the connection is protected: for admin pages and error messages, never a credential. */
export interface AdapterEndpoint {
  /** Host (and port for SMTP), or the folder of the outbox. */
  host: string;
  port?: number;
  /** implicit: TLS from the first byte (465); starttls: upgrade required; starttls-optional: plaintext when not offered; https; none: plain http; local: no network. */
  tls: 'implicit' | 'starttls' | 'starttls-optional' | 'https' | 'none' | 'local';
  /** How it authenticates, e.g. "password", "oauth2", "api-key", "aws-signature", "none". */
  auth?: string;
}

/** A provider's sending limits for one account (a mailbox, an API key), where they are known. */
export interface AdapterLimits {
  /** What the limits apply to, shared by every adapter and instance sending as it; never a secret. E.g. "smtp.office365.com:587 shop@corp.com". */
  account: string;
  /** Most messages started in any 60 s window (Office 365: 30 per mailbox). */
  messagesPerMinute?: number;
  /** Most sends in progress at once (Office 365 SMTP: 3 connections per mailbox; Graph: 4 requests per mailbox). */
  concurrency?: number;
}

export interface MailAdapter {
  /** "office365", "brevo"...: unique in a chain, never a secret. */
  readonly name: string;
  /** Host and TLS mode, when the adapter says (every built-in one does). */
  readonly endpoint?: AdapterEndpoint;
  readonly capabilities: AdapterCapabilities;
  /**
   * The mailbox the adapter signs in as, when it sends as one (Office 365, Graph, SMTP whose user
   * is an address): the chain's default sender, since Office 365 refuses any other From without
   * Send As. Undefined for API keys and relays.
   */
  readonly mailbox?: string;
  /** Sending limits of the account, when known: shared by every instance when the mailer has `sharedLimits` (README "Many instances"). */
  readonly limits?: AdapterLimits;
  /** Delivers or throws MailError; never anything else. */
  send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt>;
  /** Checks credentials and reachability without sending anything. */
  verify?(ctx?: { signal?: AbortSignal }): Promise<void>;
  close?(): Promise<void>;
}

/** Capabilities of an adapter that carries everything as MIME (SMTP, outbox, memory). */
export const FULL_CAPABILITIES: AdapterCapabilities = Object.freeze({
  attachments: true,
  inlineImages: true,
  maxAttachmentBytes: Number.POSITIVE_INFINITY,
  maxTotalAttachmentBytes: Number.POSITIVE_INFINITY,
  customHeaders: true,
  maxCustomHeaders: Number.POSITIVE_INFINITY,
  tags: true,
  maxTags: Number.POSITIVE_INFINITY,
  metadata: true,
  maxReplyTo: Number.POSITIVE_INFINITY,
  maxRecipients: Number.POSITIVE_INFINITY,
  // SMTP negotiates it per server (RFC 6531 SMTPUTF8); a file or an array has no limit.
  unicodeLocalParts: true,
});

/**
 * Capabilities from what an adapter declares; anything not declared is not supported (anymail's
 * rule): a feature left out is false, and so its limit 0. A feature declared without its limit has
 * none (`attachments: true` alone: any size). Reply-To addresses default to none and recipients to
 * one, so an adapter that declares nothing still sends a plain one-recipient message.
 */
export function declareCapabilities(declared: Partial<AdapterCapabilities>): AdapterCapabilities {
  const unlimitedIf = (feature: boolean | 'x-only' | undefined) => (feature ? Number.POSITIVE_INFINITY : 0);
  const attachments = declared.attachments ?? false;
  const inlineImages = declared.inlineImages ?? false;
  const customHeaders = declared.customHeaders ?? false;
  const tags = declared.tags ?? false;
  return Object.freeze({
    attachments,
    inlineImages,
    maxAttachmentBytes: declared.maxAttachmentBytes ?? unlimitedIf(attachments || inlineImages),
    maxTotalAttachmentBytes: declared.maxTotalAttachmentBytes ?? unlimitedIf(attachments || inlineImages),
    customHeaders,
    maxCustomHeaders: declared.maxCustomHeaders ?? unlimitedIf(customHeaders),
    tags,
    maxTags: declared.maxTags ?? unlimitedIf(tags),
    metadata: declared.metadata ?? false,
    maxReplyTo: declared.maxReplyTo ?? 0,
    maxRecipients: declared.maxRecipients ?? 1,
    unicodeLocalParts: declared.unicodeLocalParts ?? false,
    // Requirements, not features: left out, there are none.
    ...(declared.requiresTo ? { requiresTo: true } : {}),
    ...(declared.requiresSubject ? { requiresSubject: true } : {}),
    ...(declared.maxSubjectLength !== undefined ? { maxSubjectLength: declared.maxSubjectLength } : {}),
    ...(declared.tagLimits ? { tagLimits: Object.freeze({ ...declared.tagLimits }) } : {}),
    ...(declared.sizeLimits ? { sizeLimits: Object.freeze({ ...declared.sizeLimits }) } : {}),
    ...(declared.refusedHeaders?.length ? { refusedHeaders: Object.freeze([...declared.refusedHeaders]) } : {}),
    ...(declared.attachmentTypeMatchesName ? { attachmentTypeMatchesName: true } : {}),
    ...(declared.refusedAttachmentExtensions?.length ? { refusedAttachmentExtensions: Object.freeze([...declared.refusedAttachmentExtensions]) } : {}),
  });
}

/** Says why `adapter` cannot carry `message`, as an UNSUPPORTED error, or undefined when it can. */
export function unsupportedReason(adapter: MailAdapter, message: NormalizedMessage): MailError | undefined {
  const caps = adapter.capabilities;
  const refuse = (what: string) =>
    new MailError('UNSUPPORTED', `${adapter.name} cannot carry this message: ${what}`, {
      provider: adapter.name,
      remedy: `Put an adapter that can carry it after ${adapter.name} in the chain (SMTP and Office 365 carry every field), or leave out what ${adapter.name} cannot carry; README "Declared limits" lists each adapter's.`,
    });
  const files = message.attachments.filter((a) => !a.inline).length;
  const inline = message.attachments.length - files;
  if (files > 0 && !caps.attachments) return refuse('it does not support attachments');
  if (inline > 0 && !caps.inlineImages) return refuse('it does not support inline images');
  if (caps.attachmentTypeMatchesName) {
    const mismatched = message.attachments.find((a) => {
      const implied = contentTypeFromName(a.filename);
      return implied !== 'application/octet-stream' && implied !== a.contentType;
    });
    if (mismatched) {
      return refuse(`attachment "${mismatched.filename}" is ${mismatched.contentType}, but its name says ${contentTypeFromName(mismatched.filename)}, and the provider drops such a message without an error: name the file after its type`);
    }
  }
  if (caps.refusedAttachmentExtensions) {
    const refusedExtensions = new Set(caps.refusedAttachmentExtensions.map((extension) => extension.toLowerCase()));
    const refused = message.attachments.find((a) => a.filename.includes('.') && refusedExtensions.has(a.filename.slice(a.filename.lastIndexOf('.') + 1).toLowerCase()));
    if (refused) return refuse(`attachment "${refused.filename}" ends in "${refused.filename.slice(refused.filename.lastIndexOf('.'))}", a file type it refuses to send`);
  }
  const big = message.attachments.find((a) => a.content.length > caps.maxAttachmentBytes);
  if (big) return refuse(`attachment "${big.filename}" is ${megabytes(big.content.length)}, over its limit of ${megabytes(caps.maxAttachmentBytes)} per attachment`);
  const total = message.attachments.reduce((sum, a) => sum + a.content.length, 0);
  if (total > caps.maxTotalAttachmentBytes) return refuse(`the attachments total ${megabytes(total)}, over its limit of ${megabytes(caps.maxTotalAttachmentBytes)}`);
  const oversized = caps.sizeLimits && sizeLimitExceeded(caps.sizeLimits, message, fitTags(adapter, message.tags).tags);
  if (oversized) return refuse(oversized);
  const headerNames = Object.keys(message.headers);
  if (headerNames.length > 0) {
    if (caps.customHeaders === false) return refuse('it does not support custom headers');
    if (caps.customHeaders === 'x-only') {
      const other = headerNames.find((name) => !/^x-/i.test(name));
      if (other) return refuse(`it only accepts custom headers named "X-...", not "${other}"`);
    }
  }
  if (caps.refusedHeaders) {
    const refusedNames = new Set(caps.refusedHeaders.map((name) => name.toLowerCase()));
    const refused = headerNames.find((name) => refusedNames.has(name.toLowerCase()));
    if (refused) return refuse(`it does not let a message set the header "${refused}" (the provider sets it itself or has a field of its own for it)`);
  }
  const headerCount = headerNames.length + (message.tags.length > 0 ? 1 : 0) + (Object.keys(message.metadata).length > 0 ? 1 : 0);
  if (headerCount > caps.maxCustomHeaders) {
    return refuse(`it takes at most ${caps.maxCustomHeaders} custom headers, the message needs ${headerCount} (tags and metadata take one each)`);
  }
  if (message.tags.length > 0 && !caps.tags) return refuse('it does not support tags');
  if (Object.keys(message.metadata).length > 0 && !caps.metadata) return refuse('it does not support metadata');
  if (message.replyTo.length > caps.maxReplyTo) {
    return refuse(`it takes at most ${caps.maxReplyTo} reply-to address(es), the message has ${message.replyTo.length}`);
  }
  if (caps.requiresTo && message.to.length === 0) return refuse('it requires at least one "to" recipient, the message has only cc or bcc');
  if (caps.requiresSubject && message.subject === '') return refuse('it requires a subject, the message has none');
  if (caps.maxSubjectLength !== undefined && message.subject.length > caps.maxSubjectLength) {
    return refuse(`it takes a subject of at most ${caps.maxSubjectLength} characters, the message has ${message.subject.length}`);
  }
  const recipients = message.to.length + message.cc.length + message.bcc.length;
  if (recipients > caps.maxRecipients) {
    return refuse(`it takes at most ${caps.maxRecipients} recipients, the message has ${recipients}`);
  }
  if (!caps.unicodeLocalParts) {
    const unicode = [message.from, ...message.replyTo, ...message.to, ...message.cc, ...message.bcc].find((a) => !isAsciiLocalPart(a.address));
    if (unicode) return refuse(`it cannot carry an address whose part before "@" is not ASCII (${unicode.address}): only SMTPUTF8 transports can`);
  }
  return undefined;
}

/**
 * Sends `message` through `adapter` within its declared capabilities: refuses with UNSUPPORTED
 * before any I/O, drops the tags it cannot take with a warning (`fitTags`), and hands `deliver` the
 * message in wire form (domains in punycode). Every adapter with declared limits sends through this.
 */
export async function sendWithin(
  adapter: MailAdapter,
  message: NormalizedMessage,
  deliver: (message: NormalizedMessage) => Promise<SendReceipt>,
): Promise<SendReceipt> {
  const refused = unsupportedReason(adapter, message);
  if (refused) throw refused;
  const { tags, warnings } = fitTags(adapter, message.tags);
  const fitted = tags === message.tags ? message : { ...message, tags };
  const wire = toWireMessage(fitted);
  const receipt = await deliver(wire);
  if (wire === fitted && warnings.length === 0) return receipt;
  // Receipts name recipients as the caller wrote them, not in their wire form.
  const asWritten = allRecipients(message);
  const given = new Map(allRecipients(wire).map((address, index) => [address, asWritten[index]!]));
  const asGiven = (list: string[]) => list.map((address) => given.get(address) ?? address);
  return {
    ...receipt,
    accepted: asGiven(receipt.accepted),
    rejected: asGiven(receipt.rejected),
    ...(warnings.length > 0 ? { warnings: [...warnings, ...(receipt.warnings ?? [])] } : {}),
  };
}

/**
 * The tags `adapter` can take, and a warning for each it cannot: first those outside its
 * `tagLimits` (so a tag that fits takes their place), then those over `maxTags`. The same array
 * when every tag fits.
 */
export function fitTags(adapter: MailAdapter, tags: string[]): { tags: string[]; warnings: string[] } {
  const { maxTags, tagLimits = {} } = adapter.capabilities;
  const warnings: string[] = [];
  let kept = tags;
  for (const [outside, limit] of tagRules(tagLimits)) {
    const dropped = kept.filter(outside);
    if (dropped.length === 0) continue;
    warnings.push(`${adapter.name} takes tags ${limit}: sent without ${dropped.map(quoteTag).join(', ')}`);
    kept = kept.filter((tag) => !outside(tag));
  }
  if (kept.length > maxTags) {
    warnings.push(`${adapter.name} takes at most ${maxTags} tag(s): sent without ${kept.slice(maxTags).map(quoteTag).join(', ')}`);
    kept = kept.slice(0, maxTags);
  }
  return { tags: kept, warnings };
}

// Each declared limit as a test a tag fails, with the limit in words.
function tagRules(limits: TagLimits): [(tag: string) => boolean, string][] {
  const rules: [(tag: string) => boolean, string][] = [];
  const { maxLength, maxBytes, asciiOnly } = limits;
  if (maxLength !== undefined) rules.push([(tag) => tag.length > maxLength, `of at most ${maxLength} characters`]);
  if (maxBytes !== undefined) rules.push([(tag) => Buffer.byteLength(tag) > maxBytes, `of at most ${maxBytes} bytes`]);
  if (asciiOnly) rules.push([(tag) => /[^\x00-\x7f]/.test(tag), 'in ASCII only']);
  return rules;
}

// A dropped tag in a warning: a long one shortened, so the warning stays readable in the journal.
function quoteTag(tag: string): string {
  return tag.length > 40 ? `${JSON.stringify(tag.slice(0, 40)).slice(0, -1)}…" (${tag.length} characters)` : JSON.stringify(tag);
}

/** Every recipient address of a message, for receipts. */
export function allRecipients(message: NormalizedMessage): string[] {
  return [...message.to, ...message.cc, ...message.bcc].map((a) => a.address);
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
}

/** The endpoint of an HTTP API adapter from its base URL. */
export function httpEndpoint(baseUrl: string, auth: string): AdapterEndpoint {
  const url = new URL(baseUrl);
  return { host: url.host, tls: url.protocol === 'https:' ? 'https' : 'none', auth };
}

const TLS_LABELS: Record<AdapterEndpoint['tls'], string> = {
  implicit: 'TLS',
  starttls: 'STARTTLS',
  'starttls-optional': 'STARTTLS if offered',
  https: 'HTTPS',
  none: 'no TLS',
  local: '',
};

/** "smtp.office365.com:587 STARTTLS", "api.brevo.com HTTPS": an adapter's endpoint in words. */
export function describeEndpoint(endpoint: AdapterEndpoint | undefined): string | undefined {
  if (!endpoint) return undefined;
  const where = `${endpoint.host}${endpoint.port ? `:${endpoint.port}` : ''}`;
  return endpoint.tls === 'local' ? where : `${where} ${TLS_LABELS[endpoint.tls]}`;
}
