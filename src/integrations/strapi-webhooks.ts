// Provider delivery webhooks on Strapi 5: a public content-API route, POST
// /api/mailroom/webhooks/:provider, registered when the email provider starts (Strapi calls `init`
// during bootstrap, before it builds its router). Providers cannot log in, so the route has
// `auth: false`; each request is authenticated by the handler as its provider allows. Strapi's
// body middleware has read the body by then: the handler gets it back as text (the unparsed body
// when `includeUnparsed` is on, which Mailjet's ids beyond 2^53 need to keep every digit, and
// SendGrid's and Resend's signatures need: they sign the exact bytes, which a re-serialized body
// no longer is, so those two are answered 500 with the remedy rather than 401 as forgeries).
import { MailError } from '../core/errors.js';
import type { Mailer } from '../core/mailer.js';
import { RAW_BODY_PROVIDERS, type WebhookProvider } from '../events/handler.js';
import { textOfParsedBody } from '../events/parsed-body.js';
import { WEBHOOK_PATH, webhookHandlerFor, type CmsWebhookOptions } from './cms-webhooks.js';

interface KoaContext {
  method: string;
  url: string;
  params?: Record<string, string>;
  request: { headers: Record<string, string | string[] | undefined>; body?: unknown };
  status: number;
  body: unknown;
  set(name: string, value: string): void;
}

interface StrapiWithServer {
  server?: { routes(routes: unknown): unknown };
}

export function mountStrapiWebhooks(strapi: unknown, mailer: Mailer, options: CmsWebhookOptions): void {
  const server = (strapi as StrapiWithServer | undefined)?.server;
  if (!server || typeof server.routes !== 'function') {
    throw new MailError('CONFIG', 'providerOptions.webhooks needs a running Strapi (strapi.server.routes) to mount its route', {
      remedy: 'Set webhooks in config/plugins (email.config.providerOptions.webhooks) of a Strapi 5 app, or use createWebhookHandler from mailroom-js/events elsewhere.',
    });
  }
  const handlerFor = webhookHandlerFor(options);
  server.routes({
    type: 'content-api',
    routes: [
      {
        method: 'POST',
        path: WEBHOOK_PATH,
        config: { auth: false },
        handler: async (ctx: KoaContext) => {
          const provider = ctx.params?.provider as WebhookProvider | undefined;
          const response = needsRawBody(ctx, provider) ? rawBodyMissing(provider!) : await handlerFor(mailer)(toRequest(ctx), provider);
          ctx.status = response.status;
          response.headers.forEach((value, key) => ctx.set(key, value));
          ctx.body = await response.text();
        },
      },
    ],
  });
}

/** True when the provider signs the exact body but Strapi kept only its parsed form. */
function needsRawBody(ctx: KoaContext, provider: WebhookProvider | undefined): boolean {
  const parsed = ctx.request.body;
  if (!provider || !RAW_BODY_PROVIDERS.includes(provider) || parsed === undefined || parsed === null || typeof parsed === 'string') return false;
  return typeof (parsed as Record<symbol, unknown>)[Symbol.for('unparsedBody')] !== 'string';
}

// 500, not 401: the request may well be genuine, and the provider retries it once the setting is fixed.
function rawBodyMissing(provider: WebhookProvider): Response {
  const message = `${provider} signs the exact request body, but Strapi's body middleware kept only the parsed JSON: set includeUnparsed: true on strapi::body in config/middlewares (README "Delivery events")`;
  return new Response(JSON.stringify({ error: 'raw_body_unavailable', message }), { status: 500, headers: { 'content-type': 'application/json' } });
}

function toRequest(ctx: KoaContext): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(ctx.request.headers)) {
    // The body is rebuilt below: its length may differ from what was sent.
    if (value === undefined || key === 'content-length' || key === 'transfer-encoding') continue;
    headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return new Request(new URL(ctx.url, 'http://localhost'), { method: ctx.method, headers, body: bodyText(ctx.request.body, headers.get('content-type') ?? '') });
}

function bodyText(parsed: unknown, contentType: string): string {
  const unparsed = typeof parsed === 'object' && parsed !== null ? (parsed as Record<symbol, unknown>)[Symbol.for('unparsedBody')] : undefined;
  if (typeof unparsed === 'string') return unparsed;
  return textOfParsedBody(parsed, contentType);
}
