// Every name the template options have, for the check of a JavaScript caller's typo
// (src/core/known-options.ts): `brand: { nmae }` would leave the brand without its name, with no
// word about it. Apart from templates.ts so that createMailer checks them without loading the
// template engine, which it loads at the first render.
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
