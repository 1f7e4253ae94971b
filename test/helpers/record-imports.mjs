// `node --import ./test/helpers/record-imports.mjs`: appends the URL of every ES module the process
// resolves to the file named by RECORD_IMPORTS, one a line (the resolve hook runs on the loader's
// own thread, so it writes synchronously rather than messaging the main thread).
import { register } from 'node:module';

register(new URL('data:text/javascript,' + encodeURIComponent(`
  import { appendFileSync } from 'node:fs';
  const file = process.env.RECORD_IMPORTS;
  export async function resolve(specifier, context, next) {
    const resolved = await next(specifier, context);
    if (file) appendFileSync(file, resolved.url + '\\n');
    return resolved;
  }
`)));
