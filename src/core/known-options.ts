// Option names an adapter factory or createMailer reads. Any other name is a typo (`regoin`,
// `timeoutMS`) or a setting put in the wrong place, which JavaScript (no type checker) passes
// through and the code never reads: the default then applies in silence, e.g. Mailgun's US endpoint
// for an EU domain. One check for all of them, by name only: values are never echoed (secrets).
// Nothing here runs at import: a factory checks its own options when it is called.
import { MailError } from './errors.js';

/**
 * Every option name of T, as a list the compiler keeps in step with T: a name missing from the
 * record, or one T does not have, is a type error.
 */
export function optionNames<T extends object>(names: { [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(names);
}

/**
 * The known names of one options object, and of the plain objects nested in it (`tls`, `retry`;
 * a dotted path reaches deeper: `templates.brand`).
 */
export interface KnownOptions {
  names: readonly string[];
  nested?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Throws CONFIG when `options` (or a plain object nested under a name in `known.nested`) holds a
 * name not in the lists. `owner` starts the message: "the mailgun adapter", "createMailer".
 */
export function refuseUnknownOptions(owner: string, options: unknown, known: KnownOptions, remedy?: string): void {
  if (!isPlainObject(options)) return;
  const problems: string[] = [];
  const check = (value: Record<string, unknown>, names: readonly string[], prefix: string) => {
    for (const key of Object.keys(value)) if (!names.includes(key)) problems.push(unknownName(key, names, prefix));
  };
  check(options, known.names, '');
  for (const [name, names] of Object.entries(known.nested ?? {})) {
    const value = name.split('.').reduce<unknown>((outer, key) => (isPlainObject(outer) ? outer[key] : undefined), options);
    if (isPlainObject(value)) check(value, names, `${name}.`);
  }
  if (problems.length === 0) return;
  const listed = [...known.names, ...Object.entries(known.nested ?? {}).flatMap(([name, names]) => names.map((key) => `${name}.${key}`))];
  throw new MailError('CONFIG', `${owner}: unknown option ${problems.join(', ')}; known options: ${listed.join(', ')}`, {
    remedy: remedy ?? 'Fix the option\'s name: an option mailroom does not know would be ignored, and its default used instead.',
  });
}

/**
 * How an unknown name is shown, with the known one it was most likely meant to be:
 * `"tls.rejectUnauthorised" (did you mean "tls.rejectUnauthorized"?)`. `prefix` is the path of the
 * object that holds it ("tls."). The options objects and the configuration file both say it so.
 */
export function unknownName(name: string, known: readonly string[], prefix = ''): string {
  const near = closestName(name, known);
  return `"${prefix}${name}"${near ? ` (did you mean "${prefix}${near}"?)` : ''}`;
}

/**
 * The known name `name` was most likely meant to be: the same but for case (`timeoutMS`), or a
 * few letters typed wrong, left out or swapped (`regoin`). Undefined when none is that close.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const typed = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  // At most a third of the longer name, and never more than 3 edits: "pass" is not a guess for "name".
  const allowed = best ? Math.min(3, Math.max(1, Math.floor(Math.max(typed.length, best.name.length) / 3))) : 0;
  return best && best.distance <= allowed ? best.name : undefined;
}

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring letters each count 1 (a swap is the commonest typo, "regoin").
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j += 1) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  }
  return rows[a.length]![b.length]!;
}

// Options objects come from object literals or JSON: a class instance (a Keyv, a SendLimiter) is a
// value, not a group of options.
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
