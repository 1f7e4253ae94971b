// Small readers shared by the provider parsers: webhook bodies are foreign JSON, so every field is
// checked for its type before use instead of trusted.
import { WebhookError } from './webhook-error.js';
import { setOwnField } from '../core/own-field.js';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Parses a JSON body; a body that is not JSON is the sender's mistake (400), not ours. */
export function parseJson(body: string, provider: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new WebhookError('malformed', `${provider} webhook body is not JSON`);
  }
}

/**
 * Parses a JSON body whose `keys` hold integers that may exceed 2^53 (Mailjet's MessageID,
 * Postmark's bounce ID): their digits are kept, as strings, where JSON.parse would round them.
 */
export function parseJsonKeepingIds(body: string, provider: string, keys: string[]): unknown {
  const pattern = new RegExp(`("(?:${keys.join('|')})"\\s*:\\s*)(-?\\d+)(?=\\s*[,}\\]])`, 'g');
  return parseJson(body.replace(pattern, '$1"$2"'), provider);
}

/**
 * The events of a body that may be one record or an array of them (batched webhooks), each record
 * read by `read`. In a batch, an item that is not a record, or that `read` cannot read, is left
 * out and the rest recorded: the 400 a bad item would earn stops the provider's retries of the
 * whole batch, and its good events with it. A batch with nothing readable is malformed.
 */
export function eventsOfRecords<T>(body: unknown, provider: string, read: (record: JsonObject) => T | T[]): T[] {
  const malformed = () => new WebhookError('malformed', `${provider} webhook body is not an event object or an array of them`);
  if (!Array.isArray(body)) {
    if (!isObject(body)) throw malformed();
    return [read(body)].flat() as T[];
  }
  const events: T[] = [];
  let readable = 0;
  let firstError: unknown;
  for (const item of body) {
    if (!isObject(item)) continue;
    try {
      events.push(...([read(item)].flat() as T[]));
      readable++;
    } catch (error) {
      firstError ??= error;
    }
  }
  if (body.length > 0 && readable === 0) throw firstError ?? malformed();
  return events;
}

/** Seconds, milliseconds or a date string -> ISO 8601; `fallback` when absent or unreadable. */
export function isoTime(value: unknown, unit: 's' | 'ms', fallback: Date): string {
  const date = dateOf(value, unit);
  // Out of Date's range (a time of 1e13 s) is unreadable too: toISOString would throw for the whole batch.
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : fallback.toISOString();
}

function dateOf(value: unknown, unit: 's' | 'ms'): Date | undefined {
  const fromEpoch = (count: number) => new Date(unit === 's' ? count * 1000 : count);
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const numeric = Number(value);
  return Number.isFinite(numeric) ? fromEpoch(numeric) : new Date(value);
}

/** The email part of "Name <addr>" or a bare address, lower-cased. */
export function emailPart(value: unknown): string | undefined {
  const raw = text(value);
  if (!raw) return undefined;
  const angle = /<([^<>]+)>\s*$/.exec(raw);
  return (angle ? angle[1]! : raw).trim().toLowerCase();
}

export function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(text).filter((one): one is string => one !== undefined);
  const one = text(value);
  return one ? [one] : [];
}

/** A flat string map from an object, or from a JSON object in a string (how Brevo and Mailjet echo it). */
export function stringMap(value: unknown): Record<string, string> {
  let object = value;
  if (typeof value === 'string') {
    try {
      object = JSON.parse(value);
    } catch {
      return {};
    }
  }
  if (!isObject(object)) return {};
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(object)) {
    const value = typeof item === 'string' ? item : item === null || item === undefined ? undefined : JSON.stringify(item);
    if (value !== undefined) setOwnField(out, key, value);
  }
  return out;
}

/** Tags and metadata from the X-Mailroom-Tags / X-Mailroom-Metadata headers our adapters write, as a provider echoes them. */
export function mailroomHeaders(tagsHeader: unknown, metadataHeader: unknown): { tags: string[]; metadata: Record<string, string> } {
  return {
    tags: (text(tagsHeader) ?? '').split(',').map((tag) => tag.trim()).filter(Boolean),
    metadata: stringMap(metadataHeader),
  };
}
