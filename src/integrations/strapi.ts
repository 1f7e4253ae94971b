// Strapi 5 email provider: `provider: 'mailroom-js/strapi'` in config/plugins. Strapi require()s this
// module and calls the named `init` export once at bootstrap; every email Strapi sends (its own
// password resets included) then goes through one mailroom mailer: chain, retry, journal.
import type { AddressInput } from '../core/address.js';
import { MailError } from '../core/errors.js';
import { createMailer, type Mailer, type MailerOptions, type SendResult } from '../core/mailer.js';
import { toMailMessage, withTextPart, type CmsMailOptions } from './cms-message.js';
import { strapiCapabilities, type StrapiProviderCapabilities } from './strapi-capabilities.js';
import { checkWorkerOption, inProcessWorker, type InProcessWorkerOption } from '../queue/in-process-worker.js';
import type { MailAdapter } from '../core/adapter.js';
import type { CmsWebhookOptions } from './cms-webhooks.js';
import { mountStrapiWebhooks } from './strapi-webhooks.js';

export type { StrapiProviderCapabilities } from './strapi-capabilities.js';

/**
 * `providerOptions` in Strapi's email config: mailer options (a DSN or adapters, journal, templates,
 * queue...), `worker` to deliver queued messages in this Strapi process (queue mode), and
 * `webhooks` to receive provider delivery events at POST /api/mailroom/webhooks/<provider>
 * (see README "Delivery events").
 */
export type StrapiProviderOptions = MailerOptions & { worker?: InProcessWorkerOption; webhooks?: CmsWebhookOptions };

/** `settings` in Strapi's email config. */
export interface StrapiProviderSettings {
  /** Sender for messages that have none, or an empty one. Default: `providerOptions.from`. */
  defaultFrom?: AddressInput;
  /**
   * Reply-To for messages that have none, or an empty one (users-permissions sends `replyTo: ""`).
   * A template's own reply-to (contact-form: the visitor) comes first. Default: `providerOptions.replyTo`.
   */
  defaultReplyTo?: AddressInput;
  /** Shown by Strapi's admin email settings page; not used by mailroom. */
  testAddress?: string;
}

/** What Strapi's email service passes to `send`: nodemailer-style options plus a mailroom template. */
export type StrapiSendOptions = CmsMailOptions;


/** The provider object Strapi keeps as `strapi.plugin('email').provider`. */
export interface StrapiEmailProvider {
  send(options: StrapiSendOptions): Promise<SendResult>;
  /** Checks every adapter of the chain; throws a MailError naming each one that failed. */
  verify(): Promise<void>;
  /** True when no message is being sent. */
  isIdle(): boolean;
  close(): Promise<void>;
  getCapabilities(): StrapiProviderCapabilities;
  /** The mailer behind the provider, for its journal and events. */
  readonly mailer: Mailer;
}

/**
 * The options of the provider's mailer: `providerOptions` without the provider's own keys, with the
 * settings' sender defaults. The admin screens build their single-adapter test mailer from the same.
 */
export function strapiMailerOptions(providerOptions: StrapiProviderOptions = {}, settings: StrapiProviderSettings = {}): MailerOptions {
  // The defaults go to the mailer, which applies them after rendering a template, so that a
  // template's own reply-to is not overridden by the site-wide default.
  const { worker: _worker, webhooks: _webhooks, ...mailerOptions } = providerOptions ?? {};
  return {
    ...mailerOptions,
    ...(settings?.defaultFrom ? { from: settings.defaultFrom } : {}),
    ...(settings?.defaultReplyTo ? { replyTo: settings.defaultReplyTo } : {}),
  };
}

export function init(providerOptions: StrapiProviderOptions = {}, settings: StrapiProviderSettings = {}): StrapiEmailProvider {
  const { worker: workerOption, webhooks, ...mailerOptions } = providerOptions ?? {};
  checkWorkerOption(workerOption, 'providerOptions.worker');
  const mailer = createMailer(strapiMailerOptions(providerOptions, settings));
  const worker = inProcessWorker(mailerOptions, workerOption, (error, retrying) => (globalThis as { strapi?: StrapiInstance }).strapi?.log?.warn(`mailroom: the queue worker did not start${retrying ? ' yet (it keeps trying)' : ''}: ${(error as Error).message}`));
  let sending = 0;
  let chain: MailAdapter[] = [];
  // The chain is known once a DSN is turned into adapters; the admin page asks synchronously, so keep it.
  mailer.adapters().then(
    (adapters) => { chain = adapters; },
    () => undefined, // a broken configuration is reported by the first send or verify
  );

  const provider: StrapiEmailProvider = {
    mailer,

    async send(options) {
      sending += 1;
      try {
        return await mailer.send(await withTextPart(toMailMessage(options)));
      } catch (error) {
        throw forStrapi(error);
      } finally {
        sending -= 1;
      }
    },

    async verify() {
      const failed = (await mailer.verify()).filter((result) => !result.ok);
      if (failed.length > 0) {
        const detail = failed.map((result) => `${result.adapter}: ${result.error?.message ?? 'failed'}`).join('; ');
        throw new MailError(failed[0]!.error?.code ?? 'CONFIG', `verification failed for ${detail}`, { cause: failed[0]!.error });
      }
    },

    isIdle: () => sending === 0,

    close: async () => {
      await worker.close();
      await mailer.close();
    },

    getCapabilities: () => strapiCapabilities(chain),
  };
  closeOnStrapiDestroy(provider);
  if (webhooks) mountStrapiWebhooks((globalThis as { strapi?: unknown }).strapi, mailer, webhooks);
  return provider;
}

/** The part of the Strapi instance the provider hooks into. */
interface StrapiInstance {
  destroy(...args: unknown[]): Promise<unknown>;
  log?: { warn(message: string): void };
}

// Strapi closes no email provider: its destroy() runs plugin lifecycles the email plugin does not
// use. Without this, a pooled connection and the journal stay open after strapi.destroy() (a script,
// a test, a job runner would not exit) and the last journal writes could be lost. Strapi sets
// `global.strapi` before plugins bootstrap, which is when it calls `init`.
function closeOnStrapiDestroy(provider: StrapiEmailProvider): void {
  const strapi = (globalThis as { strapi?: StrapiInstance }).strapi;
  if (!strapi || typeof strapi.destroy !== 'function') return;
  const destroy = strapi.destroy;
  strapi.destroy = async function destroyAndCloseMail(this: unknown, ...args: unknown[]) {
    try {
      // Strapi's own destroy first: the app's destroy() lifecycle may still send mail.
      return await destroy.apply(this, args);
    } finally {
      await provider.close().catch((error: unknown) => strapi.log?.warn(`mailroom: closing the mailer failed: ${(error as Error).message}`));
    }
  };
}

// Strapi's email controller answers 400 with the message for an error whose statusCode is 400,
// and a bare 500 otherwise: a message the caller got wrong should say so.
function forStrapi(error: unknown): unknown {
  if (error instanceof MailError && (error.code === 'INVALID_MESSAGE' || error.code === 'TEMPLATE')) {
    return Object.assign(error, { statusCode: 400 });
  }
  return error;
}
