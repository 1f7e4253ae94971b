// The memory adapter: keeps every message it is given in an array. For tests, examples and
// development; it honours the adapter contract exactly, so a test through it exercises the real chain.
import { allRecipients, FULL_CAPABILITIES, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { defineDsn } from '../src/core/dsn-options.js';
import { optionNames, refuseUnknownOptions } from '../src/core/known-options.js';
import type { NormalizedMessage } from '../src/core/message.js';

export interface MemoryAdapter extends MailAdapter {
  /** Every message delivered, oldest first. */
  readonly messages: NormalizedMessage[];
  /** Forgets the messages delivered so far. */
  clear(): void;
  /** "memory", as every adapter names what it is without a secret. */
  toString(): string;
}

export interface MemoryOptions {
  /** Adapter name in the chain. Default "memory". */
  name?: string;
}

export function memoryAdapter(options: MemoryOptions = {}): MemoryAdapter {
  refuseUnknownOptions('the memory adapter', options, { names: optionNames<MemoryOptions>({ name: true }) });
  const messages: NormalizedMessage[] = [];
  let counter = 0;
  return {
    name: options.name ?? 'memory',
    capabilities: FULL_CAPABILITIES,
    endpoint: { host: 'memory', tls: 'local' },
    messages,
    async send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
      ctx.signal.throwIfAborted();
      messages.push(message);
      counter += 1;
      return { providerMessageId: `memory-${counter}`, accepted: allRecipients(message), rejected: [] };
    },
    async verify() {},
    // As every adapter: String(adapter) says what it is (a log line, an error naming the chain).
    toString: () => 'memory',
    clear() {
      messages.length = 0;
    },
  };
}

/** `memory://` (optionally `memory://?name=second`). */
export function fromDsn(dsn: ParsedDsn): MailAdapter {
  return memoryAdapter(memoryOptionsFromDsn(dsn));
}

export function memoryOptionsFromDsn(dsn: ParsedDsn): MemoryOptions {
  return dsn.options.name ? { name: dsn.options.name } : {};
}

export const dsn = defineDsn({ schemes: { memory: 'memory://' }, pathOnly: true, order: 1, options: memoryOptionsFromDsn, create: memoryAdapter });
