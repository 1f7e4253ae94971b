// Recognises the CMSs' own authentication mails, whose links are credentials: whoever holds the
// link can set the password or confirm the account. The integrations mark such a message
// `sensitive`, so the journal never keeps its body. Recognition looks at the links themselves, not
// at subjects (which admins translate and rewrite), and covers what the CMSs send by default:
//   Strapi users-permissions  reset password   <URL>?code=<128 hex>    (URL: the reset page setting)
//                             email confirmation <api>/auth/email-confirmation?confirmation=<40 hex>
//   Strapi admin              forgot password  <admin>/auth/reset-password?code=<40 hex>
//   Payload auth              forgot password  <admin>/reset/<40 hex>  (or ?token= in a custom email)
//                             verify email     <admin>/<collection>/verify/<40 hex>
// and the same shapes in custom templates (template data is searched too).

/** Query parameters that carry a one-time secret in the CMSs' links and in common custom ones. */
const TOKEN_PARAMETER = /^(code|token|confirmation|verify|verification|otp)$|token$/i;
/** Path segments after which the next segment is a one-time secret. */
const TOKEN_PATH = /^(reset|reset-password|reset_password|verify|verify-email|confirm|confirmation|email-confirmation|magic-link|invite|activate|activation)$/i;
/** What a one-time secret looks like: long enough that it cannot be a page name or an id. */
const SECRET_VALUE = /^[A-Za-z0-9._~+/=-]{16,}$/;
/** A long hexadecimal run anywhere in a link: how Strapi and Payload write their tokens. */
const HEX_TOKEN = /(^|[^0-9a-f])[0-9a-f]{32,}([^0-9a-f]|$)/i;
const URL_IN_TEXT = /https?:\/\/[^\s"'<>`]+/gi;
/**
 * A token parameter outside a full URL: Strapi writes its reset link as `<setting>?code=…`, and the
 * setting may be a path, or empty on a fresh install ("null?code=…").
 */
const PARAMETER_IN_TEXT = /[?&]([A-Za-z_]*token|code|confirmation|verify|verification|otp)=([A-Za-z0-9._~+/=-]{16,})/i;

export interface CredentialMailFields {
  text?: unknown;
  html?: unknown;
  template?: { data?: Record<string, unknown> } | unknown;
}

/** True when the html, text or template data holds a link that carries a one-time secret. */
export function carriesCredentialLink(message: CredentialMailFields): boolean {
  const texts: string[] = [];
  for (const value of [message.text, message.html]) if (typeof value === 'string') texts.push(value);
  const data = (message.template as { data?: unknown } | undefined)?.data;
  if (data !== undefined) collectStrings(data, texts, 0);
  return texts.some((text) => PARAMETER_IN_TEXT.test(text.replace(/&amp;/g, '&')) || linksIn(text).some(isCredentialLink));
}

function linksIn(text: string): string[] {
  // In html, a link's & is written &amp;.
  return [...text.replace(/&amp;/g, '&').matchAll(URL_IN_TEXT)].map((match) => match[0].replace(/[.,;:!?)\]]+$/, ''));
}

function isCredentialLink(link: string): boolean {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return false;
  }
  for (const [name, value] of url.searchParams) {
    if (TOKEN_PARAMETER.test(name) && SECRET_VALUE.test(value)) return true;
  }
  const segments = url.pathname.split('/').filter(Boolean);
  for (let index = 0; index < segments.length - 1; index++) {
    if (TOKEN_PATH.test(segments[index]!) && SECRET_VALUE.test(decodeURIComponent(segments[index + 1]!))) return true;
  }
  return HEX_TOKEN.test(url.pathname + url.search + url.hash);
}

function collectStrings(value: unknown, into: string[], depth: number): void {
  if (depth > 8 || into.length > 1000) return;
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, into, depth + 1);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) collectStrings(item, into, depth + 1);
}
