// Printing for the CLI: aligned tables and errors with their remedy. Nothing printed here may hold a
// secret: errors are MailErrors, whose messages adapters keep free of credentials.
import { diagnose } from '../core/diagnose.js';
import { attemptsByAdapter, remedyApart, type MailError } from '../core/errors.js';

/** Prints rows as an aligned table with a header line. */
export function printTable(headers: string[], rows: string[][], stream: NodeJS.WritableStream = process.stdout): void {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  stream.write(`${line(headers)}\n`);
  for (const row of rows) stream.write(`${line(row)}\n`);
}

/**
 * The error, its remedy, then each adapter tried: once per adapter with its number of attempts and
 * its last error. A remedy already printed is not printed again.
 */
export function printError(error: MailError): void {
  // An error made outside an adapter (a message refused before any send) gets the catalogue's
  // remedy here, else its code's generic next step: the CLI never ends without one. The remedy
  // has a line of its own, so the message is printed without the remedy sentence ALL_FAILED ends with.
  // An error about a command-line flag (its message starts with the flag) is about that flag: the
  // value it quotes may look like a reply the catalogue knows ("--since ... got \"535 5.7.139\"").
  const aboutFlag = /^--[a-z]/.test(error.detail);
  const { message, remedy } = remedyApart(aboutFlag ? error : diagnose(error));
  process.stderr.write(`error ${error.code}: ${message}\n`);
  const printed = new Set<string>();
  if (remedy) {
    process.stderr.write(`remedy: ${remedy}\n`);
    printed.add(remedy);
  }
  for (const { adapter, count, last } of attemptsByAdapter(error.attempts ?? [])) {
    const times = count > 1 ? ` (${count} attempts)` : '';
    process.stderr.write(`  - ${adapter}${times}: ${last.error ? `${last.error.code} ${last.error.message}` : 'ok'}\n`);
    const own = last.error?.remedy;
    if (own && !printed.has(own)) {
      process.stderr.write(`    remedy: ${own}\n`);
      printed.add(own);
    }
  }
}

/** Shortens text to `width` characters with an ellipsis. */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/** Prints a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * One CSV line (RFC 4180 quoting). A cell that a spreadsheet would run as a formula (a subject
 * typed into a contact form as "=HYPERLINK(...)") is prefixed with an apostrophe.
 */
export function csvLine(cells: Array<string | number | undefined>): string {
  return cells
    .map((cell) => {
      let text = cell === undefined ? '' : String(cell);
      if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(',');
}

/** "2026-01-31 08:00:00" in UTC, for tables. */
export function shortTime(iso: string): string {
  return iso.replace('T', ' ').slice(0, 19);
}

/** "1.2 s" or "85 ms". */
export function elapsed(ms: number): string {
  return ms >= 1_000 ? `${(ms / 1_000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}
