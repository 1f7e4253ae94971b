// The failover chain, itself an adapter (as Symfony's FailoverTransport is a transport): it sends
// through the first of its adapters that can carry the message and is not cooling down, retrying
// and moving on as the policy table says (src/core/policy.ts). Being an adapter, a chain can be
// verified, tested with the conformance suite, and nested in another chain.
import { describeEndpoint, unsupportedReason, type AdapterCapabilities, type MailAdapter, type SendContext, type SendReceipt } from './adapter.js';
import { AdapterLane, COOLING_DOWN, type CooldownOptions, type LaneTrace, type RetryOptions } from './chain.js';
import { attemptsByAdapter, MailError, toMailError, withRemedySentence, type Attempt } from './errors.js';
import type { NormalizedMessage } from './message.js';
import { policyFor } from './policy.js';
import { diagnose } from './diagnose.js';
import { DEFAULT_ATTEMPT_TIMEOUT_MS, MAX_ATTEMPT_TIMEOUT_MS, withTimeout } from './timeout.js';
import { optionNames, refuseUnknownOptions, type KnownOptions } from './known-options.js';

export interface FailoverOptions {
  /** The chain's name, as an adapter. Default "failover". */
  name?: string;
  /** Retries per adapter. */
  retry?: RetryOptions;
  /** Cooldown of a repeatedly failing adapter. */
  cooldown?: CooldownOptions;
  /** Longest one attempt (or one verify check) may take: the one attempt timeout. Default 30,000 ms. */
  timeoutMs?: number;
  /**
   * What to do when an adapter lost the connection after handing the message over (AMBIGUOUS):
   * "failover" tries the next adapter and marks the send as a possible duplicate; "stop" fails the
   * send without trying further. Default "failover": a duplicate beats a lost order confirmation.
   */
  onAmbiguous?: 'failover' | 'stop';
}

/** The names of `retry` and `cooldown`, checked by failover() and createMailer alike. */
export const CHAIN_OPTION_GROUPS: Readonly<Record<'retry' | 'cooldown', readonly string[]>> = {
  retry: optionNames<RetryOptions>({ attempts: true, baseDelayMs: true, maxDelayMs: true }),
  cooldown: optionNames<CooldownOptions>({ failures: true, periodMs: true }),
};

// failover() is an adapter factory too: from JavaScript `timeoutMS` or `retry: { attempt: 2 }` would
// be ignored, the default used in silence, as for createMailer's options (src/core/known-options.ts).
const FAILOVER_OPTIONS: KnownOptions = {
  names: optionNames<FailoverOptions>({ name: true, retry: true, cooldown: true, timeoutMs: true, onAmbiguous: true }),
  nested: CHAIN_OPTION_GROUPS,
};

/** What a chain reports while it carries one message; the mailer turns it into the journal entry and events. */
export interface SendTrace extends LaneTrace {
  /** Sentences for the result (an adapter skipped while cooling down, a possible duplicate). */
  warnings: string[];
  /** Set when an adapter may have delivered the message before another one did (AMBIGUOUS). */
  possibleDuplicate?: boolean;
  /** `from` failed and `to` is tried next (only when another adapter is really tried). */
  onFailover?(info: { from: string; to: string; error: MailError }): void;
}

/** A chain's receipt: which of its adapters delivered. */
export interface ChainReceipt extends SendReceipt {
  adapter: string;
}

/** Outcome of checking one adapter without sending. */
export interface VerifyResult {
  adapter: string;
  ok: boolean;
  durationMs: number;
  error?: MailError;
}

/** A chain of adapters in fallback order, as one adapter. Names must be unique. */
export function failover(adapters: MailAdapter[], options: FailoverOptions = {}): FailoverAdapter {
  return new FailoverAdapter(adapters, options);
}

export class FailoverAdapter implements MailAdapter {
  readonly name: string;
  readonly capabilities: AdapterCapabilities;
  readonly mailbox?: string;
  readonly members: readonly MailAdapter[];
  private readonly lanes: AdapterLane[];
  private readonly timeoutMs: number;
  private readonly onAmbiguous: 'failover' | 'stop';

  constructor(adapters: MailAdapter[], options: FailoverOptions = {}) {
    checkMembers(adapters);
    refuseUnknownOptions('failover()', options, FAILOVER_OPTIONS, 'Fix the option\'s name: failover(adapters, { name, retry, cooldown, timeoutMs, onAmbiguous }) (README "failover(): the chain is an adapter"); an option it does not know would be ignored, and its default used instead.');
    checkFailoverOptions(options);
    this.name = options.name ?? 'failover';
    this.members = Object.freeze([...adapters]);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.onAmbiguous = options.onAmbiguous ?? 'failover';
    this.lanes = adapters.map((adapter) => new AdapterLane(adapter, this.timeoutMs, options.retry, options.cooldown));
    this.capabilities = widest(adapters.map((adapter) => adapter.capabilities));
    // The chain's default sender: the first mailbox one of its adapters signs in as.
    const mailbox = adapters.find((adapter) => adapter.mailbox)?.mailbox;
    if (mailbox) this.mailbox = mailbox;
  }

  async send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
    // A message none of its adapters can carry is refused as any adapter refuses it, before any I/O.
    const refused = unsupportedReason(this, message);
    if (refused) throw refused;
    const trace: SendTrace = { attempts: [], warnings: [] };
    try {
      const { adapter: _adapter, ...receipt } = await this.deliver(message, trace, ctx.signal);
      const warnings = [...trace.warnings, ...(receipt.warnings ?? [])];
      return { ...receipt, ...(warnings.length > 0 ? { warnings } : {}) };
    } catch (error) {
      (error as MailError).attempts ??= trace.attempts;
      throw error;
    }
  }

  /**
   * Carries `message` through the first adapter that delivers it, reporting into `trace` as it
   * goes. Throws the error that stopped the chain (policy "stop"), or ALL_FAILED.
   */
  async deliver(message: NormalizedMessage, trace: SendTrace, signal?: AbortSignal): Promise<ChainReceipt> {
    const run = new ChainRun(this, message, trace, signal);
    const skipped = await run.tryLanes(this.lanes, false);
    // A cooldown never leaves a message with no adapter at all: when every other adapter has
    // failed, those cooling down are tried anyway.
    if (!run.receipt && !run.stopping && skipped.length > 0) await run.tryLanes(skipped, true);
    if (run.receipt) return run.receipt;
    throw run.stopping ?? this.allFailed(trace.attempts);
  }

  /** Checks every adapter (a nested chain's each); never throws for an adapter's failure. */
  async verifyEach(ctx: { signal?: AbortSignal } = {}, onCheck?: (adapter: MailAdapter) => void, onChecked?: (adapter: MailAdapter, result: VerifyResult) => void): Promise<VerifyResult[]> {
    const results: VerifyResult[] = [];
    for (const adapter of this.members) {
      if (adapter instanceof FailoverAdapter) {
        results.push(...(await adapter.verifyEach(ctx, onCheck, onChecked)));
        continue;
      }
      const started = performance.now();
      try {
        if (adapter.verify) {
          onCheck?.(adapter);
          await withTimeout(this.timeoutMs, adapter.name, (signal) => adapter.verify!({ signal }), ctx.signal);
        }
        results.push({ adapter: adapter.name, ok: true, durationMs: Math.round(performance.now() - started) });
      } catch (error) {
        // The catalogue's remedy, as a failed send gets it (a closed port, a host that does not resolve).
        results.push({ adapter: adapter.name, ok: false, durationMs: Math.round(performance.now() - started), error: diagnose(toMailError(error, { provider: adapter.name })) });
      }
      if (adapter.verify) onChecked?.(adapter, results.at(-1)!);
    }
    return results;
  }

  /** Resolves when every adapter passes its check; else rejects naming each one that failed. */
  async verify(ctx: { signal?: AbortSignal } = {}): Promise<void> {
    const failed = (await this.verifyEach(ctx)).filter((result) => !result.ok);
    if (failed.length === 0) return;
    const first = failed[0]!.error!;
    const detail = failed.map((result) => `${result.adapter}: ${result.error!.code} ${result.error!.detail}`).join('; ');
    throw new MailError(failed.length === 1 ? first.code : 'ALL_FAILED', `${failed.length} of the chain's adapters failed their check: ${detail}`, {
      provider: this.name,
      cause: first,
      ...(first.specificRemedy ? { remedy: first.specificRemedy } : {}),
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.members.map((adapter) => adapter.close?.()));
  }

  /** The adapters of this chain and of the chains nested in it, in order. */
  leaves(): MailAdapter[] {
    return this.members.flatMap((adapter) => (adapter instanceof FailoverAdapter ? adapter.leaves() : [adapter]));
  }

  toString(): string {
    return `${this.name}(${this.members.map(describeAdapter).join(' ')})`;
  }

  /** @internal What the chain does with an error (policy table, with onAmbiguous). */
  decide(error: MailError): 'next' | 'stop' {
    return policyFor(error.code, this.onAmbiguous).then;
  }

  // A CMS log (Strapi's) prints only an error's message: it names each adapter with its host, what
  // ended its attempts, and the last remedy, so the log alone says where to look.
  private allFailed(attempts: Attempt[]): MailError {
    const leaves = this.leaves();
    const tried = attemptsByAdapter(attempts).map(({ adapter, count, last }) => {
      const where = describeEndpoint(leaves.find((leaf) => leaf.name === adapter)?.endpoint);
      return `${adapter}${where ? ` (${where})` : ''}: ${last.error?.code ?? 'ok'}${count > 1 ? ` after ${count} attempts` : ''}`;
    });
    const remedy = [...attempts].reverse().find((attempt) => attempt.error?.remedy)?.error?.remedy;
    return new MailError('ALL_FAILED', withRemedySentence(`every adapter failed: ${tried.join('; ')}`, remedy), remedy ? { remedy } : {});
  }
}

// One message through the chain: what has been tried, and what ended it.
class ChainRun {
  receipt: ChainReceipt | undefined;
  stopping: MailError | undefined;
  // A failure is announced as `failover` only when another adapter is really tried next: not after
  // the last one, and never towards one skipped as unsupported or cooling down.
  private handoff: { from: string; error: MailError } | undefined;

  constructor(
    private readonly chain: FailoverAdapter,
    private readonly message: NormalizedMessage,
    private readonly trace: SendTrace,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Tries each lane in turn until one delivers or the policy stops; answers the lanes skipped as cooling down. */
  async tryLanes(lanes: AdapterLane[], force: boolean): Promise<AdapterLane[]> {
    const skipped: AdapterLane[] = [];
    for (const [index, lane] of lanes.entries()) {
      const { adapter } = lane;
      const unsupported = unsupportedReason(adapter, this.message);
      if (unsupported) {
        this.trace.attempts.push({ adapter: adapter.name, startedAt: new Date().toISOString(), durationMs: 0, ok: false, error: unsupported.toAttemptError() });
        continue;
      }
      if (this.handoff && (force || !lane.coolingDownUntil())) {
        this.trace.onFailover?.({ ...this.handoff, to: adapter.name });
        this.handoff = undefined;
      }
      try {
        if (adapter instanceof FailoverAdapter) {
          // A nested chain drives its own adapters, timeouts and cooldowns.
          this.receipt = await adapter.deliver(this.message, this.trace, this.signal);
          return skipped;
        }
        const answer = await lane.send(this.message, this.trace, force, this.signal, this.nextAvailable(lanes.slice(index + 1), force));
        if (answer === COOLING_DOWN) {
          const until = lane.coolingDownUntil();
          this.trace.warnings.push(`${adapter.name} skipped: cooling down after repeated failures${until ? ` until ${until.toISOString()}` : ''}`);
          skipped.push(lane);
          continue;
        }
        this.receipt = { ...answer, adapter: adapter.name };
        return skipped;
      } catch (thrown) {
        const error = toMailError(thrown, { provider: adapter.name });
        if (error.code === 'AMBIGUOUS') {
          this.trace.possibleDuplicate = true;
          this.trace.warnings.push(`${adapter.name} may have delivered this message before the connection was lost`);
        }
        if (this.chain.decide(error) === 'stop') {
          this.stopping = error;
          return skipped;
        }
        this.handoff = { from: adapter.name, error };
      }
    }
    return skipped;
  }

  // Whether a later lane would take the message now: one that can carry it and is not cooling down
  // (or every lane is forced, on the pass through the cooling ones).
  private nextAvailable(later: AdapterLane[], force: boolean): boolean {
    return later.some((lane) => !unsupportedReason(lane.adapter, this.message) && (force || !lane.coolingDownUntil()));
  }
}

// Mistakes in the chain are CONFIG errors at setup.
function checkMembers(adapters: MailAdapter[]): void {
  if (!Array.isArray(adapters)) throw new MailError('CONFIG', '`adapters` must be an array of adapters');
  if (adapters.length === 0) throw new MailError('CONFIG', '`adapters` is empty: give at least one adapter');
  const names = new Set<string>();
  for (const [index, adapter] of adapters.entries()) {
    checkContract(adapter, index + 1);
    if (names.has(adapter.name)) throw new MailError('CONFIG', `two adapters are named "${adapter.name}": names must be unique in a chain`);
    names.add(adapter.name);
  }
}

// An adapter written by hand (plain JavaScript has no compiler to check it) that lacks part of the
// contract fails here, naming the adapter and the part, not with a TypeError at the first send.
function checkContract(adapter: MailAdapter, position: number): void {
  const remedy = 'An adapter is an object with a unique `name`, `capabilities` (what it can carry: { attachments, tags, maxRecipients, ... }) and an async `send(message, ctx)`; README "Write your own adapter" shows one.';
  if (adapter === null || typeof adapter !== 'object') throw new MailError('CONFIG', `adapter ${position} is not an adapter (got ${adapter === null ? 'null' : typeof adapter})`, { remedy });
  if (typeof adapter.name !== 'string' || adapter.name.trim() === '') throw new MailError('CONFIG', `adapter ${position} has no name: \`name\` must be a non-empty string`, { remedy });
  if (typeof adapter.send !== 'function') throw new MailError('CONFIG', `adapter "${adapter.name}" has no send() function`, { remedy });
  if (adapter.capabilities === null || typeof adapter.capabilities !== 'object') {
    throw new MailError('CONFIG', `adapter "${adapter.name}" has no capabilities object: it must say what it can carry`, { remedy });
  }
}

// The values the chain reads, checked as the configuration file's schema checks them: a string, a
// zero or a negative number would otherwise be used as given (every attempt timed out at once, no
// attempt at all) or be dropped for the default in silence.
export function checkFailoverOptions(options: FailoverOptions): void {
  const problems: string[] = [];
  const whole = (value: unknown, name: string, least: number) => {
    if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= least)) problems.push(`option "${name}": expected a whole number of ${least} or more`);
  };
  whole(options.timeoutMs, 'timeoutMs', 1);
  if (typeof options.timeoutMs === 'number' && options.timeoutMs > MAX_ATTEMPT_TIMEOUT_MS) problems.push(`option "timeoutMs": expected at most ${MAX_ATTEMPT_TIMEOUT_MS} (about 24 days, a timer's longest)`);
  whole(options.retry?.attempts, 'retry.attempts', 1);
  whole(options.retry?.baseDelayMs, 'retry.baseDelayMs', 0);
  whole(options.retry?.maxDelayMs, 'retry.maxDelayMs', 0);
  whole(options.cooldown?.failures, 'cooldown.failures', 1);
  whole(options.cooldown?.periodMs, 'cooldown.periodMs', 0);
  if (options.onAmbiguous !== undefined && options.onAmbiguous !== 'failover' && options.onAmbiguous !== 'stop') problems.push('option "onAmbiguous": expected one of "failover"|"stop"');
  if (problems.length > 0) throw new MailError('CONFIG', problems.join('; '), { remedy: 'Fix the option named above; README "Mailer options" gives each one\'s values.' });
}

// What the chain can carry: what at least one of its adapters can (each message is still checked
// against each adapter before it is tried).
function widest(all: AdapterCapabilities[]): AdapterCapabilities {
  const most = (pick: (caps: AdapterCapabilities) => number) => Math.max(...all.map(pick));
  const any = (pick: (caps: AdapterCapabilities) => boolean) => all.some(pick);
  return Object.freeze({
    attachments: any((caps) => caps.attachments),
    inlineImages: any((caps) => caps.inlineImages),
    maxAttachmentBytes: most((caps) => caps.maxAttachmentBytes),
    maxTotalAttachmentBytes: most((caps) => caps.maxTotalAttachmentBytes),
    customHeaders: any((caps) => caps.customHeaders === true) ? true : any((caps) => caps.customHeaders === 'x-only') ? 'x-only' : false,
    maxCustomHeaders: most((caps) => caps.maxCustomHeaders),
    tags: any((caps) => caps.tags),
    maxTags: most((caps) => caps.maxTags),
    metadata: any((caps) => caps.metadata),
    maxReplyTo: most((caps) => caps.maxReplyTo),
    maxRecipients: most((caps) => caps.maxRecipients),
    unicodeLocalParts: any((caps) => caps.unicodeLocalParts),
  });
}

/** "smtp(mail.example.com:587)" for an adapter with its own toString, else its name. */
export function describeAdapter(adapter: MailAdapter): string {
  const text = String(adapter);
  return text === '[object Object]' ? adapter.name : text;
}
