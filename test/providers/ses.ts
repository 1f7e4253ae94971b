// SES for tests: aws-ses-v2-local (a real SES v2 emulator) as a child process on an ephemeral
// port, behind a recording proxy that keeps each SendEmail request (Destination, raw MIME, tags,
// configuration set) and can answer with SES's own restJson1 errors (x-amzn-ErrorType +
// {"message"}), which the emulator cannot produce: throttling, MessageRejected, bad credentials.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { arrivalFromMime } from '../conformance.js';
import { startProviderServer, type ProviderAnswer, type ProviderRequest, type ProviderServer } from './server.js';

const sesError = (status: number, type: string, message: string): ProviderAnswer => ({
  status, headers: { 'x-amzn-ErrorType': `${type}:http://internal.amazon.com/coral/com.amazonaws.sesv2/`, 'x-amzn-RequestId': 'c6c3a1f0-0000-4000-8000-000000000000' }, body: { message },
});

export const SES_ERRORS = {
  badToken: sesError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'),
  throttled: sesError(429, 'TooManyRequestsException', 'Maximum sending rate exceeded.'),
  internal: sesError(500, 'InternalServiceErrorException', 'Internal service error.'),
  rejected: sesError(400, 'MessageRejected', 'Email address is not verified. The following identities failed the check in region EU-WEST-1: shop@example.com'),
  noConfigurationSet: sesError(404, 'NotFoundException', 'Configuration set <missing> does not exist.'),
} satisfies Record<string, ProviderAnswer>;

/** What the emulator keeps for each message (GET /store). */
export interface StoredEmail {
  messageId: string;
  from: string;
  subject: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  body: { text?: string; html?: string };
  attachments: { filename: string; contentType: string; content: string; cid?: string }[];
}

export interface SesTestServer extends ProviderServer {
  /** The emulator itself, without the proxy. */
  emulatorUrl: string;
  /** The SendEmail requests that reached the emulator, as sent. */
  sendRequests: Record<string, unknown>[];
  store(): Promise<StoredEmail[]>;
}

const ACCOUNT = {
  DedicatedIpAutoWarmupEnabled: false,
  Details: { AdditionalContactEmailAddresses: [], ContactLanguage: 'EN', MailType: 'TRANSACTIONAL', ReviewDetails: { CaseId: 'case-1', Status: 'GRANTED' }, UseCaseDescription: 'tests', WebsiteURL: 'https://example.com' },
  EnforcementStatus: 'HEALTHY', ProductionAccessEnabled: true, SendingEnabled: true,
  SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 0 },
  SuppressionAttributes: { SuppressedReasons: [] },
};

export async function startSesServer(): Promise<SesTestServer> {
  const cli = createRequire(import.meta.url).resolve('aws-ses-v2-local/dist/cli.js');
  const child: ChildProcess = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', '0'], {
    env: { ...process.env, AWS_SES_ACCOUNT: JSON.stringify(ACCOUNT) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const emulatorUrl = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /server running at http:\/\/(?:localhost|127\.0\.0\.1):(\d+)/.exec(output);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    });
    child.once('exit', (code) => reject(new Error(`aws-ses-v2-local exited (${code}): ${output}`)));
  });
  const sendRequests: Record<string, unknown>[] = [];
  const proxy = await startProviderServer({
    faults: { auth: SES_ERRORS.badToken, 'rate-limit': SES_ERRORS.throttled, 'server-error': SES_ERRORS.internal, rejected: SES_ERRORS.rejected },
    async handle(request) {
      const answer = await forward(emulatorUrl, request);
      if (request.path !== '/v2/email/outbound-emails' || answer.status !== 200) return { answer };
      const body = request.json as { Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] }; Content: { Raw?: { Data: string } } };
      sendRequests.push(body as Record<string, unknown>);
      if (!body.Content.Raw) return { answer };
      const envelope = [...(body.Destination?.ToAddresses ?? []), ...(body.Destination?.CcAddresses ?? []), ...(body.Destination?.BccAddresses ?? [])];
      const arrival = await arrivalFromMime(Buffer.from(body.Content.Raw.Data, 'base64'), { to: envelope });
      return { answer, arrival: { ...arrival, providerMessageId: (answer.body as { MessageId: string }).MessageId } };
    },
  });
  const close = proxy.close;
  return Object.assign(proxy, {
    emulatorUrl,
    sendRequests,
    async store() {
      const response = await fetch(`${emulatorUrl}/store`);
      return ((await response.json()) as { emails: StoredEmail[] }).emails;
    },
    async close() {
      await close();
      child.kill();
      if (child.exitCode === null) await once(child, 'exit');
    },
  });
}

async function forward(target: string, request: ProviderRequest): Promise<ProviderAnswer> {
  const headers = new Headers();
  for (const [key, value] of Object.entries(request.headers)) if (typeof value === 'string' && !/^(host|connection|content-length)$/i.test(key)) headers.set(key, value);
  const response = await fetch(`${target}${request.path}${request.query.size ? `?${request.query}` : ''}`, {
    method: request.method, headers, ...(request.method === 'GET' ? {} : { body: new Uint8Array(request.body) }),
  });
  const text = await response.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON: pass the text through */ }
  return { status: response.status, headers: { 'content-type': response.headers.get('content-type') ?? 'application/json' }, body };
}
