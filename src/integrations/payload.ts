// Payload 3 email adapter: `email: mailroomAdapter({ dsn, defaultFromAddress, defaultFromName })`
// in payload.config. Payload's own emails (forgot password, verification) and `payload.sendEmail`
// then go through one mailroom mailer: chain, retry, journal.
import { formatAddress } from '../core/address.js';
import { MailError } from '../core/errors.js';
import { createMailer, type Mailer, type MailerOptions, type SendResult } from '../core/mailer.js';
import { toMailMessage, withTextPart, type CmsMailOptions, type UncheckedMailOptions } from './cms-message.js';
import { checkWorkerOption, inProcessWorker, type InProcessWorkerOption } from '../queue/in-process-worker.js';
import { WEBHOOK_PATH, webhookHandlerFor, type CmsWebhookOptions } from './cms-webhooks.js';
import type { WebhookProvider } from '../events/handler.js';

export interface MailroomPayloadOptions extends MailerOptions {
  /** Sender address for messages without `from`; Payload also uses it for its own emails. */
  defaultFromAddress: string;
  /** Sender name that goes with `defaultFromAddress`. */
  defaultFromName: string;
  /** A mailer to use as is (its own options apply; the mailer options here are then ignored). */
  mailer?: Mailer;
  /** Queue mode: deliver queued messages in this Payload process too (`true` or the worker's settings). Default: no worker. */
  worker?: InProcessWorkerOption;
}

/**
 * What Payload passes to `sendEmail`: nodemailer's message options (shaped like CmsMailOptions),
 * plus a mailroom `template`. Typed loosely so that Payload's own (nodemailer) types fit; each
 * value is checked at run time.
 */
export type PayloadSendEmailOptions = CmsMailOptions | UncheckedMailOptions;

/** The initialized adapter Payload keeps as `payload.email`. */
export interface MailroomPayloadEmail {
  name: 'mailroom';
  defaultFromAddress: string;
  defaultFromName: string;
  /** Sends through mailroom and resolves the send result (journal id, adapter, message ids). */
  sendEmail(message: PayloadSendEmailOptions): Promise<SendResult>;
  /** The mailer behind the adapter: its journal, events, and `close()` at shutdown. */
  mailer: Mailer;
}

/** Payload's `EmailAdapter` shape; structural, so mailroom does not depend on payload. */
export type MailroomPayloadAdapter = (args: { payload: unknown }) => MailroomPayloadEmail;

/** The sender Payload's own emails use, as one address: `"Name" <address>`. */
export function payloadSender(options: Pick<MailroomPayloadOptions, 'defaultFromAddress' | 'defaultFromName'>): string {
  return formatAddress({ address: options.defaultFromAddress, ...(options.defaultFromName ? { name: options.defaultFromName } : {}) });
}

/**
 * The options of the mailer the adapter creates: the mailer options, with Payload's default sender
 * as the mailer's `from`, so that whatever sends through the mailer (the admin's test email too)
 * goes from the sender Payload uses.
 */
export function payloadMailerOptions(options: MailroomPayloadOptions): MailerOptions {
  const { defaultFromAddress: _address, defaultFromName: _name, mailer: _mailer, worker: _worker, ...mailerOptions } = options;
  return { ...mailerOptions, from: payloadSender(options) };
}

export function mailroomAdapter(options: MailroomPayloadOptions): MailroomPayloadAdapter {
  const { defaultFromAddress, defaultFromName, mailer: given, worker: workerOption } = options;
  checkWorkerOption(workerOption, 'mailroomAdapter({ worker })');
  const from = payloadSender(options);
  const mailerOptions = payloadMailerOptions(options);
  let mailer: Mailer | undefined = given;
  // Payload instances using the mailer this adapter created: the last one destroyed closes it.
  let users = 0;
  return ({ payload }) => {
    // Payload may build its config more than once (tests, hot reload); one mailer serves them all,
    // until the last payload.destroy() closes it.
    if (!mailer) {
      const created = createMailer(mailerOptions);
      const worker = inProcessWorker(mailerOptions, workerOption, (error, retrying) => process.emitWarning(`mailroom: the queue worker did not start${retrying ? ' yet (it keeps trying)' : ''}: ${(error as Error).message}`, { type: 'MailroomWarning' }));
      // The worker stops with the mailer: it finishes the messages in hand first.
      const close = created.close.bind(created);
      mailer = Object.assign(created, { close: async () => (await worker.close(), close()) });
    }
    const shared = mailer;
    if (!given && onDestroy(payload, async () => {
      users -= 1;
      if (users > 0 || mailer !== shared) return;
      mailer = undefined;
      await shared.close();
    })) users += 1;
    return {
      name: 'mailroom',
      defaultFromAddress,
      defaultFromName,
      mailer: shared,
      sendEmail: async (message) => shared.send(await withTextPart(toMailMessage(message, { from }))),
    };
  };
}

// Payload's destroy() stops its crons and its database, not the email adapter: an open pooled
// connection or journal would keep a script or job alive after it. Runs `then` once, after
// Payload's own destroy; false when this payload has no destroy to hook into. A mailer passed in as
// `mailer` belongs to the app, which closes it.
function onDestroy(payload: unknown, then: () => Promise<void>): boolean {
  const instance = payload as { destroy?: (...args: unknown[]) => Promise<unknown> } | undefined;
  const destroy = instance?.destroy;
  if (!instance || typeof destroy !== 'function') return false;
  let done = false;
  instance.destroy = async (...args: unknown[]) => {
    try {
      return await destroy.apply(instance, args);
    } finally {
      if (!done) {
        done = true;
        await then();
      }
    }
  };
  return true;
}

/**
 * `payload.email` typed as mailroom's adapter: Payload types it as any email adapter, whose
 * `sendEmail` resolves `unknown` and which has no `mailer`. `mailroomEmail(payload).sendEmail(...)`
 * takes a mailroom `template` and resolves the SendResult; `.mailer` is the mailer.
 * Throws CONFIG when Payload's email adapter is not mailroom's.
 */
export function mailroomEmail(payload: { email?: unknown }): MailroomPayloadEmail {
  const email = payload?.email as Partial<MailroomPayloadEmail> | undefined;
  if (email?.name !== 'mailroom' || typeof email.sendEmail !== 'function' || !email.mailer) {
    throw new MailError('CONFIG', 'payload.email is not mailroom\'s email adapter', {
      remedy: "set email: mailroomAdapter({ defaultFromAddress, defaultFromName, dsn }) in payload.config (import { mailroomAdapter } from 'mailroom-js/payload')",
    });
  }
  return email as MailroomPayloadEmail;
}

export { mailroomPlugin, type MailroomPluginOptions, type MailroomAccess, type MailroomAccessOptions, type MailroomAccessArgs } from './payload-plugin.js';

/** The part of Payload's request the webhook endpoint reads; Payload's PayloadRequest is a Web Request with these added. */
export interface PayloadWebhookRequest {
  url?: string;
  method?: string;
  headers: Headers;
  body?: ReadableStream<Uint8Array> | null;
  text?: () => Promise<string>;
  routeParams?: Record<string, unknown>;
  payload: { email?: unknown };
}

/** A Payload custom endpoint; structural, so mailroom does not depend on payload. */
export interface MailroomPayloadEndpoint {
  path: string;
  method: 'post';
  handler: (req: PayloadWebhookRequest) => Promise<Response>;
}

/**
 * Provider delivery webhooks as a Payload endpoint, recorded in the journal of the mailroom email
 * adapter: `endpoints: [mailroomWebhooks({ mailgun: { signingKey } })]` in payload.config serves
 * POST /api/mailroom/webhooks/<provider> (see README "Delivery events").
 */
export function mailroomWebhooks(options: CmsWebhookOptions): MailroomPayloadEndpoint {
  const handlerFor = webhookHandlerFor(options);
  return {
    path: WEBHOOK_PATH.replace(/^\/?/, '/'),
    method: 'post',
    handler: async (req) => {
      const handler = handlerFor(mailroomEmail(req.payload).mailer);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const provider = typeof req.routeParams?.provider === 'string' ? (req.routeParams.provider as WebhookProvider) : undefined;
      // Payload leaves a custom endpoint's body unread: the handler reads it, with its size limit.
      const body = req.body ?? (req.text ? await req.text() : null);
      const request = new Request(url, { method: req.method ?? 'POST', headers: req.headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
      return handler(request, provider);
    },
  };
}
