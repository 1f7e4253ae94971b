// The webhook handler on Node's http server and Express: `http.createServer(toNodeListener(handler))`
// or `app.post('/api/mailroom/webhooks/:provider', toNodeListener(handler))`. Mount it before any
// body parser: the handler reads the raw body itself (Mailjet's ids need every digit of the text).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { WebhookHandler, WebhookProvider } from './handler.js';
import { textOfParsedBody } from './parsed-body.js';

type RequestWithBody = IncomingMessage & { body?: unknown; originalUrl?: string };

export function toNodeListener(handler: WebhookHandler, provider?: WebhookProvider): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const response = await handler(toRequest(req as RequestWithBody), provider);
    res.statusCode = response.status;
    response.headers.forEach((value, key) => res.setHeader(key, value));
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}

function toRequest(req: RequestWithBody): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.originalUrl ?? req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers });
  // A body parser already consumed the stream: use what it kept (a parsed form as a form again).
  if (req.body !== undefined && req.readableEnded) {
    const body = Buffer.isBuffer(req.body) ? req.body : textOfParsedBody(req.body, headers.get('content-type') ?? '');
    headers.delete('content-length');
    return new Request(url, { method, headers, body });
  }
  return new Request(url, { method, headers, body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } as RequestInit);
}
