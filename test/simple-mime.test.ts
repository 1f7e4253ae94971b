// The one-pass MIME writer (src/kit/simple-mime.ts) writes, for every message it takes, exactly the
// bytes nodemailer's composer writes for it; the multipart boundary, random in both, is the only
// difference allowed. The messages are arbitrary: names, subjects, header values and bodies with
// line breaks, controls, long lines, trailing blanks, non-ASCII and lone surrogates, so the choices
// between 7bit, quoted-printable and base64 and between plain, quoted and encoded words are all met.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MailError } from '../src/core/errors.js';
import { normalizeMessage, type MailMessage, type NormalizedMessage } from '../src/core/message.js';
import { buildMime, composeMime } from '../src/kit/mime.js';
import { simpleEnvelope, simpleMime } from '../src/kit/simple-mime.js';

const PIECES = ['\r', '\n', '\r\n', '\t', '\0', '\x7f', ' ', '  \n', '=', '.', '"', '\\', '(', ',', ';', '<', '@', '=?utf-8?q?x?=', 'é', 'ß', '中文', '\ud83d\ude00', '\ud800', '\u202e', 'Order', 'x'.repeat(80), ' '.repeat(77)];
const text = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 10 }), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 14 }).map((p) => p.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', '.', '=', '\t'), maxLength: 300 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
);
// Header text: mostly what the mailer accepts in a header (no line breaks or NUL), sometimes not.
const LINE_PIECES = PIECES.filter((piece) => !/[\r\n\0\x7f\ud800]|=\?/.test(piece));
const line = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.oneof(fc.constantFrom(...LINE_PIECES), fc.string({ unit: fc.constantFrom('a', 'Z', '9', ' ', "'", '-', '_', '.'), maxLength: 12 })), { maxLength: 8 }).map((p) => p.join('')) },
  { weight: 1, arbitrary: text },
);
// A display name: letters, blanks, specials that need quoting, non-ASCII.
const displayName = fc.array(fc.constantFrom('Ann', 'O\'Neil', ' ', '"', '\\', '(', ',', ';', '.', '@', 'é', 'ß', '中文', '\ud83d\ude00', '_', '-', '\t'), { minLength: 1, maxLength: 6 }).map((p) => p.join(''));
const chars = (set: string, max: number) => fc.string({ unit: fc.constantFrom(...set), minLength: 1, maxLength: max });
const atom = chars('abz09_+', 6);
const label = fc.tuple(chars('abz09', 5), fc.constantFrom('', '-shop', '--x')).map(([a, b]) => `${a}${b}`);
const address = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(fc.array(atom, { minLength: 1, maxLength: 2 }), label, fc.constantFrom('com', 'example', 'co.uk')).map(([l, d, t]) => `${l.join('.')}@${d}.${t}`) },
  { weight: 1, arbitrary: fc.constantFrom('Ann@Example.COM', 'ann@xn--caf-dma.example', 'ann@café.example', '"a b"@example.com', "o'neil@a-b.example") },
);
const mailbox = fc.tuple(fc.option(fc.oneof({ weight: 8, arbitrary: displayName }, { weight: 1, arbitrary: line }), { nil: undefined }), address).map(([name, addr]) => (name === undefined ? addr : { name, address: addr }));
const headerKey = fc.oneof({ weight: 6, arbitrary: chars('abcXYZ-', 12).map((k) => `X-${k}`) }, { weight: 1, arbitrary: fc.constantFrom('x-priority', 'List-Unsubscribe', 'In-Reply-To', 'references', 'X-Mailroom-Tags', 'message-id', 'X-SPF', 'dkim-x') });
const message = fc.record({
  from: mailbox,
  to: fc.array(mailbox, { minLength: 1, maxLength: 3 }),
  cc: fc.array(mailbox, { maxLength: 2 }),
  bcc: fc.array(mailbox, { maxLength: 2 }),
  replyTo: fc.array(mailbox, { maxLength: 2 }),
  subject: line,
  text: fc.option(text, { nil: undefined }),
  html: fc.option(text, { nil: undefined }),
  headers: fc.dictionary(headerKey, line, { maxKeys: 3 }),
  tags: fc.array(chars('abc-_', 8), { maxLength: 2 }),
  metadata: fc.dictionary(chars('abc', 4), line, { maxKeys: 2 }),
}, { requiredKeys: ['from', 'to', 'subject'] });

// Only what the mailer would accept reaches an adapter.
function normalized(input: MailMessage): NormalizedMessage | undefined {
  try {
    return normalizeMessage(input);
  } catch (error) {
    if (error instanceof MailError && error.code === 'INVALID_MESSAGE') return undefined;
    throw error;
  }
}

// What the messages taken must include, for the property to have met each of the writer's choices.
const KINDS: Array<[string, RegExp]> = [
  ['7bit', /^Content-Transfer-Encoding: 7bit/m], ['quoted-printable', /^Content-Transfer-Encoding: quoted-printable/m],
  ['base64', /^Content-Transfer-Encoding: base64/m], ['alternative', /^Content-Type: multipart\/alternative/m],
  ['encoded word', /=\?UTF-8\?[QB]\?/], ['quoted name', /^(From|To|Cc|Reply-To): .*"/m], ['folded', /\r\n [^ ]/],
  ['custom header', /^X-/m],
];
const SEED = process.env.FUZZ_SEED === 'random' ? undefined : 20261129;

const addressesOf = (envelope: ReturnType<typeof simpleEnvelope>) => ({ from: envelope.from.address, to: envelope.to.map((a) => a.address) });

const sameBoundary = (mime: string) => mime.replace(/--_NmP-[0-9a-f]{16}-Part_1/g, 'BOUNDARY');

describe('the one-pass MIME writer', () => {
  it("writes every message it takes byte for byte as nodemailer's composer does", async () => {
    let taken = 0;
    let tried = 0;
    const met = new Set<string>();
    await fc.assert(
      fc.asyncProperty(message, async (input) => {
        const m = normalized(input as MailMessage);
        if (!m) return;
        tried++;
        const fast = simpleMime(m);
        if (fast === undefined) return;
        taken++;
        for (const [kind, pattern] of KINDS) if (pattern.test(fast)) met.add(kind);
        expect(sameBoundary(fast)).toBe(sameBoundary((await composeMime(m)).toString()));
      }),
      { numRuns: 3_000, seed: SEED },
    );
    // The property is only worth something if most accepted messages take the one-pass path.
    expect(taken).toBeGreaterThan(tried / 3);
    expect([...met].sort()).toEqual(KINDS.map(([kind]) => kind).sort());
  });

  it('takes the messages mailroom sends most: text, HTML or both, plain addresses, tags', async () => {
    const order = normalizeMessage({
      from: 'Shop <shop@example.com>', to: 'Customer 12 <customer12@example.com>', cc: 'ann@example.com', bcc: 'audit@example.com',
      subject: 'Commande 12 confirmée', text: 'Merci pour votre commande.\nElle part aujourd’hui.', html: `<p>${'Merci '.repeat(30)}</p>`,
      tags: ['order'], metadata: { order: '12' }, headers: { 'List-Unsubscribe': '<mailto:unsubscribe@example.com>' },
    });
    const fast = simpleMime(order)!;
    expect(fast).toBeDefined();
    expect(fast).not.toContain('audit@example.com');
    expect(sameBoundary(fast)).toBe(sameBoundary((await composeMime(order)).toString()));
    expect(sameBoundary((await buildMime(order)).toString())).toBe(sameBoundary(fast));
    // An .eml copy keeps the Bcc header: the composer writes that one.
    expect((await buildMime(order, { keepBcc: true })).toString()).toMatch(/^Bcc: audit@example\.com\r$/m);
    expect(addressesOf(simpleEnvelope(order))).toEqual({ from: 'shop@example.com', to: ['customer12@example.com', 'ann@example.com', 'audit@example.com'] });
    for (const body of [{ text: 'Thank you.' }, { html: '<p>Thank you.</p>' }]) {
      expect(simpleMime(normalizeMessage({ from: 'shop@example.com', to: 'ann@example.com', subject: 'Hi', ...body }))).toBeDefined();
    }
  });

  it('leaves to the composer what it does not write itself', () => {
    const base = { from: 'shop@example.com', to: 'ann@example.com', subject: 'Hi', text: 'Hello' };
    const others: MailMessage[] = [
      { ...base, attachments: [{ filename: 'a.txt', content: 'a' }] },
      { ...base, to: 'Ann@Example.COM' },
      { ...base, to: 'ann@café.example' },
      { ...base, headers: { 'In-Reply-To': '<a@example.com>' } },
      { ...base, headers: { references: '<a@example.com>' } },
      { ...base, html: '<p><img src="cid:logo"></p>', attachments: [{ filename: 'logo.png', content: 'x', cid: 'logo' }] },
    ];
    for (const other of others) expect(simpleMime(normalizeMessage(other))).toBeUndefined();
  });

  it('lists each envelope recipient once, in To, Cc, Bcc order', () => {
    const m = normalizeMessage({ from: 'shop@example.com', to: ['a@example.com', 'b@example.com'], cc: 'a@example.com', bcc: ['c@example.com', 'b@example.com'], subject: 'x', text: 'x' });
    expect(addressesOf(simpleEnvelope(m))).toEqual({ from: 'shop@example.com', to: ['a@example.com', 'b@example.com', 'c@example.com'] });
  });
});
