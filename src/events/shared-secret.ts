// The check for providers that do not sign (Brevo, Mailjet, SMTP2GO): the request must carry one
// of the configured credentials, as HTTP basic auth (in the webhook URL: https://user:pass@host/...)
// or a bearer token (Brevo's `auth`, SMTP2GO's Authorization header). A list lets a credential be
// rotated: add the new one, re-point the provider, remove the old one.
import { createHash, timingSafeEqual } from 'node:crypto';
import { MailError } from '../core/errors.js';
import { WebhookError } from './webhook-error.js';

export interface SharedSecretOptions {
  /** "user:password" for basic auth, or a bearer token; or several during a rotation. */
  secret: string | string[];
}

export class SharedSecret {
  readonly #digests: Buffer[];

  constructor(provider: string, options: Partial<SharedSecretOptions> | undefined) {
    const secrets = secretList(options?.secret);
    if (secrets.length === 0) {
      throw new MailError('CONFIG', `the ${provider} webhook has no secret: ${provider} does not sign its webhooks, so without one anybody could post events`, {
        remedy: `Set webhooks.${provider}.secret to a long random "user:password" and put it in the webhook URL (https://user:password@your-site/...), or to a token sent as "Authorization: Bearer <token>".`,
      });
    }
    this.#digests = secrets.map(digest);
  }

  /** Throws WebhookError unless the Authorization header carries one of the secrets. */
  check(authorization: string | null): void {
    const given = credential(authorization);
    // Compared as SHA-256 digests: equal lengths for timingSafeEqual, whatever was sent.
    const match = given !== undefined && this.#digests.some((one) => timingSafeEqual(one, digest(given)));
    if (!match) throw new WebhookError('unauthorized', 'the webhook credential is missing or wrong');
  }
}

/**
 * The secrets of a `secret` / `signingSecret` option, one or a rotation list: the entries that are
 * set (a list built from environment variables may hold an unset one, undefined or '').
 */
export function secretList(value: string | string[] | undefined): string[] {
  return [value ?? []].flat().filter((one): one is string => typeof one === 'string' && one.length > 0);
}

function credential(header: string | null): string | undefined {
  const match = /^\s*(basic|bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  if (match[1]!.toLowerCase() === 'bearer') return match[2]!;
  return Buffer.from(match[2]!, 'base64').toString('utf8');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
