// MJML + Handlebars templates. The renderer interface the mailer uses; the implementation lands
// with the templates work (see README "Templates").
import { MailError } from './errors.js';

export interface TemplateOptions {
  /** The app's template folder, searched before the built-in templates/. */
  dir?: string;
}

/** A rendered template: what a send needs. */
export interface RenderedTemplate {
  subject: string;
  html: string;
  text: string;
  /** A Reply-To the template sets (e.g. the visitor of a contact form), used when the message has none. */
  replyTo?: string;
}

export interface TemplateRenderer {
  render(name: string, data?: Record<string, unknown>, locale?: string): Promise<RenderedTemplate>;
  /** Names of the templates found (app folder and built-in). */
  list(): Promise<string[]>;
}

export function createTemplateRenderer(_options: TemplateOptions = {}): TemplateRenderer {
  const fail = async (): Promise<never> => {
    throw new MailError('TEMPLATE', 'templates are not available in this build');
  };
  return { render: fail, list: fail };
}
