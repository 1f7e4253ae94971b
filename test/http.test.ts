// src/kit/http.ts against real local sockets that fail at each point of a request's life: refused,
// reset on accept, stuck in the TLS handshake (nothing sent: TRANSIENT) and closed, reset or silent
// after the request arrived (AMBIGUOUS); plus bodies, keep-alive and the status -> code mapping.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import Keyv from 'keyv';
import { brevoAdapter } from '../adapters/brevo.js';
import { memoryAdapter } from '../adapters/memory.js';
import { startBrevoServer } from './providers/brevo.js';
import { genericRemedy } from '../src/core/diagnose.js';
import { MailError } from '../src/core/errors.js';
import { createMailer } from '../src/core/mailer.js';
import { basicAuth, errorFromResponse, errorText, httpRequest, resolveBaseUrl, retryAfterMs, scrub, successReceipt, type HttpResponse, type SuccessRule } from '../src/kit/http.js';
import { mailErrorOf } from './helpers/assertions.js';
import { baseUrlFromDsn } from '../src/core/dsn-options.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function tcpServer(onSocket: (socket: net.Socket) => void): Promise<string> {
  const server = net.createServer(onSocket);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => { sockets.add(s); s.on('error', () => undefined); });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => { for (const s of sockets) s.destroy(); server.close(); });
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

async function httpServer(handler: http.RequestListener): Promise<{ url: string; connections: () => number }> {
  const server = http.createServer(handler);
  let connections = 0;
  server.on('connection', () => { connections += 1; });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => { server.closeAllConnections(); server.close(); });
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => connections };
}


// Resolves once the whole request (headers and body) has reached the server socket.
function afterRequest(socket: net.Socket, then: () => void): void {
  let seen = '';
  socket.on('data', (chunk) => {
    seen += chunk.toString('latin1');
    if (seen.includes('\r\n\r\n') && seen.endsWith('hello')) then();
  });
}

describe('network failures: before the request was sent -> TRANSIENT', () => {
  it('a refused connection', async () => {
    const host = await tcpServer(() => undefined);
    closers.splice(0).forEach((close) => close());
    await new Promise((resolve) => setTimeout(resolve, 20));
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: `http://${host}/send`, body: 'hello' }));
    expect(error.code).toBe('TRANSIENT');
    expect(error.retryable).toBe(true);
    expect(error.provider).toBe('test');
    expect(error.detail).toMatch(/ECONNREFUSED.*before the request was sent/);
  });

  it('a connection reset as soon as it is accepted', async () => {
    const host = await tcpServer((socket) => socket.resetAndDestroy());
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: `http://${host}/send`, body: 'hello' }));
    expect(error.code).toBe('TRANSIENT');
  });

  it('a connect (TLS handshake) that times out', async () => {
    let received = 0;
    const host = await tcpServer((socket) => socket.on('data', (chunk) => { received += chunk.length; }));
    const started = Date.now();
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: `https://${host}/send`, body: 'hello', timeoutMs: 300 }));
    expect(error.code).toBe('TRANSIENT');
    expect(error.detail).toMatch(/within 300 ms before the request was sent/);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(received).toBeGreaterThan(0); // the ClientHello arrived, the HTTP request never did
  });

  it('a DNS failure reported by a fetch that undici did not run', async () => {
    const fakeFetch = (async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND api.example'), { code: 'ENOTFOUND' }) });
    }) as typeof fetch;
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: 'https://api.example/send', fetch: fakeFetch }));
    expect(error.code).toBe('TRANSIENT');
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('a signal already aborted by the caller', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: 'http://127.0.0.1:9/', signal: controller.signal }));
    expect(error.code).toBe('TRANSIENT');
  });
});

describe('network failures: after the request was sent -> AMBIGUOUS', () => {
  it('the server closes the connection once it has the request', async () => {
    const host = await tcpServer((socket) => afterRequest(socket, () => socket.end()));
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: `http://${host}/send`, body: 'hello' }));
    expect(error.code).toBe('AMBIGUOUS');
    expect(error.retryable).toBe(false);
    expect(error.detail).toMatch(/after the request was sent/);
  });

  it('the server resets the connection once it has the request', async () => {
    const host = await tcpServer((socket) => afterRequest(socket, () => socket.resetAndDestroy()));
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: `http://${host}/send`, body: 'hello' }));
    expect(error.code).toBe('AMBIGUOUS');
  });

  it('no answer within the timeout', async () => {
    const host = await tcpServer(() => undefined);
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: `http://${host}/send`, body: 'hello', timeoutMs: 200 }));
    expect(error.code).toBe('AMBIGUOUS');
    expect(error.detail).toMatch(/no answer from http:\/\/127\.0\.0\.1:\d+\/send within 200 ms/);
  });

  it('the caller aborts while waiting for the answer', async () => {
    const controller = new AbortController();
    const host = await tcpServer((socket) => afterRequest(socket, () => controller.abort()));
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: `http://${host}/send`, body: 'hello', signal: controller.signal }));
    expect(error.code).toBe('AMBIGUOUS');
    expect(error.detail).toMatch(/aborted/);
  });

  it('the caller aborts with its own MailError (the mailer\'s attempt timeout) while waiting for the answer', async () => {
    const controller = new AbortController();
    const host = await tcpServer((socket) => afterRequest(socket, () => controller.abort(new MailError('TRANSIENT', 'no answer within 300 ms (mailer option timeoutMs)'))));
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: `http://${host}/send`, body: 'hello', signal: controller.signal }));
    expect(error.code).toBe('AMBIGUOUS');
    expect(error.provider).toBe('test');
    expect(error.detail).toBe('no answer within 300 ms (mailer option timeoutMs) after the request was sent: the provider may have accepted the message');
  });

  it('a provider that never answers, under the mailer\'s timeout, is AMBIGUOUS and not retried', async () => {
    let requests = 0;
    const host = await tcpServer((socket) => socket.on('data', (chunk) => { requests += chunk.toString('latin1').split('POST /v3/smtp/email ').length - 1; }));
    const mailer = createMailer({ adapters: [brevoAdapter({ apiKey: 'xkeysib-test', baseUrl: `http://${host}` })], journal: false, timeoutMs: 300, retry: { attempts: 3, baseDelayMs: 1 } });
    const error = await mailErrorOf(mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 's', text: 'hello' }));
    expect(error.attempts?.map((a) => a.error?.code)).toEqual(['AMBIGUOUS']);
    expect(requests).toBe(1);
    await mailer.close();
  });

  it('the connection drops in the middle of the answer body: the status stands, the body is marked lost', async () => {
    const host = await tcpServer((socket) =>
      afterRequest(socket, () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"id":');
        setTimeout(() => socket.destroy(), 20);
      }));
    const response = await httpRequest({ provider: 'test', url: `http://${host}/send`, body: 'hello' });
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    expect(response.bodyLost).toMatch(/reading the answer/);
  });
});

describe('a success status whose body cannot be read', () => {
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  const answer = (status: number, text: string, bodyLost?: string): HttpResponse => ({ status, headers: new Headers(), text, json: parse(text), ...(bodyLost ? { bodyLost } : {}) });
  const read = (response: HttpResponse) => {
    const id = (response.json as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' ? { providerMessageId: id, accepted: ['a@example.com'], rejected: [] } : undefined;
  };
  const context = { provider: 'test', recipients: ['a@example.com'], read };
  const sent: SuccessRule = { statuses: [201], unreadableBody: 'sent', source: 'test' };
  const ambiguous: SuccessRule = { statuses: [200], unreadableBody: 'ambiguous', source: 'test' };

  it('reads a documented body, and leaves other statuses to the error mapping', () => {
    expect(successReceipt(answer(201, '{"id":"m-1"}'), sent, context)?.providerMessageId).toBe('m-1');
    expect(successReceipt(answer(400, '{"message":"bad"}'), sent, context)).toBeUndefined();
  });

  it("'sent': a receipt for every recipient with a warning, whether the body was lost or unparsable", () => {
    for (const response of [answer(201, '', 'the connection closed while reading the answer'), answer(201, '<html>proxy</html>')]) {
      const receipt = successReceipt(response, sent, context)!;
      expect(receipt.accepted).toEqual(['a@example.com']);
      expect(receipt.providerMessageId).toBeUndefined();
      expect(receipt.warnings?.[0]).toMatch(/^test accepted the message \(201 Created\) but its answer could not be read/);
    }
  });

  it("'ambiguous': AMBIGUOUS, not retryable, with the status and a remedy", () => {
    let thrown: unknown;
    try {
      successReceipt(answer(200, '{"Mess'), ambiguous, context);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MailError);
    const error = thrown as MailError;
    expect(error.code).toBe('AMBIGUOUS');
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(200);
    expect(error.remedy).toMatch(/possible duplicate/);
  });
});

describe('bodies, headers and connections', () => {
  it('sends JSON with its content type and parses a JSON answer', async () => {
    const seen: { method?: string; type?: string; body?: string; key?: string } = {};
    const server = await httpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        Object.assign(seen, { method: req.method, type: req.headers['content-type'], body, key: req.headers['api-key'] });
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"messageId":"<1@x>"}');
      });
    });
    const response = await httpRequest({ provider: 'test', url: `${server.url}/v3/smtp/email`, headers: { 'api-key': 'k-123' }, json: { subject: 'Grüße' } });
    expect(response.status).toBe(201);
    expect(response.json).toEqual({ messageId: '<1@x>' });
    expect(seen).toEqual({ method: 'POST', type: 'application/json', body: '{"subject":"Grüße"}', key: 'k-123' });
  });

  it('sends multipart form data, raw bodies and other methods', async () => {
    const bodies: { method?: string; type?: string; body: string }[] = [];
    const server = await httpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        bodies.push({ method: req.method, type: req.headers['content-type'], body });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    const form = new FormData();
    form.append('to', 'ann@example.com');
    form.append('attachment', new Blob([Buffer.from('PDF')], { type: 'application/pdf' }), 'a.pdf');
    const answer = await httpRequest({ provider: 'test', url: server.url, form });
    expect(answer.json).toBeUndefined();
    expect(answer.text).toBe('ok');
    await httpRequest({ provider: 'test', url: server.url, body: 'raw', headers: { 'content-type': 'text/plain' } });
    await httpRequest({ provider: 'test', url: server.url, method: 'GET' });
    expect(bodies[0]!.type).toMatch(/^multipart\/form-data; boundary=/);
    expect(bodies[0]!.body).toContain('name="attachment"; filename="a.pdf"');
    expect(bodies[1]).toEqual({ method: 'POST', type: 'text/plain', body: 'raw' });
    expect(bodies[2]!.method).toBe('GET');
  });

  it('keeps the connection alive across requests', async () => {
    const server = await httpServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(200).end('{}')); });
    // undici's pool may open a second socket while the first finishes; it never opens one per request.
    for (let i = 0; i < 10; i += 1) await httpRequest({ provider: 'test', url: server.url, json: {} });
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it('never throws on a status and does not follow redirects', async () => {
    const server = await httpServer((_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere?key=secret' }).end());
    const response = await httpRequest({ provider: 'test', url: server.url, json: {} });
    expect(response.status).toBe(302);
    const error = errorFromResponse(response, { provider: 'test', detail: '' });
    expect(error.code).toBe('TRANSIENT');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('redirected to http://127.0.0.1:1/elsewhere');
    expect(error.message).not.toContain('secret');
  });

  it('refuses a URL that does not parse as CONFIG', async () => {
    const error = await mailErrorOf(httpRequest({ provider: 'test', url: 'not a url' }));
    expect(error.code).toBe('CONFIG');
  });
});

function response(status: number, body = '', headers: Record<string, string> = {}): HttpResponse {
  let json: unknown;
  try { json = JSON.parse(body); } catch { json = undefined; }
  return { status, headers: new Headers(headers), text: body, json };
}

describe('errorFromResponse', () => {
  it.each([
    [401, 'AUTH'], [402, 'AUTH'], [403, 'AUTH'], [429, 'RATE_LIMITED'], [408, 'TRANSIENT'], [500, 'TRANSIENT'],
    [502, 'TRANSIENT'], [503, 'TRANSIENT'], [400, 'REJECTED'], [422, 'REJECTED'], [404, 'REJECTED'],
  ] as const)('%i -> %s', (status, code) => {
    const error = errorFromResponse(response(status, '{"message":"provider text"}'), { provider: 'brevo', detail: 'provider text' });
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    expect(error.message).toMatch(new RegExp(`^\\[mailroom\\] \\[brevo\\] ${status} .+: provider text$`));
    expect(error.retryable).toBe(code === 'RATE_LIMITED' || code === 'TRANSIENT');
  });

  // A gateway that timed out waiting for the provider behind it (504; Cloudflare's 524) answers
  // after the request went through: the provider may have taken the message, as Graph's sendMail
  // does ("fails with 504, but messages get queued and sent", Microsoft Q&A 2286986).
  it.each([504, 524])('%i (a gateway timed out waiting for the provider) -> AMBIGUOUS, never retried', (status) => {
    const error = errorFromResponse(response(status, '<html>Gateway Timeout</html>'), { provider: 'graph', detail: 'Gateway Timeout' });
    expect(error.code).toBe('AMBIGUOUS');
    expect(error.retryable).toBe(false);
    if (status === 504) expect(error.remedy).toMatch(/activity log/);
  });

  it('a 504 from the provider: one try, the next adapter delivers, the entry is marked possible duplicate', async () => {
    const brevo = await startBrevoServer();
    try {
      brevo.script({ status: 504, body: { message: 'upstream request timeout' } }, 5);
      const backup = memoryAdapter();
      const mailer = createMailer({ adapters: [brevoAdapter({ apiKey: 'xkeysib-test-0123456789abcdef', baseUrl: brevo.url }), backup], journal: new Keyv(), retry: { attempts: 3, baseDelayMs: 1 } });
      const result = await mailer.send({ from: 'shop@example.com', to: 'ann@example.com', subject: 'Order 1', text: 'Thanks', idempotencyKey: 'order-1' });
      expect(result.adapter).toBe(backup.name);
      expect(brevo.requests).toHaveLength(1);
      const entry = await mailer.journal.findByIdempotencyKey('order-1');
      expect(entry?.possibleDuplicate).toBe(true);
      expect(entry?.attempts.map((attempt) => attempt.error?.code ?? 'ok')).toEqual(['AMBIGUOUS', 'ok']);
      await mailer.close();
    } finally {
      await brevo.close();
    }
  });

  it('keeps rejected recipients and a code override, takes the remedy from the catalogue, and truncates long text', () => {
    const error = errorFromResponse(response(200, 'Mailgun Magnificent API'), {
      provider: 'mailgun', detail: 'x'.repeat(2000), code: 'CONFIG', rejected: ['a@example.com'],
    });
    expect(error.code).toBe('CONFIG');
    expect(error.remedy).toBe(genericRemedy('CONFIG'));
    expect(errorFromResponse(response(200, 'Mailgun Magnificent API'), { provider: 'mailgun', detail: 'Mailgun Magnificent API', code: 'TRANSIENT' }).remedy).toMatch(/check the domain/);
    expect(error.rejected).toEqual(['a@example.com']);
    expect(error.detail.length).toBeLessThan(600);
  });

  it('reads the wait from Retry-After or the provider reset header', () => {
    expect(errorFromResponse(response(429, '', { 'retry-after': '7' }), { provider: 'p', detail: '' }).retryAfterMs).toBe(7000);
    expect(errorFromResponse(response(429, '', { 'x-sib-ratelimit-reset': '3' }), { provider: 'p', detail: '', resetHeaders: ['x-sib-ratelimit-reset'] }).retryAfterMs).toBe(3000);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it('takes seconds, an HTTP date, a Unix time in seconds or milliseconds', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '120' }), [], now)).toBe(120_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sun, 01 Mar 2026 12:00:30 GMT' }), [], now)).toBe(30_000);
    expect(retryAfterMs(new Headers({ 'x-ratelimit-reset': String(now / 1000 + 10) }), ['x-ratelimit-reset'], now)).toBe(10_000);
    expect(retryAfterMs(new Headers({ 'x-ratelimit-reset': String(now + 2500) }), ['x-ratelimit-reset'], now)).toBe(2500);
  });
  it('is undefined when nothing usable is there', () => {
    expect(retryAfterMs(new Headers(), ['x-rate-limit-reset'], now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), [], now)).toBeUndefined();
  });
});

describe('helpers', () => {
  it('errorText picks the provider message member, else the text', () => {
    expect(errorText(response(400, '{"message":"Key not found"}'))).toBe('Key not found');
    expect(errorText(response(400, '{"ErrorMessage":"bad"}'))).toBe('bad');
    expect(errorText(response(401, 'Forbidden'))).toBe('Forbidden');
  });
  it('scrub hides secrets, basicAuth encodes', () => {
    expect(scrub('key xkeysib-123 was wrong', ['xkeysib-123'])).toBe('key *** was wrong');
    expect(basicAuth('api', 'k')).toBe(`Basic ${Buffer.from('api:k').toString('base64')}`);
  });
  it('resolveBaseUrl keeps https, allows http only on loopback', () => {
    expect(resolveBaseUrl('p', { defaultUrl: 'https://api.brevo.com/' })).toBe('https://api.brevo.com');
    expect(resolveBaseUrl('p', { baseUrl: 'http://127.0.0.1:8080', defaultUrl: 'https://x' })).toBe('http://127.0.0.1:8080');
    expect(() => resolveBaseUrl('p', { baseUrl: 'http://proxy.example.com', defaultUrl: 'https://x' })).toThrow(/must use https/);
    expect(baseUrlFromDsn({ isDefaultHost: false, host: 'proxy.example.com', port: 8443, options: {} })).toBe('https://proxy.example.com:8443');
    expect(baseUrlFromDsn({ isDefaultHost: false, host: '127.0.0.1', port: 80, options: { insecure: 'true' } })).toBe('http://127.0.0.1:80');
    expect(baseUrlFromDsn({ isDefaultHost: true, host: 'default', options: {} })).toBeUndefined();
  });
});
