// The option names a zod schema knows at a path of the configuration (`templates.brand`,
// `alerts.channels.0`): what an unknown name in the file is compared with for its "did you mean".
// Read from the schema itself, so the suggestion never falls out of step with what is accepted.
import type { z } from 'zod';

type Schema = z.core.$ZodType;

// The fields of the zod definitions walked here; the others (strings, numbers...) hold no names.
interface Definition {
  type: string;
  shape?: Record<string, Schema>;
  innerType?: Schema;
  options?: readonly Schema[];
  in?: Schema;
  element?: Schema;
  valueType?: Schema;
}

const definition = (schema: Schema): Definition => schema._zod.def as unknown as Definition;

// The schemas a value may meet under one: through optional, default, union and transform.
function alternatives(schema: Schema): Schema[] {
  const def = definition(schema);
  if (def.innerType) return alternatives(def.innerType);
  if (def.type === 'union' && def.options) return def.options.flatMap(alternatives);
  if (def.type === 'pipe' && def.in) return alternatives(def.in);
  return [schema];
}

/** The names the objects at `path` in `schema` accept (several alternatives: all their names). */
export function namesAt(schema: Schema, path: readonly PropertyKey[]): string[] {
  let current = alternatives(schema);
  for (const segment of path) {
    current = current
      .map((one) => {
        const def = definition(one);
        if (def.type === 'object') return def.shape?.[String(segment)];
        if (def.type === 'array' && typeof segment === 'number') return def.element;
        if (def.type === 'record') return def.valueType;
        return undefined;
      })
      .filter((one): one is Schema => one !== undefined)
      .flatMap(alternatives);
  }
  return [...new Set(current.flatMap((one) => Object.keys(definition(one).type === 'object' ? definition(one).shape ?? {} : {})))];
}
