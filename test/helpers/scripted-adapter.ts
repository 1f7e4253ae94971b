// A test adapter whose every send follows a script: deliver, throw a given MailError, throw a
// foreign error, or hang until aborted. Records each call so tests can assert what the chain did.
import { FULL_CAPABILITIES, type AdapterCapabilities, type MailAdapter, type SendContext, type SendReceipt } from '../../src/core/adapter.js';
import { MailError, type MailErrorCode, type MailErrorOptions } from '../../src/core/errors.js';
import type { NormalizedMessage } from '../../src/core/message.js';

export type Step =
  | 'ok'
  | 'hang' // never settles and ignores the signal
  | { fail: MailErrorCode; options?: MailErrorOptions }
  | { throw: unknown } // a foreign error, as a vendor SDK would throw
  | { abortable: MailErrorCode }; // waits for the signal, then fails with this code

export interface ScriptedAdapter extends MailAdapter {
  calls: { message: NormalizedMessage; ctx: SendContext; at: number }[];
  delivered: NormalizedMessage[];
}

/** Steps are consumed one per send call; the last step repeats. */
export function scriptedAdapter(name: string, steps: Step[], capabilities: Partial<AdapterCapabilities> = {}): ScriptedAdapter {
  const calls: ScriptedAdapter['calls'] = [];
  const delivered: NormalizedMessage[] = [];
  let index = 0;
  return {
    name,
    capabilities: { ...FULL_CAPABILITIES, ...capabilities },
    calls,
    delivered,
    async send(message, ctx): Promise<SendReceipt> {
      calls.push({ message, ctx, at: performance.now() });
      const step = steps[Math.min(index, steps.length - 1)]!;
      index += 1;
      if (step === 'ok') {
        delivered.push(message);
        return { providerMessageId: `${name}-${delivered.length}`, accepted: message.to.map((a) => a.address), rejected: [] };
      }
      if (step === 'hang') return new Promise<never>(() => undefined);
      if ('throw' in step) throw step.throw;
      if ('abortable' in step) {
        const code = step.abortable;
        return new Promise<never>((_, reject) => {
          ctx.signal.addEventListener('abort', () => reject(new MailError(code, 'connection closed by the timeout', { provider: name })));
        });
      }
      throw new MailError(step.fail, `scripted ${step.fail}`, { provider: name, ...step.options });
    },
  };
}
