// A loopback HTTP server standing in for Slack, Teams, Discord or a webhook receiver: records every
// request (path, headers, raw body) and answers what the test scripts (a status and body, or
// holding the request open to play a service that never answers).
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface AlertReceiver {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  requests: ReceivedRequest[];
  /** The answer to the next requests; 'hold' keeps them open until close(). */
  answer: { status: number; body: string } | 'hold';
  /** Resolves when `count` requests have arrived (fails after 5 s). */
  waitFor(count: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startAlertReceiver(answer: AlertReceiver['answer'] = { status: 200, body: 'ok' }): Promise<AlertReceiver> {
  const held: ServerResponse[] = [];
  const waiters: Array<() => void> = [];
  const receiver: AlertReceiver = {
    url: '',
    requests: [],
    answer,
    async waitFor(count) {
      const deadline = Date.now() + 5_000;
      while (receiver.requests.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} request(s), got ${receiver.requests.length}`);
        await new Promise<void>((done) => {
          waiters.push(done);
          setTimeout(done, 50);
        });
      }
      return receiver.requests.slice(0, count);
    },
    async close() {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      receiver.requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body, json });
      for (const wake of waiters.splice(0)) wake();
      const current = receiver.answer;
      if (current === 'hold') {
        held.push(response);
        return;
      }
      response.writeHead(current.status, { 'content-type': 'text/plain' }).end(current.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}

/** A clock whose time moves only when the test says, with the timers due run in order. */
export function manualClock(start = Date.parse('2026-11-28T10:00:00.000Z')) {
  let now = start;
  let timers: Array<{ at: number; run: () => void }> = [];
  return {
    now: () => now,
    setTimeout(run: () => void, ms: number): unknown {
      const timer = { at: now + ms, run };
      timers.push(timer);
      return timer;
    },
    clearTimeout(handle: unknown) {
      timers = timers.filter((timer) => timer !== handle);
    },
    /** Moves time forward, running each timer that falls due (timers they set included). */
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((timer) => timer !== due);
        now = due.at;
        due.run();
      }
      now = end;
    },
    pending: () => timers.length,
  };
}
