// The mailer's chain, from its options: the `adapters` given, or the DSN (option, MAILROOM_DSN, else
// the outbox), as one failover adapter. Mistakes are CONFIG errors thrown by createMailer itself.
import type { MailAdapter } from '../adapter.js';
import { adaptersFromDsn, checkDsnChain } from '../dsn.js';
import { MailError } from '../errors.js';
import { checkFailoverOptions, failover, type FailoverAdapter } from '../failover.js';
import { DEFAULT_DSN, IMPLICIT_OUTBOX_WARNING_CODE, type MailerOptions } from './types.js';

/**
 * Checks the chain options now (throws CONFIG) and builds the chain on first use: DSN adapters
 * load their modules lazily. The promise's failure is reported by the first send, and by verify()
 * per adapter.
 */
export function buildChain(options: MailerOptions, limits?: (adapter: MailAdapter) => MailAdapter): { chain: Promise<FailoverAdapter>; dsn: string | undefined } {
  const dsn = checkChainOptions(options);
  const ready = (dsn === undefined ? Promise.resolve(options.adapters!) : adaptersOfDsn(dsn)).then((adapters) =>
    // `limits`: each member counted against its account's limits shared by every instance (Redis).
    failover(limits ? adapters.map(limits) : adapters, {
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.cooldown ? { cooldown: options.cooldown } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.onAmbiguous ? { onAmbiguous: options.onAmbiguous } : {}),
    }),
  );
  ready.catch(() => undefined);
  return { chain: ready, dsn };
}

/** The names the chain's adapters would have, for reporting when it could not be built. */
export function chainNames(options: MailerOptions): string[] {
  if (options.adapters) return options.adapters.map((adapter) => adapter.name);
  return checkDsnChain(options.dsn ?? process.env.MAILROOM_DSN ?? DEFAULT_DSN).map((dsn) => dsn.options.name ?? dsn.scheme.replace(/\+.*$/, '').replace(/^smtps$/, 'smtp'));
}

// Returns the DSN to build the chain from, when there is no adapter list.
function checkChainOptions(options: MailerOptions): string | undefined {
  // From JavaScript (a CMS's config file) either can arrive as anything: say which option is wrong.
  if (options.dsn !== undefined && typeof options.dsn !== 'string') {
    throw new MailError('CONFIG', `the dsn option must be a string such as "smtp://user:pass@smtp.example.com:587" or "failover(a b)", got ${Array.isArray(options.dsn) ? 'an array' : typeof options.dsn}`);
  }
  if (options.adapters !== undefined && !Array.isArray(options.adapters)) {
    throw new MailError('CONFIG', `the adapters option must be an array of adapters, e.g. [smtp({ ... })], got ${typeof options.adapters}; a DSN string goes in the dsn option`);
  }
  if (options.adapters && options.dsn) throw new MailError('CONFIG', 'give either `adapters` or `dsn`, not both');
  checkFailoverOptions(options);
  if (options.adapters) {
    // The same checks failover() makes, thrown now rather than at the first send.
    failover(options.adapters);
    return undefined;
  }
  const dsn = options.dsn ?? process.env.MAILROOM_DSN ?? DEFAULT_DSN;
  if (!options.dsn && !process.env.MAILROOM_DSN) guardImplicitOutbox();
  // Every adapter's options are read now (no module is loaded, no connection opened): a DSN that
  // lacks its key or domain fails the boot, not the first send.
  checkDsnChain(dsn);
  return dsn;
}

let implicitOutboxWarned = false;

/** The CONFIG error for a production process with no transport configured (createMailer, and the CLI's commands that send). */
export function implicitOutboxRefusal(): MailError {
  return new MailError(
    'CONFIG',
    'no mail transport is configured: MAILROOM_DSN is not set (nor the dsn or adapters option), and with NODE_ENV=production mailroom does not fall back to writing mail into ./outbox',
    { remedy: 'Set MAILROOM_DSN to your provider, e.g. MAILROOM_DSN="smtp://user:pass@smtp.example.com:587" (README "Configuration strings"). To keep the outbox on purpose, set MAILROOM_DSN=outbox://./outbox.' },
  );
}

// The outbox is the default so that a first try needs no account. In production that default would
// put password resets in a folder and journal them "sent": there it has to be chosen explicitly.
function guardImplicitOutbox(): void {
  if (process.env.NODE_ENV === 'production') throw implicitOutboxRefusal();
  if (implicitOutboxWarned) return;
  implicitOutboxWarned = true;
  process.emitWarning(`MAILROOM_DSN is not set: mail is written to ${DEFAULT_DSN.replace('outbox://', '')} as .eml files, not delivered. Set MAILROOM_DSN to send for real (with NODE_ENV=production this is an error).`, {
    type: 'MailroomWarning',
    code: IMPLICIT_OUTBOX_WARNING_CODE,
  });
}

/** The adapters of a DSN chain; two of one kind get distinct names: "smtp", "smtp-2". */
export async function adaptersOfDsn(dsn: string): Promise<MailAdapter[]> {
  const adapters = await adaptersFromDsn(dsn);
  const seen = new Map<string, number>();
  return adapters.map((adapter) => {
    const count = (seen.get(adapter.name) ?? 0) + 1;
    seen.set(adapter.name, count);
    return count === 1 ? adapter : renamed(adapter, `${adapter.name}-${count}`);
  });
}

// A view of the adapter under another name. Methods run on the adapter itself, so class adapters
// with private fields (#transporter) keep working, which a copy of their properties would not.
function renamed(adapter: MailAdapter, name: string): MailAdapter {
  return new Proxy(adapter, {
    get(target, property) {
      if (property === 'name') return name;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
