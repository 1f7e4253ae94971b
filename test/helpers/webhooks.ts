// Test side of provider webhooks: the recorded payloads (test/fixtures/events), Mailgun's HMAC
// signature made with a key, and an Amazon SNS stand-in: a loopback HTTPS server (certificate from
// a test CA) that serves the signing certificate and answers SubscribeURL, plus a signer that
// signs envelopes exactly as SNS documents it (v1 SHA1, v2 SHA256).
import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestTls, type TestTls } from './tls.js';

/** A recorded payload: `body` (parsed), `rawBody` (text as sent), `eventData` (Mailgun) or `record` (SES). */
export interface Fixture {
  source: string;
  contentType?: string;
  body?: unknown;
  rawBody?: string;
  eventData?: Record<string, unknown>;
  record?: Record<string, unknown>;
}

export function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));
}

/** A Mailgun webhook body: the event-data and a signature block made with `signingKey`. */
export function mailgunBody(eventData: unknown, signingKey: string, options: { timestamp?: number; token?: string } = {}): string {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const token = options.token ?? randomBytes(25).toString('hex');
  const signature = createHmac('sha256', signingKey).update(timestamp + token).digest('hex');
  return JSON.stringify({ signature: { token, timestamp, signature }, 'event-data': eventData });
}

/** A SendGrid signed Event Webhook key pair, as SendGrid makes one (ECDSA P-256); the public key as the dashboard shows it. */
export function sendgridKeys(): { privateKey: KeyObject; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { privateKey, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
}

/** The two headers SendGrid adds to a signed Event Webhook POST: ECDSA-SHA256 over timestamp + body, base64 DER. */
export function sendgridHeaders(body: string, privateKey: KeyObject, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  return {
    'x-twilio-email-event-webhook-timestamp': String(timestamp),
    'x-twilio-email-event-webhook-signature': sign('sha256', Buffer.from(String(timestamp) + body), privateKey).toString('base64'),
  };
}

/** A Svix signing secret as Resend shows it: whsec_ + base64 of 24 random bytes. */
export function svixSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The svix-id / -timestamp / -signature headers of a Resend webhook POST. */
export function svixHeaders(body: string, secret: string, options: { id?: string; timestamp?: number } = {}): Record<string, string> {
  const id = options.id ?? `msg_${randomUUID().replace(/-/g, '')}`;
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'svix-id': id, 'svix-timestamp': timestamp, 'svix-signature': `v1,${signature}` };
}

export interface SnsStandIn {
  tls: TestTls;
  /** https://localhost:PORT */
  origin: string;
  /** Allowed-host pattern for the verifier: this server only. */
  host: RegExp;
  certUrl: string;
  /** Paths of the SubscribeURL requests received. */
  confirmations: string[];
  /** Requests for the certificate (to see the cache at work). */
  certificateFetches: number;
  /** A signed SNS envelope. */
  envelope(fields: Record<string, string>, version?: '1' | '2'): Record<string, string>;
  close(): Promise<void>;
}

const NOTIFICATION = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'];
const CONFIRMATION = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];

export async function startSnsStandIn(): Promise<SnsStandIn> {
  const tls = await createTestTls();
  const state = { confirmations: [] as string[], certificateFetches: 0 };
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
    if (request.url === '/SimpleNotificationService-test.pem') {
      state.certificateFetches++;
      response.end(tls.cert);
    } else if (request.url?.startsWith('/confirm')) {
      state.confirmations.push(request.url);
      response.end('<ConfirmSubscriptionResponse/>');
    } else {
      response.statusCode = 404;
      response.end();
    }
  });
  server.listen(0, 'localhost');
  await once(server, 'listening');
  const origin = `https://localhost:${(server.address() as AddressInfo).port}`;
  const certUrl = `${origin}/SimpleNotificationService-test.pem`;
  return {
    tls,
    origin,
    host: new RegExp(`^localhost:${(server.address() as AddressInfo).port}$`),
    certUrl,
    get confirmations() {
      return state.confirmations;
    },
    get certificateFetches() {
      return state.certificateFetches;
    },
    envelope(fields, version = '2') {
      const out: Record<string, string> = { ...fields, SignatureVersion: version, SigningCertURL: fields.SigningCertURL ?? certUrl };
      const order = out.Type === 'Notification' ? NOTIFICATION : CONFIRMATION;
      const text = order.filter((key) => out[key] !== undefined).map((key) => `${key}\n${out[key]}\n`).join('');
      out.Signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(text), tls.key).toString('base64');
      return out;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An SNS Notification envelope carrying an SES record, signed. */
export function sesNotification(sns: SnsStandIn, topic: string, record: unknown, options: { messageId?: string; timestamp?: Date; version?: '1' | '2' } = {}): Record<string, string> {
  return sns.envelope(
    {
      Type: 'Notification',
      MessageId: options.messageId ?? crypto.randomUUID(),
      TopicArn: topic,
      Message: JSON.stringify(record),
      Timestamp: (options.timestamp ?? new Date()).toISOString(),
      UnsubscribeURL: `${sns.origin}/unsubscribe`,
    },
    options.version,
  );
}
