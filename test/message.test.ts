// Address parsing edge cases and message normalization: every header field refuses CR/LF, limits
// and missing parts are INVALID_MESSAGE errors that name the field.
import { describe, expect, it } from 'vitest';
import { addressProblem, createMailer, MailError, type MailMessage } from '../src/index.js';
import { formatAddress, normalizeMessage, parseAddress, parseAddressList, toAsciiAddress } from '../src/kit/index.js';

const base: MailMessage = { from: 'shop@example.com', to: 'ann@example.com', subject: 'Hello', text: 'Hi' };

function invalid(run: () => unknown): MailError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).code).toBe('INVALID_MESSAGE');
    return error as MailError;
  }
  throw new Error('expected INVALID_MESSAGE');
}

describe('addresses', () => {
  it('parses a quoted display name holding a comma and an apostrophe', () => {
    expect(parseAddressList(`"Ann O'Neil, Sales" <ann@example.com>`, 'to')).toEqual([{ name: "Ann O'Neil, Sales", address: 'ann@example.com' }]);
  });

  it('parses lists, groups and objects alike', () => {
    const list = parseAddressList(['a@example.com, "B" <b@example.com>', 'Team: c@example.com, d@example.com;', { address: 'e@example.com', name: 'E' }], 'to');
    expect(list.map((a) => a.address)).toEqual(['a@example.com', 'b@example.com', 'c@example.com', 'd@example.com', 'e@example.com']);
    expect(list[4]!.name).toBe('E');
  });

  it('accepts internationalized domains and converts them to ASCII on demand', () => {
    const [address] = parseAddressList('José <jose@bücher.example>', 'to');
    expect(address!.address).toBe('jose@bücher.example');
    expect(toAsciiAddress(address!.address)).toBe('jose@xn--bcher-kva.example');
  });

  it('accepts quoted local parts, plus tags and IP literals', () => {
    expect(addressProblem('"john doe"@example.com')).toBeUndefined();
    expect(addressProblem('ann+orders@example.com')).toBeUndefined();
    expect(addressProblem('postmaster@[192.0.2.1]')).toBeUndefined();
  });

  it('addressProblem judges a form field as send() would: blanks around it taken off, a value that is not text a problem', async () => {
    const mailer = createMailer({ dsn: 'memory://', journal: false, from: 'shop@example.com' });
    try {
      // A phone keyboard's trailing space: send() delivers to ann@example.com, so the form must accept it.
      for (const field of ['ann@example.com ', '\tann@example.com', ' ann@example.com\u00a0']) {
        expect(addressProblem(field)).toBeUndefined();
        await expect(mailer.send({ to: field, text: 'x' })).resolves.toMatchObject({ accepted: ['ann@example.com'] });
      }
      expect(addressProblem('ann@example.com\n')).toBe('it contains a line break');
      await expect(mailer.send({ to: 'ann@example.com\n', text: 'x' })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
      // A JSON body's field may be anything: an answer, not a TypeError that fails the form's request.
      expect(addressProblem(42 as never)).toBe('it is not text (got a number)');
      expect(addressProblem(['ann@example.com'] as never)).toBe('it is not text (got an array)');
      expect(addressProblem(undefined as never)).toBe('it is empty');
    } finally {
      await mailer.close();
    }
  });

  it.each([
    ['plain', 'no e-mail address'],
    ['@example.com', 'local part'],
    ['ann@', 'domain'],
    ['ann@localhost', 'no dot'],
    ['ann..x@example.com', 'local part'],
    ['ann@-bad-.com', 'not a valid domain'],
    [`${'a'.repeat(65)}@example.com`, 'longer than 64'],
  ])('refuses %s', (input, reason) => {
    const error = invalid(() => parseAddressList(input, 'to'));
    expect(error.field).toBe('to');
    expect(error.message).toContain(reason);
  });

  it('refuses a display name or address with a line break (header injection)', () => {
    invalid(() => parseAddressList({ address: 'ann@example.com', name: 'Ann\r\nBcc: evil@example.com' }, 'to'));
    invalid(() => parseAddressList('ann@example.com\nBcc: evil@example.com', 'cc'));
  });

  // addressparser repairs what it cannot parse (drops a NUL, reads a stray word as a display name,
  // closes a quote): the message would go to an address nobody typed. Both forms refuse instead.
  it.each([
    ['a NUL', 'a\0@example.com', 'control character'],
    ['another control character', 'a\u0001@example.com', 'control character'],
    ['a space in the local part', 'a b@example.com', 'a b@example.com'],
    ['two addresses without a comma', 'ann@example.com bob@example.com', 'ann@example.com bob@example.com'],
    ['an unterminated quote', '"ann@example.com', 'unterminated'],
    // addressparser reads a second "<address>" or a word after the brackets into the display name:
    // bob would silently get nothing, or ann would arrive named after another address.
    ['two angle-bracket addresses after one name', 'Ann <ann@example.com> <bob@example.com>', 'Ann <ann@example.com> <bob@example.com>'],
    ['an address written as the display name', 'ann@example.com <bob@example.com>', 'ann@example.com <bob@example.com>'],
    ['a word after the angle brackets', 'Ann <ann@example.com> Lee', 'Ann <ann@example.com> Lee'],
    ['an unterminated quoted name', '"Ann <ann@example.com>', 'unterminated'],
    ['an unclosed angle bracket', 'Ann <ann@example.com', 'unterminated'],
    // domainToASCII stops at "#", "?" and "/" (a URL host): the rest must not be dropped unseen.
    ['a "#" after the domain', 'evil@attacker.example#%ZKmd^P|i}-QL%-1', 'not a valid domain name'],
    ['a "?" in the domain', 'ann@example.com?x', 'not a valid domain name'],
    ['a "/" in the domain', 'ann@example.com/x', 'not a valid domain name'],
    ['an underscore in the domain', 'ann@ex_ample.com', 'not a valid domain name'],
    // RFC 5321's quoted string has no tab (RFC 5322's has): the server refuses the recipient.
    ['a tab in a quoted local part', '"4.nel8\t1@iu[f=#"@example.com', 'has characters not allowed there'],
    // Allowed by RFC 5321, but an envelope parser reading between the first "<" and ">" fails on it.
    ['a ">" in a quoted local part', '">"@example.com', 'has characters not allowed there'],
  ])('refuses %s in string and object form alike, naming the field', (_label, input, reason) => {
    for (const form of [input, { address: input }]) {
      const error = invalid(() => normalizeMessage({ from: 'shop@example.com', to: 'ok@example.com', cc: [form], subject: 's', text: 't' }));
      expect(error.field).toBe('cc');
      expect(error.message).toContain('"cc"');
      expect(error.message).toContain(reason);
    }
  });

  it('refuses a control character in a display name', () => {
    expect(invalid(() => parseAddressList({ address: 'ann@example.com', name: 'Ann\0' }, 'to')).message).toContain('control character');
    expect(invalid(() => parseAddressList('"Ann\u0007" <ann@example.com>', 'to')).message).toContain('control character');
  });

  it('still reads display names, comments, groups and quoted local parts as written', () => {
    expect(parseAddressList('ann@example.com (Ann)', 'to')).toEqual([{ address: 'ann@example.com', name: 'Ann' }]);
    expect(parseAddressList('"john doe"@example.com', 'to').map((a) => a.address)).toEqual(['"john doe"@example.com']);
    expect(parseAddressList('Ann Lee <ann@example.com>, <bob@example.com>', 'to')).toEqual([{ address: 'ann@example.com', name: 'Ann Lee' }, { address: 'bob@example.com' }]);
    expect(parseAddressList('"Lee, \\"Ann\\"" <ann@example.com>', 'to')).toEqual([{ address: 'ann@example.com', name: 'Lee, "Ann"' }]);
  });

  it('from must be exactly one address', () => {
    expect(invalid(() => parseAddress('a@example.com, b@example.com', 'from')).message).toMatch(/exactly one/);
  });

  it('formats names that need quoting', () => {
    expect(formatAddress({ name: 'Ann, Sales', address: 'ann@example.com' })).toBe('"Ann, Sales" <ann@example.com>');
    expect(formatAddress({ name: 'Ann', address: 'ann@example.com' })).toBe('Ann <ann@example.com>');
  });
});

describe('normalizeMessage', () => {
  it('fills the default sender and generates an RFC 5322 Message-ID on the sender domain', () => {
    const message = normalizeMessage({ to: 'ann@example.com', text: 'x' }, { defaultFrom: 'Shop <shop@bücher.example>' });
    expect(message.from).toEqual({ name: 'Shop', address: 'shop@bücher.example' });
    expect(message.messageId).toMatch(/^<[A-Za-z0-9._-]+@xn--bcher-kva\.example>$/);
    expect(normalizeMessage(base).messageId).not.toBe(normalizeMessage(base).messageId);
  });

  it('refuses a message without sender, recipient or body, naming the field', () => {
    expect(invalid(() => normalizeMessage({ to: 'a@example.com', text: 'x' })).field).toBe('from');
    expect(invalid(() => normalizeMessage({ ...base, to: [] })).field).toBe('to');
    expect(invalid(() => normalizeMessage({ ...base, text: undefined })).message).toMatch(/no body/);
  });

  it.each([
    ['subject', { subject: 'Hi\r\nBcc: evil@example.com' }],
    ['subject (LF only)', { subject: 'Hi\nX-Evil: 1' }],
    ['from name', { from: { name: 'Shop\rX', address: 'shop@example.com' } }],
    ['to', { to: 'ann@example.com\r\nBcc: x@example.com' }],
    ['cc', { cc: ['ok@example.com', { name: 'A\nB', address: 'a@example.com' }] }],
    ['bcc', { bcc: { name: 'x\r\n', address: 'b@example.com' } }],
    ['replyTo', { replyTo: 'Evil\r\n <e@example.com>' }],
    ['custom header value', { headers: { 'X-Order': '1\r\nBcc: evil@example.com' } }],
    ['custom header name', { headers: { 'X-Order\r\nBcc': '1' } }],
    ['header name with a colon', { headers: { 'X-A:B': '1' } }],
    ['tag', { tags: ['orders\nX'] }],
    ['metadata value', { metadata: { order: '1\r\n2' } }],
    ['attachment filename', { attachments: [{ filename: 'a\r\n.pdf', content: 'x' }] }],
    ['attachment content type', { attachments: [{ filename: 'a.pdf', content: 'x', contentType: 'application/pdf\r\nX-Evil: 1' }] }],
    ['attachment cid', { attachments: [{ filename: 'a.png', content: 'x', cid: 'logo\n' }] }],
    ['idempotency key', { idempotencyKey: 'k\n1' }],
  ])('refuses a line break in the %s', (_, patch) => {
    invalid(() => normalizeMessage({ ...base, ...(patch as Partial<MailMessage>) }));
  });

  it('takes spaces and tabs off the ends of the subject and header values, as readers do, and keeps the rest', () => {
    const message = normalizeMessage({ ...base, subject: ' \tOrder 1042\t ', headers: { 'X-Order': '\t1042 ', 'X-Note': 'a \t b', 'X-Nbsp': '\u00a01042' } });
    expect(message.subject).toBe('Order 1042');
    expect(message.headers).toEqual({ 'X-Order': '1042', 'X-Note': 'a \t b', 'X-Nbsp': '\u00a01042' });
    // Only blanks: an empty subject (sent without one); a header of blanks only is refused, not dropped.
    expect(normalizeMessage({ ...base, subject: ' \t ' }).subject).toBe('');
    expect(invalid(() => normalizeMessage({ ...base, headers: { 'X-Order': ' \t' } })).field).toBe('headers.X-Order');
    // A long run of blanks is trimmed in linear time (a regular expression would backtrack on it).
    const long = `${' '.repeat(100_000)}x${' '.repeat(100_000)}y`;
    expect(normalizeMessage({ ...base, subject: long }).subject).toBe(long.trimStart());
  });

  it('writes every line break of a body as LF: CRLF, and a lone CR as the break it stands for', () => {
    const message = normalizeMessage({ ...base, text: 'a\r\nb\rc\r\r\nd\ne', html: '<p>a</p>\r\n<p>b</p>\r' });
    expect(message.text).toBe('a\nb\nc\n\nd\ne');
    expect(message.html).toBe('<p>a</p>\n<p>b</p>\n');
    const plain = 'no carriage return\nhere';
    expect(normalizeMessage({ ...base, text: plain }).text).toBe(plain);
  });

  it('refuses an encoded word in a header value or a tag, as in the subject: the receiver would decode it', () => {
    const error = invalid(() => normalizeMessage({ ...base, headers: { 'X-Fuzz': '=?utf-8?q?x?=' } }));
    expect(error.field).toBe('headers.X-Fuzz');
    expect(error.message).toMatch(/encoded word/);
    expect(normalizeMessage({ ...base, headers: { 'X-Note': 'a=?b' } }).headers['X-Note']).toBe('a=?b');
    // Tags travel in one header at SMTP (X-Mailroom-Tags): the same rule.
    expect(invalid(() => normalizeMessage({ ...base, tags: ['ok', '=?utf-8?q?x?='] })).field).toBe('tags[1]');
  });

  it('keeps quoted local parts SMTP can carry: spaces, escaped quotes', () => {
    for (const address of ['"john doe"@example.com', '"a\\"b"@example.com']) {
      expect(normalizeMessage({ ...base, to: address }).to).toEqual([{ address }]);
    }
  });

  it('refuses "__proto__" as a metadata key or header name (a plain object would drop it), and types no file by Object\'s own keys', () => {
    const own = (key: string) => Object.defineProperty({}, key, { value: '1', enumerable: true }) as Record<string, string>;
    expect(invalid(() => normalizeMessage({ ...base, metadata: own('__proto__') })).field).toBe('metadata.__proto__');
    expect(invalid(() => normalizeMessage({ ...base, headers: own('__proto__') })).field).toBe('headers.__proto__');
    expect(normalizeMessage({ ...base, metadata: { constructor: '1' } }).metadata).toEqual({ constructor: '1' });
    for (const filename of ['__proto__', 'x.constructor', 'y.hasOwnProperty']) {
      expect(normalizeMessage({ ...base, attachments: [{ filename, content: 'x' }] }).attachments[0]!.contentType).toBe('application/octet-stream');
    }
  });

  it('refuses standard headers set through headers', () => {
    expect(invalid(() => normalizeMessage({ ...base, headers: { Bcc: 'x@example.com' } })).message).toMatch(/set from the message fields/);
  });

  it('refuses mailroom\'s own X-Mailroom-Tags / X-Mailroom-Metadata through headers: they are written from tags and metadata', () => {
    // Before, the first went out twice (the caller's and the one written from tags) and the second was silently replaced.
    const tags = invalid(() => normalizeMessage({ ...base, tags: ['order'], headers: { 'x-mailroom-tags': 'spoof' } }));
    expect(tags.field).toBe('headers.x-mailroom-tags');
    expect(tags.message).toMatch(/written from the message's "tags"/);
    const metadata = invalid(() => normalizeMessage({ ...base, headers: { 'X-Mailroom-Metadata': '{"orderId":"1"}' } }));
    expect(metadata.field).toBe('headers.X-Mailroom-Metadata');
    expect(metadata.remedy).toMatch(/metadata: \{/);
    expect(normalizeMessage({ ...base, headers: { 'X-Mailroom-Other': 'kept' } }).headers).toEqual({ 'X-Mailroom-Other': 'kept' });
  });

  it('enforces recipient and size limits', () => {
    const many = Array.from({ length: 6 }, (_, i) => `r${i}@example.com`);
    expect(invalid(() => normalizeMessage({ ...base, to: many }, { limits: { maxRecipients: 5 } })).message).toMatch(/6 recipients/);
    const big = { ...base, attachments: [{ filename: 'big.bin', content: new Uint8Array(2048) }] };
    expect(invalid(() => normalizeMessage(big, { limits: { maxBytes: 1024 } })).field).toBe('attachments');
  });

  it('a limit left undefined keeps its default; one that is not a whole number of at least 1 is CONFIG', () => {
    const many = Array.from({ length: 101 }, (_, i) => `r${i}@example.com`);
    expect(invalid(() => normalizeMessage({ ...base, to: many }, { limits: { maxRecipients: undefined } })).field).toBe('to');
    expect(invalid(() => normalizeMessage({ ...base, to: many }, { limits: { maxRecipients: undefined, maxBytes: 10_000 } })).field).toBe('to');
    for (const bad of [Number.NaN, 0, -1, 2.5, Number.POSITIVE_INFINITY, '100' as never]) {
      let thrown: unknown;
      try {
        normalizeMessage(base, { limits: { maxBytes: bad } });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, String(bad)).toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/maxBytes/) });
    }
    // Refused when the mailer is created, not at the first send.
    expect(() => createMailer({ dsn: 'memory://', journal: false, limits: { maxRecipients: Number.NaN } })).toThrow(/maxRecipients/);
  });

  it('refuses attachment paths: content must be given bytes', () => {
    const error = invalid(() => normalizeMessage({ ...base, attachments: [{ filename: 'passwd', path: '/etc/passwd' } as never] }));
    expect(error.message).toMatch(/paths and URLs are never read/);
  });

  it('decodes base64 string attachments and guesses content types', () => {
    const message = normalizeMessage({ ...base, attachments: [{ filename: 'a.pdf', content: Buffer.from('%PDF').toString('base64'), encoding: 'base64' }, { filename: 'logo.png', content: 'x', cid: 'logo' }] });
    expect(message.attachments[0]).toMatchObject({ contentType: 'application/pdf', inline: false });
    expect(message.attachments[0]!.content.toString()).toBe('%PDF');
    expect(message.attachments[1]).toMatchObject({ contentType: 'image/png', inline: true, cid: 'logo' });
  });

  it('refuses base64 content that is not base64 (a data: URL) and an encoding it does not know, naming the attachment', () => {
    const pdf = Buffer.from('%PDF-1.7 a small file').toString('base64');
    // Line-wrapped base64 (MIME bodies, `base64` output) is base64 still.
    const wrapped = normalizeMessage({ ...base, attachments: [{ filename: 'a.pdf', content: `${pdf.slice(0, 12)}\r\n${pdf.slice(12)}\n`, encoding: 'base64' }] });
    expect(wrapped.attachments[0]!.content.toString()).toBe('%PDF-1.7 a small file');
    const dataUrl = invalid(() => normalizeMessage({ ...base, attachments: [{ filename: 'a.txt', content: 'x', encoding: 'utf8' }, { filename: 'a.pdf', content: `data:application/pdf;base64,${pdf}`, encoding: 'base64' }] }));
    expect(dataUrl.field).toBe('attachments[1].content');
    for (const encoding of ['hex', 'latin1', 'BASE64']) {
      const unknown = invalid(() => normalizeMessage({ ...base, attachments: [{ filename: 'a.pdf', content: pdf, encoding: encoding as never }] }));
      expect(unknown.field, encoding).toBe('attachments[0].encoding');
    }
  });

  it('refuses a field of the wrong shape with INVALID_MESSAGE naming it, never a TypeError', () => {
    const cases: [Partial<Record<keyof MailMessage, unknown>>, string][] = [
      [{ tags: 'promo' }, 'tags'],
      [{ tags: { 0: 'promo' } }, 'tags'],
      [{ attachments: { filename: 'a.txt', content: 'x' } }, 'attachments'],
      [{ attachments: 'a.txt' }, 'attachments'],
      [{ headers: 'X-Campaign: spring' }, 'headers'],
      [{ headers: ['X-Campaign: spring'] }, 'headers'],
      [{ metadata: 'order=1042' }, 'metadata'],
      [{ to: { name: 123, address: 'ann@example.com' } }, 'to'],
      [{ cc: [{ name: { first: 'Ann' }, address: 'ann@example.com' }] }, 'cc'],
    ];
    for (const [fields, field] of cases) {
      expect(invalid(() => normalizeMessage({ ...base, ...fields } as MailMessage)).field, JSON.stringify(fields)).toBe(field);
    }
  });

  it('refuses a non-string subject or body with a typed error', () => {
    expect(invalid(() => normalizeMessage({ ...base, subject: 42 as never })).field).toBe('subject');
    expect(invalid(() => normalizeMessage({ ...base, html: {} as never })).field).toBe('html');
  });
});

describe('send() with something that is not a message', () => {
  it('is INVALID_MESSAGE saying what send() takes, not a TypeError', async () => {
    const mailer = createMailer({ dsn: 'memory://', journal: false, from: 'shop@example.com' });
    try {
      for (const input of [undefined, null, 'ann@example.com', 42, ['ann@example.com']]) {
        for (const call of [() => mailer.send(input as unknown as MailMessage), () => mailer.sendNow(input as unknown as MailMessage)]) {
          const error = await call().catch((caught: unknown) => caught);
          expect(error, String(input)).toBeInstanceOf(MailError);
          expect((error as MailError).code).toBe('INVALID_MESSAGE');
          expect((error as MailError).message).toMatch(/send\(\) takes a message object/);
        }
      }
    } finally {
      await mailer.close();
    }
  });
});
