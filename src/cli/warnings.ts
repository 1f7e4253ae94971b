// Process warnings raised while the CLI runs (mailroom's own, such as the Office 365 basic-auth
// notice, and libraries', such as the AWS SDK's Node version notice) printed once each as the
// CLI's own "warning: ..." lines on stderr, instead of Node's "(node:PID) Warning: ..." block.
// `mailroom doctor` collects them as findings instead, so nothing is said twice.

/** A process warning as the CLI reports it. */
export interface CliWarning {
  /** The warning's code (e.g. MAILROOM_O365_BASIC_AUTH) or, without one, its name. */
  code: string;
  /** One line: the warning's text with its line breaks folded. */
  message: string;
}

let collector: CliWarning[] | undefined;

/**
 * Takes over printing process warnings for this process. Does nothing when Node prints none
 * (`--no-warnings`, NODE_NO_WARNINGS=1): Node then installs no printer of its own.
 */
export function printWarningsOnce(): void {
  const nodePrinters = process.listeners('warning');
  if (nodePrinters.length === 0) return;
  for (const listener of nodePrinters) process.removeListener('warning', listener);
  const seen = new Set<string>();
  process.on('warning', (raw: Error & { code?: string }) => {
    const warning = toCliWarning(raw);
    const key = `${warning.code}\n${warning.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (collector) collector.push(warning);
    else process.stderr.write(`warning: ${warning.message}\n`);
  });
}

/**
 * Holds back the warnings raised from now on instead of printing them; the returned function stops
 * holding and hands them over (once each). Warnings are delivered on the next tick, so call it after
 * the work that raises them has been awaited.
 */
export function collectWarnings(): () => Promise<CliWarning[]> {
  const collected: CliWarning[] = [];
  collector = collected;
  return async () => {
    await new Promise((resolve) => setImmediate(resolve));
    if (collector === collected) collector = undefined;
    return collected;
  };
}

function toCliWarning(warning: Error & { code?: string }): CliWarning {
  // "NodeVersionSupportWarning: The AWS SDK ..." arrives as a plain Warning whose text names it.
  const named = /^([A-Z][A-Za-z]*Warning): /.exec(warning.message);
  const text = (named ? warning.message.slice(named[0].length) : warning.message).replace(/\s*\n\s*/g, ' ').trim();
  // mailroom's own warnings speak for themselves; a library's keeps its kind (DeprecationWarning...).
  const kind = warning.name === 'MailroomWarning' ? undefined : named?.[1] ?? (warning.name === 'Warning' ? undefined : warning.name);
  return { code: warning.code ?? kind ?? warning.name, message: kind ? `${kind}: ${text}` : text };
}
