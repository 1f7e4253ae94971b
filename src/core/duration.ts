// Durations as people write them ("90s", "10m", "2h", "1d", "4w") and points in time given either as
// such a duration back from now or as a date. One parser for the CLI flags and the config file.
import { MailError } from './errors.js';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/i;

/** Milliseconds in a duration like "2h", or undefined when the text is not one. */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
}

/** Like `durationMs`, but a CONFIG error naming `what` (e.g. "--older-than") when the text is not a duration. */
export function parseDuration(text: string, what: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new MailError('CONFIG', `${what} expects a duration such as 90s, 10m, 2h, 1d or 2w, got "${text}"`);
  return ms;
}

/**
 * A point in time: a duration back from `now` ("2h" = two hours ago) or a date / date-time that
 * `Date` understands ("2026-01-31", "2026-01-31T08:00:00Z").
 */
export function parseTimePoint(text: string, what: string, now: Date = new Date()): Date {
  const ms = durationMs(text);
  if (ms !== undefined) return new Date(now.getTime() - ms);
  // Only strings that look like a date: Date.parse accepts oddities such as "1" (the year 2001).
  const time = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new MailError('CONFIG', `${what} expects a duration such as 10m, 2h or 1d, or a date such as 2026-01-31 or 2026-01-31T08:00:00Z, got "${text}"`);
  }
  return new Date(time);
}

/** "1d 2h", "3m 5s", "250ms": a duration for people to read. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1_000);
  for (const [unit, seconds] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    if (rest >= seconds) {
      parts.push(`${Math.floor(rest / seconds)}${unit}`);
      rest %= seconds;
    }
  }
  return parts.slice(0, 2).join(' ');
}
