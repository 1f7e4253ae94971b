// A render failure names the data only by what Handlebars or a helper saw: strict mode names the
// last segment of a missing path ('"number" not defined in undefined - 14:52' for
// `{{order.number}}`), a helper the bad value ('money: "abc" is not a number'). Both come with a
// position in the source the template was compiled from; the expression written there is what
// names the data, so it is read back from the source and put in the error.
import type { HelperDelegate, HelperOptions, TemplateDelegate } from 'handlebars';
import { MailError } from '../core/errors.js';

interface Position {
  line: number;
  column: number;
}
interface Location {
  start: Position;
  end: Position;
}

const NOT_DEFINED = /^"([^"]+)" not defined in .* - (\d+):(\d+)$/;
// A Handlebars path as written: segments, "../" and "this."; up to the first space, "}" or "(".
const PATH_AT = /^(?:\.\.\/)*[^\s}()=~|]+/;
// Where in its template each helper failure happened (set by `locatingHelpers`).
const HELPER_LOCATIONS = new WeakMap<object, Location>();

/** `helpers`, each of which records where it was called when it throws. */
export function locatingHelpers<T extends Record<string, HelperDelegate>>(helpers: T): T {
  return Object.fromEntries(Object.entries(helpers).map(([name, helper]) => [name, function (this: unknown, ...args: unknown[]) {
    try {
      return (helper as (...values: unknown[]) => unknown).apply(this, args);
    } catch (error) {
      const loc = (args.at(-1) as Partial<HelperOptions> & { loc?: Location } | undefined)?.loc;
      if (loc && error !== null && typeof error === 'object' && !HELPER_LOCATIONS.has(error)) HELPER_LOCATIONS.set(error, loc);
      throw error;
    }
  }])) as T;
}

/**
 * `template`, whose failures name the data as the source writes it: a missing path in strict mode
 * whole (`"order.number" not defined in ...`), a helper's complaint with its expression
 * (`money: "abc" is not a number, in {{money unitPrice}}`). Every other error passes unchanged.
 */
export function namingWholePaths(template: TemplateDelegate, source: string): TemplateDelegate {
  let lines: string[] | undefined;
  const at = (position: Position) => (lines ??= source.split('\n'))[position.line - 1]?.slice(position.column) ?? '';
  return (context, options) => {
    try {
      return template(context, options);
    } catch (error) {
      const loc = error !== null && typeof error === 'object' ? HELPER_LOCATIONS.get(error) : undefined;
      if (loc && error instanceof MailError) {
        const expression = loc.start.line === loc.end.line ? at(loc.start).slice(0, loc.end.column - loc.start.column) : /^[^}]*\}\}/.exec(at(loc.start))?.[0];
        if (!expression?.startsWith('{{')) throw error;
        throw new MailError(error.code, `${error.detail}, in ${expression}`, { ...(error.field ? { field: error.field } : {}), ...(error.specificRemedy ? { remedy: error.specificRemedy } : {}), cause: error });
      }
      const match = error instanceof Error ? NOT_DEFINED.exec(error.message) : null;
      if (!match) throw error;
      const written = PATH_AT.exec(at({ line: Number(match[2]), column: Number(match[3]) }))?.[0];
      // Only a path that ends with the segment Handlebars named is the one it meant.
      if (!written || (written !== match[1] && !written.endsWith(`.${match[1]}`) && !written.endsWith(`/${match[1]}`))) throw error;
      throw Object.assign(new Error((error as Error).message.replace(`"${match[1]}"`, `"${written}"`)), { cause: error });
    }
  };
}
