// One timeout owner: the chain's timeoutMs bounds each attempt through ctx.signal; an adapter keeps
// only a connect timeout (until the request is written); a timeout is TRANSIENT before the message
// was handed over and AMBIGUOUS after, decided in src/core/timeout.ts. Loopback sockets only.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMailer } from '../src/index.js';
import { adaptersFromDsn } from '../src/kit/index.js';
import { handoverReporter } from '../src/core/handover.js';
import { httpRequest } from '../src/kit/http.js';
import { withTimeout } from '../src/core/timeout.js';
import { scriptedAdapter } from './helpers/scripted-adapter.js';
import { mailErrorOf } from './helpers/assertions.js';

const closers: (() => void)[] = [];
afterEach(() => {
  while (closers.length) closers.pop()!();
});

// Accepts TCP and reads, never answers: a TLS handshake to it never completes.
async function mute(): Promise<string> {
  const server = net.createServer((socket) => socket.on('data', () => undefined));
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => { sockets.add(socket); socket.on('error', () => undefined); });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => { for (const socket of sockets) socket.destroy(); server.close(); });
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

describe('the connect timeout (adapter side)', () => {
  it('ends a request not written within connectTimeoutMs as TRANSIENT, well before the caller\'s signal', async () => {
    const host = await mute();
    const started = Date.now();
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: `https://${host}/send`, body: 'x', signal: AbortSignal.timeout(20_000), connectTimeoutMs: 300 }));
    expect(error.code).toBe('TRANSIENT');
    expect(error.detail).toMatch(/no connection to https:\/\/127\.0\.0\.1:\d+\/send within 300 ms \(connect timeout\) before the request was sent/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("the DSN's ?timeout= is that connect timeout, in ms, and the attempt still belongs to the chain", async () => {
    const host = await mute();
    const [brevo] = await adaptersFromDsn(`brevo+api://xkeysib-timeout-0123456789@${host}?timeout=250`);
    const mailer = createMailer({ adapters: [brevo!], journal: false, timeoutMs: 20_000, retry: { attempts: 1 } });
    const started = Date.now();
    const error = await mailErrorOf(mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 's', text: 'x' }));
    expect(error.attempts?.[0]?.error?.code).toBe('TRANSIENT');
    expect(error.attempts?.[0]?.error?.message).toMatch(/within 250 ms \(connect timeout\) before the request was sent/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await mailer.close();
  });

  it('does not cut a request that was written: the answer may take as long as the caller\'s signal allows', async () => {
    const server = net.createServer((socket) => socket.once('data', () => setTimeout(() => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'), 600)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => server.close());
    const response = await httpRequest({ provider: 'test', url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/send`, body: 'x', signal: AbortSignal.timeout(10_000), connectTimeoutMs: 200 });
    expect(response.status).toBe(200);
    expect(response.text).toBe('ok');
  });
});

describe('the attempt timeout (chain side)', () => {
  it('an adapter that ignores the signal after handing the message over is AMBIGUOUS, journaled as possibly delivered', async () => {
    const handsOverThenHangs = {
      ...scriptedAdapter('slow', ['hang']),
      send: (_message: unknown, ctx: { signal: AbortSignal }) => {
        handoverReporter(ctx.signal)?.();
        return new Promise<never>(() => undefined);
      },
    };
    const backup = scriptedAdapter('backup', ['ok']);
    const mailer = createMailer({ adapters: [handsOverThenHangs, backup], journal: 'memory://', timeoutMs: 50, retry: { attempts: 3, baseDelayMs: 1 } });
    const result = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 's', text: 'x' });
    expect(result.adapter).toBe('backup');
    expect(result.attempts.map((a) => [a.adapter, a.error?.code])).toEqual([['slow', 'AMBIGUOUS'], ['backup', undefined]]);
    expect(result.attempts[0]!.error!.message).toMatch(/no answer within 50 ms \(mailer option timeoutMs\) after the request was sent/);
    const entry = await mailer.journal.get(result.id);
    expect(entry?.possibleDuplicate).toBe(true);
    expect(entry?.handedOver?.adapter).toBe('slow');
    await mailer.close();
  });

  it('an adapter that rejects with the signal\'s own reason after the handover is AMBIGUOUS, never retried', async () => {
    // Answers only after the attempt timeout: the request arrived, its answer did not.
    let requests = 0;
    const late = http.createServer((_request, response) => {
      requests += 1;
      setTimeout(() => response.end('ok'), 500).unref();
    });
    late.listen(0, '127.0.0.1');
    await once(late, 'listening');
    closers.push(() => { late.closeAllConnections(); late.close(); });
    const url = `http://127.0.0.1:${(late.address() as net.AddressInfo).port}/send`;
    const custom = {
      ...scriptedAdapter('custom', ['ok']),
      send: async (_message: unknown, ctx: { signal: AbortSignal }): Promise<never> => {
        await handoverReporter(ctx.signal)?.();
        await fetch(url, { method: 'POST', body: 'x', signal: ctx.signal }); // rejects with ctx.signal.reason
        throw new Error('unreachable: the late server answers after the attempt timeout');
      },
    };
    const backup = scriptedAdapter('backup', ['ok']);
    const mailer = createMailer({ adapters: [custom, backup], journal: 'memory://', timeoutMs: 100, retry: { attempts: 3, baseDelayMs: 1 } });
    const result = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 's', text: 'x' });
    expect(result.attempts.map((a) => [a.adapter, a.error?.code])).toEqual([['custom', 'AMBIGUOUS'], ['backup', undefined]]);
    expect(requests).toBe(1);
    expect((await mailer.journal.get(result.id))?.possibleDuplicate).toBe(true);
    await mailer.close();
  });

  it('the caller\'s own signal aborts an attempt too (a nested chain passes its signal down)', async () => {
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    const running = withTimeout(60_000, 'test', (signal) => {
      seen.push(signal);
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    }, controller.signal);
    controller.abort(new Error('caller gave up'));
    await expect(running).rejects.toThrow(/caller gave up/);
    expect(seen[0]!.aborted).toBe(true);
  });
});
