// Handlebars strict mode names only the last segment of a missing path, and where it stands in the
// compiled html ('"number" not defined in undefined - 14:52'): for `{{order.number}}` the error
// said the data lacks "number". The position points at the path expression in the source the
// delegate was compiled from, so the whole path is read back from there.
import type { TemplateDelegate } from 'handlebars';

const NOT_DEFINED = /^"([^"]+)" not defined in .* - (\d+):(\d+)$/;
// A Handlebars path as written: segments, "../" and "this."; up to the first space, "}" or "(".
const PATH_AT = /^(?:\.\.\/)*[^\s}()=~|]+/;

/**
 * `template`, whose strict-mode failures name the whole data path as the source writes it
 * (`"order.number" not defined in ...`). Every other error passes through unchanged.
 */
export function namingWholePaths(template: TemplateDelegate, source: string): TemplateDelegate {
  let lines: string[] | undefined;
  return (context, options) => {
    try {
      return template(context, options);
    } catch (error) {
      const match = error instanceof Error ? NOT_DEFINED.exec(error.message) : null;
      if (!match) throw error;
      lines ??= source.split('\n');
      const written = PATH_AT.exec(lines[Number(match[2]) - 1]?.slice(Number(match[3])) ?? '')?.[0];
      // Only a path that ends with the segment Handlebars named is the one it meant.
      if (!written || (written !== match[1] && !written.endsWith(`.${match[1]}`) && !written.endsWith(`/${match[1]}`))) throw error;
      throw Object.assign(new Error(error instanceof Error ? error.message.replace(`"${match[1]}"`, `"${written}"`) : String(error)), { cause: error });
    }
  };
}
