// Printing for the CLI: aligned tables and errors with their remedy. Nothing printed here may hold a
// secret: errors are MailErrors, whose messages adapters keep free of credentials.
import type { MailError } from '../errors.js';

/** Prints rows as an aligned table with a header line. */
export function printTable(headers: string[], rows: string[][], stream: NodeJS.WritableStream = process.stdout): void {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  stream.write(`${line(headers)}\n`);
  for (const row of rows) stream.write(`${line(row)}\n`);
}

export function printError(error: MailError): void {
  process.stderr.write(`error ${error.code}: ${error.message}\n`);
  if (error.remedy) process.stderr.write(`remedy: ${error.remedy}\n`);
  for (const attempt of error.attempts ?? []) {
    process.stderr.write(`  - ${attempt.adapter}: ${attempt.error ? `${attempt.error.code} ${attempt.error.message}` : 'ok'}\n`);
    if (attempt.error?.remedy) process.stderr.write(`    remedy: ${attempt.error.remedy}\n`);
  }
}

/** Shortens text to `width` characters with an ellipsis. */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}
