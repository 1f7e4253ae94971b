// The providers' documented size limits on message parts (SendGrid's custom_args, Mailgun's send
// options, SparkPost's attachment names and metadata, Postmark's body parts and message size),
// checked before any request: the adapter is skipped as UNSUPPORTED naming the part and the limit,
// nothing reaches the provider's local contract server (which would refuse it: a 400 or 422 the
// chain takes as REJECTED and stops on), and the chain sends through the next adapter.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailgunAdapter } from '../adapters/mailgun.js';
import { memoryAdapter } from '../adapters/memory.js';
import { postmarkAdapter } from '../adapters/postmark.js';
import { sendgridAdapter } from '../adapters/sendgrid.js';
import { sparkpostAdapter } from '../adapters/sparkpost.js';
import type { MailAdapter } from '../src/core/adapter.js';
import { MailError } from '../src/core/errors.js';
import { createMailer } from '../src/core/mailer.js';
import { normalizeMessage, type MailMessage } from '../src/core/message.js';
import { sendContext } from './conformance.js';
import { startMailgunServer } from './providers/mailgun.js';
import { startPostmarkServer } from './providers/postmark.js';
import { startSendgridServer } from './providers/sendgrid.js';
import type { ProviderServer } from './providers/server.js';
import { startSparkpostServer } from './providers/sparkpost.js';

const BASE: MailMessage = { from: 'shop@example.com', to: 'ann@example.com', subject: 'Order 1042', text: 'Thank you.' };
const MB = 1024 * 1024;

interface Case {
  what: string;
  start(): Promise<ProviderServer>;
  adapter(url: string): MailAdapter;
  message: MailMessage;
  reason: RegExp;
}

const CASES: Case[] = [
  {
    what: 'SendGrid: metadata (custom_args) over 10,000 bytes',
    start: () => startSendgridServer('SG.test-key.0123456789abcdef'),
    adapter: (url) => sendgridAdapter({ apiKey: 'SG.test-key.0123456789abcdef', baseUrl: url }),
    message: { ...BASE, metadata: { orderId: '1042', note: 'n'.repeat(10_000) } },
    reason: /sendgrid cannot carry this message: the metadata \(as JSON\) is 10028 bytes, over its limit of 10000 bytes/,
  },
  {
    what: 'Mailgun: headers, tags and metadata over 16 KB of send options',
    start: () => startMailgunServer('key-0123456789abcdef', ['mg.example.com']),
    adapter: (url) => mailgunAdapter({ apiKey: 'key-0123456789abcdef', domain: 'mg.example.com', baseUrl: url }),
    message: { ...BASE, headers: { 'X-Trace': 't'.repeat(10 * 1024) }, metadata: { cart: 'c'.repeat(6 * 1024) }, tags: ['order'] },
    reason: /mailgun cannot carry this message: the custom headers, Reply-To, tags and metadata \(as h:, o:tag and v: options\) is 16409 bytes, over its limit of 16384 bytes/,
  },
  {
    what: 'SparkPost: an attachment name over 255 bytes',
    start: () => startSparkpostServer(),
    adapter: (url) => sparkpostAdapter({ apiKey: '0123456789abcdef0123456789abcdef01234567', baseUrl: url }),
    // 126 two-byte characters and ".pdf": 130 characters, 256 bytes.
    message: { ...BASE, attachments: [{ filename: `${'é'.repeat(126)}.pdf`, content: 'pdf', contentType: 'application/pdf' }] },
    reason: /sparkpost cannot carry this message: the name of attachment "é+" is 256 bytes, over its limit of 255 bytes/,
  },
  {
    what: 'SparkPost: metadata over 10 KB',
    start: () => startSparkpostServer(),
    adapter: (url) => sparkpostAdapter({ apiKey: '0123456789abcdef0123456789abcdef01234567', baseUrl: url }),
    message: { ...BASE, metadata: { note: 'n'.repeat(10 * 1024) } },
    reason: /sparkpost cannot carry this message: the metadata \(as JSON\) is 10251 bytes, over its limit of 10240 bytes/,
  },
  {
    what: 'Postmark: a text part over 5 MB',
    start: () => startPostmarkServer(),
    adapter: (url) => postmarkAdapter({ serverToken: 'pm-server-token-0123456789', baseUrl: url }),
    message: { ...BASE, text: 'x'.repeat(5 * MB + 1) },
    reason: /postmark cannot carry this message: the text part is 5\.0 MB \(5242881 bytes\), over its limit of 5\.0 MB \(5242880 bytes\)/,
  },
  {
    what: 'Postmark: text + html + attachments over 10 MB (each within its own limit)',
    start: () => startPostmarkServer(),
    adapter: (url) => postmarkAdapter({ serverToken: 'pm-server-token-0123456789', baseUrl: url }),
    // 4 MB + 4 MB + 1.5 MB of attachment (2 MB in base64): 10 MB, and one byte more.
    message: { ...BASE, text: 't'.repeat(4 * MB + 1), html: `<p>${'h'.repeat(4 * MB - 7)}</p>`, attachments: [{ filename: 'invoice.pdf', content: new Uint8Array(1.5 * MB), contentType: 'application/pdf' }] },
    reason: /postmark cannot carry this message: the message \(text \+ html \+ attachments after base64\) is 10\.0 MB \(10485761 bytes\), over its limit of 10\.0 MB \(10485760 bytes\)/,
  },
];

describe.each(CASES)('$what', ({ start, adapter, message, reason }) => {
  let server: ProviderServer;
  beforeAll(async () => {
    server = await start();
  });
  afterAll(() => server.close());

  it('is refused as UNSUPPORTED, naming the part and the limit, before any request reaches the provider', async () => {
    const error = await adapter(server.url).send(normalizeMessage(message), sendContext()).then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).code).toBe('UNSUPPORTED');
    expect((error as MailError).message).toMatch(reason);
    expect((error as MailError).remedy).toMatch(/Put an adapter that can carry it after/);
    expect(server.requests).toEqual([]);
  });

  it('the chain goes on to the next adapter, which sends it; the attempt says why', async () => {
    const backup = memoryAdapter({ name: 'backup' });
    const mailer = createMailer({ adapters: [adapter(server.url), backup], journal: false, retry: { attempts: 1 } });
    try {
      const result = await mailer.send(message);
      expect(result.adapter).toBe('backup');
      expect(backup.messages).toHaveLength(1);
      expect(result.attempts[0]!.error).toMatchObject({ code: 'UNSUPPORTED' });
      expect(result.attempts[0]!.error!.message).toMatch(reason);
      expect(server.requests).toEqual([]);
    } finally {
      await mailer.close();
    }
  });
});

describe('a message just within the limits is sent', () => {
  it('Postmark takes a text part of exactly 5 MB', async () => {
    const server = await startPostmarkServer();
    try {
      const receipt = await postmarkAdapter({ serverToken: 'pm-server-token-0123456789', baseUrl: server.url }).send(normalizeMessage({ ...BASE, text: 'x'.repeat(5 * MB) }), sendContext());
      expect(receipt.accepted).toEqual(['ann@example.com']);
    } finally {
      await server.close();
    }
  });
});
