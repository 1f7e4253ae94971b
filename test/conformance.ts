// The shared adapter conformance suite: the same messages and the same faults for every adapter,
// checked against what actually arrived at the (local) provider.
//
// Use, in an adapter's test file, at top level:
//
//   runConformance('brevo', async () => {
//     const server = await startBrevoServer();               // anything that receives mail
//     return {
//       adapter: brevoAdapter({ apiKey: KEY, baseUrl: server.url }),
//       takeArrivals: async () => server.takeArrivals(),     // Arrival[] since the last call
//       inject: (fault) => server.fail(fault),               // script the next answer
//       unreachable: () => brevoAdapter({ apiKey: KEY, baseUrl: `http://127.0.0.1:${port}` }), // port = await closedPort()
//       secrets: [KEY],
//       close: () => server.close(),
//     };
//   }, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'] });
//
// The harness translates what its server received into an `Arrival` (the provider-neutral view of
// a delivered message); `arrivalFromMime` does that for raw MIME (SMTP, SES, outbox). The suite
// sends each message of MESSAGES with the parts the adapter's capabilities cannot carry removed,
// checks every field on arrival and the receipt, then checks that each capability the adapter lacks
// is refused as UNSUPPORTED (by `unsupportedReason` and by `send` itself), that each fault maps to
// its code, that `verify()` sends nothing, and that no secret shows in the adapter or its errors.
import { once } from 'node:events';
import net from 'node:net';
import { domainToUnicode } from 'node:url';
import { inspect } from 'node:util';
import { parseAddressHeader, simpleParser } from 'mailparser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { unsupportedReason, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import type { Address } from '../src/core/address.js';
import { memoryAdapter } from '../adapters/memory.js';
import { MailError, type MailErrorCode } from '../src/core/errors.js';
import { createMailer } from '../src/core/mailer.js';
import { normalizeMessage, type MailMessage, type NormalizedMessage } from '../src/core/message.js';

/** A message as the provider received it, in provider-neutral form. */
export interface Arrival {
  from: Address;
  to: Address[];
  cc: Address[];
  /** Names may be lost (an SMTP envelope has none): only addresses are compared. */
  bcc: Address[];
  replyTo: Address[];
  subject: string;
  text?: string;
  html?: string;
  attachments: { filename: string; contentType: string; content: Buffer; cid?: string; inline: boolean }[];
  /** Custom headers as they arrived; extra headers are fine, names compare case-insensitively. */
  headers: Record<string, string>;
  tags: string[];
  metadata: Record<string, string>;
  /** The id the provider answered with, exactly as the receipt must carry it (if it issues one). */
  providerMessageId?: string;
}

/** How a success answer is garbled after the provider took the message: body cut off, or not JSON. */
export type GarbledAnswer = 'cut-off' | 'invalid-json';

/** Faults a harness can script. Each maps to one code (see FAULT_CODES). */
export type Fault = 'auth' | 'rate-limit' | 'server-error' | 'rejected' | 'drop' | 'silent';

/** What each fault must become. `drop`: the connection closes after the request arrived; `silent`: no answer. */
export const FAULT_CODES: Record<Fault, MailErrorCode> = {
  auth: 'AUTH',
  'rate-limit': 'RATE_LIMITED',
  'server-error': 'TRANSIENT',
  rejected: 'REJECTED',
  drop: 'AMBIGUOUS',
  silent: 'AMBIGUOUS',
};

export interface ConformanceHarness {
  adapter: MailAdapter;
  /** What reached the provider since the last call, oldest first. */
  takeArrivals(): Promise<Arrival[]>;
  /** Makes the provider answer the next request with this fault (then it recovers). */
  inject?(fault: Fault): void | Promise<void>;
  /**
   * What the provider receives when it differs from the message by design (a declared difference,
   * e.g. Graph keeps one body). Default: the message itself.
   */
  expected?(sent: NormalizedMessage): NormalizedMessage;
  /** Makes the provider take the next message, then garble its success answer. */
  garble?(how: GarbledAnswer): void | Promise<void>;
  /** The wait the injected rate-limit answer asks for, when the provider tells one. */
  rateLimitRetryAfterMs?: number;
  /** The same adapter pointed at a port where nothing listens: must fail TRANSIENT (required unless `unreachable: false`). */
  unreachable?(): MailAdapter;
  /** Credentials that must never show in `String(adapter)`, `inspect`, errors or their JSON. */
  secrets?: string[];
  /** Clears injected faults and arrivals before each test. */
  reset?(): void | Promise<void>;
  close?(): Promise<void>;
}

// 1x1 transparent PNG and a "PDF" with every byte value, so a lossy encoding cannot pass.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 256 }, (_, i) => i))]);

/** The message set every adapter carries. `full` exercises every field. */
export const MESSAGES: Record<string, MailMessage> = {
  full: {
    from: { name: 'Zoë Ünal — Boutique', address: 'shop@example.com' },
    to: ['"O\'Neil, Ann" <ann@example.com>', { name: '李小龙', address: 'bruce@example.org' }],
    cc: 'Chloé Dubois <chloe@example.net>',
    bcc: ['audit@example.com'],
    replyTo: 'Service Client <support@example.com>',
    subject: 'Votre commande n° 1042 — 注文確認 ✓ 🎉',
    text: 'Merci pour votre commande n° 1042.\nGrüße, 李小龙 🎉',
    html: '<p>Merci pour votre commande n° <b>1042</b>.</p><p><img src="cid:logo@mailroom" alt="logo"> Grüße 🎉</p>',
    attachments: [
      { filename: 'facture-1042.pdf', content: PDF, contentType: 'application/pdf' },
      { filename: 'logo.png', content: PNG, contentType: 'image/png', cid: 'logo@mailroom' },
    ],
    headers: { 'X-Order-Id': '1042', 'X-Campaign': 'printemps-2026' },
    tags: ['order', 'confirmation'],
    metadata: { orderId: '1042', customer: 'c-77' },
  },
  'text only': {
    from: 'shop@example.com',
    to: 'ann@example.com',
    subject: 'Plain text',
    text: 'Only text, with ünïcödé.',
  },
  'html only': {
    from: 'Shop <shop@example.com>',
    to: ['ann@example.com', 'bob@example.org'],
    subject: 'HTML only',
    html: '<h1>Hello</h1><p>Only html.</p>',
  },
};

/** Recipients only in cc and bcc: a valid message, which some providers' APIs cannot take (they require `to`). */
export const WITHOUT_TO: MailMessage = {
  from: 'shop@example.com',
  to: [],
  cc: 'chloe@example.net',
  bcc: ['audit@example.com', 'ann@example.com'],
  subject: 'Without To',
  text: 'Recipients in cc and bcc only.',
};

/** Drops the parts of a message the adapter declares it cannot carry. */
export function fitToCapabilities(message: MailMessage, adapter: MailAdapter): MailMessage {
  const caps = adapter.capabilities;
  const out: MailMessage = { ...message };
  if (out.attachments) {
    out.attachments = out.attachments.filter((a) => (a.cid ? caps.inlineImages : caps.attachments));
    if (!caps.inlineImages && out.html) out.html = out.html.replace(/<img src="cid:[^"]*"[^>]*>/g, '');
  }
  if (out.headers && caps.customHeaders === false) delete out.headers;
  if (!caps.tags) delete out.tags;
  if (out.tags && out.tags.length > caps.maxTags) out.tags = out.tags.slice(0, caps.maxTags);
  if (!caps.metadata) delete out.metadata;
  return out;
}

/** A loopback port where nothing listens (bound, then released), for `unreachable()`. */
export async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A SendContext for one attempt; `timeoutMs` aborts it like the mailer's per-attempt timeout. */
export function sendContext(timeoutMs = 10_000): SendContext {
  return { signal: AbortSignal.timeout(timeoutMs), attempt: 1 };
}

// mailparser leaves RFC 2047 encoded words in X- headers as they are; nodemailer writes them for
// values with quotes or non-ASCII (e.g. the metadata JSON).
function decodeWords(value: string): string {
  return value.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=(?:\s+(?==\?))?/g, (_word, charset: string, encoding: string, text: string) => {
    const bytes = encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_hex, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
    return new TextDecoder(charset).decode(bytes);
  });
}

/** A raw header line as mailparser keeps it (latin1), read as the UTF-8 it was sent in. */
function utf8Line(line: string): string {
  return /[\x80-\xff]/.test(line) ? Buffer.from(line, 'latin1').toString('utf8') : line;
}

/** Turns raw MIME (plus the envelope recipients, for Bcc) into an Arrival; reads mailroom's tag/metadata headers. */

export async function arrivalFromMime(raw: Buffer | string, envelope?: { to: string[] }): Promise<Arrival> {
  const mail = await simpleParser(raw, { skipTextToHtml: true, skipHtmlToText: true, skipImageLinks: true });
  // Addresses as they were written on the wire: mailparser's parsed fields decode punycode domains.
  const list = (header: string): Address[] => {
    // Unfolded as RFC 5322 says (a CRLF before white space is removed, the white space kept): a long
    // display name is folded inside its quoted string, and reading the fold as one more space
    // would make a name that arrived intact look changed.
    // mailparser keeps raw lines as latin1: an address in UTF-8 (RFC 6532, sent with SMTPUTF8) is read back as UTF-8.
    const values = mail.headerLines.filter((line) => line.key === header).map((line) => utf8Line(line.line.slice(line.line.indexOf(':') + 1)).replace(/\r?\n(?=[ \t])/g, ''));
    return values.length === 0 ? [] : parseAddressHeader(values, { decodePunycode: false, flatten: true }).value
      .map((a) => (a.name ? { address: a.address ?? '', name: a.name } : { address: a.address ?? '' }));
  };
  const to = list('to');
  const cc = list('cc');
  // smtp-server hands the envelope over with domains decoded to Unicode: compare in one form.
  const same = (address: string) => `${address.slice(0, address.lastIndexOf('@'))}@${domainToUnicode(address.slice(address.lastIndexOf('@') + 1))}`.toLowerCase();
  const visible = new Set([...to, ...cc].map((a) => same(a.address)));
  const bcc = envelope ? envelope.to.filter((a) => !visible.has(same(a))).map((address) => ({ address })) : list('bcc');
  const headers: Record<string, string> = {};
  for (const line of mail.headerLines) {
    const name = line.line.slice(0, line.line.indexOf(':'));
    if (/^x-/i.test(name)) headers[name] = decodeWords(String(mail.headers.get(line.key) ?? ''));
  }
  const tagHeader = headers[Object.keys(headers).find((h) => /^x-mailroom-tags$/i.test(h)) ?? ''];
  const metadataHeader = headers[Object.keys(headers).find((h) => /^x-mailroom-metadata$/i.test(h)) ?? ''];
  return {
    from: list('from')[0] ?? { address: '' },
    to, cc, bcc,
    replyTo: list('reply-to'),
    subject: mail.subject ?? '',
    // mailparser reports "" for a message without a text part.
    ...(mail.text ? { text: mail.text } : {}),
    ...(typeof mail.html === 'string' ? { html: mail.html } : {}),
    attachments: mail.attachments.map((a) => ({
      filename: a.filename ?? '',
      // The part's own Content-Type: mailparser reports application/octet-stream under a type it
      // guesses from the file name's extension (text/plain for "x.c").
      contentType: (a.headers.get('content-type') as { value?: string } | undefined)?.value ?? a.contentType,
      content: a.content,
      ...(a.cid ? { cid: a.cid } : {}),
      inline: a.contentDisposition === 'inline' || Boolean(a.cid && a.related),
    })),
    headers,
    tags: typeof tagHeader === 'string' ? tagHeader.split(',').map((t) => t.trim()).filter(Boolean) : [],
    metadata: typeof metadataHeader === 'string' ? (JSON.parse(metadataHeader) as Record<string, string>) : {},
  };
}

/** Checks one arrival field by field against the message that was sent. */
export function expectArrival(arrival: Arrival, sent: NormalizedMessage): void {
  const people = (list: Address[]) => list.map((a) => ({ address: a.address.toLowerCase(), name: a.name ?? '' })).sort((x, y) => x.address.localeCompare(y.address));
  const addresses = (list: Address[]) => list.map((a) => a.address.toLowerCase()).sort();
  expect(people([arrival.from]), 'from').toEqual(people([sent.from]));
  expect(people(arrival.to), 'to').toEqual(people(sent.to));
  expect(people(arrival.cc), 'cc').toEqual(people(sent.cc));
  expect(addresses(arrival.bcc), 'bcc').toEqual(addresses(sent.bcc));
  expect(people(arrival.replyTo), 'replyTo').toEqual(people(sent.replyTo));
  expect(arrival.subject, 'subject').toBe(sent.subject);
  const body = (text: string | undefined) => text?.replace(/\r\n/g, '\n').trim();
  expect(body(arrival.text), 'text').toBe(body(sent.text));
  expect(body(arrival.html), 'html').toBe(body(sent.html));
  expect(arrival.attachments, 'attachments').toHaveLength(sent.attachments.length);
  for (const attachment of sent.attachments) {
    // Inline images are matched by Content-ID: some providers (Mailgun) name the part after it.
    const got = attachment.inline
      ? arrival.attachments.find((a) => a.cid?.replace(/^<|>$/g, '') === attachment.cid)
      : arrival.attachments.find((a) => !a.inline && a.filename === attachment.filename);
    expect(got, `attachment ${attachment.filename}`).toBeDefined();
    expect(got!.inline, `attachment ${attachment.filename} inline`).toBe(attachment.inline);
    expect(got!.contentType.split(';')[0]!.trim().toLowerCase(), `attachment ${attachment.filename} type`).toBe(attachment.contentType);
    expect(Buffer.compare(got!.content, attachment.content), `attachment ${attachment.filename} bytes`).toBe(0);
  }
  const arrivedHeaders = new Map(Object.entries(arrival.headers).map(([name, value]) => [name.toLowerCase(), value]));
  for (const [name, value] of Object.entries(sent.headers)) {
    expect(arrivedHeaders.get(name.toLowerCase()), `header ${name}`).toBe(value);
  }
  expect([...arrival.tags].sort(), 'tags').toEqual([...sent.tags].sort());
  expect(arrival.metadata, 'metadata').toEqual(sent.metadata);
}

// One message per capability the adapter may lack, each carrying just that feature.
function capabilityProbes(adapter: MailAdapter): { what: string; message: MailMessage }[] {
  const caps = adapter.capabilities;
  const base = MESSAGES['text only']!;
  const probes: { what: string; message: MailMessage }[] = [];
  if (!caps.attachments) probes.push({ what: 'attachments', message: { ...base, attachments: [{ filename: 'a.pdf', content: PDF }] } });
  if (!caps.inlineImages) probes.push({ what: 'inline images', message: { ...base, html: '<img src="cid:i">', attachments: [{ filename: 'i.png', content: PNG, cid: 'i' }] } });
  if (caps.customHeaders === false) probes.push({ what: 'custom headers', message: { ...base, headers: { 'X-Order-Id': '1' } } });
  if (caps.customHeaders === 'x-only') probes.push({ what: 'non-X- headers', message: { ...base, headers: { 'List-Unsubscribe': '<mailto:u@example.com>' } } });
  if (!caps.tags) probes.push({ what: 'tags', message: { ...base, tags: ['t'] } });
  if (!caps.metadata) probes.push({ what: 'metadata', message: { ...base, metadata: { k: 'v' } } });
  if (Number.isFinite(caps.maxReplyTo)) {
    const replyTo = Array.from({ length: caps.maxReplyTo + 1 }, (_, i) => `reply${i}@example.com`);
    probes.push({ what: `${replyTo.length} reply-to addresses`, message: { ...base, replyTo } });
  }
  if (Number.isFinite(caps.maxRecipients) && caps.maxRecipients <= 10_000) {
    const to = Array.from({ length: caps.maxRecipients + 1 }, (_, i) => `r${i}@example.com`);
    probes.push({ what: `${to.length} recipients`, message: { ...base, to } });
  }
  if (caps.maxSubjectLength !== undefined) {
    probes.push({ what: `a subject of ${caps.maxSubjectLength + 1} characters`, message: { ...base, subject: 's'.repeat(caps.maxSubjectLength + 1) } });
  }
  if (Number.isFinite(caps.maxAttachmentBytes)) {
    probes.push({ what: `an attachment of ${caps.maxAttachmentBytes + 1} bytes`, message: { ...base, attachments: [{ filename: 'big.pdf', content: new Uint8Array(caps.maxAttachmentBytes + 1) }] } });
  }
  if (Number.isFinite(caps.maxTotalAttachmentBytes)) {
    const half = Math.floor(caps.maxTotalAttachmentBytes / 2) + 1;
    probes.push({ what: `attachments of ${2 * half} bytes in all`, message: { ...base, attachments: [{ filename: 'a.pdf', content: new Uint8Array(half) }, { filename: 'b.pdf', content: new Uint8Array(half) }] } });
  }
  if (Number.isFinite(caps.maxCustomHeaders)) {
    const headers = Object.fromEntries(Array.from({ length: caps.maxCustomHeaders + 1 }, (_, i) => [`X-Probe-${i}`, String(i)]));
    probes.push({ what: `${caps.maxCustomHeaders + 1} custom headers`, message: { ...base, headers } });
  }
  if (!caps.unicodeLocalParts) probes.push({ what: 'a non-ASCII local part', message: { ...base, to: 'pierre.müller@example.com' } });
  // Every header the provider refuses that a message can carry (mailroom's own reserved ones are INVALID_MESSAGE earlier).
  for (const name of caps.refusedHeaders ?? []) {
    const message = { ...base, headers: { [name]: 'probe' } };
    if (carriable(message)) probes.push({ what: `the header ${name}`, message });
  }
  const refusedExtension = caps.refusedAttachmentExtensions?.[0];
  if (refusedExtension) probes.push({ what: `an attachment named *.${refusedExtension}`, message: { ...base, attachments: [{ filename: `probe.${refusedExtension.toUpperCase()}`, content: 'x', contentType: 'application/octet-stream' }] } });
  if (caps.attachmentTypeMatchesName) probes.push({ what: 'an attachment whose type is not the one its name implies', message: { ...base, attachments: [{ filename: 'data.txt', content: 'a,b', contentType: 'text/csv' }] } });
  if (caps.requiresTo) probes.push({ what: 'no To recipient', message: WITHOUT_TO });
  // Each declared size limit, one byte over.
  const sizes = caps.sizeLimits ?? {};
  if (sizes.bodyPartBytes !== undefined) probes.push({ what: `a text part of ${sizes.bodyPartBytes + 1} bytes`, message: { ...base, text: 't'.repeat(sizes.bodyPartBytes + 1) } });
  if (sizes.contentBytes !== undefined) probes.push({ what: `text + html of ${sizes.contentBytes + 1} bytes`, message: { ...base, text: 't'.repeat(Math.ceil(sizes.contentBytes / 2)), html: 'h'.repeat(Math.floor(sizes.contentBytes / 2) + 1) } });
  if (sizes.attachmentNameBytes !== undefined) probes.push({ what: `an attachment name of ${sizes.attachmentNameBytes + 1} bytes`, message: { ...base, attachments: [{ filename: `${'n'.repeat(sizes.attachmentNameBytes - 3)}.pdf`, content: PDF }] } });
  if (sizes.metadataJsonBytes !== undefined) probes.push({ what: `metadata of more than ${sizes.metadataJsonBytes} bytes as JSON`, message: { ...base, metadata: { k: 'v'.repeat(sizes.metadataJsonBytes) } } });
  if (sizes.formOptionBytes !== undefined) probes.push({ what: `a header of ${sizes.formOptionBytes + 1} bytes`, message: { ...base, headers: { 'X-Probe': 'p'.repeat(sizes.formOptionBytes) } } });
  return probes;
}

function carriable(message: MailMessage): boolean {
  try {
    normalizeMessage(message);
    return true;
  } catch {
    return false;
  }
}

function expectNoSecret(text: string, secrets: string[]): void {
  for (const secret of secrets) expect(text.includes(secret), 'a secret leaked').toBe(false);
}

/** Awaits a promise that must reject with a MailError, and returns that error. */
export async function expectFailure(promise: Promise<unknown>): Promise<MailError> {
  const outcome = await promise.then((value) => value, (error: unknown) => error);
  expect(outcome, 'should have failed with a MailError').toBeInstanceOf(MailError);
  return outcome as MailError;
}

async function sendFailure(adapter: MailAdapter, message: NormalizedMessage, ctx: SendContext): Promise<MailError> {
  const outcome = await adapter.send(message, ctx).then((receipt: SendReceipt) => receipt, (error: unknown) => error);
  expect(outcome, 'send should have failed with a MailError').toBeInstanceOf(MailError);
  return outcome as MailError;
}

/** Which optional parts of the suite apply; known when the tests are registered, so none is skipped at run time. */
export interface ConformanceOptions {
  /** Faults the harness's `inject` can produce. Default none. */
  faults?: Fault[];
  /** Whether the adapter has `verify()`. Default true. */
  verify?: boolean;
  /** Whether the harness gives an `unreachable()` adapter. Default true. */
  unreachable?: boolean;
  /** How the adapter sends an internationalized domain: 'punycode' (every transport) or 'as-given' (memory, not a transport). Default 'punycode'. */
  idn?: 'punycode' | 'as-given';
  /**
   * What the adapter must make of a success status whose body is garbled (needs `garble`): 'sent'
   * (with a warning) or 'ambiguous' (the journal's possible-duplicate mark). Required for HTTP adapters.
   */
  unreadableSuccess?: 'sent' | 'ambiguous';
  /**
   * Whether the adapter hands messages over to something outside the process, and so reports the
   * handover (src/core/handover.ts). Default true; false for memory and outbox, which keep the
   * message themselves.
   */
  handsOver?: boolean;
}

/** Registers the conformance tests for one adapter. Call at the top level of a test file. */
export function runConformance(name: string, setup: () => Promise<ConformanceHarness>, options: ConformanceOptions = {}): void {
  const faults = options.faults ?? [];
  describe(`${name}: adapter conformance`, () => {
    let h: ConformanceHarness;
    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      await h?.close?.();
    });
    beforeEach(async () => {
      await h.reset?.();
      await h.takeArrivals();
    });

    for (const [label, input] of Object.entries(MESSAGES)) {
      it(`delivers the "${label}" message with every field intact`, async () => {
        const message = normalizeMessage(fitToCapabilities(input, h.adapter));
        expect(unsupportedReason(h.adapter, message)).toBeUndefined();
        const receipt = await h.adapter.send(message, sendContext());
        const arrivals = await h.takeArrivals();
        expect(arrivals).toHaveLength(1);
        expectArrival(arrivals[0]!, h.expected ? h.expected(message) : message);
        const recipients = [...message.to, ...message.cc, ...message.bcc].map((a) => a.address).sort();
        expect([...receipt.accepted].sort()).toEqual(recipients);
        expect(receipt.rejected).toEqual([]);
        if (arrivals[0]!.providerMessageId !== undefined) {
          expect(receipt.providerMessageId).toBe(arrivals[0]!.providerMessageId);
        }
      });
    }

    it('refuses each capability it lacks with UNSUPPORTED, before sending anything', async () => {
      for (const probe of capabilityProbes(h.adapter)) {
        const message = normalizeMessage(probe.message, { limits: { maxRecipients: 100_000, maxBytes: 100 * 1024 * 1024 } });
        expect(unsupportedReason(h.adapter, message)?.code, probe.what).toBe('UNSUPPORTED');
        const error = await sendFailure(h.adapter, message, sendContext());
        expect(error.code, probe.what).toBe('UNSUPPORTED');
        expect(error.remedy, probe.what).toMatch(/in the chain/);
      }
      expect(await h.takeArrivals()).toEqual([]);
    });

    it('sends internationalized domains in punycode, and names recipients as given in the receipt', async () => {
      const message = normalizeMessage({
        from: 'Boutique <shop@bücher.example>', to: 'Pierre <pierre@café.example>', cc: 'zoe@bücher.example',
        replyTo: 'support@bücher.example', subject: 'Commande', text: 'Merci.',
      });
      const receipt = await h.adapter.send(message, sendContext());
      const arrivals = await h.takeArrivals();
      expect(arrivals).toHaveLength(1);
      const arrived = arrivals[0]!;
      const wire = options.idn === 'as-given'
        ? { from: 'shop@bücher.example', to: 'pierre@café.example', cc: 'zoe@bücher.example', replyTo: 'support@bücher.example' }
        : { from: 'shop@xn--bcher-kva.example', to: 'pierre@xn--caf-dma.example', cc: 'zoe@xn--bcher-kva.example', replyTo: 'support@xn--bcher-kva.example' };
      expect(arrived.from.address, 'from').toBe(wire.from);
      expect(arrived.to.map((a) => a.address), 'to').toEqual([wire.to]);
      expect(arrived.cc.map((a) => a.address), 'cc').toEqual([wire.cc]);
      expect(arrived.replyTo.map((a) => a.address), 'replyTo').toEqual([wire.replyTo]);
      expect(arrived.to[0]!.name, 'display name').toBe('Pierre');
      // Where the harness reads an envelope (SMTP, SES), it matches the headers: no stray Unicode form.
      expect(arrived.bcc, 'envelope recipients beyond the headers').toEqual([]);
      expect([...receipt.accepted].sort()).toEqual(['pierre@café.example', 'zoe@bücher.example']);
    });

    it('carries the tags it declares, and sends the rest without the extra ones, with a warning', async () => {
      const tags = ['t1', 't2', 't3', 't4', 't5'];
      const { maxTags } = h.adapter.capabilities;
      const message = normalizeMessage({ ...MESSAGES['text only']!, tags });
      const receipt = await h.adapter.send(message, sendContext());
      const arrivals = await h.takeArrivals();
      expect(arrivals).toHaveLength(1);
      const kept = tags.slice(0, Math.min(maxTags, tags.length));
      expect([...arrivals[0]!.tags].sort()).toEqual(kept);
      const warning = (receipt.warnings ?? []).find((w) => /tag/.test(w));
      if (kept.length < tags.length) expect(warning).toMatch(new RegExp(`at most ${maxTags} tag.*"${tags.at(-1)}"`));
      else expect(warning).toBeUndefined();
    });

    it('drops a tag outside its declared tag limits with a warning, and sends the message with the tags that fit', async () => {
      const limits = h.adapter.capabilities.tagLimits ?? {};
      // One tag past each declared limit (none declared: nothing to drop, and the test shows it).
      const outside = [
        ...(limits.maxLength !== undefined ? ['l'.repeat(limits.maxLength + 1)] : []),
        ...(limits.maxBytes !== undefined ? ['é'.repeat(Math.floor(limits.maxBytes / 2) + 1)] : []),
        ...(limits.asciiOnly ? ['café'] : []),
      ];
      const receipt = await h.adapter.send(normalizeMessage({ ...MESSAGES['text only']!, tags: [...outside, 'kept'] }), sendContext());
      const arrivals = await h.takeArrivals();
      expect(arrivals).toHaveLength(1);
      expect(arrivals[0]!.tags).toEqual(['kept']);
      const warnings = (receipt.warnings ?? []).filter((w) => /takes tags /.test(w));
      expect(warnings, 'one warning per limit a tag is outside').toHaveLength(outside.length);
    });

    // The message layer takes any message with one recipient in to, cc or bcc. An adapter whose
    // provider requires `to` must say so (requiresTo): its 400 would stop the chain as REJECTED.
    it('a message with recipients only in cc and bcc is delivered, or skipped as UNSUPPORTED so the next adapter sends it', async () => {
      const lent: MailAdapter = { name: h.adapter.name, capabilities: h.adapter.capabilities, send: (m, ctx) => h.adapter.send(m, ctx) };
      const backup = memoryAdapter({ name: 'backup' });
      const mailer = createMailer({ adapters: [lent, backup], journal: 'memory://', retry: { attempts: 1 } });
      try {
        const result = await mailer.send(WITHOUT_TO);
        const arrivals = await h.takeArrivals();
        const recipients = ['chloe@example.net', 'audit@example.com', 'ann@example.com'].sort();
        if (h.adapter.capabilities.requiresTo) {
          expect(unsupportedReason(h.adapter, normalizeMessage(WITHOUT_TO))?.code).toBe('UNSUPPORTED');
          expect(arrivals, 'deliveries at the provider').toEqual([]);
          expect(result.adapter).toBe('backup');
        } else {
          expect(result.adapter).toBe(h.adapter.name);
          expect(arrivals).toHaveLength(1);
          const arrived = [...arrivals[0]!.to, ...arrivals[0]!.cc, ...arrivals[0]!.bcc].map((a) => a.address);
          expect([...new Set(arrived)].sort(), 'recipients reached').toEqual(recipients);
          expect(backup.messages).toEqual([]);
        }
        expect([...result.accepted].sort()).toEqual(recipients);
      } finally {
        await mailer.close();
      }
    });

    if (faults.length > 0) it(`maps each scripted fault to its code: ${faults.join(', ')}`, async () => {
      expect(h.inject, 'the harness needs inject() for its faults').toBeTypeOf('function');
      const message = normalizeMessage(MESSAGES['text only']!);
      for (const fault of faults) {
        await h.inject!(fault);
        const error = await sendFailure(h.adapter, message, sendContext(fault === 'silent' ? 400 : 10_000));
        expect(error.code, fault).toBe(FAULT_CODES[fault]);
        expect(error.provider, fault).toBe(h.adapter.name);
        if (fault === 'rate-limit' && h.rateLimitRetryAfterMs !== undefined) expect(error.retryAfterMs).toBe(h.rateLimitRetryAfterMs);
        expectNoSecret(`${error.message} ${JSON.stringify(error)} ${inspect(error)}`, h.secrets ?? []);
        await h.reset?.();
      }
    });

    // The handover report reaches the journal through the attempt's signal (src/core/handover.ts):
    // an adapter whose transport lost it (an SDK that wraps the signal) would leave a process
    // killed mid-send with an entry that says the message never left.
    if (options.handsOver !== false) it('reports the handover to the journal before the send ends', async () => {
      const lent: MailAdapter = { name: h.adapter.name, capabilities: h.adapter.capabilities, send: (m, ctx) => h.adapter.send(m, ctx) };
      const mailer = createMailer({ adapters: [lent], journal: 'memory://' });
      try {
        const result = await mailer.send(MESSAGES['text only']!);
        await h.takeArrivals();
        expect((await mailer.journal.get(result.id))?.handedOver?.adapter).toBe(h.adapter.name);
      } finally {
        await mailer.close();
      }
    });

    if (options.unreadableSuccess) for (const how of ['cut-off', 'invalid-json'] as const) {
      it(`accepted, then a ${how} answer: delivered once, never retried, journaled ${options.unreadableSuccess === 'sent' ? 'sent with a warning' : 'as a possible duplicate'}`, async () => {
        expect(h.garble, 'the harness needs garble()').toBeTypeOf('function');
        // The adapter is lent without close(): the harness owns it.
        const lent: MailAdapter = { name: h.adapter.name, capabilities: h.adapter.capabilities, send: (m, ctx) => h.adapter.send(m, ctx) };
        const fallback = memoryAdapter({ name: 'fallback' });
        const mailer = createMailer({ adapters: [lent, fallback], journal: 'memory://', retry: { attempts: 3, baseDelayMs: 1 } });
        try {
          await h.garble!(how);
          const result = await mailer.send(MESSAGES['text only']!);
          const entry = (await mailer.journal.get(result.id))!;
          const arrivals = await h.takeArrivals();
          expect(arrivals, 'deliveries at the provider').toHaveLength(1);
          expect(result.attempts.filter((a) => a.adapter === h.adapter.name), 'attempts through the adapter').toHaveLength(1);
          if (options.unreadableSuccess === 'sent') {
            expect(result.adapter).toBe(h.adapter.name);
            expect(fallback.messages, 'a second delivery through the fallback').toHaveLength(0);
            expect(entry.status).toBe('sent');
            expect(entry.adapter).toBe(h.adapter.name);
            expect(entry.possibleDuplicate).toBeFalsy();
            // The warning is about the provider's id; a provider that issues none (Graph) has nothing to lose.
            if (arrivals[0]!.providerMessageId !== undefined) expect(entry.warnings?.join(' ')).toMatch(/answer could not be read/);
          } else {
            expect(result.attempts[0]!.error?.code).toBe('AMBIGUOUS');
            // The failover is not silent: the entry says the message may have gone out twice.
            expect(entry.possibleDuplicate).toBe(true);
            expect(entry.status).toBe('sent');
            expect(entry.adapter).toBe('fallback');
          }
        } finally {
          await mailer.close();
        }
      });
    }

    if (options.unreachable !== false) it('fails TRANSIENT when the provider cannot be reached', async () => {
      expect(h.unreachable, 'the harness needs unreachable()').toBeTypeOf('function');
      const error = await sendFailure(h.unreachable!(), normalizeMessage(MESSAGES['text only']!), sendContext());
      expect(error.code).toBe('TRANSIENT');
      expectNoSecret(`${error.message} ${JSON.stringify(error)}`, h.secrets ?? []);
    });

    if (options.verify !== false) it('verify() checks the credentials and sends nothing', async () => {
      expect(h.adapter.verify, 'the adapter needs verify()').toBeTypeOf('function');
      await h.adapter.verify!({ signal: AbortSignal.timeout(10_000) });
      expect(await h.takeArrivals()).toEqual([]);
      if (faults.includes('auth')) {
        await h.inject!('auth');
        const error = await h.adapter.verify!({}).then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(MailError);
        expect((error as MailError).code).toBe('AUTH');
      }
    });

    it('never shows a secret in its name, String() or inspect()', () => {
      const shown = `${h.adapter.name} ${String(h.adapter)} ${inspect(h.adapter, { depth: 6, showHidden: true })} ${JSON.stringify(h.adapter) ?? ''}`;
      expectNoSecret(shown, h.secrets ?? []);
    });
  });
}
