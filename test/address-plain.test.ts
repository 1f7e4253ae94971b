// The plain-form reader (src/core/address.ts `plainAddress`) answers exactly what addressparser
// answers for every string it accepts, so skipping the tokenizer for "ann@example.com" and
// "Ann Smith <ann@example.com>" changes no result.
import fc from 'fast-check';
import addressparser from 'nodemailer/lib/addressparser';
import { describe, expect, it } from 'vitest';
import { domainToASCII } from 'node:url';
import { asciiDomain, parseAddressList, plainAddress } from '../src/core/address.js';

const chars = (set: string, min = 1, max = 12) => fc.string({ unit: fc.constantFrom(...set), minLength: min, maxLength: max });
const local = chars("abcXYZ019!#$%&'*+/=?^_`{|}~.-");
const domain = chars('abcz09.-');
// Mostly the plain forms' own characters, sometimes one that leaves them.
const word = fc.oneof({ weight: 6, arbitrary: chars("AZaz09'_-") }, { weight: 1, arbitrary: chars("AZaz09'_-.\"(),:;@<>\\ \u00e9") });
const spaces = fc.oneof({ weight: 6, arbitrary: chars(' ', 0, 2) }, { weight: 1, arbitrary: chars(' \t', 0, 3) });
// Near the plain forms, with the characters that leave them mixed in.
const nearPlain = fc.oneof(
  fc.tuple(spaces, local, domain, spaces).map(([a, l, d, b]) => `${a}${l}@${d}${b}`),
  fc.tuple(spaces, fc.array(word, { minLength: 1, maxLength: 4 }), spaces, spaces, local, domain, spaces, spaces)
    .map(([a, words, b, c, l, d, e, f]) => `${a}${words.join(' ')}${b}<${c}${l}@${d}${e}>${f}`),
);

describe('plain addresses read without addressparser', () => {
  it('answer what addressparser answers, for every string read that way', () => {
    fc.assert(
      fc.property(fc.oneof(nearPlain, fc.string({ maxLength: 40 })), (item) => {
        const plain = plainAddress(item);
        if (plain) expect([plain]).toEqual(addressparser(item));
      }),
      { numRuns: 20_000 },
    );
  });

  it('have their domain converted to ASCII as domainToASCII converts it', () => {
    const domains = fc.oneof(chars('aZ09.-x', 1, 16), fc.string({ maxLength: 16 }), fc.constantFrom('xn--caf-dma.example', 'a.xn--zz', 'example.123', 'a.0x1f', 'café.example', 'a..b', 'a.b.'));
    fc.assert(fc.property(domains, (domain) => {
      expect(asciiDomain(domain)).toBe(domainToASCII(domain));
    }), { numRuns: 50_000 });
  });

  it('are the forms messages use', () => {
    expect(plainAddress('ann@example.com')).toEqual({ address: 'ann@example.com', name: '' });
    expect(plainAddress(' Customer 12 <customer12@example.com> ')).toEqual({ address: 'customer12@example.com', name: 'Customer 12' });
    expect(plainAddress("O'Neil-Smith <o.neil+shop@example.co.uk>")).toEqual({ address: 'o.neil+shop@example.co.uk', name: "O'Neil-Smith" });
    for (const other of ['"Smith, Ann" <ann@example.com>', 'ann@example.com, bob@example.com', 'Ann <ann@café.example>', 'ann@example.com (Ann)', 'Ann\t<ann@example.com>', 'Team: ann@example.com;']) {
      expect(plainAddress(other)).toBeUndefined();
    }
  });

  it('are still validated: a plain form with a bad address is refused naming the field', () => {
    expect(() => parseAddressList('Ann <ann@localhost>', 'to')).toThrow(/"to" has an invalid address/);
    expect(() => parseAddressList('.ann@example.com', 'cc')).toThrow(/"cc" has an invalid address/);
    expect(parseAddressList('Ann <ann@EXAMPLE.com>', 'to')).toEqual([{ address: 'ann@EXAMPLE.com', name: 'Ann' }]);
  });
});
