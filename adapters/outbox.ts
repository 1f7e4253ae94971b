// The outbox adapter: writes each message as a standard .eml file into a folder. It is the default
// when nothing is configured, so a fresh project sends with no account, and a developer can open
// what would have gone out in any mail client.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { allRecipients, FULL_CAPABILITIES, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { defineDsn } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { explain } from '../src/core/diagnose.js';
import { optionNames, refuseUnknownOptions } from '../src/core/known-options.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { buildMime } from '../src/kit/mime.js';

export interface OutboxOptions {
  /** Folder the .eml files go to; created when missing. Default "./outbox". */
  dir?: string;
  /** Adapter name in the chain. Default "outbox". */
  name?: string;
}

/**
 * One file per Message-ID (`<message-id>.eml`), written atomically: sending the same message again
 * (a resend of a pending entry keeps its Message-ID) replaces the file instead of adding a copy.
 */
export function outboxAdapter(options: OutboxOptions = {}): MailAdapter {
  refuseUnknownOptions('the outbox adapter', options, { names: optionNames<OutboxOptions>({ dir: true, name: true }) });
  const dir = resolve(options.dir ?? './outbox');
  const name = options.name ?? 'outbox';
  let ready: Promise<unknown> | undefined;
  return {
    name,
    capabilities: FULL_CAPABILITIES,
    async send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
      try {
        ready ??= mkdir(dir, { recursive: true }).catch((error: unknown) => {
          throw folderNotWritable(dir, name, error, 'create');
        });
        await ready;
        ctx.signal.throwIfAborted();
        const mime = await buildMime(message, { keepBcc: true });
        const file = join(dir, `${fileNameFor(message.messageId)}.eml`);
        const temporary = `${file}.${process.pid}.tmp`;
        await writeFile(temporary, mime);
        await rename(temporary, file);
        return { providerMessageId: file, accepted: allRecipients(message), rejected: [] };
      } catch (error) {
        ready = undefined;
        if (error instanceof MailError) throw error;
        if (NOT_WRITABLE.has((error as NodeJS.ErrnoException).code ?? '')) throw folderNotWritable(dir, name, error, 'write to');
        throw new MailError('TRANSIENT', `cannot write to the outbox folder ${dir}: ${(error as Error).message}`, { provider: name, cause: error });
      }
    },
    async verify() {
      await mkdir(dir, { recursive: true }).catch((error: unknown) => {
        throw folderNotWritable(dir, name, error, 'create');
      });
    },
    endpoint: { host: dir, tls: 'local' },
    toString: () => `outbox(${dir})`,
  } as MailAdapter;
}

/** `outbox://./outbox` or `outbox:///var/mail/outbox`. */
export function fromDsn(dsn: ParsedDsn): MailAdapter {
  return outboxAdapter(outboxOptionsFromDsn(dsn));
}

export function outboxOptionsFromDsn(dsn: ParsedDsn): OutboxOptions {
  return { dir: dsn.path || './outbox', ...(dsn.options.name ? { name: dsn.options.name } : {}) };
}

export const dsn = defineDsn({ schemes: { outbox: 'outbox://./outbox' }, pathOnly: true, order: 0, options: outboxOptionsFromDsn, create: outboxAdapter });

function fileNameFor(messageId: string): string {
  return messageId.replace(/^<|>$/g, '').replace(/[^A-Za-z0-9._@-]/g, '_');
}

// A folder this process may not create or write (a read-only disk, its permissions) stays so until
// someone fixes it: CONFIG, not retried as a passing failure, with what to do.
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

function folderNotWritable(dir: string, name: string, error: unknown, what: 'create' | 'write to'): MailError {
  const detail = `cannot ${what} the outbox folder ${dir}: ${(error as Error).message}`;
  // The remedy comes from the catalogue (src/core/diagnose.ts, rule outbox-not-writable).
  return new MailError('CONFIG', detail, { provider: name, cause: error, remedy: explain(detail)?.remedy });
}
