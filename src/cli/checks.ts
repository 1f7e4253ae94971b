// The table `mailroom test` and `mailroom verify` print: one row per adapter of the chain, then the
// error and remedy of each failure underneath, so a long remedy never breaks the table.
import { explain, genericRemedy } from '../core/diagnose.js';
import type { AttemptError } from '../core/errors.js';
import { elapsed, printTable } from './output.js';

/** The outcome of checking (or test-sending through) one adapter. */
export interface CheckResult {
  adapter: string;
  /** "sent" / "ok" on success, "failed", or "not checked" when the adapter cannot be checked. */
  result: string;
  ok: boolean;
  durationMs: number;
  providerMessageId?: string;
  /** The journal entry of a test email. */
  entryId?: string;
  error?: AttemptError;
}

export function printChecks(results: CheckResult[], options: { providerIds: boolean }): void {
  const headers = ['ADAPTER', 'RESULT', 'TIME', ...(options.providerIds ? ['PROVIDER MESSAGE ID'] : [])];
  printTable(
    headers,
    results.map((row) => [row.adapter, row.result, elapsed(row.durationMs), ...(options.providerIds ? [row.providerMessageId ?? '-'] : [])]),
  );
  for (const row of results.filter((candidate) => candidate.error)) {
    const error = row.error!;
    const codes = [error.code, error.status, error.smtpCode, error.enhancedCode].filter((part) => part !== undefined).join(' ');
    process.stdout.write(`\n${row.adapter} ${row.result}: ${codes}\n  ${error.message}\n`);
    // The chain attaches catalogue remedies to adapter errors; a setup error may still match one,
    // and every code has at least its generic next step.
    const remedy = error.remedy ?? explain(error.message)?.remedy ?? genericRemedy(error.code);
    process.stdout.write(`  remedy: ${remedy}\n`);
  }
}

/** "2 of 3 adapters failed" / "all 3 adapters sent". */
export function checksSummary(results: CheckResult[], success: string): string {
  const failed = results.filter((row) => !row.ok).length;
  const unit = results.length === 1 ? 'adapter' : 'adapters';
  return failed === 0 ? `${results.length} ${unit} ${success}` : `${failed} of ${results.length} ${unit} failed`;
}
