// A store or queue connection URL (redis://, postgres://) as it may be printed: the password gone
// from the userinfo and from any query value whose key names a credential. The journal's store and
// the queue print their URLs in errors, `doctor` and `mailroom queue`.
/** The URL without its password (in the userinfo or the query string). */
export function redactConnectionUrl(url: string): string {
  return hideQuerySecrets(hideUserinfoPassword(url));
}

// Query keys whose value is a credential: ioredis and pg both read `?password=`, and a token or key
// is no less secret. (The same words the DSN redaction hides, src/core/dsn.ts.)
const SECRET_QUERY_KEY = /secret|password|pass|key|token/i;

// "user:password@" -> "user:***@". The userinfo ends at the last "@" before the query: a password
// typed with a raw "/" or "@" is still hidden whole.
function hideUserinfoPassword(url: string): string {
  const start = url.indexOf('//');
  if (start < 0) return url;
  const afterSlashes = url.slice(start + 2);
  const authorityAndPath = afterSlashes.split(/[?#]/, 1)[0]!;
  const at = authorityAndPath.lastIndexOf('@');
  const colon = authorityAndPath.indexOf(':');
  if (at < 0 || colon < 0 || colon > at) return url;
  return `${url.slice(0, start + 2)}${authorityAndPath.slice(0, colon)}:***${afterSlashes.slice(at)}`;
}

// "?sslmode=require&password=x" -> "?sslmode=require&password=***"; the whole value goes, so no
// encoded form of it is left either.
function hideQuerySecrets(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const masked = url.slice(query).replace(/([?&])([^=&]*)=([^&]*)/g, (pair, separator: string, key: string) => (SECRET_QUERY_KEY.test(decodedKey(key)) ? `${separator}${key}=***` : pair));
  return url.slice(0, query) + masked;
}

function decodedKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}
