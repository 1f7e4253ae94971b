// Derives the text part of a template once, at compile time: the compiled html (Handlebars
// expressions still in it) goes through html-to-text with every expression protected, and the
// result is itself a Handlebars template. A send then only fills it, instead of paying an
// html-to-text conversion (≈0.3 ms) on the final html each time.
import type { HtmlToTextOptions } from 'html-to-text';

/** Turns an html document or fragment into plain text. */
export type HtmlToText = (html: string) => string;

// Handlebars comments first (they may hold "}}"), then triple, then double mustaches.
const MUSTACHE = /\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}|\{\{\{[\s\S]*?\}\}\}|\{\{[\s\S]*?\}\}/g;
const PLACEHOLDER = /\uE000(\d+)\uE001/g;
const STANDALONE = /^\s*\uE000(\d+)\uE001\s*$/;
const ONLY_PLACEHOLDERS = /^\s*(\uE000\d+\uE001\s*)+$/;

/** How html-to-text reads mailroom's MJML output: one line per table row, cells spaced, no hidden preview. */
export const HTML_TO_TEXT_OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  formatters: {
    cell(elem, walk, builder) {
      walk(elem.children, builder);
      builder.addInline(' ');
    },
  },
  selectors: [
    // MJML's <mj-preview> is a hidden div at the top of the body: the preheader is not body text.
    { selector: 'div[style*="display:none"]', format: 'skip' },
    { selector: 'img', format: 'skip' },
    { selector: 'tr', format: 'block', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
    { selector: 'td', format: 'cell' },
    { selector: 'th', format: 'cell' },
    { selector: 'p', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
    // Values are filled after conversion and would not be upper-cased: keep headings as written.
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
  ],
};

type TokenKind = 'open' | 'else' | 'close' | 'other';

function kindOf(token: string): TokenKind {
  const inner = token.replace(/^\{\{~?\s*/, '');
  if (inner.startsWith('#') || (inner.startsWith('^') && !/^\^\s*~?\}\}/.test(inner))) return 'open';
  if (inner.startsWith('/')) return 'close';
  if (/^(else\b|\^\s*~?\}\})/.test(inner)) return 'else';
  return 'other';
}

/**
 * The text template for an html template. `{{x}}` stays `{{x}}` (the text template is compiled
 * without html escaping); `{{{x}}}`, trusted html, becomes `{{__htmlText x}}` so its markup is
 * converted at send time; blank lines html-to-text leaves inside block helpers are dropped.
 */
export function deriveTextTemplate(html: string, convert: HtmlToText): string {
  const tokens: string[] = [];
  const indexes = new Map<string, number>();
  // The same expression gets the same placeholder, so html-to-text sees that a link's text is its href.
  const protectedHtml = html.replace(MUSTACHE, (token) => {
    if (token.startsWith('{{!')) return '';
    let index = indexes.get(token);
    if (index === undefined) indexes.set(token, (index = tokens.push(token) - 1));
    return `\uE000${index}\uE001`;
  });
  // Handlebars drops a line holding nothing but one block tag; html-to-text may put several on a line.
  // "{{" in the converted text came from the html's own text (an entity, say), never from an
  // expression (those are placeholders now): keep it literal in the text template.
  const lines = convert(protectedHtml).replace(/\{\{/g, '\\{{').split('\n').flatMap((line) => {
    const ids = ONLY_PLACEHOLDERS.test(line) ? [...line.matchAll(PLACEHOLDER)].map((match) => Number(match[1])) : [];
    return ids.length > 1 && ids.every((id) => kindOf(tokens[id]!) !== 'other') ? ids.map((id) => `\uE000${id}\uE001`) : [line];
  });
  const kinds = lines.map((line) => {
    const match = STANDALONE.exec(line);
    return match ? kindOf(tokens[Number(match[1])]!) : undefined;
  });
  const keep = lines.map(() => true);
  for (let i = 0; i < lines.length; i++) {
    const kind = kinds[i];
    if (kind === 'open' || kind === 'else') {
      for (let j = i + 1; j < lines.length && lines[j]!.trim() === '' && kinds[j] === undefined; j++) keep[j] = false;
    }
    if (kind === 'close' || kind === 'else') {
      for (let j = i - 1; j >= 0 && lines[j]!.trim() === '' && kinds[j] === undefined; j--) keep[j] = false;
    }
  }
  // Blank lines between two standalone block tags ({{/if}} then {{#if}}) would add up once filled.
  for (let i = 0; i < lines.length; i++) {
    if (kinds[i] === undefined || kinds[i] === 'other') continue;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() === '' && kinds[j] === undefined) j++;
    if (j < lines.length && kinds[j] !== undefined && kinds[j] !== 'other') for (let k = i + 1; k < j; k++) keep[k] = false;
  }
  return lines
    .filter((_, i) => keep[i])
    .join('\n')
    .replace(PLACEHOLDER, (_, index: string) => toTextToken(tokens[Number(index)]!));
}

function toTextToken(token: string): string {
  const triple = /^\{\{\{(~?)([\s\S]*?)(~?)\}\}\}$/.exec(token) ?? /^\{\{(~?)&([\s\S]*?)(~?)\}\}$/.exec(token);
  if (!triple) return token;
  const [, open, expression, close] = triple;
  const inner = expression!.trim();
  const argument = /\s/.test(inner) ? `(${inner})` : inner;
  return `{{${open}__htmlText ${argument}${close}}}`;
}

/** Squeezes the blank lines a rendered text part may gather where optional blocks were empty. */
export function tidyText(text: string): string {
  return text.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim() + '\n';
}
