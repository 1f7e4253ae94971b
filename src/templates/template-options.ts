// Every name the template options have, for the check of a JavaScript caller's typo
// (src/core/known-options.ts): `brand: { nmae }` would leave the brand without its name, with no
// word about it. Apart from templates.ts so that createMailer checks them without loading the
// template engine, which it loads at the first render.
import { MailError } from '../core/errors.js';
import { optionNames, type KnownOptions } from '../core/known-options.js';
import type { BrandOptions, StrictOptions, TemplateOptions } from './templates.js';

export const TEMPLATE_OPTIONS = {
  names: optionNames<TemplateOptions>({
    dir: true, builtinDir: true, brand: true, defaultLocale: true, currency: true, timeZone: true, strict: true, reloadOnChange: true, reloadCheckMs: true, helpers: true,
  }),
  nested: {
    brand: optionNames<BrandOptions>({ name: true, logoUrl: true, logoWidth: true, color: true, address: true, url: true }),
    strict: optionNames<StrictOptions>({ subject: true, required: true, body: true }),
  },
} satisfies KnownOptions;

// From JavaScript: a `dir` that is not a string failed each templated send with Node's TypeError
// instead of a MailError; a "no" string for a flag read as true, and a strict: "yes" kept the defaults.
export function checkTemplateOptionTypes(options: TemplateOptions): void {
  const given = options as Record<string, unknown>;
  const problems: string[] = [];
  const expect = (name: string, ok: (value: unknown) => boolean, what: string) => {
    if (given[name] !== undefined && !ok(given[name])) problems.push(`option "templates.${name}": expected ${what}`);
  };
  const text = (value: unknown) => typeof value === 'string' && value.trim() !== '';
  const object = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  expect('dir', text, 'a folder path');
  expect('builtinDir', (value) => value === false || text(value), 'a folder path or false');
  expect('defaultLocale', text, 'a locale such as "en" or "fr-CA"');
  expect('currency', text, 'an ISO 4217 currency such as "EUR"');
  expect('timeZone', text, 'an IANA time zone such as "Europe/Paris"');
  expect('brand', object, 'an object { name, logoUrl, ... }');
  expect('strict', (value) => typeof value === 'boolean' || (object(value) && Object.values(value as object).every((flag) => flag === undefined || typeof flag === 'boolean')), 'true, false or { subject, required, body } of true or false');
  expect('reloadOnChange', (value) => typeof value === 'boolean', 'true or false');
  expect('reloadCheckMs', (value) => typeof value === 'number' && Number.isInteger(value) && value >= 0, 'a whole number of 0 or more');
  expect('helpers', (value) => object(value) && Object.values(value as object).every((helper) => typeof helper === 'function'), 'an object of functions');
  if (problems.length > 0) throw new MailError('CONFIG', problems.join('; '), { field: 'templates', remedy: 'Fix the templates option named above; README "Templates" gives each one.' });
}
