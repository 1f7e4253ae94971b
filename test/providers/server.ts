// The shared machinery of the local provider servers: an HTTP server on an ephemeral loopback port
// that parses each request (JSON, multipart, form), hands it to the provider's contract checker,
// records what was delivered as conformance Arrivals, and plays scripted faults: a provider answer
// (401, 429, 500...), a connection closed after the request arrived ('drop'), no answer ('silent'),
// or a request handled (and delivered) normally whose success answer is then garbled.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Arrival, Fault, GarbledAnswer } from '../conformance.js';

/** One request as the provider sees it. */
export interface ProviderRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Parsed when the content type is application/json (undefined if it does not parse). */
  json?: unknown;
  /** Parsed when the content type is multipart/form-data or x-www-form-urlencoded. */
  form?: FormData;
}

/** What the provider answers. A string body is sent as is; anything else as JSON. */
export interface ProviderAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A scripted answer: a fixed answer, one computed from the request, a broken connection, or
 * `{ garble }`: the request is handled as usual (the message is delivered), then the answer's body
 * is cut off mid-way ('cut-off': the connection closes before the announced length) or replaced by
 * its first half ('invalid-json': a complete answer that does not parse).
 */
export type Script = ProviderAnswer | ((request: ProviderRequest) => ProviderAnswer) | 'drop' | 'silent' | { garble: GarbledAnswer };

export interface ProviderServerOptions {
  /** Checks the request against the provider's contract and answers; returns the arrival to record, if any. */
  handle(request: ProviderRequest): Promise<{ answer: ProviderAnswer; arrival?: Arrival }> | { answer: ProviderAnswer; arrival?: Arrival };
  /** The provider's own answers for the conformance faults (drop and silent are built in). */
  faults: Partial<Record<Fault, ProviderAnswer>>;
}

export interface ProviderServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Every request received, in order, faults included. */
  requests: ProviderRequest[];
  takeArrivals(): Arrival[];
  /** Plays `script` for the next `times` requests (default 1), in place of the normal handling. */
  script(script: Script, times?: number): void;
  /** Plays a conformance fault once. */
  fail(fault: Fault): void;
  /** Delivers the next request normally, then garbles its success answer. */
  garble(how: GarbledAnswer): void;
  /**
   * Faults at random: `pick` is asked for each request the queue has no script for (undefined:
   * handled normally), and `dropConnection` for each new TCP connection (true: closed at once,
   * before any request is read).
   */
  chaos(pick: ((request: ProviderRequest) => Script | undefined) | undefined, dropConnection?: () => boolean): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startProviderServer(options: ProviderServerOptions): Promise<ProviderServer> {
  const requests: ProviderRequest[] = [];
  let arrivals: Arrival[] = [];
  let queue: Script[] = [];
  let pick: ((request: ProviderRequest) => Script | undefined) | undefined;
  let dropConnection: (() => boolean) | undefined;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const request = await parseRequest(req, Buffer.concat(chunks));
        requests.push(request);
        const scripted = queue.shift() ?? pick?.(request);
        if (scripted === 'drop') return void req.socket.destroy();
        if (scripted === 'silent') return;
        if (scripted && !('garble' in scripted)) return send(res, typeof scripted === 'function' ? scripted(request) : scripted);
        try {
          const { answer, arrival } = await options.handle(request);
          if (arrival) arrivals.push(arrival);
          if (scripted) return sendGarbled(res, answer, scripted.garble);
          send(res, answer);
        } catch (error) {
          send(res, { status: 599, body: `test server error: ${(error as Error).stack}` });
        }
      })();
    });
  });
  server.keepAliveTimeout = 1000;
  server.on('connection', (socket) => {
    if (dropConnection?.()) socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;

  const script = (next: Script, times = 1) => {
    for (let i = 0; i < times; i += 1) queue.push(next);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    takeArrivals: () => {
      const taken = arrivals;
      arrivals = [];
      return taken;
    },
    script,
    fail: (fault) => {
      if (fault === 'drop' || fault === 'silent') return script(fault);
      const answer = options.faults[fault];
      if (!answer) throw new Error(`this provider server has no answer for fault "${fault}"`);
      script(answer);
    },
    garble: (how) => script({ garble: how }),
    chaos: (requestFault, connectionFault) => {
      pick = requestFault;
      dropConnection = connectionFault;
    },
    reset: () => {
      queue = [];
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function parseRequest(req: http.IncomingMessage, body: Buffer): Promise<ProviderRequest> {
  const url = new URL(req.url ?? '/', 'http://provider.local');
  const type = req.headers['content-type'] ?? '';
  const request: ProviderRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body };
  if (/^application\/json\b/i.test(type)) {
    try {
      request.json = JSON.parse(body.toString('utf8'));
    } catch {
      request.json = undefined;
    }
  } else if (/^(multipart\/form-data|application\/x-www-form-urlencoded)\b/i.test(type)) {
    // The WHATWG Request parses both encodings exactly as a browser would send them.
    request.form = await new Request('http://provider.local/', { method: 'POST', headers: { 'content-type': type }, body }).formData();
  }
  return request;
}

function send(res: http.ServerResponse, answer: ProviderAnswer): void {
  const isText = typeof answer.body === 'string';
  const body = answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
    ...answer.headers,
  });
  res.end(body);
}

function sendGarbled(res: http.ServerResponse, answer: ProviderAnswer, how: GarbledAnswer): void {
  const full = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  const half = full.slice(0, Math.floor(full.length / 2)) || '{"';
  if (how === 'invalid-json') {
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(half);
    return;
  }
  res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers, 'content-length': String(Buffer.byteLength(full) + 64) });
  res.write(half);
  setTimeout(() => res.socket?.destroy(), 20);
}

/** Parses "Name <a@b>" / "a@b" / "<a@b>" as a provider that takes address strings would. */
export function parseAddressString(value: string): { address: string; name?: string } {
  const match = /^\s*(?:"?(.*?)"?\s*)?<([^>]+)>\s*$/.exec(value);
  if (!match) return { address: value.trim() };
  const name = match[1]?.replace(/\\(.)/g, '$1').trim();
  return name ? { address: match[2]!.trim(), name } : { address: match[2]!.trim() };
}

/**
 * An address the HTTP providers accept: ASCII only, so an internationalized domain must come in
 * punycode (they answer 400 to `pierre@café.example`, which is what a Unicode domain got in the field).
 */
export const ASCII_ADDRESS = /^[!-?A-~]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$/;

/** Throws a contract violation that the server answers with 400 and the provider's error shape. */
export class ContractError extends Error {}
