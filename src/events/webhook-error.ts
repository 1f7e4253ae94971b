// Why a webhook request was refused, and the HTTP status that says so. Thrown by verifiers and
// parsers, turned into a Response by the handler; never carries a secret or the request body.

export type WebhookRefusal = 'unauthorized' | 'stale' | 'replayed' | 'malformed' | 'too_large' | 'forbidden_topic';

export class WebhookError extends Error {
  readonly status: 400 | 401 | 403 | 413;
  readonly reason: WebhookRefusal;

  constructor(reason: WebhookRefusal, message: string) {
    super(message);
    this.name = 'WebhookError';
    this.reason = reason;
    this.status = reason === 'malformed' ? 400 : reason === 'too_large' ? 413 : reason === 'forbidden_topic' ? 403 : 401;
  }
}
