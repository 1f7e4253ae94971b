// Handlebars helpers every template can use: money, numbers and dates formatted for the render's
// locale (Intl), and line breaks kept. Each comes in an html and a text flavour, because the text
// part is its own template and must not receive html markup.
import type { HelperDelegate, HelperOptions } from 'handlebars';
import { MailError } from '../core/errors.js';

export interface HelperSettings {
  /** ISO 4217 code used when a `money` call names none. */
  currency: string;
  /** IANA time zone for `date`/`datetime`; undefined: the process's zone. */
  timeZone: string | undefined;
  /** Locale used when a render names none. */
  defaultLocale: string;
}

export interface HelperSets {
  html: Record<string, HelperDelegate>;
  text: Record<string, HelperDelegate>;
}

const MAX_FORMATTERS = 500;
type DateStyle = 'full' | 'long' | 'medium' | 'short';
const DATE_STYLES = new Set<string>(['full', 'long', 'medium', 'short']);

/**
 * Builds the helpers. Intl formatters are costly to construct (tens of µs), so each locale,
 * currency and style combination is built once and kept.
 */
export function createHelpers(settings: HelperSettings): HelperSets {
  const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();
  const localeOf = (options: HelperOptions): string => {
    const locale: unknown = (options.data as { locale?: unknown } | undefined)?.locale;
    return typeof locale === 'string' ? locale : settings.defaultLocale;
  };
  const cached = <T extends Intl.NumberFormat | Intl.DateTimeFormat>(cacheKey: string, make: () => T): T => {
    let format = formatters.get(cacheKey) as T | undefined;
    if (!format) {
      if (formatters.size >= MAX_FORMATTERS) formatters.clear(); // locales come from callers: stay bounded
      formatters.set(cacheKey, (format = make()));
    }
    return format;
  };
  const numberFormat = (locale: string, key: string, make: () => Intl.NumberFormat) => cached(`n|${locale}|${key}`, make);
  const dateFormat = (locale: string, key: string, make: () => Intl.DateTimeFormat) => cached(`d|${locale}|${key}`, make);

  /** `{{money amount}}`, `{{money amount "CHF"}}` or `{{money amount currency=order.currency}}`: amount in major units. */
  const money: HelperDelegate = (value: unknown, code: unknown, last?: HelperOptions) => {
    // Called as (amount, options) or (amount, currency, options).
    const options = (last ?? code) as HelperOptions;
    const amount = toNumber(value, 'money');
    const currency = String((last ? code : undefined) ?? options.hash?.currency ?? settings.currency).toUpperCase();
    const locale = localeOf(options);
    // The html and the text part format the same amounts: one render formats each once.
    const memo = (options.data as { memo?: Map<string, string> } | undefined)?.memo;
    const memoKey = `m|${locale}|${currency}|${amount}`;
    const known = memo?.get(memoKey);
    if (known !== undefined) return known;
    try {
      const formatted = numberFormat(locale, currency, () => new Intl.NumberFormat(locale, { style: 'currency', currency })).format(amount);
      memo?.set(memoKey, formatted);
      return formatted;
    } catch (error) {
      throw new MailError('TEMPLATE', `money: ${JSON.stringify(currency)} is not an ISO 4217 currency code`, { field: 'template.data', cause: error });
    }
  };

  /** `{{number value}}`, `{{number value digits=2}}`. */
  const number: HelperDelegate = (...args: unknown[]) => {
    const options = args.pop() as HelperOptions;
    const value = toNumber(args[0], 'number');
    const digits = options.hash?.digits;
    const locale = localeOf(options);
    const key = typeof digits === 'number' ? String(digits) : '';
    return numberFormat(locale, key, () =>
      new Intl.NumberFormat(locale, typeof digits === 'number' ? { minimumFractionDigits: digits, maximumFractionDigits: digits } : {}),
    ).format(value);
  };

  const dateHelper = (withTime: boolean): HelperDelegate => (...args: unknown[]) => {
    const options = args.pop() as HelperOptions;
    const date = toDate(args[0], withTime ? 'datetime' : 'date');
    const requested = String(options.hash?.style ?? (withTime ? 'medium' : 'long'));
    const style = (DATE_STYLES.has(requested) ? requested : 'long') as DateStyle;
    const locale = localeOf(options);
    return dateFormat(locale, `${withTime}|${style}`, () =>
      new Intl.DateTimeFormat(locale, {
        // dateStyle cannot be combined with a zone name: a date and time spells its fields out.
        ...(withTime ? dateTimeFields(style) : { dateStyle: style }),
        ...(settings.timeZone ? { timeZone: settings.timeZone } : {}),
      }),
    ).format(date);
  };

  const shared = { money, number, date: dateHelper(false), datetime: dateHelper(true) };
  return {
    html: {
      ...shared,
      /** `{{breaklines message}}`: html-escaped, each line break kept as <br>. */
      breaklines: (value: unknown) => new SafeHtml(escapeHtml(stringOf(value)).replace(/\r\n|\r|\n/g, '<br>\n')),
    },
    text: {
      ...shared,
      breaklines: (value: unknown) => stringOf(value),
    },
  };
}

/** Marks helper output as html, as Handlebars.SafeString does, without loading Handlebars here. */
export class SafeHtml {
  constructor(private readonly html: string) {}
  toString(): string {
    return this.html;
  }
  toHTML(): string {
    return this.html;
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };

/** Escapes text for html content and quoted attributes, exactly as Handlebars' `{{x}}` does. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`=]/g, (char) => HTML_ESCAPES[char]!);
}

function dateTimeFields(style: DateStyle): Intl.DateTimeFormatOptions {
  const month = style === 'short' ? 'numeric' : style === 'medium' ? 'short' : 'long';
  return {
    ...(style === 'full' ? { weekday: 'long' as const } : {}),
    year: 'numeric', month, day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
  };
}

function stringOf(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function toNumber(value: unknown, helper: string): number {
  const result = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof result !== 'number' || !Number.isFinite(result)) {
    throw new MailError('TEMPLATE', `${helper}: ${JSON.stringify(value) ?? 'undefined'} is not a number`, { field: 'template.data' });
  }
  return result;
}

function toDate(value: unknown, helper: string): Date {
  const date = value instanceof Date ? value : typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new MailError('TEMPLATE', `${helper}: ${JSON.stringify(value) ?? 'undefined'} is not a date`, { field: 'template.data' });
  }
  return date;
}
