// Why a webhook request was refused, and the HTTP status that says so. Thrown by verifiers and
// parsers, turned into a Response by the handler; never carries a secret or the request body.
// `unavailable` (503) is ours, not the request's: it cannot be checked now (the SNS signing
// certificate's host does not answer), and a 5xx is what makes a provider try again (SNS takes
// any 4xx as delivered and drops the message).

export type WebhookRefusal = 'unauthorized' | 'stale' | 'replayed' | 'malformed' | 'too_large' | 'forbidden_topic' | 'unavailable';

export class WebhookError extends Error {
  readonly status: 400 | 401 | 403 | 413 | 503;
  readonly reason: WebhookRefusal;

  constructor(reason: WebhookRefusal, message: string) {
    super(message);
    this.name = 'WebhookError';
    this.reason = reason;
    this.status = reason === 'malformed' ? 400 : reason === 'too_large' ? 413 : reason === 'forbidden_topic' ? 403 : reason === 'unavailable' ? 503 : 401;
  }
}
