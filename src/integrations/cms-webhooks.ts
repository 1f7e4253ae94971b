// The delivery-webhook endpoint as the CMS integrations mount it: one handler per mailer (Payload
// may build its config more than once; Strapi has one provider), created on first request, so a
// wrong webhook option fails the first webhook rather than the CMS boot. The path is documented
// in README "Delivery events": /api/mailroom/webhooks/<provider>.
import type { Mailer } from '../core/mailer.js';
import { createWebhookHandler, type WebhookHandler, type WebhookHandlerOptions } from '../events/handler.js';

/** The webhook options of a CMS integration: those of `createWebhookHandler`, the mailer aside. */
export type CmsWebhookOptions = Omit<WebhookHandlerOptions, 'mailer'>;

/** Where the integrations mount the endpoint; `:provider` is one of WEBHOOK_PROVIDERS (brevo, mailjet, mailgun, smtp2go, ses, postmark, sendgrid, resend, sparkpost). */
export const WEBHOOK_PATH = '/mailroom/webhooks/:provider';

export function webhookHandlerFor(options: CmsWebhookOptions): (mailer: Mailer) => WebhookHandler {
  const handlers = new WeakMap<Mailer, WebhookHandler>();
  return (mailer) => {
    let handler = handlers.get(mailer);
    if (!handler) {
      handler = createWebhookHandler({ ...options, mailer });
      handlers.set(mailer, handler);
    }
    return handler;
  };
}
