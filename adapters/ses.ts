// Amazon SES v2 SendEmail through @aws-sdk/client-sesv2, as raw MIME built by src/kit/mime.ts so every
// header, inline image and attachment survives; recipients go in Destination (the envelope, so Bcc
// is delivered without a Bcc header). The SDK signs and serializes, so defineHttpAdapter does not
// fit; the kit's AWS SDK parts (src/kit/aws-sdk.ts) carry its HTTP through src/kit/http.ts (a lost
// connection is TRANSIENT or AMBIGUOUS as for the other HTTP adapters) and map its errors. The
// SDK's own retries are off: the mailer's chain retries.
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { allRecipients, declareCapabilities, httpEndpoint, sendWithin, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import { diagnose } from '../src/core/diagnose.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { baseUrlFromDsn, defineDsn, dsnCommonOptions } from '../src/core/dsn-options.js';
import { MailError } from '../src/core/errors.js';
import { optionNames, refuseUnknownOptions, type KnownOptions } from '../src/core/known-options.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { guardSecrets, SecretScrubber } from '../src/core/secrets.js';
import { errorFromSdk, sdkRequestHandler } from '../src/kit/aws-sdk.js';
import { resolveBaseUrl, unreadableSuccess, type SuccessRule } from '../src/kit/http.js';
import type { HttpAdapterOptions } from '../src/kit/http-adapter.js';
import { buildMime } from '../src/kit/mime.js';
import { adapterPace } from '../src/kit/adapter-pace.js';
import { AWS_SES_SDK, loadOptional, requireInstalled } from '../src/kit/optional-package.js';

/** The kit's options block (`connectTimeoutMs`, `fetch`, `name`); the endpoint is `endpoint`, as in the AWS SDK. */
export interface SesOptions extends Omit<HttpAdapterOptions, 'baseUrl'> {
  /** AWS region, e.g. "eu-west-1". Default: the SDK's (AWS_REGION, profile). */
  region?: string;
  /** Static credentials. Default: the SDK's default provider chain (env, profile, SSO, instance role...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Configuration set for event publishing. Default none. */
  configurationSet?: string;
  /** Replaces https://email.{region}.amazonaws.com (a VPC endpoint, a local emulator); http only on loopback. */
  endpoint?: string;
  /** A ready client (its own handler and retries then apply). Default: one built from the options above. */
  client?: SESv2Client;
}

const NAME = 'ses';

/**
 * "Amazon SES accepts all file attachment types except for attachments with the file extensions in
 * the following list" (docs.aws.amazon.com/ses/latest/dg/mime-types.html); one of them is a
 * MessageRejected, which would stop the chain.
 */
const SES_UNSUPPORTED_ATTACHMENTS: readonly string[] = [
  'ade', 'adp', 'app', 'asp', 'bas', 'bat', 'cer', 'chm', 'cmd', 'com', 'cpl', 'crt', 'csh', 'der', 'exe', 'fxp', 'gadget', 'hlp', 'hta',
  'inf', 'ins', 'isp', 'its', 'js', 'jse', 'ksh', 'lib', 'lnk', 'mad', 'maf', 'mag', 'mam', 'maq', 'mar', 'mas', 'mat', 'mau', 'mav', 'maw',
  'mda', 'mdb', 'mde', 'mdt', 'mdw', 'mdz', 'msc', 'msh', 'msh1', 'msh2', 'mshxml', 'msh1xml', 'msh2xml', 'msi', 'msp', 'mst', 'ops', 'pcd',
  'pif', 'plg', 'prf', 'prg', 'reg', 'scf', 'scr', 'sct', 'shb', 'shs', 'sys', 'ps1', 'ps1xml', 'ps2', 'ps2xml', 'psc1', 'psc2', 'tmp', 'url',
  'vb', 'vbe', 'vbs', 'vps', 'vsmacros', 'vss', 'vst', 'vsw', 'vxd', 'ws', 'wsc', 'wsf', 'wsh', 'xnk',
];

/**
 * Raw MIME carries every field; SES's own limits (quotas and the SendEmail model, PROVIDERS.md §5 E1,
 * E5): 50 recipients per message, and "Amazon SES does not support the SMTPUTF8 extension": local
 * parts must be 7-bit ASCII (domains go in punycode, SES v2 API reference, Destination).
 */
export const SES_CAPABILITIES = declareCapabilities({
  attachments: true, inlineImages: true, customHeaders: true, tags: true, metadata: true,
  maxReplyTo: Number.POSITIVE_INFINITY, maxRecipients: 50, unicodeLocalParts: false,
  refusedAttachmentExtensions: SES_UNSUPPORTED_ATTACHMENTS,
});

// Every option name, for the check of a JavaScript caller's typo (src/core/known-options.ts).
const SES_OPTIONS: KnownOptions = {
  names: optionNames<SesOptions>({ region: true, credentials: true, configurationSet: true, endpoint: true, client: true, connectTimeoutMs: true, fetch: true, name: true, messagesPerMinute: true, maxWaitMs: true }),
  // `credentials` is not checked inside: it is the AWS SDK's credential identity, which carries
  // more (expiration, accountId, and the "$source" the SDK writes into the object it is given).
};

export function sesAdapter(options: SesOptions = {}): MailAdapter {
  refuseUnknownOptions('the ses adapter', options, SES_OPTIONS);
  const name = options.name ?? NAME;
  // An optional peer dependency: missing, it is a CONFIG error at setup with the install command.
  requireInstalled(AWS_SES_SDK, name);
  const endpoint = options.endpoint ? resolveBaseUrl(NAME, { baseUrl: options.endpoint, defaultUrl: options.endpoint }) : undefined;
  // SES's maximum send rate is per account and region: `messagesPerMinute` keeps under it.
  const pace = adapterPace(options, name, `ses ${endpoint ?? options.region ?? 'default region'}`, [options.credentials?.accessKeyId]);
  let client: Promise<{ client: SESv2Client; sdk: typeof import('@aws-sdk/client-sesv2') }> | undefined;
  const getClient = () => (client ??= loadClient(options, name, endpoint));
  const call = async <T>(run: (c: { client: SESv2Client; sdk: typeof import('@aws-sdk/client-sesv2') }) => Promise<T>): Promise<T> => {
    try {
      return await run(await getClient());
    } catch (error) {
      throw errorFromSdk(error, name);
    }
  };

  const adapter: MailAdapter & { toString(): string } = {
    name,
    capabilities: SES_CAPABILITIES,
    send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
      // Capabilities checked, extra tags dropped, domains in punycode: the message as it goes out.
      return sendWithin(adapter, message, async (message) => {
        await pace.limiter?.acquire(ctx.signal);
        const raw = await buildMime(message);
        const recipients = allRecipients(message);
        const output = await call(({ client: c, sdk }) => c.send(new sdk.SendEmailCommand({
          // The envelope; sendWithin has already put the domains in punycode, as SES requires.
          Destination: {
            ToAddresses: message.to.map((a) => a.address),
            CcAddresses: message.cc.map((a) => a.address),
            BccAddresses: message.bcc.map((a) => a.address),
          },
          Content: { Raw: { Data: raw } },
          ...(options.configurationSet ? { ConfigurationSetName: options.configurationSet } : {}),
          ...(message.tags.length || Object.keys(message.metadata).length ? { EmailTags: emailTags(message) } : {}),
        }), { abortSignal: ctx.signal }).catch((error: unknown) => {
          const status = successStatus(error);
          if (status === undefined) throw error;
          return unreadableSuccess(SES_SUCCESS, { provider: name, status, why: unreadableWhy(error), recipients });
        }));
        if ('accepted' in output) return output;
        if (!output.MessageId) return unreadableSuccess(SES_SUCCESS, { provider: name, status: output.$metadata.httpStatusCode ?? 200, why: 'it has no MessageId', recipients });
        return { providerMessageId: output.MessageId, accepted: recipients, rejected: [] };
      });
    },
    // GetAccount reads the account's sending status and sends nothing
    // (docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetAccount.html).
    async verify(ctx: { signal?: AbortSignal } = {}): Promise<void> {
      const account = await call(({ client: c, sdk }) => c.send(new sdk.GetAccountCommand({}), { abortSignal: ctx.signal }));
      if (account.SendingEnabled === false) {
        throw diagnose(new MailError('AUTH', 'sending is disabled for this SES account (SendingPausedException)', { provider: name }));
      }
    },
    async close() {
      if (client && !options.client) (await client).client.destroy();
    },
    // Without a region in the options the SDK picks it (AWS_REGION, a profile): the host is not known here.
    endpoint: httpEndpoint(endpoint ?? `https://email.${options.region ?? 'region-from-aws-config'}.amazonaws.com`, 'aws-signature'),
    ...(pace.limits ? { limits: pace.limits } : {}),
    toString: () => `ses(${endpoint ?? options.region ?? 'default region'})`,
  };
  // The secret key never travels (SigV4 signs with it), but a reply may echo the access key id, the
  // session token or the signed Authorization header; the scrubber's patterns cover the signature.
  const { accessKeyId, secretAccessKey, sessionToken } = options.credentials ?? {};
  return guardSecrets(adapter, new SecretScrubber([accessKeyId, secretAccessKey, sessionToken]));
}

/** `ses+api://ACCESS:SECRET@default?region=eu-west-1` (no userinfo: the default credential chain); `configuration_set=`. */
export function fromDsn(dsn: ParsedDsn): MailAdapter {
  return sesAdapter(sesOptionsFromDsn(dsn));
}

export function sesOptionsFromDsn(dsn: ParsedDsn): SesOptions {
  requireInstalled(AWS_SES_SDK, dsn.options.name ?? NAME);
  if ((dsn.user === undefined) !== (dsn.password === undefined)) {
    throw new MailError('CONFIG', `the ses DSN "${dsn.redacted}" needs both ACCESS:SECRET, or neither for the default credential chain`);
  }
  const base = baseUrlFromDsn(dsn);
  return {
    ...(dsn.options.region ? { region: dsn.options.region } : {}),
    ...(dsn.user && dsn.password ? { credentials: { accessKeyId: dsn.user, secretAccessKey: dsn.password, ...(dsn.options.session_token ? { sessionToken: dsn.options.session_token } : {}) } } : {}),
    ...(dsn.options.configuration_set ? { configurationSet: dsn.options.configuration_set } : {}),
    ...(base ? { endpoint: base } : {}),
    ...dsnCommonOptions(dsn),
  };
}

// The user part is the access key id: a secret, as for every scheme that does not declare a mailbox.
export const dsn = defineDsn({
  schemes: { 'ses+api': 'ses+api://ACCESS_KEY_ID:SECRET@default?region=eu-west-1' },
  options: sesOptionsFromDsn,
  create: sesAdapter,
});

/**
 * SendEmail answers 200 `{MessageId}` once SES has taken the message for all its recipients;
 * refusals (MessageRejected, unverified identities, throttling) are 4xx before anything is sent
 * (botocore sesv2 service-2.json, SendEmail; PROVIDERS.md §5 E1). A 200 whose body cannot be read is
 * a send with an unknown MessageId, never a retry (the SDK's and the chain's retries would resend it).
 */
export const SES_SUCCESS: SuccessRule = { statuses: [200], unreadableBody: 'sent', source: 'SES v2 SendEmail: 200 {MessageId} for the whole message, refusals are 4xx (PROVIDERS.md §5 E1, E2)' };

// The success status an SDK failure came with: the body after it was lost (our handler's error) or
// could not be parsed (the SDK's deserialization error carries the raw response).
function successStatus(error: unknown): number | undefined {
  const status = error instanceof MailError
    ? error.status
    : (error as { $response?: { statusCode?: unknown } }).$response?.statusCode;
  return typeof status === 'number' && SES_SUCCESS.statuses.includes(status) ? status : undefined;
}

function unreadableWhy(error: unknown): string {
  return error instanceof MailError ? error.detail : 'the SDK could not parse it as SendEmail\'s JSON answer';
}

// The SDK is heavy: load it on first use, so importing mailroom stays fast.
async function loadClient(options: SesOptions, provider: string, endpoint: string | undefined) {
  const sdk = await loadOptional(AWS_SES_SDK, provider, () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ '@aws-sdk/client-sesv2'));
  if (options.client) return { client: options.client, sdk };
  const client = new sdk.SESv2Client({
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 1,
    // The SDK would read a lost SendEmail body as an empty success: that one is AMBIGUOUS instead.
    requestHandler: sdkRequestHandler({ provider, connectTimeoutMs: options.connectTimeoutMs, fetch: options.fetch, needsBody: (request) => request.path.endsWith('/outbound-emails') }),
  });
  return { client, sdk };
}

// EmailTags names and values allow only [A-Za-z0-9_-] (≤ 256): a tag becomes "tag-<name>" = "true",
// a metadata pair becomes its key and value, with other characters replaced by "_".
function emailTags(message: NormalizedMessage): { Name: string; Value: string }[] {
  const clean = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256) || '_';
  return [
    ...message.tags.map((tag) => ({ Name: clean(`tag-${tag}`), Value: 'true' })),
    ...Object.entries(message.metadata).map(([key, value]) => ({ Name: clean(key), Value: clean(value) })),
  ];
}
