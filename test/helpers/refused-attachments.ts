// A file type the provider refuses (its 4xx would stop the chain) makes the adapter step aside as
// UNSUPPORTED, naming the file, before any request: the next adapter in the chain sends the message.
import { expect } from 'vitest';
import { memoryAdapter } from '../../adapters/memory.js';
import type { MailAdapter } from '../../src/core/adapter.js';
import { createMailer } from '../../src/core/mailer.js';
import { MESSAGES } from '../conformance.js';

export async function expectRefusedAttachmentsSkipped(adapter: MailAdapter, requestsSoFar: () => number, filenames: string[]): Promise<void> {
  const backup = memoryAdapter({ name: 'backup' });
  const mailer = createMailer({ adapters: [adapter, backup], journal: false, retry: { attempts: 1 } });
  try {
    for (const filename of filenames) {
      const before = requestsSoFar();
      const result = await mailer.send({ ...MESSAGES['text only']!, attachments: [{ filename, content: 'x', contentType: 'application/octet-stream' }] });
      expect(result.adapter, filename).toBe('backup');
      expect(result.attempts[0]!.error).toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining(`"${filename}"`) });
      expect(requestsSoFar(), `${filename}: nothing sent`).toBe(before);
    }
  } finally {
    await mailer.close();
  }
}
