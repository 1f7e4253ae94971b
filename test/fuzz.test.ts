// Fuzzing (fast-check): arbitrary strings (CR, LF, NUL, other controls, bidi controls, combining
// marks, emoji, very long) in each field of a message, sent through a mailer to the memory adapter,
// a real SMTP sink (smtp-server, STARTTLS + AUTH) and two HTTP contract servers (Brevo, Mailgun).
// Every send ends one of two ways: a MailError INVALID_MESSAGE whose `field` names the fuzzed field,
// or a delivery whose arrival carries exactly the intended fields (recipients, headers, subject,
// bodies, attachments; checked by the conformance suite's `expectArrival`) with no header the
// message did not ask for and no recipient added or lost. Never another error, never a hang.
//
// FUZZ_RUNS (default 60 per target and field group) and FUZZ_SEED replay or widen a run.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brevoAdapter } from '../adapters/brevo.js';
import { mailgunAdapter } from '../adapters/mailgun.js';
import { memoryAdapter, type MemoryAdapter } from '../adapters/memory.js';
import { smtpAdapter } from '../adapters/smtp.js';
import { createMailer, MailError, type MailAdapter, type MailMessage } from '../src/index.js';
import { normalizeMessage } from '../src/kit/index.js';
import { toWireMessage } from '../src/core/address.js';
import { fitTags, unsupportedReason } from '../src/core/adapter.js';
import { arrivalFromMime, expectArrival, type Arrival } from './conformance.js';
import { contentTypeOf as brevoContentType, startBrevoServer } from './providers/brevo.js';
import { startMailgunServer } from './providers/mailgun.js';
import type { ProviderServer } from './providers/server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { createTestTls } from './helpers/tls.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
// The suite inside `npm test` runs a fixed seed so CI is reproducible; FUZZ_SEED=random draws a new one
// (what a fuzzing session wants). Seed 888674587 found a From display name that looked changed at
// the SMTP sink: the suite's own reading of the folded header, now fixed and kept below as a case.
const SEED = process.env.FUZZ_SEED === 'random' ? undefined : Number(process.env.FUZZ_SEED ?? 20261128);
const SEND_LIMIT_MS = 15_000;
const USER = 'shop@example.com';
const PASSWORD = 'fuzz-Pa55word';
const BREVO_KEY = 'xkeysib-fuzz-0123456789abcdef';
const MAILGUN_KEY = 'key-fuzz-0123456789abcdef';
const DOMAIN = 'mg.example.com';

// Characters that break things: line breaks, NUL and other controls, bidi overrides and isolates,
// combining marks, a zero-width joiner, non-BMP emoji, quotes and the address syntax characters.
const NASTY = ['\r', '\n', '\r\n', '\0', '\t', '\x0b', '\x1b', '\x7f', '\u0085', '\u2028', '\u2029', '\u202e', '\u2066', '\u2069', '\u200f', '\u0301', '\u0308\u0308', '\u200d', '\ud83d\ude00', '\ud800', '"', '\\', '<', '>', '@', ',', ';', ':', '=?utf-8?q?x?=', '.\r\n', '\r\n.\r\n', 'Bcc: evil@attacker.example', '\r\nBcc: evil@attacker.example', 'é', 'ß', '中文'];
const nasty = fc.oneof(
  { weight: 5, arbitrary: fc.array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 12 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...NASTY), fc.integer({ min: 1_000, max: 20_000 })).map(([part, times]) => part.repeat(Math.ceil(times / part.length)).slice(0, times)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 64 }) },
);

/** Where a fuzzed string goes; `field` is what an INVALID_MESSAGE about it must name (prefix). */
interface Placement {
  field: string;
  apply(base: MailMessage, value: string): MailMessage;
}
// A local part is fuzzed in ASCII: a Unicode one needs SMTPUTF8 end to end, which is its own suite.
const ascii = (value: string) => value.replace(/[^\x00-\x7f]/g, '');
const PLACEMENTS: Placement[] = [
  { field: 'from', apply: (m, v) => ({ ...m, from: { name: v, address: USER } }) },
  { field: 'from', apply: (m, v) => ({ ...m, from: `${ascii(v)}@example.com` }) },
  { field: 'to', apply: (m, v) => ({ ...m, to: [{ name: v, address: 'ann@example.com' }, 'bob@example.com'] }) },
  { field: 'to', apply: (m, v) => ({ ...m, to: [`${ascii(v)}@example.com`, 'bob@example.com'] }) },
  { field: 'to', apply: (m, v) => ({ ...m, to: v }) },
  { field: 'cc', apply: (m, v) => ({ ...m, cc: [{ name: v, address: 'carl@example.com' }] }) },
  { field: 'bcc', apply: (m, v) => ({ ...m, bcc: [`${ascii(v)}@example.com`] }) },
  { field: 'replyTo', apply: (m, v) => ({ ...m, replyTo: { name: v, address: 'help@example.com' } }) },
  { field: 'subject', apply: (m, v) => ({ ...m, subject: v }) },
  { field: 'text', apply: (m, v) => ({ ...m, text: v }) },
  { field: 'html', apply: (m, v) => ({ ...m, html: v }) },
  { field: 'headers', apply: (m, v) => ({ ...m, headers: { 'X-Fuzz': v } }) },
  { field: 'headers', apply: (m, v) => ({ ...m, headers: { [`X-${v}`]: 'value' } }) },
  { field: 'tags', apply: (m, v) => ({ ...m, tags: [v] }) },
  { field: 'metadata', apply: (m, v) => ({ ...m, metadata: { order: v } }) },
  { field: 'metadata', apply: (m, v) => ({ ...m, metadata: { [v]: '1' } }) },
  { field: 'attachments', apply: (m, v) => ({ ...m, attachments: [{ filename: v, content: 'fuzz' }] }) },
  { field: 'attachments', apply: (m, v) => ({ ...m, attachments: [{ filename: 'a.txt', content: 'fuzz', contentType: v }] }) },
  { field: 'idempotencyKey', apply: (m, v) => ({ ...m, idempotencyKey: v }) },
];

const BASE: MailMessage = { from: USER, to: 'ann@example.com', subject: 'Order 1042', text: 'Thank you.' };

interface Target {
  adapter: MailAdapter;
  /** What reached the sink from the last send, as an arrival plus every raw header name when known. */
  take(): Promise<{ arrival: Arrival; headerNames?: string[] }[]>;
}

let tls: Awaited<ReturnType<typeof createTestTls>>;
let smtp: TestSmtpServer;
let brevo: ProviderServer;
let mailgun: ProviderServer;
let memory: MemoryAdapter;
const targets: Record<string, () => Target> = {};

beforeAll(async () => {
  tls = await createTestTls();
  smtp = await startSmtpServer({ tls, users: { [USER]: PASSWORD } });
  brevo = await startBrevoServer(BREVO_KEY);
  mailgun = await startMailgunServer(MAILGUN_KEY, [DOMAIN]);
  memory = memoryAdapter();
  targets.memory = () => ({
    adapter: memory,
    take: async () => memory.messages.splice(0).map((message) => ({
      arrival: { ...message, attachments: message.attachments.map((a) => ({ ...a, ...(a.cid ? { cid: a.cid } : {}) })) },
    })),
  });
  const smtpSink = smtpAdapter({ host: 'localhost', port: smtp.port, auth: { user: USER, pass: PASSWORD }, tls: { ca: tls.ca } });
  targets.smtp = () => ({
    adapter: smtpSink,
    take: async () => Promise.all(smtp.messages.splice(0).map(async (message) => {
      const head = message.raw.toString('latin1').split(/\r\n\r\n/)[0]!;
      const headerNames = head.split('\r\n').filter((line) => !/^[ \t]/.test(line)).map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
      return { arrival: await arrivalFromMime(message.raw, { to: message.to }), headerNames };
    })),
  });
  const brevoSink = brevoAdapter({ apiKey: BREVO_KEY, baseUrl: brevo.url });
  targets.brevo = () => ({ adapter: brevoSink, take: async () => brevo.takeArrivals().map((arrival) => ({ arrival })) });
  const mailgunSink = mailgunAdapter({ apiKey: MAILGUN_KEY, domain: DOMAIN, baseUrl: mailgun.url });
  targets.mailgun = () => ({ adapter: mailgunSink, take: async () => mailgun.takeArrivals().map((arrival) => ({ arrival })) });
}, 60_000);

afterAll(async () => {
  console.log(`provider refusals of fuzzed messages by documented provider rules: ${refusals.size === 0 ? 'none' : [...refusals].map(([what, n]) => `${what} x${n}`).join(', ')}`);
  await smtp?.close();
  await brevo?.close();
  await mailgun?.close();
});

// Header names a message may carry at an SMTP sink: the ones built from its fields, plus its own.
const BUILT_HEADERS = new Set(['from', 'to', 'cc', 'reply-to', 'subject', 'message-id', 'date', 'mime-version', 'content-type', 'content-transfer-encoding', 'x-mailroom-tags', 'x-mailroom-metadata']);

/**
 * Refusals by a provider's contract server that follow the provider's documented rules, which the
 * adapters do not check before sending (yet): the provider answers 400, the send fails REJECTED.
 */
const KNOWN_PROVIDER_REFUSALS: Record<string, Array<[string, RegExp]>> = {
  brevo: [['attachment extension not on its list', /Unsupported file extension in attachment/], ['subject required', /subject is missing/]],
  mailgun: [['o:/h:/v: parameters over 16 KB', /limited to 16KB total/]],
};
const refusals = new Map<string, number>();

async function sendOne(name: string, target: Target, placement: Placement, value: string): Promise<void> {
  const message = placement.apply(BASE, value);
  // What the mailer should deliver, if it accepts the message at all.
  let intended: ReturnType<typeof normalizeMessage> | undefined;
  try {
    // As the transports send it (sendWithin): domains in punycode. The memory adapter keeps the message as given.
    intended = name === 'memory' ? normalizeMessage(message) : toWireMessage(normalizeMessage(message));
  } catch {
    intended = undefined;
  }
  const mailer = createMailer({ adapters: [target.adapter], journal: false, retry: { attempts: 1 }, timeoutMs: SEND_LIMIT_MS });
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`send did not settle in ${SEND_LIMIT_MS} ms`)), SEND_LIMIT_MS + 2_000)));
  const outcome = await Promise.race([mailer.send(message), hang]).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );
  clearTimeout(timer);
  const arrivals = await target.take();
  if ('error' in outcome) {
    const error = outcome.error as MailError;
    // Refused up front, naming the field it is about; nothing reached the sink.
    expect(error, `${String(error)}\n${(error as Error)?.stack}`).toBeInstanceOf(MailError);
    // Beyond the adapter's declared limits (a Unicode local part on an HTTP API): skipped before any I/O.
    const declared = intended && unsupportedReason(target.adapter, intended);
    if (declared) {
      expect(error.message, error.message).toContain('UNSUPPORTED');
      const limit = `${name}: ${declared.message.replace(/^.*cannot carry this message: /, '').replace(/ \(.*$/, '')}`;
      refusals.set(limit, (refusals.get(limit) ?? 0) + 1);
      expect(arrivals).toHaveLength(0);
      return;
    }
    // A provider's own documented limit it enforces (see KNOWN_PROVIDER_REFUSALS) is counted, not a failure.
    const known = KNOWN_PROVIDER_REFUSALS[name]?.find(([, pattern]) => error.code === 'REJECTED' && pattern.test(error.message));
    if (known) {
      refusals.set(`${name}: ${known[0]}`, (refusals.get(`${name}: ${known[0]}`) ?? 0) + 1);
      expect(arrivals).toHaveLength(0);
      return;
    }
    expect(error.code, `${error.code}: ${error.message.slice(0, 300)}`).toBe('INVALID_MESSAGE');
    expect(error.field, error.message).toBeDefined();
    expect(error.field!.startsWith(placement.field), `field ${error.field} for a fuzzed ${placement.field}: ${error.message}`).toBe(true);
    expect(arrivals).toHaveLength(0);
    return;
  }
  expect(intended, 'the mailer accepted a message normalizeMessage refuses').toBeDefined();
  expect(arrivals).toHaveLength(1);
  const [{ arrival, headerNames }] = arrivals as [{ arrival: Arrival; headerNames?: string[] }];
  // Bodies are normalized with LF breaks (a lone CR is one); the sinks may answer CRLF: compare as LF.
  const lines = (text: string | undefined) => text?.replace(/\r\n?/g, '\n');
  // A tag outside the adapter's tagLimits (Mailgun: ASCII, 128 characters) is dropped, with a warning.
  const fitted = fitTags(target.adapter, intended!.tags);
  if (fitted.warnings.length > 0) expect(outcome.result.warnings.join(' ')).toContain(fitted.warnings[0]);
  intended = { ...intended!, tags: fitted.tags };
  // Brevo takes no attachment type: it derives one from the file name (the adapter warns when they differ).
  if (name === 'brevo') intended = { ...intended!, attachments: intended!.attachments.map((a) => ({ ...a, contentType: brevoContentType(a.filename) })) };
  // Brevo takes a sender name of at most 70 characters: a longer one is cut, with a warning.
  if (name === 'brevo' && intended!.from.name && intended!.from.name.length > 70) {
    let cut = '';
    for (const character of intended!.from.name) {
      if (cut.length + character.length > 70) break;
      cut += character;
    }
    expect(outcome.result.warnings.join(' ')).toContain('brevo takes a sender name of at most 70 characters');
    intended = { ...intended!, from: { ...intended!.from, name: cut } };
  }
  const same = (text: string | undefined) => (text === undefined ? {} : { text: lines(text) });
  try {
    expectArrival({ ...arrival, ...same(arrival.text), ...(arrival.html !== undefined ? { html: lines(arrival.html) } : {}) }, { ...intended!, ...same(intended!.text), ...(intended!.html !== undefined ? { html: lines(intended!.html) } : {}) });
  } catch (error) {
    const points = (value: unknown) => JSON.stringify(value, (_, v: unknown) => (typeof v === 'string' ? [...v].map((c) => c.codePointAt(0)!.toString(16)).join(' ') : v));
    throw new Error(`${(error as Error).message}\nsent ${points({ from: intended!.from, to: intended!.to, cc: intended!.cc, replyTo: intended!.replyTo })}\ngot  ${points({ from: arrival.from, to: arrival.to, cc: arrival.cc, replyTo: arrival.replyTo })}`);
  }
  if (headerNames) {
    const own = new Set(Object.keys(intended!.headers).map((name) => name.toLowerCase()));
    expect(headerNames.filter((name) => !BUILT_HEADERS.has(name) && !own.has(name)), 'headers nobody asked for').toEqual([]);
    for (const name of ['from', 'to', 'message-id']) expect(headerNames.filter((one) => one === name), name).toHaveLength(1);
    // An empty subject goes without a Subject header.
    expect(headerNames.filter((one) => one === 'subject'), 'subject').toHaveLength(intended!.subject ? 1 : 0);
    expect(headerNames).not.toContain('bcc');
  }
}

describe('fuzzing every field of a message', () => {
  for (const name of ['memory', 'smtp', 'brevo', 'mailgun']) {
    it(`${name}: INVALID_MESSAGE naming the field, or exactly the intended message at the sink`, async () => {
      const target = targets[name]!();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...PLACEMENTS), nasty, (placement, value) => sendOne(name, target, placement, value)),
        { numRuns: RUNS * (name === 'memory' ? 4 : 1), ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true },
      );
    }, 60_000 + RUNS * 4_000);
  }
});

// Seed 888674587's case: a display name of ~20,000 characters with spaces ("Bcc: evil@…" repeated)
// is folded inside its quoted string on lines of at most 78 characters, and arrives intact once
// unfolded as RFC 5322 says (CRLF removed, the space kept). The sink's reading used to count each
// fold as one more space, so the name looked changed. Sent the way the fuzzer sent it, and in every
// field that carries a display name.
describe('a very long display name with spaces (seed 888674587)', () => {
  const part = 'Bcc: evil@attacker.example';
  const name = part.repeat(Math.ceil(20_000 / part.length)).slice(0, 20_000);
  // The placements that put the fuzzed string in a display name.
  const named = [0, 2, 5, 7].map((index) => PLACEMENTS[index]!);

  it('arrives intact at the SMTP sink in From, To, Cc and Reply-To, every header line within 78 characters', async () => {
    expect(named.map((placement) => placement.field)).toEqual(['from', 'to', 'cc', 'replyTo']);
    const target = targets.smtp!();
    for (const placement of named) {
      const raws: Buffer[] = [];
      const taken = target.take;
      await sendOne('smtp', { ...target, take: async () => {
        raws.push(...smtp.messages.map((message) => message.raw));
        return taken();
      } }, placement, name);
      const head = raws[0]!.toString('latin1').split('\r\n\r\n')[0]!;
      expect(Math.max(...head.split('\r\n').map((line) => line.length)), placement.field).toBeLessThanOrEqual(78);
      expect(head.replace(/\r\n(?=[ \t])/g, ''), placement.field).toContain(`"${name}"`);
    }
  });
});

// Seed 668917577's case: a header value starting with a tab ("\twFws2j") arrived as "wFws2j". Written
// raw, blanks at either end of a field's text are outside the value once a reader unfolds it, so the
// message is normalized without them (subject and header values): every adapter then sends what
// the recipient sees. Sent to each target, in the subject and in a header.
describe('blanks around the subject and a header value (seed 668917577)', () => {
  for (const name of ['memory', 'smtp', 'brevo', 'mailgun']) {
    it(`${name}: arrive as the normalized message says, without the blanks`, async () => {
      const target = targets[name]!();
      for (const value of ['\twFws2j', 'wFws2j \t', ' \t Order 1042 \t ']) {
        await sendOne(name, target, PLACEMENTS[11]!, value);
        await sendOne(name, target, PLACEMENTS[8]!, value);
      }
      expect([PLACEMENTS[11]!.field, PLACEMENTS[8]!.field]).toEqual(['headers', 'subject']);
      expect(normalizeMessage(PLACEMENTS[11]!.apply(BASE, '\twFws2j')).headers['X-Fuzz']).toBe('wFws2j');
    });
  }
});
