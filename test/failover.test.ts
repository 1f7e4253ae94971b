// The failover chain as an adapter: the shared conformance suite through a real chain (a strict
// Brevo contract server, then a real SMTP server with STARTTLS and AUTH), then what only a chain
// does: the policy table row by row, nesting, verify() of each member, cooldown events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brevoAdapter } from '../adapters/brevo.js';
import { memoryAdapter } from '../adapters/memory.js';
import { smtpAdapter } from '../adapters/smtp.js';
import { createMailer, failover, MailError, type MailErrorCode } from '../src/index.js';
import { FULL_CAPABILITIES } from '../src/core/adapter.js';
import { normalizeMessage } from '../src/core/message.js';
import { POLICY } from '../src/core/policy.js';
import { arrivalFromMime, closedPort, expectFailure, MESSAGES, runConformance, sendContext } from './conformance.js';
import { startBrevoServer, type BrevoServer } from './providers/brevo.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { createTestTls, type TestTls } from './helpers/tls.js';
import { mailErrorOf } from './helpers/assertions.js';

const KEY = 'xkeysib-chain-0123456789abcdef';
const USER = 'shop@example.com';
const PASSWORD = 'pw-Chain-s3cret';

async function realChain() {
  const tls = await createTestTls();
  const [brevo, smtp] = await Promise.all([startBrevoServer(KEY), startSmtpServer({ tls, users: { [USER]: PASSWORD } })]);
  const brevoMember = () => brevoAdapter({ apiKey: KEY, baseUrl: brevo.url });
  const smtpMember = () => smtpAdapter({ host: 'localhost', port: smtp.port, auth: { user: USER, pass: PASSWORD }, tls: { ca: tls.ca } });
  return { tls, brevo, smtp, brevoMember, smtpMember };
}

// Brevo first: it carries every message it can; what it cannot (an inline image) the chain hands
// to SMTP. The arrivals are what either server received.
runConformance('failover(brevo smtp)', async () => {
  const { brevo, smtp, brevoMember, smtpMember } = await realChain();
  const chain = failover([brevoMember(), smtpMember()], { retry: { attempts: 1 } });
  let taken = 0;
  return {
    adapter: chain,
    takeArrivals: async () => {
      const fresh = smtp.messages.slice(taken);
      taken = smtp.messages.length;
      return [...brevo.takeArrivals(), ...(await Promise.all(fresh.map((m) => arrivalFromMime(m.raw, { to: m.to }))))];
    },
    garble: (how) => brevo.garble(how),
    reset: () => brevo.reset(),
    secrets: [KEY, PASSWORD],
    close: async () => {
      await chain.close();
      await Promise.all([brevo.close(), smtp.close()]);
    },
  };
}, { unreachable: false, unreadableSuccess: 'sent' });

describe('failover() through real providers', () => {
  let servers: Awaited<ReturnType<typeof realChain>>;
  beforeAll(async () => {
    servers = await realChain();
  });
  afterAll(async () => {
    await Promise.all([servers?.brevo.close(), servers?.smtp.close()]);
  });

  it('sends through SMTP after Brevo refuses the key, and says so in its attempts', async () => {
    const chain = failover([servers.brevoMember(), servers.smtpMember()], { retry: { attempts: 1 } });
    try {
      const before = servers.smtp.messages.length;
      servers.brevo.fail('auth');
      const sent = normalizeMessage(MESSAGES['text only']!);
      const receipt = await chain.send(sent, sendContext());
      expect([...receipt.accepted].sort()).toEqual([...sent.to, ...sent.cc, ...sent.bcc].map((a) => a.address).sort());
      expect(servers.smtp.messages.length).toBe(before + 1);
      expect(servers.brevo.takeArrivals()).toEqual([]);
    } finally {
      servers.brevo.reset();
      await chain.close();
    }
  });

  it('every member failing is ALL_FAILED, naming each with its code, with every attempt', async () => {
    const chain = failover([servers.brevoMember(), smtpAdapter({ host: '127.0.0.1', port: 9, auth: { user: USER, pass: PASSWORD } })], { retry: { attempts: 1 } });
    try {
      servers.brevo.fail('auth');
      const error = await expectFailure(chain.send(normalizeMessage(MESSAGES['text only']!), sendContext()));
      expect(error.code).toBe('ALL_FAILED');
      expect(error.message).toMatch(/brevo \(127\.0\.0\.1:\d+ (no TLS|HTTPS)\): AUTH; smtp \(127\.0\.0\.1:9 .*\): TRANSIENT/);
      expect(error.attempts?.map((a) => [a.adapter, a.error?.code])).toEqual([['brevo', 'AUTH'], ['smtp', 'TRANSIENT']]);
      expect(JSON.stringify(error)).not.toContain(KEY);
      expect(JSON.stringify(error)).not.toContain(PASSWORD);
    } finally {
      servers.brevo.reset();
      await chain.close();
    }
  });

  it('a message no member can carry is UNSUPPORTED before any I/O', async () => {
    const chain = failover([servers.brevoMember(), brevoAdapter({ apiKey: KEY, baseUrl: servers.brevo.url, name: 'brevo-2' })]);
    const inline = normalizeMessage({ ...MESSAGES['text only']!, html: '<img src="cid:logo">', attachments: [{ filename: 'logo.png', content: Buffer.from('png'), cid: 'logo' }] });
    const error = await expectFailure(chain.send(inline, sendContext()));
    expect(error.code).toBe('UNSUPPORTED');
    expect(servers.brevo.takeArrivals()).toEqual([]);
  });

  it('verify() checks every member; a failing one is named, the others still checked', async () => {
    const chain = failover([servers.brevoMember(), smtpAdapter({ host: 'localhost', port: servers.smtp.port, auth: { user: USER, pass: 'wrong' }, tls: { ca: servers.tls.ca } })]);
    try {
      const results = await chain.verifyEach({ signal: AbortSignal.timeout(10_000) });
      expect(results.map((r) => [r.adapter, r.ok, r.error?.code])).toEqual([['brevo', true, undefined], ['smtp', false, 'AUTH']]);
      const error = await mailErrorOf(chain.verify());
      expect(error.code).toBe('AUTH');
      expect(error.message).toMatch(/1 of the chain's adapters failed their check: smtp: AUTH/);
      expect(error.message).not.toContain('wrong');
    } finally {
      await chain.close();
    }
  });
});

describe('the policy table, row by row through a chain', () => {
  const message = { from: 'shop@example.com', to: 'ann@example.com', subject: 'Order', text: 'Thanks' };
  const codes = Object.keys(POLICY) as MailErrorCode[];

  it('has a row for every code, and MailError takes its default retryable from it', () => {
    expect(codes.sort()).toEqual(['ALL_FAILED', 'AMBIGUOUS', 'AUTH', 'CONFIG', 'INVALID_MESSAGE', 'RATE_LIMITED', 'REJECTED', 'TEMPLATE', 'TRANSIENT', 'UNSUPPORTED'].sort());
    for (const code of codes) expect(new MailError(code, 'x').retryable, code).toBe(POLICY[code].retry);
  });

  // UNSUPPORTED from an adapter's send (not declared) and ALL_FAILED from a plain adapter are rows
  // too; each one is driven the same way: the first adapter fails with the code, the second works.
  it.each(codes)('%s: retried as the table says, the next adapter tried or not, counted towards the cooldown or not', async (code) => {
    const row = POLICY[code];
    const first = scriptedAdapter('first', [{ fail: code }]);
    const second = scriptedAdapter('second', ['ok']);
    const cooldowns: string[] = [];
    const mailer = createMailer({ adapters: [first, second], journal: false, retry: { attempts: 3, baseDelayMs: 1 }, cooldown: { failures: 1, periodMs: 60_000 } });
    mailer.on('cooldown', (info) => cooldowns.push(`${info.adapter}:${info.code}`));
    const outcome = await mailer.send(message).then((result) => result, (error: unknown) => error as MailError);
    expect(first.calls, 'attempts at the first adapter').toHaveLength(row.retry ? 3 : 1);
    if (row.then === 'next') {
      expect(outcome).toMatchObject({ status: 'sent', adapter: 'second' });
    } else {
      expect((outcome as MailError).code).toBe(code);
      expect(second.calls).toHaveLength(0);
    }
    expect(cooldowns).toEqual(row.cooldown ? [`first:${code}`] : []);
    await mailer.close();
  });

  it("onAmbiguous: 'stop' turns AMBIGUOUS into a stop, and the send is marked a possible duplicate", async () => {
    const first = scriptedAdapter('first', [{ fail: 'AMBIGUOUS' }]);
    const second = scriptedAdapter('second', ['ok']);
    const mailer = createMailer({ adapters: [first, second], journal: 'memory://', onAmbiguous: 'stop' });
    let entryId = '';
    mailer.on('failed', (_error, id) => (entryId = id));
    expect((await mailErrorOf(mailer.send(message))).code).toBe('AMBIGUOUS');
    expect(second.calls).toHaveLength(0);
    expect((await mailer.journal.get(entryId))?.possibleDuplicate).toBe(true);
    await mailer.close();
  });
});

// Nothing listens: the connection is refused, no byte of the message left, so it is certainly not
// delivered. With another member ready the chain moves on at once (no local retry, no backoff);
// the refusal still counts towards the cooldown. Alone, or last, the member retries as TRANSIENT says.
describe('a refused connection', () => {
  const message = { from: 'shop@example.com', to: 'ann@example.com', subject: 'Order', text: 'Thanks' };
  const retry = { attempts: 3, baseDelayMs: 1 };

  it.each([
    ['smtp', (port: number) => smtpAdapter({ name: 'primary', host: '127.0.0.1', port, auth: { user: USER, pass: PASSWORD } })],
    ['brevo (HTTP)', (port: number) => brevoAdapter({ name: 'primary', apiKey: KEY, baseUrl: `http://127.0.0.1:${port}` })],
  ] as const)('%s with a next member: one attempt, then the next member, and it counts towards the cooldown', async (_kind, primary) => {
    const backup = scriptedAdapter('backup', ['ok', 'ok', 'ok']);
    const cooldowns: string[] = [];
    const mailer = createMailer({ adapters: [primary(await closedPort()), backup], journal: false, retry, cooldown: { failures: 2, periodMs: 60_000 } });
    mailer.on('cooldown', (info) => cooldowns.push(`${info.adapter}:${info.code}`));
    const results = [];
    for (let n = 0; n < 3; n++) results.push(await mailer.send(message));
    expect(results.map((result) => result.attempts.map((x) => [x.adapter, x.error?.code]))).toEqual([
      [['primary', 'TRANSIENT'], ['backup', undefined]],
      [['primary', 'TRANSIENT'], ['backup', undefined]],
      // Cooling down after two refusals: skipped without a try.
      [['backup', undefined]],
    ]);
    expect(cooldowns).toEqual(['primary:TRANSIENT']);
    await mailer.close();
  });

  it('the only adapter, or the last member of a chain, still retries', async () => {
    const port = await closedPort();
    const alone = createMailer({ adapters: [smtpAdapter({ name: 'primary', host: '127.0.0.1', port, auth: { user: USER, pass: PASSWORD } })], journal: false, retry });
    expect((await mailErrorOf(alone.send(message))).attempts?.map((x) => x.adapter)).toEqual(['primary', 'primary', 'primary']);
    await alone.close();
    const first = scriptedAdapter('first', [{ fail: 'AUTH' }]);
    const last = createMailer({ adapters: [first, smtpAdapter({ name: 'last', host: '127.0.0.1', port, auth: { user: USER, pass: PASSWORD } })], journal: false, retry });
    expect((await mailErrorOf(last.send(message))).attempts?.map((x) => x.adapter)).toEqual(['first', 'last', 'last', 'last']);
    await last.close();
  });
});

describe('chains in chains', () => {
  const message = { from: 'shop@example.com', to: 'ann@example.com', subject: 'Order', text: 'Thanks' };

  it('a nested chain is one adapter of the outer one: attempts, events and the result name the real adapters', async () => {
    const a = scriptedAdapter('a', [{ fail: 'AUTH' }]);
    const b = scriptedAdapter('b', [{ fail: 'TRANSIENT' }]);
    const c = scriptedAdapter('c', ['ok']);
    const primary = failover([a, b], { name: 'primary', retry: { attempts: 2, baseDelayMs: 1 } });
    const mailer = createMailer({ adapters: [primary, c], journal: 'memory://', retry: { attempts: 1 } });
    const failovers: string[] = [];
    mailer.on('failover', ({ from, to }) => failovers.push(`${from}->${to}`));
    const result = await mailer.send(message);
    expect(result.adapter).toBe('c');
    expect(result.attempts.map((x) => [x.adapter, x.error?.code])).toEqual([['a', 'AUTH'], ['b', 'TRANSIENT'], ['b', 'TRANSIENT'], ['c', undefined]]);
    // The nested chain's last adapter (b) handed over to c, not "primary", a name no one configured an account under.
    expect(failovers).toEqual(['a->b', 'b->c']);
    expect((await mailer.journal.get(result.id))?.attempts).toHaveLength(4);
    expect((await mailer.verify()).map((r) => r.adapter)).toEqual(['a', 'b', 'c']);
    expect(String(failover([primary, c]))).toBe('failover(primary(a b) c)');
    await mailer.close();
  });

  it('a chain can carry what any member can, and signs in as its first mailbox', () => {
    const limited = scriptedAdapter('limited', ['ok'], { attachments: false, maxRecipients: 50, customHeaders: 'x-only' });
    const full = scriptedAdapter('full', ['ok']);
    expect(failover([limited]).capabilities).toMatchObject({ attachments: false, maxRecipients: 50, customHeaders: 'x-only' });
    expect(failover([limited, full]).capabilities).toEqual(FULL_CAPABILITIES);
    expect(failover([memoryAdapter(), Object.assign(scriptedAdapter('o365', ['ok']), { mailbox: 'shop@contoso.com' })]).mailbox).toBe('shop@contoso.com');
  });

  it('refuses an empty chain and two members of one name, as CONFIG', () => {
    expect(() => failover([])).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    expect(() => failover([scriptedAdapter('x', ['ok']), scriptedAdapter('x', ['ok'])])).toThrow(/unique/);
  });
});

describe('cooldown event', () => {
  it('fires once when an adapter starts cooling down, with the code that tripped it and until when', async () => {
    const flaky = scriptedAdapter('flaky', [{ fail: 'AUTH' }]);
    const backup = scriptedAdapter('backup', ['ok']);
    const mailer = createMailer({ adapters: [flaky, backup], journal: false, cooldown: { failures: 2, periodMs: 60_000 } });
    const events: { adapter: string; code: string; until: Date }[] = [];
    mailer.on('cooldown', (info) => events.push(info));
    const before = Date.now();
    for (let n = 0; n < 4; n++) await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: `n${n}`, text: 'x' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ adapter: 'flaky', code: 'AUTH' });
    expect(events[0]!.until.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    expect(flaky.calls).toHaveLength(2);
    await mailer.close();
  });
});

describe('a receipt in which the provider refused every recipient', () => {
  it('is REJECTED (DESIGN: "refused this message or all its recipients"), not sent with a warning', async () => {
    const { createMailer } = await import('../src/index.js');
    const { declareCapabilities } = await import('../src/kit/index.js');
    let nextCalled = 0;
    const refusing = { name: 'refusing', capabilities: declareCapabilities({ maxRecipients: 10 }), send: async () => ({ providerMessageId: 'p-1', accepted: [], rejected: ['ann@example.com', 'bob@example.com'] }) };
    const next = { name: 'next', capabilities: declareCapabilities({ maxRecipients: 10 }), send: async () => { nextCalled++; return { accepted: ['ann@example.com', 'bob@example.com'], rejected: [] }; } };
    const mailer = createMailer({ adapters: [refusing, next], journal: false, from: 'shop@example.com' });
    try {
      const error = await mailer.send({ to: ['ann@example.com', 'bob@example.com'], subject: 'Order', text: 'Thanks' }).then(() => undefined, (caught: unknown) => caught as { code: string; message: string; attempts: { ok: boolean; error?: { code: string } }[] });
      expect(error?.code).toBe('REJECTED');
      expect(error?.message).toMatch(/refused every recipient.*ann@example.com, bob@example.com/);
      expect(error?.attempts.map((a) => a.error?.code)).toEqual(['REJECTED']);
      expect(nextCalled).toBe(0);
    } finally {
      await mailer.close();
    }
  });
});
