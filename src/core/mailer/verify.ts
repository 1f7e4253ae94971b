// verify(): every adapter of the chain checked without sending, under the chain's timeout; it
// reports and never throws, also when the chain could not be built.
import { MailError, toMailError } from '../errors.js';
import type { VerifyResult } from '../failover.js';
import { chainNames } from './chain-setup.js';
import type { MailerParts } from './parts.js';

export async function verify(parts: MailerParts, closed = false): Promise<VerifyResult[]> {
  // A closed mailer's adapters are closed: checking them would open connections nobody closes.
  if (closed) {
    const error = new MailError('CONFIG', 'verify() was called after close(): this mailer is closed; create a new one with createMailer()');
    return (await parts.chain.then((chain) => chain.leaves().map((adapter) => adapter.name), () => chainNames(parts.options))).map((adapter) => ({ adapter, ok: false, durationMs: 0, error }));
  }
  const chain = await parts.chain.catch((error: unknown) => toMailError(error, { code: 'CONFIG' }));
  // The chain could not be built (an adapter module failed to load): each adapter gets that as its result.
  if (chain instanceof MailError) return chainNames(parts.options).map((adapter) => ({ adapter, ok: false, durationMs: 0, error: chain }));
  return chain.verifyEach(
    {},
    (adapter) => parts.events.attempt(adapter, 1, 'verify'),
    (adapter, result) => parts.events.attemptEnd(adapter, 1, 'verify', { ok: result.ok, durationMs: result.durationMs, code: result.error?.code }),
  );
}
