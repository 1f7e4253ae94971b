// Builds RFC 5322 MIME from a NormalizedMessage with nodemailer's composer, for every adapter that
// carries raw MIME (SMTP, SES raw, the outbox). File and URL access are off: an attachment is only
// ever the bytes the caller gave, never a path a contact form could smuggle in.
import { createRequire } from 'node:module';
import type MailComposerClass from 'nodemailer/lib/mail-composer';
import type { Address } from '../core/address.js';
import { headersWithTags, type NormalizedMessage } from '../core/message.js';
import { simpleMime } from './simple-mime.js';

// Loaded on the first message built: importing an adapter for its DSN declaration stays cheap.
const loadMailComposer = () => createRequire(import.meta.url)('nodemailer/lib/mail-composer') as typeof MailComposerClass;

// nodemailer's RFC 2047 encoder, loaded on first use like the composer.
const loadMimeFuncs = () => createRequire(import.meta.url)('nodemailer/lib/mime-funcs') as typeof import('nodemailer/lib/mime-funcs');

/**
 * A custom header's value as the MIME adapters write it: as is when it is printable ASCII, else as
 * RFC 2047 encoded words (nodemailer's encoder, as its composer uses). For an API that copies header
 * values into the message as given (SendGrid: "You must ensure these are properly encoded if they
 * contain unicode characters").
 */
export function encodedHeaderValue(value: string): string {
  return /^[\x20-\x7e\t]*$/.test(value) ? value : loadMimeFuncs().encodeWords(value, 'Q', 52, true);
}

/** The nodemailer message options for a NormalizedMessage (also what SMTP transports take). */
export function toNodemailerMessage(message: NormalizedMessage) {
  const list = (addresses: Address[]) => addresses.map((a) => (a.name ? { name: a.name, address: a.address } : a.address));
  return {
    from: message.from.name ? { name: message.from.name, address: message.from.address } : message.from.address,
    to: list(message.to),
    cc: list(message.cc),
    bcc: list(message.bcc),
    replyTo: list(message.replyTo),
    subject: message.subject,
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.html !== undefined ? { html: message.html } : {}),
    attachments: message.attachments.map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
      ...(a.cid ? { cid: a.cid, contentDisposition: 'inline' } : {}),
    })),
    headers: headersWithTags(message),
    messageId: message.messageId,
    date: message.date,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** The message as one MIME document. `keepBcc` writes the Bcc header (for .eml copies only). */
export async function buildMime(message: NormalizedMessage, options: { keepBcc?: boolean } = {}): Promise<Buffer> {
  // The common message in one pass, the same bytes (src/kit/simple-mime.ts); it never writes Bcc.
  const simple = options.keepBcc && message.bcc.length > 0 ? undefined : simpleMime(message);
  return simple !== undefined ? Buffer.from(simple) : composeMime(message, options);
}

/** The message through nodemailer's composer, whatever it holds. */
export function composeMime(message: NormalizedMessage, options: { keepBcc?: boolean } = {}): Promise<Buffer> {
  const node = new (loadMailComposer())(toNodemailerMessage(message)).compile();
  if (options.keepBcc) (node as unknown as { keepBcc: boolean }).keepBcc = true;
  return new Promise((resolve, reject) => {
    node.build((error: Error | null, output: Buffer) => (error ? reject(error) : resolve(output)));
  });
}
