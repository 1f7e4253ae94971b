// The body text of a request a framework's body parser already read (Express's req.body, Koa's
// ctx.request.body): what the handler reads again. A form a urlencoded parser turned into an
// object goes back to form encoding, as its Content-Type still says; JSON to JSON.

/** The text of a parsed body, in the encoding `contentType` names. */
export function textOfParsedBody(parsed: unknown, contentType: string): string {
  if (parsed === undefined || parsed === null) return '';
  if (typeof parsed === 'string') return parsed;
  if (Buffer.isBuffer(parsed)) return parsed.toString('utf8');
  if (/application\/x-www-form-urlencoded/i.test(contentType) && typeof parsed === 'object') {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(parsed)) {
      for (const one of Array.isArray(value) ? value : [value]) form.append(key, typeof one === 'string' ? one : JSON.stringify(one));
    }
    return form.toString();
  }
  return JSON.stringify(parsed);
}
