// The handover report reaches the journal through the attempt's signal (src/core/handover.ts):
// from an adapter called by the chain, from one inside a chain used as an adapter, and never from
// a signal no attempt owns.
import { describe, expect, it } from 'vitest';
import { createMailer, failover, type MailAdapter, type Mailer, type SendContext } from '../src/index.js';
import { FULL_CAPABILITIES } from '../src/core/adapter.js';
import { handoverReporter } from '../src/core/handover.js';
import type { JournalEntry } from '../src/journal/journal.js';

// Reports the handover, then reads the journal before answering: the entry must already say so.
function handsOver(name: string, seen: { entry?: JournalEntry; reported?: boolean }, journal: () => Mailer['journal']): MailAdapter {
  return {
    name,
    capabilities: FULL_CAPABILITIES,
    async send(message, ctx: SendContext) {
      const report = handoverReporter(ctx.signal);
      seen.reported = report !== undefined;
      await report?.();
      seen.entry = (await journal().list({})).entries.find((entry) => entry.messageId === message.messageId);
      return { providerMessageId: message.messageId, accepted: message.to.map((to) => to.address), rejected: [] };
    },
  };
}

describe('the handover report', () => {
  // A chain among the mailer's adapters is flattened into its lanes; one behind another adapter is
  // sent through (FailoverAdapter.send) with that adapter's attempt signal.
  const layouts: Array<[string, (member: MailAdapter) => MailAdapter, string]> = [
    ['an adapter of the chain', (member) => member, 'inner'],
    ['an adapter of a chain inside the chain', (member) => failover([member], { name: 'outer' }), 'inner'],
    ['an adapter of a chain behind another adapter', (member) => {
      const chain = failover([member], { name: 'outer' });
      return { name: 'wrapper', capabilities: chain.capabilities, send: (message, ctx) => chain.send(message, ctx) };
    }, 'wrapper'],
  ];
  it.each(layouts)('is journaled before %s answers', async (_what, layout, journaledAs) => {
    const seen: { entry?: JournalEntry; reported?: boolean } = {};
    let mailer: Mailer | undefined;
    const member = handsOver('inner', seen, () => mailer!.journal);
    mailer = createMailer({ adapters: [layout(member)], journal: 'memory://' });
    const result = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 's', text: 'x' });
    expect(seen.reported).toBe(true);
    expect(seen.entry).toMatchObject({ id: result.id, status: 'pending', handedOver: { adapter: journaledAs } });
    expect((await mailer.journal.get(result.id))?.status).toBe('sent');
    await mailer.close();
  });

  it('is not found from a signal no attempt owns', () => {
    expect(handoverReporter(new AbortController().signal)).toBeUndefined();
    expect(handoverReporter(undefined)).toBeUndefined();
  });
});
