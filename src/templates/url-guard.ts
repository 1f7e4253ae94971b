// `{{x}}` is html-escaped, which keeps data from adding markup but not from choosing where a link
// goes: `<a href="{{website}}">` with a visitor's "javascript:alert(1)" is a script link in every
// browser that opens the page (a preview, a web view, an html file). A value that starts a URL
// attribute goes through `__url`, which keeps http(s), mailto, tel, cid, relative links and
// data images, and turns a script scheme into "#".

// URL attributes of html (and of MJML's output): the value is followed when clicked or loaded.
const URL_VALUE_START = /(\s(?:href|src|action|formaction|background|poster|xlink:href)\s*=\s*["'])\{\{(?!\{)\s*([^#/^!>&~\s}][^}]*?)\s*\}\}/gi;
// Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
const IGNORED = /[\u0000-\u0020\u007f]+/g;
const SCRIPT_SCHEME = /^(?:javascript|vbscript|livescript):/i;
const DATA_IMAGE = /^data:image\/(?:png|gif|jpe?g|webp);/i;

/** The compiled html with every `{{x}}` that begins a URL attribute written as `{{__url x}}`. */
export function guardUrlAttributes(html: string): string {
  return html.replace(URL_VALUE_START, (_whole, attribute: string, expression: string) => {
    // A helper call or a path: `{{money x}}` becomes `{{__url (money x)}}`.
    const argument = /\s/.test(expression) ? `(${expression})` : expression;
    return `${attribute}{{__url ${argument}}}`;
  });
}

/** The `__url` helper: the value as it is, unless it would run a script (then "#"). */
export function safeUrl(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  const scheme = text.replace(IGNORED, '');
  if (SCRIPT_SCHEME.test(scheme)) return '#';
  if (/^data:/i.test(scheme) && !DATA_IMAGE.test(scheme)) return '#';
  return text;
}
