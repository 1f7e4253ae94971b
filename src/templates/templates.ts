// MJML + Handlebars templates: finds a template (app folder first, then the built-in templates/,
// locale variant first), compiles it once per file version (layout, MJML, Handlebars, derived text
// part) and renders it by filling variables only. mjml, html-to-text and handlebars load lazily,
// on the first compile, so importing mailroom stays fast.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HelperDelegate, TemplateDelegate } from 'handlebars';
import type * as HandlebarsModule from 'handlebars';
import { addressProblem, formatAddress } from '../core/address.js';
import { MailError } from '../core/errors.js';
import { refuseUnknownOptions } from '../core/known-options.js';
import { checkTemplateOptionTypes, TEMPLATE_OPTIONS } from './template-options.js';
import { createHelpers, escapeHtml, type HelperSets } from './template-helpers.js';
import { composeSource, LAYOUT_BODY_PLACEHOLDER, parseTemplateSource, type ComposedSource, type TemplateSource } from './template-source.js';
import { deriveTextTemplate, HTML_TO_TEXT_OPTIONS, tidyText, type HtmlToText } from './template-text.js';
import { locatingHelpers, namingWholePaths } from './failure-source.js';
import { guardUrlAttributes, safeUrl } from './url-guard.js';

/** The company identity the shared layout shows. Set once per renderer, never by editing files. */
export interface BrandOptions {
  /** Company or site name: header text when there is no logo, footer, logo alt text. Default "". */
  name?: string;
  /** Absolute https (or cid:) URL of the logo shown at the top. Default: none, the name is shown. */
  logoUrl?: string;
  /** Logo width in pixels. Default 140. */
  logoWidth?: number;
  /** Brand colour, `#rgb` or `#rrggbb`: header bar, buttons, links. Default "#1f4e79". */
  color?: string;
  /** Postal address for the footer; line breaks are kept. Default "". */
  address?: string;
  /** Site URL linked from the footer. Default: none. */
  url?: string;
}

/** Which missing data is an error. */
export interface StrictOptions {
  /** Every variable the subject and replyTo use must be in the data. Default true. */
  subject?: boolean;
  /** Every path the front matter lists under `required` must be in the data. Default true. */
  required?: boolean;
  /** Every variable of the html and text parts must be in the data (Handlebars strict mode). Default false. */
  body?: boolean;
}

/** A Handlebars helper: positional arguments, then Handlebars' options object. */
export type TemplateHelper = (...args: unknown[]) => unknown;

export interface TemplateOptions {
  /** The app's template folder, searched before the built-in templates/. Default: none. */
  dir?: string;
  /** The built-in template folder; `false` leaves the built-ins out. Default: the package's `templates/`. */
  builtinDir?: string | false;
  /** Company identity for the shared layout. Default: no logo, no address, colour #1f4e79. */
  brand?: BrandOptions;
  /** Locale for renders that name none (`@locale`, money, dates). Default "en". */
  defaultLocale?: string;
  /** ISO 4217 currency for `{{money x}}` calls that name none. Default "EUR". */
  currency?: string;
  /** IANA time zone for `{{date}}` / `{{datetime}}`. Default: the process's time zone. */
  timeZone?: string;
  /** Missing data that is an error (TEMPLATE). `true`: all; `false`: none. Default `{ subject: true, required: true, body: false }`. */
  strict?: boolean | StrictOptions;
  /**
   * Check the files a template depends on (a few µs of `stat` each) and recompile one that changed.
   * `false` compiles each template once for the renderer's life. Default true.
   */
  reloadOnChange?: boolean;
  /**
   * With `reloadOnChange`, how often at most the files of one template are checked: a burst of
   * sends pays the `stat` calls once per interval, not once per message. 0 checks at every render.
   * Default 1000 ms.
   */
  reloadCheckMs?: number;
  /** Extra Handlebars helpers, for both the html and the text part. Default: none. */
  helpers?: Record<string, TemplateHelper>;
}

/** A rendered template: what a send needs. */
export interface RenderedTemplate {
  subject: string;
  html: string;
  text: string;
  /** From the front matter's `replyTo`, e.g. the visitor of a contact form; one address. */
  replyTo?: string;
  /** From the front matter's `sensitive: true`: the mail carries a credential (see MailMessage.sensitive). */
  sensitive?: true;
}

export interface TemplateRenderer {
  render(name: string, data?: Record<string, unknown>, locale?: string): Promise<RenderedTemplate>;
  /** Names of the templates found (app folder and built-in), sorted. */
  list(): Promise<string[]>;
  /** The file a render would use and the MJML document (layout applied) it compiles. */
  source(name: string, locale?: string): Promise<{ file: string; mjml: string }>;
  /** Forgets every compiled template; the next render compiles again. */
  clear(): void;
}

type Handlebars = typeof HandlebarsModule;
type HeaderPart = { template: TemplateDelegate; paths: DataPath[] };

interface CompiledTemplate {
  name: string;
  file: string;
  subject: HeaderPart;
  replyTo?: { name?: HeaderPart; address: HeaderPart };
  required: DataPath[];
  /** What the html and text parts read at their top level: checked first under `strict.body`. */
  bodyPaths: DataPath[];
  sensitive: boolean;
  html: TemplateDelegate;
  /** The derived or given text template; undefined when the html must be converted per send. */
  text: TemplateDelegate | undefined;
  htmlToText: HtmlToText;
}

interface Dependency {
  path: string;
  version: string;
}

interface CacheEntry {
  promise: Promise<CompiledTemplate>;
  /** Known once the compile finished. */
  deps?: Dependency[];
}

interface Resolved {
  name: string;
  file: string;
  /** The locale part of the file name (`fr` for `x.fr.mjml`), for the layout variant. */
  fileLocale: string | undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const LOCALE = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$/;
const BRAND_COLOR = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;
const LINE_BREAK = /[\r\n]/;
// Control characters (and Unicode line separators) in a value would break a header: made spaces.
const HEADER_UNSAFE = /[\u0000-\u001f\u007f\u2028\u2029]+/g;
const REPLY_TO_PATTERN = /^(.*?)\s*<([^<>]+)>\s*$/;
const MAX_MEMO = 1_000;
const DEFAULT_STRICT: Required<StrictOptions> = { subject: true, required: true, body: false };
const SUBJECT_EXPRESSION = '{{@subject}}';

export function createTemplateRenderer(options: TemplateOptions = {}): TemplateRenderer {
  refuseUnknownOptions('createTemplateRenderer', options, TEMPLATE_OPTIONS);
  checkTemplateOptionTypes(options);
  const appDir = options.dir ? path.resolve(options.dir) : undefined;
  // A folder that is not there (a typo, a path relative to another working directory) would find
  // none of the app's templates, and a built-in one of the same name would be sent in their place.
  if (appDir && !(existsSync(appDir) && statSync(appDir).isDirectory())) {
    throw new MailError('CONFIG', `templates.dir "${options.dir}" is not a folder (${appDir}${path.isAbsolute(options.dir!) ? '' : `, relative to ${process.cwd()}`}): the app's templates would not be found, and a built-in template of the same name sent instead`, {
      field: 'templates.dir',
      remedy: 'Point templates.dir (--dir for `mailroom preview`) at the folder holding your NAME.mjml files; a relative path is relative to the working directory the app starts in, so an absolute one (e.g. path.join(__dirname, "emails")) is safer.',
    });
  }
  const builtinDir = options.builtinDir === false ? undefined : options.builtinDir ? path.resolve(options.builtinDir) : findBuiltinDir();
  const dirs = [appDir, builtinDir].filter((dir): dir is string => dir !== undefined);
  const defaultLocale = canonicalLocale(options.defaultLocale ?? 'en', 'defaultLocale', 'CONFIG')!;
  const brand = checkBrand(options.brand ?? {});
  const strict = options.strict === undefined ? DEFAULT_STRICT
    : typeof options.strict === 'boolean' ? { subject: options.strict, required: options.strict, body: options.strict }
    : { ...DEFAULT_STRICT, ...options.strict };
  const reloadOnChange = options.reloadOnChange ?? true;
  const reloadCheckMs = Math.max(0, options.reloadCheckMs ?? 1_000);
  // When each dependency list was last found current; a check within reloadCheckMs is skipped.
  const checkedAt = new WeakMap<Dependency[], number>();
  const unchanged = (deps: Dependency[]): boolean => {
    if (!reloadOnChange) return true;
    const now = performance.now();
    const last = checkedAt.get(deps);
    if (last !== undefined && now - last < reloadCheckMs) return true;
    if (!isCurrent(deps)) return false;
    checkedAt.set(deps, now);
    return true;
  };
  const helpers = createHelpers({ currency: options.currency ?? 'EUR', timeZone: options.timeZone, defaultLocale });
  const extraHelpers = (options.helpers ?? {}) as Record<string, HelperDelegate>;

  const cache = new Map<string, CacheEntry>();
  // name|locale -> the file found, with the versions of the folders searched to find it.
  const resolutions = new Map<string, { resolved: Resolved; folders: Dependency[] }>();
  const indexes = new Map<string, { version: string; files: Map<string, string> }>();
  let libraries: Promise<Libraries> | undefined;

  function indexOf(dir: string): Map<string, string> {
    const version = versionOf(dir);
    const known = indexes.get(dir);
    if (known && known.version === version) return known.files;
    const files = new Map<string, string>();
    if (version !== 'absent') {
      for (const entry of readdirSync(dir)) files.set(entry.toLowerCase(), entry);
    }
    indexes.set(dir, { version, files });
    return files;
  }

  // Finds `base.<locale>.ext` (most specific locale first) or `base.ext` in the first folder that has either.
  // `searched` are the folders read, with their versions: a file added to one of them may win next time.
  function findFile(folders: string[], base: string, ext: string, locale: string | undefined):
    { file: string; fileLocale: string | undefined; searched: Dependency[] } | undefined {
    const searched: Dependency[] = [];
    for (const folder of folders) {
      searched.push({ path: folder, version: versionOf(folder) });
      const files = indexOf(folder);
      for (const candidate of localeCandidates(locale)) {
        const real = files.get(`${base}.${candidate}.${ext}`.toLowerCase());
        if (real) return { file: path.join(folder, real), fileLocale: candidate, searched };
      }
      const real = files.get(`${base}.${ext}`.toLowerCase());
      if (real) return { file: path.join(folder, real), fileLocale: undefined, searched };
    }
    return undefined;
  }

  function resolve(name: string, locale: string | undefined): Resolved {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new MailError('TEMPLATE', `template name ${JSON.stringify(name)} is not valid: letters, digits, "-" and "_" only`, { field: 'template.name' });
    }
    const key = `${name}|${locale ?? ''}`;
    const known = resolutions.get(key);
    if (known && unchanged(known.folders)) return known.resolved;
    const found = findFile(dirs, name, 'mjml', locale);
    if (found) {
      const resolved = { name, file: found.file, fileLocale: found.fileLocale };
      // Locales come from callers, and there are endless valid tags: keep the map bounded.
      if (resolutions.size >= MAX_MEMO) resolutions.clear();
      resolutions.set(key, { resolved, folders: found.searched });
      checkedAt.set(found.searched, performance.now());
      return resolved;
    }
    throw new MailError('TEMPLATE', `unknown template "${name}"; known templates: ${listNames().join(', ') || 'none'} (looked in ${dirs.join(', ') || 'no folder'})`, { field: 'template.name' });
  }

  function listNames(): string[] {
    const names = new Set<string>();
    for (const dir of dirs) {
      for (const real of indexOf(dir).values()) {
        const match = /^([A-Za-z0-9][A-Za-z0-9_-]*)(\.[A-Za-z0-9_-]+)?\.mjml$/.exec(real);
        if (match) names.add(match[1]!);
      }
    }
    return [...names].sort();
  }

  function compiled(resolved: Resolved): Promise<CompiledTemplate> {
    const entry = cache.get(resolved.file);
    if (entry && (!entry.deps || unchanged(entry.deps))) {
      return entry.promise;
    }
    const deps: Dependency[] = [];
    const fresh: CacheEntry = {
      promise: compile(resolved, deps).then(
        (template) => {
          fresh.deps = deps;
          checkedAt.set(deps, performance.now());
          return template;
        },
        (error: unknown) => {
          // A template that failed to compile is tried again on the next render.
          if (cache.get(resolved.file) === fresh) cache.delete(resolved.file);
          throw error;
        },
      ),
    };
    cache.set(resolved.file, fresh);
    return fresh.promise;
  }

  async function load(): Promise<Libraries> {
    libraries ??= loadLibraries().catch((error: unknown) => {
      libraries = undefined;
      throw error;
    });
    return libraries;
  }

  // Reads the template and its layout, records their versions, fills the layout with the brand.
  async function compose(resolved: Resolved, deps: Dependency[], lib: Libraries): Promise<{ source: TemplateSource; composed: ComposedSource }> {
    deps.push({ path: resolved.file, version: versionOf(resolved.file) });
    const source = parseTemplateSource(resolved.file, await readFile(resolved.file, 'utf8'));
    source.body = fillBrand(source.body, brand);
    const layoutName = source.frontMatter.layout ?? (/^\s*<mjml[\s>]/.test(source.body) ? 'none' : 'default');
    if (layoutName === 'none') return { source, composed: composeSource(source, undefined) };
    if (!NAME.test(layoutName)) throw new MailError('TEMPLATE', `${resolved.file}: layout name ${JSON.stringify(layoutName)} is not valid`, { field: 'template' });
    const layoutDirs = dirs.map((dir) => path.join(dir, 'layouts'));
    const layout = findFile(layoutDirs, layoutName, 'mjml', resolved.fileLocale);
    if (!layout) {
      throw new MailError('TEMPLATE', `${resolved.file}: layout "${layoutName}" not found in ${layoutDirs.join(', ')}`, { field: 'template' });
    }
    deps.push(...layout.searched, { path: layout.file, version: versionOf(layout.file) });
    const layoutSource = await readFile(layout.file, 'utf8');
    const env = newEnv(lib.handlebars, helpers.html);
    let rendered: string;
    try {
      // `{{@subject}}` is the rendered subject, known only at send time: the layout keeps it as is.
      rendered = env.compile(layoutSource)({ body: LAYOUT_BODY_PLACEHOLDER }, { data: { brand, lang: resolved.fileLocale ?? defaultLocale, subject: SUBJECT_EXPRESSION } });
    } catch (error) {
      throw new MailError('TEMPLATE', `layout ${layout.file}: ${(error as Error).message}`, { field: 'template', cause: error });
    }
    return { source, composed: composeSource(source, { file: layout.file, rendered }) };
  }

  // Compiles a template; `deps` receives every file and folder its result depends on.
  async function compile(resolved: Resolved, deps: Dependency[]): Promise<CompiledTemplate> {
    const lib = await load();
    const { source, composed } = await compose(resolved, deps, lib);
    const { file } = resolved;
    const fm = source.frontMatter;
    if (!fm.subject) throw new MailError('TEMPLATE', `${file}: the front matter has no "subject"`, { field: 'template' });

    // The body alone first: an unclosed block would otherwise be reported at the layout's end.
    checkHandlebarsSyntax(lib.handlebars, source.body, (line) => ({ file, line: source.bodyLine + line - 1 }));
    checkHandlebarsSyntax(lib.handlebars, composed.mjml, composed.locate);
    const html = await compileMjml(lib, composed, file);

    const partials = await loadPartials(lib, [html, fm.text ?? ''], dirs, deps);
    const htmlEnv = newEnv(lib.handlebars, { ...helpers.html, ...extraHelpers, __url: safeUrl });
    const textEnv = newEnv(lib.handlebars, {
      ...helpers.text,
      ...extraHelpers,
      __htmlText: (value: unknown) => lib.htmlToText(value === undefined || value === null ? '' : String(value)),
      __header: (value: unknown) => (value === undefined || value === null ? '' : String(value)).replace(HEADER_UNSAFE, ' '),
    });
    for (const [name, partial] of partials) {
      htmlEnv.registerPartial(name, guardUrlAttributes(partial.html));
      textEnv.registerPartial(name, deriveTextTemplate(partial.html, lib.htmlToText));
    }

    // Under strict.body the top-level paths are checked before the render, so a missing one is named
    // whole ("order.number"); Handlebars' own failure, left for paths inside blocks, is less clear.
    const guardedHtml = guardUrlAttributes(html);
    const bodyPaths = strict.body ? dataPaths([...new Set([html, fm.text ?? ''].flatMap((part) => topLevelPaths(textEnv.parse(part), textEnv, false)))]) : [];
    let text: TemplateDelegate | undefined;
    if (fm.text) {
      text = namingWholePaths(compileChecked(textEnv, fm.text, { noEscape: true, strict: strict.body }, `${file}:${source.keyLines.text ?? 1} (text)`), fm.text);
    } else {
      const derived = deriveTextTemplate(html, lib.htmlToText);
      // A block helper whose halves html-to-text separated cannot be derived: convert per send instead.
      if (parses(textEnv, derived)) text = namingWholePaths(textEnv.compile(derived, { noEscape: true, strict: strict.body }), derived);
    }
    const header = (templateSource: string, key: 'subject' | 'replyTo'): HeaderPart => {
      const where = `${file}:${source.keyLines[key] ?? 1} (${key})`;
      const ast = parseChecked(textEnv, templateSource, where);
      const wrapped = wrapHeaderMustaches(templateSource, ast, textEnv);
      return {
        template: namingWholePaths(compileChecked(textEnv, wrapped, { noEscape: true, strict: strict.subject }, where), wrapped),
        paths: dataPaths(topLevelPaths(ast, textEnv)),
      };
    };
    let replyTo: CompiledTemplate['replyTo'];
    if (fm.replyTo) {
      const match = REPLY_TO_PATTERN.exec(fm.replyTo);
      replyTo = match
        ? { ...(match[1] ? { name: header(match[1], 'replyTo') } : {}), address: header(match[2]!, 'replyTo') }
        : { address: header(fm.replyTo, 'replyTo') };
    }
    const entry: CompiledTemplate = {
      name: resolved.name,
      file,
      subject: header(fm.subject, 'subject'),
      ...(replyTo ? { replyTo } : {}),
      required: dataPaths(fm.required ?? []),
      bodyPaths,
      sensitive: fm.sensitive === 'true',
      html: namingWholePaths(htmlEnv.compile(guardedHtml, { strict: strict.body }), guardedHtml),
      text,
      htmlToText: lib.htmlToText,
    };
    return entry;
  }

  // One locale for everything a render chooses: the file (NAME.fr-CA, NAME.fr, NAME), the dates and
  // money, and the page's lang. A render that names none uses defaultLocale for all of them.
  function localeOrDefault(locale: string | undefined): string {
    return canonicalLocale(locale, 'template.locale', 'TEMPLATE') ?? defaultLocale;
  }

  async function render(name: string, data: Record<string, unknown> = {}, locale?: string): Promise<RenderedTemplate> {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new MailError('TEMPLATE', `template "${name}": data must be an object`, { field: 'template.data' });
    }
    const requested = localeOrDefault(locale);
    const template = await compiled(resolve(name, requested));
    const where = `template "${template.name}" (${template.file})`;
    if (strict.required) checkPaths(template.required, data, where, 'it is listed under "required"');
    if (strict.body) checkPaths(template.bodyPaths, data, where, 'the body uses it', true);
    if (strict.subject) {
      checkPaths(template.subject.paths, data, where, 'the subject uses it');
      if (template.replyTo) checkPaths([...(template.replyTo.name?.paths ?? []), ...template.replyTo.address.paths], data, where, 'replyTo uses it');
    }
    const runtime: { data: Record<string, unknown> } = { data: { brand, locale: requested, memo: new Map<string, string>() } };
    try {
      const subject = template.subject.template(data, runtime).trim();
      if (LINE_BREAK.test(subject)) throw new MailError('TEMPLATE', `${where}: the subject renders with a line break`, { field: 'subject' });
      // `{{@subject}}` in the html (the layouts' <mj-title>, hence the page's <title>) and text.
      runtime.data.subject = subject;
      const html = template.html(data, runtime);
      const text = tidyText(template.text ? template.text(data, runtime) : template.htmlToText(html));
      const replyTo = template.replyTo && renderReplyTo(template.replyTo, data, runtime, where);
      return { subject, html, text, ...(replyTo ? { replyTo } : {}), ...(template.sensitive ? { sensitive: true as const } : {}) };
    } catch (error) {
      throw renderError(error, where);
    }
  }

  return {
    render,
    async list() {
      return listNames();
    },
    async source(name, locale) {
      const resolved = resolve(name, localeOrDefault(locale));
      const { composed } = await compose(resolved, [], await load());
      return { file: resolved.file, mjml: composed.mjml };
    },
    clear() {
      cache.clear();
      resolutions.clear();
      indexes.clear();
    },
  };
}

interface Libraries {
  handlebars: Handlebars;
  mjml2html: (input: string, options: Record<string, unknown>) => Promise<{ html: string; errors: MjmlError[] }>;
  htmlToText: HtmlToText;
}

interface MjmlError {
  line: number;
  message: string;
  tagName: string;
}

async function loadLibraries(): Promise<Libraries> {
  const [handlebars, mjml, htmlToText] = await Promise.all([import('handlebars'), import('mjml'), import('html-to-text')]);
  return {
    handlebars: handlebars.default,
    mjml2html: mjml.default as unknown as Libraries['mjml2html'],
    // Compiled once: building the converter's selector tree is most of a one-off conversion's cost.
    htmlToText: htmlToText.compile(HTML_TO_TEXT_OPTIONS),
  };
}

async function compileMjml(lib: Libraries, composed: ComposedSource, file: string): Promise<string> {
  let result: { html: string; errors: MjmlError[] };
  try {
    // fonts: {} keeps MJML from adding Google Fonts links; mj-include stays off (MJML 5's default).
    result = await lib.mjml2html(composed.mjml, { validationLevel: 'soft', fonts: {}, filePath: file });
  } catch (error) {
    const line = /line (\d+)/i.exec((error as Error).message)?.[1];
    const at = line ? composed.locate(Number(line)) : { file, line: 1 };
    throw new MailError('TEMPLATE', `${at.file}:${at.line}: MJML could not parse the template: ${(error as Error).message}`, { field: 'template', cause: error });
  }
  if (result.errors.length > 0) {
    const problems = result.errors.map((problem) => {
      const at = composed.locate(problem.line);
      return `${at.file}:${at.line}: ${problem.message.trim()} (<${problem.tagName}>)`;
    });
    throw new MailError('TEMPLATE', `MJML validation failed: ${problems.join('; ')}`, { field: 'template' });
  }
  return result.html;
}

function checkHandlebarsSyntax(handlebars: Handlebars, source: string, locate: ComposedSource['locate']): void {
  try {
    handlebars.parse(source);
  } catch (error) {
    const message = (error as Error).message;
    const line = /line (\d+)/.exec(message)?.[1];
    const at = locate(line ? Number(line) : 1);
    throw new MailError('TEMPLATE', `${at.file}:${at.line}: Handlebars syntax error: ${message.split('\n').pop()}`, { field: 'template', cause: error });
  }
}

// Partials are html fragments with Handlebars (`partials/NAME.hbs`), found app folder first.
async function loadPartials(lib: Libraries, sources: string[], dirs: string[], deps: Dependency[]): Promise<Map<string, { html: string }>> {
  const partialDirs = dirs.map((dir) => path.join(dir, 'partials'));
  const found = new Map<string, { html: string }>();
  const pending = sources.flatMap(partialNames);
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (found.has(name)) continue;
    const at = partialDirs.findIndex((dir) => existsSync(path.join(dir, `${name}.hbs`)));
    if (at < 0) throw new MailError('TEMPLATE', `partial "${name}" not found (looked for ${name}.hbs in ${partialDirs.join(', ')})`, { field: 'template' });
    const file = path.join(partialDirs[at]!, `${name}.hbs`);
    // A partial added to an earlier folder would shadow this one: those folders are dependencies too.
    for (const dir of partialDirs.slice(0, at)) deps.push({ path: dir, version: versionOf(dir) });
    deps.push({ path: file, version: versionOf(file) });
    const html = await readFile(file, 'utf8');
    parseChecked(lib.handlebars, html, file);
    found.set(name, { html });
    pending.push(...partialNames(html));
  }
  return found;
}

function partialNames(source: string): string[] {
  return [...source.matchAll(/\{\{~?>\s*([A-Za-z0-9_-]+)/g)].map((match) => match[1]!);
}

function newEnv(handlebars: Handlebars, helpers: HelperSets['html']): Handlebars {
  const env = handlebars.create();
  env.registerHelper(locatingHelpers(helpers));
  return env;
}

function parses(env: Handlebars, source: string): boolean {
  try {
    env.parse(source);
    return true;
  } catch {
    return false;
  }
}

function parseChecked(env: Handlebars, source: string, where: string): hbs.AST.Program {
  try {
    return env.parse(source);
  } catch (error) {
    throw new MailError('TEMPLATE', `${where}: Handlebars syntax error: ${(error as Error).message.split('\n').pop()}`, { field: 'template', cause: error });
  }
}

function compileChecked(env: Handlebars, source: string, options: CompileOptions, where: string): TemplateDelegate {
  parseChecked(env, source, where);
  return env.compile(source, options);
}

/**
 * Rewrites every `{{x}}` of a header template (subject, replyTo) as `{{__header x}}`: a value's
 * CR/LF and other control characters become spaces, so data can never add a header line, while
 * the template's own text is kept as written.
 */
function wrapHeaderMustaches(source: string, ast: hbs.AST.Program, env: Handlebars): string {
  const lineStarts = [0];
  for (let at = source.indexOf('\n'); at >= 0; at = source.indexOf('\n', at + 1)) lineStarts.push(at + 1);
  const offset = (position: hbs.AST.Position): number => lineStarts[position.line - 1]! + position.column;
  const ranges: { start: number; end: number }[] = [];
  const visit = (program: hbs.AST.Program | undefined): void => {
    for (const statement of program?.body ?? []) {
      if (statement.type === 'MustacheStatement') ranges.push({ start: offset(statement.loc.start), end: offset(statement.loc.end) });
      if (statement.type === 'BlockStatement') {
        visit((statement as hbs.AST.BlockStatement).program);
        visit((statement as hbs.AST.BlockStatement).inverse);
      }
    }
  };
  visit(ast);
  let out = source;
  for (const { start, end } of ranges.sort((a, b) => b.start - a.start)) {
    const token = source.slice(start, end);
    const match = /^\{\{\{?(~?)&?([\s\S]*?)(~?)\}?\}\}$/.exec(token)!;
    const inner = match[2]!.trim();
    const simplePath = !/\s/.test(inner) && !(inner in env.helpers);
    out = `${out.slice(0, start)}{{${match[1]}__header ${simplePath ? inner : `(${inner})`}${match[3]}}}${out.slice(end)}`;
  }
  return out;
}

/**
 * The data paths a template's top level reads (`order.number`), leaving out helpers, `@data` and
 * block contents; with `helperParams: false`, only the plain `{{path}}` ones (what Handlebars'
 * strict mode requires: a helper's argument may be missing).
 */
function topLevelPaths(ast: hbs.AST.Program, env: Handlebars, helperParams = true): string[] {
  const paths = new Set<string>();
  const addExpression = (expression: hbs.AST.Expression): void => {
    if (expression.type === 'PathExpression') {
      const pathExpression = expression as hbs.AST.PathExpression;
      if (!pathExpression.data && pathExpression.depth === 0 && pathExpression.parts.length > 0) paths.add(pathExpression.parts.join('.'));
    } else if (expression.type === 'SubExpression') {
      const sub = expression as hbs.AST.SubExpression;
      sub.params.forEach(addExpression);
      sub.hash?.pairs.forEach((pair) => addExpression(pair.value));
    }
  };
  for (const statement of ast.body) {
    if (statement.type !== 'MustacheStatement') continue;
    const mustache = statement as hbs.AST.MustacheStatement;
    const callsHelper = mustache.params.length > 0 || mustache.hash !== undefined
      || (mustache.path.type === 'PathExpression' && (mustache.path as hbs.AST.PathExpression).original in env.helpers);
    if (callsHelper) {
      if (!helperParams) continue;
      mustache.params.forEach(addExpression);
      mustache.hash?.pairs.forEach((pair) => addExpression(pair.value));
    } else {
      addExpression(mustache.path);
    }
  }
  return [...paths];
}

/** A data path, split once at compile time. */
interface DataPath {
  path: string;
  parts: string[];
}

function dataPaths(paths: string[]): DataPath[] {
  return paths.map((dataPath) => ({ path: dataPath, parts: dataPath.split('.') }));
}

/** `nullable`: a last segment given as null counts as given (Handlebars' strict mode renders it empty). */
function checkPaths(paths: DataPath[], data: Record<string, unknown>, where: string, why: string, nullable = false): void {
  for (const { path: dataPath, parts } of paths) {
    let value: unknown = data;
    let reached = 0;
    for (const part of parts) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) {
        value = undefined;
        break;
      }
      value = (value as Record<string, unknown>)[part];
      reached++;
      if (value === undefined || value === null) break;
    }
    const givenAsNull = nullable && value === null && reached === parts.length;
    if (value === undefined || (value === null && !givenAsNull)) {
      throw new MailError('TEMPLATE', `${where}: the data lacks "${dataPath}" (${why}; strict mode)`, { field: `template.data.${dataPath}`, remedy: missingDataRemedy(dataPath) });
    }
  }
}

function renderReplyTo(replyTo: NonNullable<CompiledTemplate['replyTo']>, data: Record<string, unknown>, runtime: object, where: string): string | undefined {
  const address = replyTo.address.template(data, runtime).replace(/\s+/g, '');
  if (!address) return undefined;
  const problem = addressProblem(address);
  if (problem) {
    throw new MailError('TEMPLATE', `${where}: replyTo renders to an invalid address ${JSON.stringify(address)}: ${problem}`, {
      field: 'replyTo',
      remedy: 'The reply-to is built from the data: check the address in it (a visitor\'s email from a form: validate it before sending, and ask the visitor again), or the template\'s replyTo front matter when the data is right.',
    });
  }
  const name = replyTo.name?.template(data, runtime).trim();
  return formatAddress(name ? { address, name } : { address });
}

function renderError(error: unknown, where: string): MailError {
  if (error instanceof MailError) {
    return error.message.includes(where) ? error : new MailError('TEMPLATE', `${where}: ${error.detail}`, { field: error.field ?? 'template', cause: error });
  }
  const message = (error as Error)?.message ?? String(error);
  const missing = /^"([^"]+)" not defined in/.exec(message);
  const detail = missing ? `the data lacks "${missing[1]}" (strict mode)` : message;
  return new MailError('TEMPLATE', `${where}: ${detail}`, { field: 'template.data', cause: error, ...(missing ? { remedy: missingDataRemedy(missing[1]!) } : {}) });
}

function missingDataRemedy(dataPath: string): string {
  return `Give "${dataPath}" in the template data (template.data; --data FILE on the command line): a template's NAME.sample.json, where it has one (every built-in template does), shows every field it uses, and \`mailroom preview NAME --data FILE\` checks data without sending. Which missing values stop a send is the templates.strict option (README "Templates > Errors").`;
}

// `{{@brand.color}}` in a template body is filled at compile time: MJML validates attribute values
// (a colour must look like one), which a Handlebars expression does not.
function fillBrand(body: string, brand: Required<BrandOptions>): string {
  return body.replace(/\{\{\s*@brand\.(\w+)\s*\}\}/g, (token, key: string) =>
    Object.hasOwn(brand, key) ? escapeHtml(String(brand[key as keyof BrandOptions])) : token);
}

function checkBrand(input: BrandOptions): Required<BrandOptions> {
  const brand: Required<BrandOptions> = { name: '', logoUrl: '', logoWidth: 140, color: '#1f4e79', address: '', url: '', ...input };
  for (const [key, value] of Object.entries(brand)) {
    // Brand values become part of the compiled template: "{{" there would be evaluated at each send.
    if (typeof value === 'string' && value.includes('{{')) throw new MailError('CONFIG', `brand.${key} must not contain "{{"`, { field: `brand.${key}` });
  }
  if (!BRAND_COLOR.test(brand.color)) throw new MailError('CONFIG', `brand.color ${JSON.stringify(brand.color)} must be #rgb or #rrggbb`, { field: 'brand.color' });
  for (const key of ['logoUrl', 'url'] as const) {
    if (brand[key] && !/^(https?:\/\/|cid:)/i.test(brand[key])) {
      throw new MailError('CONFIG', `brand.${key} must be an http(s) URL (or cid: for an inline image), got ${JSON.stringify(brand[key])}`, { field: `brand.${key}` });
    }
  }
  if (!Number.isInteger(brand.logoWidth) || brand.logoWidth < 16 || brand.logoWidth > 600) {
    throw new MailError('CONFIG', 'brand.logoWidth must be a whole number of pixels from 16 to 600', { field: 'brand.logoWidth' });
  }
  return brand;
}

/** "fr_ca" -> "fr-CA"; undefined stays undefined. */
function canonicalLocale(locale: string | undefined, field: string, code: 'TEMPLATE' | 'CONFIG'): string | undefined {
  if (locale === undefined || locale === '') return undefined;
  try {
    if (typeof locale === 'string' && LOCALE.test(locale)) return Intl.getCanonicalLocales(locale.replace(/_/g, '-'))[0];
  } catch {
    // reported below
  }
  throw new MailError(code, `locale ${JSON.stringify(locale)} is not a BCP 47 language tag like "fr" or "fr-CA"`, { field });
}

/** "fr-CA" -> ["fr-CA", "fr"]. */
function localeCandidates(locale: string | undefined): string[] {
  if (!locale) return [];
  const parts = locale.split('-');
  return parts.map((_, index) => parts.slice(0, parts.length - index).join('-'));
}

function isCurrent(deps: Dependency[]): boolean {
  return deps.every((dep) => versionOf(dep.path) === dep.version);
}

function versionOf(file: string): string {
  const stats = statSync(file, { bigint: true, throwIfNoEntry: false });
  return stats ? `${stats.mtimeNs}:${stats.size}:${stats.ino}` : 'absent';
}

// The built-in templates/ sits at the package root: ../../templates from src/templates/, ../../../templates from
// dist/src/templates/.
function findBuiltinDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [path.join(here, '..', '..', 'templates'), path.join(here, '..', '..', '..', 'templates')].find((dir) => existsSync(path.join(dir, 'layouts')));
}

type CompileOptions = Parameters<Handlebars['compile']>[1];
