// Records built from input keyed by the input (a DSN's query, webhook metadata, recipients, a CMS
// message's headers). `record[key] = value` with the key "__proto__" sets the record's prototype (or
// does nothing) instead of adding the field: the key is lost in silence. Set here, it is a field
// like any other, refused or carried as the rest are.

/** Sets `key` on `record` as an own, enumerable field, whatever the key. */
export function setOwnField<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The field `key` of `record` when the record itself has it (never one from its prototype). */
export function ownField<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
