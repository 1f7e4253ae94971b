// Encryption at rest of what the journal keeps for a resend (bodies, template data, attachments):
// AES-256-GCM from node:crypto, with a key from the configuration (`journal.encryptionKey` or
// MAILROOM_JOURNAL_KEY). Only the content is sealed: the summary stays readable, so listing and
// filtering need no key. GCM's tag makes a wrong key (or an altered entry) an error, never garbage.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MailError } from '../core/errors.js';
import type { MailMessage } from '../core/message.js';

// v2 binds the content to its entry (the entry id is the cipher's associated data): content copied
// onto another entry's row does not open there. v1 (no associated data) is still read.
const PREFIX = 'aes-256-gcm:v2:';
const V1_PREFIX = 'aes-256-gcm:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A journal key, held so that util.inspect and JSON.stringify of its holder never show it. */
export class JournalKey {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /**
   * Reads a 32-byte key written as 64 hex characters or in base64 (`openssl rand -base64 32`).
   * A wrong value is a CONFIG error that says its length, never the value.
   */
  static parse(value: string, source: string): JournalKey {
    const text = value.trim();
    const bytes = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : undefined;
    if (bytes?.length !== 32) {
      throw new MailError('CONFIG', `${source} must be a 32-byte key, written as 64 hex characters or in base64; the value given (${text.length} characters) is not`, {
        remedy: 'Generate one with `openssl rand -base64 32` (or `node -e "console.log(crypto.randomBytes(32).toString(\'base64\'))"`) and keep it with your other secrets.',
      });
    }
    return new JournalKey(bytes);
  }

  /** The content of entry `entryId` as one opaque string, which opens for that entry only. */
  seal(content: MailMessage, entryId: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(entryId, 'utf8'));
    const data = Buffer.concat([cipher.update(JSON.stringify(content), 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
  }

  /** The content back; throws CONFIG when this key did not seal it (or the entry was altered). */
  open(sealed: string, entryId: string): MailMessage {
    const bound = sealed.startsWith(PREFIX);
    const bytes = Buffer.from(sealed.slice((bound ? PREFIX : V1_PREFIX).length), 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES));
      if (bound) decipher.setAAD(Buffer.from(entryId, 'utf8'));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const text = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      return JSON.parse(text) as MailMessage;
    } catch (error) {
      throw new MailError('CONFIG', `the stored content of journal entry ${entryId} cannot be decrypted with the journal key given: it was written with another key, or altered (or copied from another entry)`, {
        cause: error,
        remedy: 'Set journal.encryptionKey (or MAILROOM_JOURNAL_KEY) to the key the entry was written with.',
      });
    }
  }

  toString(): string {
    return 'JournalKey(***)';
  }
}

/** Whether a stored value is sealed content. */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && (value.startsWith(PREFIX) || value.startsWith(V1_PREFIX));
}
