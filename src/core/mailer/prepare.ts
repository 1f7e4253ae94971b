// Render, then normalize: a message goes in once, its template rendered and the result checked
// before any I/O, with the mailer's defaults (sender, reply-to, limits) filled in.
import { MailError } from '../errors.js';
import type { FailoverAdapter } from '../failover.js';
import { checkMessageObject, normalizeMessage, type MailMessage, type NormalizedMessage } from '../message.js';
import type { TemplateRenderer } from '../../templates/templates.js';
import type { MailerOptions } from './types.js';

/**
 * The first check of a send, before anything reads the message: plain JavaScript can pass anything,
 * and a TypeError from deep inside would name neither the message nor what it should be.
 */
export function checkMessageShape(input: unknown): asserts input is MailMessage {
  checkMessageObject(input);
  const template = (input as MailMessage).template as unknown;
  if (template !== undefined && (template === null || typeof template !== 'object' || Array.isArray(template))) {
    const got = template === null ? 'null' : Array.isArray(template) ? 'an array' : `a ${typeof template}`;
    throw new MailError('TEMPLATE', `"template" must be { name, data?, locale? }, got ${got}`, {
      field: 'template',
      remedy: `Pass the template as an object: template: { name: ${typeof template === 'string' ? JSON.stringify(template) : '"order-confirmation"'}, data: { ... } }.`,
    });
  }
}

export function createPreparer(options: MailerOptions, chain: Promise<FailoverAdapter>): (input: MailMessage, messageId?: string) => Promise<NormalizedMessage> {
  // The template engine (MJML) loads with the first templated message, not at import: a CMS
  // imports mailroom at every boot.
  let renderer: Promise<TemplateRenderer> | undefined;
  return async (input, messageId) => {
    let message = input;
    if (input.template) {
      // A renderer that could not be made (templates.dir not there yet) is made again by the next send.
      renderer ??= import('../../templates/templates.js').then(({ createTemplateRenderer }) => createTemplateRenderer(options.templates));
      renderer.catch(() => { renderer = undefined; });
      const rendered = await (await renderer).render(input.template.name, input.template.data ?? {}, input.template.locale);
      message = {
        ...input,
        subject: input.subject ?? rendered.subject,
        html: input.html ?? rendered.html,
        text: input.text ?? rendered.text,
        ...(input.replyTo === undefined && rendered.replyTo ? { replyTo: rendered.replyTo } : {}),
        ...(input.sensitive === undefined && rendered.sensitive ? { sensitive: true } : {}),
      };
    }
    if (message.replyTo === undefined && options.replyTo !== undefined) message = { ...message, replyTo: options.replyTo };
    // The first mailbox an adapter of the chain signs in as: the sender when neither the message
    // nor the `from` option gives one (Office 365 refuses any other From without Send As).
    const defaultFrom = options.from ?? (message.from === undefined ? (await chain).mailbox : undefined);
    return normalizeMessage(message, {
      ...(defaultFrom !== undefined ? { defaultFrom } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(messageId ? { messageId } : {}),
    });
  };
}
