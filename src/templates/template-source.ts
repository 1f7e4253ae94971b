// Reads a template file: its front matter (subject, preheader, replyTo, layout, required, text) and
// its MJML body, and puts body and layout together into one MJML document while remembering where
// each line came from, so an MJML error can name the file and line the author must fix.
import { MailError } from '../core/errors.js';

/** The front-matter fields a template may set. */
export interface FrontMatter {
  subject?: string;
  preheader?: string;
  replyTo?: string;
  /** Layout name, or "none" for a template that is a whole `<mjml>` document. */
  layout?: string;
  /** Data paths the render refuses to go without, e.g. `order.number`. */
  required?: string[];
  /** A Handlebars text part used instead of the one derived from the html. */
  text?: string;
  /** "true": the mail carries a credential (a reset link), so the journal keeps none of its content. */
  sensitive?: string;
}

export interface TemplateSource {
  file: string;
  frontMatter: FrontMatter;
  /** 1-based line of each front-matter key, for error messages. */
  keyLines: Partial<Record<keyof FrontMatter, number>>;
  body: string;
  /** 1-based line in the file where the body starts. */
  bodyLine: number;
}

/** Where a line of the composed MJML document comes from. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** One MJML document built from a template and its layout, with a line map back to the files. */
export interface ComposedSource {
  mjml: string;
  locate(line: number): SourceLocation;
}

const KEYS = new Set<keyof FrontMatter>(['subject', 'preheader', 'replyTo', 'layout', 'required', 'text', 'sensitive']);
const KEY_LINE = /^([A-Za-z]+)\s*:\s?(.*)$/;

/** Splits a template file into front matter and body. Throws TEMPLATE naming the file and line. */
export function parseTemplateSource(file: string, content: string): TemplateSource {
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '---') {
    return { file, frontMatter: {}, keyLines: {}, body: lines.join('\n'), bodyLine: 1 };
  }
  const end = lines.findIndex((line, index) => index > 0 && line.trim() === '---');
  if (end < 0) throw sourceError(file, 1, 'the front matter opened by "---" is never closed by another "---"');

  const frontMatter: FrontMatter = {};
  const keyLines: TemplateSource['keyLines'] = {};
  for (let index = 1; index < end; index++) {
    const line = lines[index]!;
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const match = KEY_LINE.exec(line);
    const lineNumber = index + 1;
    if (!match) throw sourceError(file, lineNumber, `front matter line ${JSON.stringify(line)} is not "key: value"`);
    const key = match[1] as keyof FrontMatter;
    if (!KEYS.has(key)) {
      throw sourceError(file, lineNumber, `unknown front matter key "${key}" (known: ${[...KEYS].join(', ')})`);
    }
    keyLines[key] = lineNumber;
    const raw = match[2]!.trim();
    if (raw === '|' || raw === '|-') {
      const block: string[] = [];
      while (index + 1 < end && (lines[index + 1]!.trim() === '' || /^\s/.test(lines[index + 1]!))) block.push(lines[++index]!);
      const indent = Math.min(...block.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length));
      const text = block.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n').replace(/\s+$/, '');
      setKey(frontMatter, key, raw === '|' ? `${text}\n` : text, file, lineNumber);
    } else {
      setKey(frontMatter, key, parseScalar(raw, file, lineNumber), file, lineNumber);
    }
  }
  return { file, frontMatter, keyLines, body: lines.slice(end + 1).join('\n'), bodyLine: end + 2 };
}

function setKey(frontMatter: FrontMatter, key: keyof FrontMatter, value: string | string[], file: string, line: number): void {
  if (key === 'required') {
    const list = Array.isArray(value) ? value : value.split(',').map((item) => item.trim()).filter(Boolean);
    const bad = list.find((item) => !/^[A-Za-z_$][\w$]*(\.[\w$]+)*$/.test(item));
    if (bad !== undefined) throw sourceError(file, line, `"required" holds ${JSON.stringify(bad)}, not a data path like order.number`);
    frontMatter.required = list;
    return;
  }
  if (Array.isArray(value)) throw sourceError(file, line, `"${key}" must be a string, not a list`);
  if (key === 'sensitive' && value !== 'true' && value !== 'false') throw sourceError(file, line, `"sensitive" must be true or false, not ${JSON.stringify(value)}`);
  if (key !== 'text' && /[\r\n]/.test(value)) throw sourceError(file, line, `"${key}" must be on one line (it becomes a header)`);
  frontMatter[key] = value;
}

// A small YAML subset: "double quoted" (JSON escapes), 'single quoted', [a, b] lists, bare text.
function parseScalar(raw: string, file: string, line: number): string | string[] {
  if (raw.startsWith('"')) {
    try {
      const value: unknown = JSON.parse(raw);
      if (typeof value === 'string') return value;
    } catch {
      // reported below
    }
    throw sourceError(file, line, `the value ${raw} is not a valid double-quoted string`);
  }
  if (raw.startsWith("'")) {
    if (!raw.endsWith("'") || raw.length < 2) throw sourceError(file, line, `the value ${raw} has no closing quote`);
    return raw.slice(1, -1).replace(/''/g, "'");
  }
  if (raw.startsWith('[')) {
    if (!raw.endsWith(']')) throw sourceError(file, line, `the list ${raw} has no closing "]"`);
    return raw.slice(1, -1).split(',').map((item) => item.trim().replace(/^["']|["']$/g, '')).filter(Boolean);
  }
  return raw;
}

const BODY_MARKER = '\uE002mailroom-body\uE002';
/** What a layout's `{{{body}}}` renders to when the layout is filled with the brand. */
export const LAYOUT_BODY_PLACEHOLDER = BODY_MARKER;

/**
 * Puts the template body into its layout (already filled with the brand, `{{{body}}}` rendered as
 * LAYOUT_BODY_PLACEHOLDER) and adds the preheader as `<mj-preview>`, on existing lines so the line
 * map stays exact for the body.
 */
export function composeSource(
  template: TemplateSource,
  layout: { file: string; rendered: string } | undefined,
): ComposedSource {
  let before = '';
  let after = '';
  if (layout) {
    const at = layout.rendered.indexOf(BODY_MARKER);
    if (at < 0 || layout.rendered.indexOf(BODY_MARKER, at + 1) >= 0) {
      throw new MailError('TEMPLATE', `layout ${layout.file} must hold {{{body}}} exactly once`, { field: 'template' });
    }
    before = layout.rendered.slice(0, at);
    after = layout.rendered.slice(at + BODY_MARKER.length);
  }
  let mjml = before + template.body + after;
  const preheader = template.frontMatter.preheader;
  if (preheader) {
    const preview = `<mj-preview>${preheader}</mj-preview>`;
    const head = /<mj-head(\s[^>]*)?>/.exec(mjml);
    const root = /<mjml(\s[^>]*)?>/.exec(mjml);
    if (head) mjml = mjml.slice(0, head.index + head[0].length) + preview + mjml.slice(head.index + head[0].length);
    else if (root) mjml = mjml.slice(0, root.index + root[0].length) + `<mj-head>${preview}</mj-head>` + mjml.slice(root.index + root[0].length);
  }
  const beforeLines = countNewlines(before);
  const bodyLines = countNewlines(template.body);
  const locate = (line: number): SourceLocation => {
    if (!layout) return { file: template.file, line: template.bodyLine + line - 1 };
    if (line <= beforeLines) return { file: layout.file, line };
    if (line <= beforeLines + bodyLines + 1) return { file: template.file, line: template.bodyLine + line - beforeLines - 1 };
    return { file: layout.file, line: line - bodyLines };
  };
  return { mjml, locate };
}

function countNewlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

function sourceError(file: string, line: number, detail: string): MailError {
  return new MailError('TEMPLATE', `${file}:${line}: ${detail}`, { field: 'template' });
}
