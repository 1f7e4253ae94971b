// The Overview screen: each adapter of the chain (where it sends, how the connection is protected,
// its last success and failure as the journal recorded them) and the findings of `mailroom doctor`
// for the same configuration. Reads only; `verify` on demand is a separate request.
import { describeEndpoint } from '../../core/adapter.js';
import { describeAdapter } from '../../core/failover.js';
import type { Mailer, MailerOptions } from '../../core/mailer.js';
import { remedyApart, type Attempt } from '../../core/errors.js';
import type { QueueFlag } from '../../cli/queue-option.js';

/** One adapter of the chain on the Overview. */
export interface AdapterHealth {
  name: string;
  /** String(adapter): kind and host, never a secret; the adapter's name when it has no description of its own. */
  target: string;
  /** "smtp.example.com:587 STARTTLS". */
  endpoint?: string;
  auth?: string;
  lastSuccess?: { at: string; entryId: string };
  lastFailure?: { at: string; entryId: string; code: string; message: string; remedy?: string };
}

export interface Finding {
  level: 'ok' | 'info' | 'warning' | 'error';
  check: string;
  message: string;
  remedy?: string;
}

// How far back the Overview looks for each adapter's last success and failure.
const RECENT_ENTRIES = 500;

export async function chainHealth(mailer: Mailer<unknown>, mailerOptions: MailerOptions | undefined): Promise<{ adapters: AdapterHealth[]; journal: string; findings: Finding[] }> {
  const chain = await mailer.adapters();
  const adapters: AdapterHealth[] = chain.map((adapter) => ({
    name: adapter.name,
    target: describeAdapter(adapter),
    ...(describeEndpoint(adapter.endpoint) ? { endpoint: describeEndpoint(adapter.endpoint)! } : {}),
    ...(adapter.endpoint?.auth ? { auth: adapter.endpoint.auth } : {}),
  }));
  let journal = 'off';
  try {
    journal = await mailer.journal.describe();
    const { entries } = await mailer.journal.list({ limit: RECENT_ENTRIES });
    // Newest first: the first attempt seen per adapter and outcome is the latest.
    for (const entry of entries) {
      for (const attempt of [...entry.attempts].reverse()) {
        const health = adapters.find((candidate) => candidate.name === attempt.adapter);
        if (!health) continue;
        const at = attemptEnd(attempt);
        if (attempt.ok && !health.lastSuccess) health.lastSuccess = { at, entryId: entry.id };
        if (!attempt.ok && attempt.error && !health.lastFailure) {
          health.lastFailure = { at, entryId: entry.id, code: attempt.error.code, ...remedyApart(attempt.error) };
        }
      }
    }
  } catch {
    // A journal that is off or unreadable leaves the last outcomes unknown; the doctor says why.
  }
  return { adapters, journal, findings: await doctorFindings(mailerOptions, queueFlag(mailer)) };
}

function attemptEnd(attempt: Attempt): string {
  return new Date(Date.parse(attempt.startedAt) + attempt.durationMs).toISOString();
}

// A queue-mode mailer's own queue, as doctor's --queue and --queue-name: the Overview checks the
// queue the mailer fills (its server answers, a worker takes from it), however it was configured.
function queueFlag(mailer: Mailer<unknown>): QueueFlag {
  return mailer.queue ? { queue: mailer.queue.options.connection, queueName: mailer.queue.options.name } : {};
}

// The doctor reads a configuration (DSN, journal store), not a running chain: it runs when the
// chain was given as a DSN (or MAILROOM_DSN) and says so otherwise. Without the mailer's options it
// would check the defaults, which are not this mailer's. The queue is the mailer's own, so it is
// checked in every case: messages waiting with no worker is mail not going out.
async function doctorFindings(mailerOptions: MailerOptions | undefined, queue: QueueFlag): Promise<Finding[]> {
  const { examine, queueFindings } = await import('../../cli/commands/doctor.js');
  const queueOnly = async () => (queue.queue ? queueFindings(queue) : []);
  if (!mailerOptions) {
    return [{ level: 'info', check: 'chain', message: 'the mailer was given ready-made, without its options: the doctor checks DSN configurations only' }, ...(await queueOnly())];
  }
  if (mailerOptions.adapters) {
    return [{ level: 'info', check: 'chain', message: 'the chain is given as adapter objects: the doctor checks DSN configurations only' }, ...(await queueOnly())];
  }
  const journal = mailerOptions.journal;
  const store = typeof journal === 'string' ? journal : journal && typeof journal === 'object' && 'store' in journal && typeof journal.store === 'string' ? journal.store : undefined;
  return examine({
    ...queue,
    ...(mailerOptions.dsn ? { dsn: mailerOptions.dsn } : {}),
    ...(store ? { journal: store } : {}),
    ...(typeof mailerOptions.from === 'string' ? { from: mailerOptions.from } : {}),
  });
}
