// SES for tests: aws-ses-v2-local (a real SES v2 emulator) as a child process on an ephemeral
// port, behind a recording proxy that keeps each SendEmail request (Destination, raw MIME, tags,
// configuration set) and can answer with SES's own restJson1 errors (x-amzn-ErrorType +
// {"message"}), which the emulator cannot produce: throttling, MessageRejected, bad credentials.
// The emulator only looks for an "AWS…" Authorization header, so the proxy checks the SigV4
// signature itself (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) with the
// credentials it was started with: a wrong secret, region or signed header fails as it would at AWS.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
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
  missingToken: sesError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token'),
  badSignature: sesError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'),
} satisfies Record<string, ProviderAnswer>;

/** The credentials and region the proxy accepts signatures for. */
export interface SesServerOptions {
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
}

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

export async function startSesServer(options: SesServerOptions): Promise<SesTestServer> {
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
      const refused = checkSignature(request, options);
      if (refused) return { answer: refused };
      const unsupported = await unsupportedAttachment(request);
      if (unsupported) return { answer: sesError(400, 'MessageRejected', `Attachment type not supported: ${unsupported}`) };
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

// "Amazon SES accepts all file attachment types except for attachments with the file extensions in
// the following list" (docs.aws.amazon.com/ses/latest/dg/mime-types.html); the emulator takes any.
// SES rejects the message; the text of its refusal is this proxy's choice.
const UNSUPPORTED_ATTACHMENT = /\.(ade|adp|app|asp|bas|bat|cer|chm|cmd|com|cpl|crt|csh|der|exe|fxp|gadget|hlp|hta|inf|ins|isp|its|js|jse|ksh|lib|lnk|mad|maf|mag|mam|maq|mar|mas|mat|mau|mav|maw|mda|mdb|mde|mdt|mdw|mdz|msc|msh|msh1|msh2|mshxml|msh1xml|msh2xml|msi|msp|mst|ops|pcd|pif|plg|prf|prg|reg|scf|scr|sct|shb|shs|sys|ps1|ps1xml|ps2|ps2xml|psc1|psc2|tmp|url|vb|vbe|vbs|vps|vsmacros|vss|vst|vsw|vxd|ws|wsc|wsf|wsh|xnk)$/i;

async function unsupportedAttachment(request: ProviderRequest): Promise<string | undefined> {
  const raw = (request.json as { Content?: { Raw?: { Data?: unknown } } } | undefined)?.Content?.Raw?.Data;
  if (request.path !== '/v2/email/outbound-emails' || typeof raw !== 'string') return undefined;
  const { attachments } = await arrivalFromMime(Buffer.from(raw, 'base64'), { to: [] });
  return attachments.find((a) => UNSUPPORTED_ATTACHMENT.test(a.filename))?.filename;
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

const HMAC = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const SHA256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
// RFC 3986 unreserved characters stay; everything else is %XX (SigV4's UriEncode).
const uriEncode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** SES's answer to a request whose SigV4 signature is missing or wrong, or undefined when it is right. */
function checkSignature(request: ProviderRequest, options: SesServerOptions): ProviderAnswer | undefined {
  const header = request.headers.authorization;
  const amzDate = request.headers['x-amz-date'];
  if (typeof header !== 'string' || typeof amzDate !== 'string') return SES_ERRORS.missingToken;
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(header);
  if (!match) return SES_ERRORS.badSignature;
  const [, accessKeyId, day, region, service, signedHeaders, signature] = match as unknown as string[];
  if (accessKeyId !== options.credentials.accessKeyId) return SES_ERRORS.badToken;
  if (region !== options.region || service !== 'ses' || !amzDate.startsWith(day!)) return SES_ERRORS.badSignature;
  const names = signedHeaders!.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return SES_ERRORS.badSignature;
  // Non-S3 services encode the (already encoded) path once more; the query is sorted and encoded.
  const canonicalUri = request.path.split('/').map(uriEncode).join('/');
  const canonicalQuery = [...request.query].map(([k, v]) => [uriEncode(k), uriEncode(v)]).sort(([a, x], [b, y]) => (a! < b! ? -1 : a! > b! ? 1 : x! < y! ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
  const canonicalHeaders = names.map((name) => `${name}:${String(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = typeof request.headers['x-amz-content-sha256'] === 'string' ? request.headers['x-amz-content-sha256'] : SHA256(request.body);
  const canonicalRequest = [request.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, SHA256(canonicalRequest)].join('\n');
  const key = HMAC(HMAC(HMAC(HMAC(`AWS4${options.credentials.secretAccessKey}`, day!), region!), service!), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex') === signature ? undefined : SES_ERRORS.badSignature;
}
