// The adapter kit: what `defineHttpAdapter` owns for every HTTP adapter (capabilities that default
// to unsupported, the base URL rules, redaction, the common DSN options), and the DSN table built
// from the adapter files' own declarations (no second list: a new scheme's key is secret unless its
// declaration says the user part names a mailbox; validating a DSN loads no SDK).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsupportedReason } from '../src/core/adapter.js';
import { ADAPTER_DSNS } from '../src/core/adapter-index.js';
import { DSN_EXAMPLES, DSN_SCHEMES, checkDsnChain, parseDsn, redactParsedDsn } from '../src/core/dsn.js';
import { dsnApiKey } from '../src/core/dsn-options.js';
import { normalizeMessage } from '../src/core/message.js';
import { AWS_SES_SDK, codeForStatus, declareCapabilities, defineHttpAdapter, errorFromSdk, loadOptional, MailError, MSAL_NODE, requireInstalled, type HttpAdapterDefinition, type HttpAdapterOptions } from '../src/kit/index.js';
import { createRequire } from 'node:module';
import { expectFailure, sendContext } from './conformance.js';
import { startProviderServer, type ProviderServer } from './providers/server.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const semverSatisfies = (createRequire(import.meta.url)('semver') as { satisfies(version: string, range: string): boolean }).satisfies;
const KEY = 'pk_live_0123456789abcdef';

interface PigeonOptions extends HttpAdapterOptions {
  apiKey: string;
}

// A provider that declares nothing but a plain message: the kit must refuse everything else.
const pigeonDefinition: HttpAdapterDefinition<PigeonOptions> = {
  name: 'pigeon',
  defaultUrl: 'https://api.pigeon.example',
  required: ['apiKey'],
  whereToFind: 'Pigeon > Settings > Keys',
  capabilities: {},
  success: { statuses: [202], unreadableBody: 'ambiguous', source: 'test provider' },
  headers: (options) => ({ authorization: `Bearer ${options.apiKey}` }),
  secrets: (options) => [options.apiKey],
  send: { path: '/v1/send' },
  toPayload: (message) => ({ from: message.from.address, to: message.to.map((a) => a.address), subject: message.subject, text: message.text }),
  parseReceipt: ({ json }, { recipients }) => {
    const id = (json as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' ? { providerMessageId: id, accepted: recipients, rejected: [] } : undefined;
  },
  verify: { path: '/v1/me' },
  dsn: { schemes: { 'pigeon+api': 'pigeon+api://KEY@default' }, options: (dsn) => ({ apiKey: dsnApiKey(dsn) }) },
};
const pigeon = defineHttpAdapter(pigeonDefinition);

describe('capabilities default to unsupported unless declared', () => {
  it('an empty declaration carries one recipient, no reply-to, no attachments, headers, tags or metadata', () => {
    expect(declareCapabilities({})).toEqual({
      attachments: false, inlineImages: false, maxAttachmentBytes: 0, maxTotalAttachmentBytes: 0,
      customHeaders: false, maxCustomHeaders: 0, tags: false, maxTags: 0, metadata: false,
      maxReplyTo: 0, maxRecipients: 1, unicodeLocalParts: false,
    });
  });

  it('a feature declared without its limit has none; a declared limit is kept', () => {
    const caps = declareCapabilities({ attachments: true, tags: true, maxTags: 3 });
    expect(caps.maxAttachmentBytes).toBe(Number.POSITIVE_INFINITY);
    expect(caps.maxTags).toBe(3);
    expect(caps.inlineImages).toBe(false);
  });

  describe('on the wire', () => {
    let server: ProviderServer;
    beforeAll(async () => {
      server = await startProviderServer({
        faults: {},
        handle: (request) => {
          if (request.headers.authorization !== `Bearer ${KEY}`) return { answer: { status: 401, body: { message: `unknown key ${String(request.headers.authorization)}` } } };
          return { answer: { status: 202, body: { id: 'msg-1' } } };
        },
      });
    });
    afterAll(() => server.close());

    it.each([
      ['an attachment', { attachments: [{ filename: 'a.txt', content: 'x' }] }, /does not support attachments/],
      ['a custom header', { headers: { 'X-Order': '1' } }, /custom headers/],
      ['a tag', { tags: ['orders'] }, /custom headers|tags/],
      ['metadata', { metadata: { order: '1' } }, /custom headers|metadata/],
      ['a reply-to', { replyTo: 'help@shop.example' }, /reply-to/],
      ['two recipients', { to: ['a@example.org', 'b@example.org'] }, /at most 1 recipients/],
    ])('refuses %s as UNSUPPORTED before any request', async (_what, extra, reason) => {
      const adapter = pigeon.create({ apiKey: KEY, baseUrl: server.url });
      const before = server.requests.length;
      const message = normalizeMessage({ from: 'shop@example.com', to: 'ann@example.org', subject: 'Hi', text: 'Hello', ...extra });
      expect(unsupportedReason(adapter, message)?.detail).toMatch(reason);
      const error = await expectFailure(adapter.send(message, sendContext()));
      expect(error.code).toBe('UNSUPPORTED');
      expect(server.requests.length).toBe(before);
    });

    it('sends a plain message, and scrubs its key from what it throws', async () => {
      const adapter = pigeon.create({ apiKey: KEY, baseUrl: server.url });
      const receipt = await adapter.send(normalizeMessage({ from: 'shop@example.com', to: 'ann@example.org', subject: 'Hi', text: 'Hello' }), sendContext());
      expect(receipt).toMatchObject({ providerMessageId: 'msg-1', accepted: ['ann@example.org'] });
      // The server echoes the Authorization header it refused: the key is in the body.
      const wrong = pigeon.create({ apiKey: `${KEY}-revoked`, baseUrl: server.url });
      const error = await expectFailure(wrong.verify!());
      expect(error.code).toBe('AUTH');
      expect(JSON.stringify({ message: error.message, detail: error.detail, stack: error.stack })).not.toContain(`${KEY}-revoked`);
      expect(error.detail).toContain('***');
    });
  });

  it('adds a send\'s own headers from `requestHeaders` (the message and its context) to that request only, not to verify', async () => {
    const server = await startProviderServer({ faults: {}, handle: (request) => ({ answer: request.method === 'GET' ? { status: 200, body: {} } : { status: 202, body: { id: 'msg-2' } } }) });
    try {
      const keyed = defineHttpAdapter<PigeonOptions>({
        ...pigeonDefinition,
        requestHeaders: (message, ctx) => ({ 'idempotency-key': ctx.idempotencyKey ?? message.messageId, authorization: 'overridden?' }),
      }).create({ apiKey: KEY, baseUrl: server.url });
      const message = normalizeMessage({ from: 'shop@example.com', to: 'ann@example.org', subject: 'Hi', text: 'Hello' });
      await keyed.send(message, { ...sendContext(), idempotencyKey: 'order-9' });
      await keyed.send(message, sendContext());
      await keyed.verify!();
      const [first, second, verify] = server.requests;
      expect(first!.headers['idempotency-key']).toBe('order-9');
      expect(second!.headers['idempotency-key']).toBe(message.messageId);
      expect(verify!.headers['idempotency-key']).toBeUndefined();
      // A per-send header sits on top of the authenticating ones: the definition decides, as written.
      expect(first!.headers.authorization).toBe('overridden?');
      expect(verify!.headers.authorization).toBe(`Bearer ${KEY}`);
    } finally {
      await server.close();
    }
  });

  it('maps an answer by its status when the adapter\'s own toError throws on it (a body it did not expect)', async () => {
    const server = await startProviderServer({ faults: {}, handle: () => ({ answer: { status: 401, body: { message: 'Key not found' } } }) });
    try {
      const fragile = defineHttpAdapter<PigeonOptions>({
        ...pigeonDefinition,
        toError: (response, { provider }) => {
          const error = (response.json as { error: { type: string } }).error;
          return new MailError('REJECTED', `${provider}: ${error.type}`, { provider });
        },
      }).create({ apiKey: KEY, baseUrl: server.url });
      const error = await expectFailure(fragile.send(normalizeMessage({ from: 'shop@example.com', to: 'ann@example.org', subject: 'Hi', text: 'Hello' }), sendContext()));
      expect(error.code).toBe('AUTH');
      expect(error.status).toBe(401);
      expect(error.message).toContain('Key not found');
      expect((await expectFailure(fragile.verify!())).code).toBe('AUTH');
    } finally {
      await server.close();
    }
  });

  it('joins a path written without its leading "/" to the base URL (it was blamed on the base URL option)', async () => {
    const server = await startProviderServer({ faults: {}, handle: (request) => ({ answer: request.method === 'GET' ? { status: 200, body: {} } : { status: 202, body: { id: 'msg-3' } } }) });
    try {
      const relative = defineHttpAdapter<PigeonOptions>({ ...pigeonDefinition, send: { path: 'v1/send' }, verify: { path: () => 'v1/me' } }).create({ apiKey: KEY, baseUrl: server.url });
      await relative.send(normalizeMessage({ from: 'shop@example.com', to: 'ann@example.org', subject: 'Hi', text: 'Hello' }), sendContext());
      await relative.verify!();
      expect(server.requests.map((r) => r.path)).toEqual(['/v1/send', '/v1/me']);
    } finally {
      await server.close();
    }
  });

  it('reads a 2xx that is not the documented success status as AMBIGUOUS: the provider may have taken the message', async () => {
    const server = await startProviderServer({ faults: {}, handle: () => ({ answer: { status: 200, body: { id: 'msg-200' } } }) });
    try {
      const adapter = pigeon.create({ apiKey: KEY, baseUrl: server.url });
      const error = await expectFailure(adapter.send(normalizeMessage({ from: 'shop@example.com', to: 'ann@example.org', subject: 'Hi', text: 'Hello' }), sendContext()));
      expect(error.code).toBe('AMBIGUOUS');
      expect(error.status).toBe(200);
      expect(error.message).toMatch(/200 OK.*not the documented success \(202\)/);
    } finally {
      await server.close();
    }
  });

  it('posts a verify call that has a JSON body and names no method (a GET cannot carry one)', async () => {
    const server = await startProviderServer({ faults: {}, handle: (request) => ({ answer: request.method === 'POST' ? { status: 200, body: { ok: true } } : { status: 405, body: { message: 'use POST' } } }) });
    try {
      const withBody = defineHttpAdapter<PigeonOptions>({ ...pigeonDefinition, verify: { path: '/v1/stats', json: {} } }).create({ apiKey: KEY, baseUrl: server.url });
      await withBody.verify!();
      expect(server.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/stats' });
    } finally {
      await server.close();
    }
  });

  it('lets verify\'s `ok` throw its own error for an answer that authenticates but cannot send', async () => {
    const server = await startProviderServer({ faults: {}, handle: () => ({ answer: { status: 200, body: { scopes: ['read'] } } }) });
    try {
      const scoped = defineHttpAdapter<PigeonOptions>({
        ...pigeonDefinition,
        verify: {
          path: '/v1/me',
          ok: ({ json }, { provider }) => {
            if ((json as { scopes: string[] }).scopes.includes('send')) return true;
            throw new MailError('AUTH', `${provider}: the key may not send (${KEY})`, { provider });
          },
        },
      }).create({ apiKey: KEY, baseUrl: server.url });
      const error = await expectFailure(scoped.verify!());
      expect(error.code).toBe('AUTH');
      expect(error.message).toContain('pigeon: the key may not send');
      expect(error.message).not.toContain(KEY);
    } finally {
      await server.close();
    }
  });

  it('a parseReceipt that throws on a success answer is that rule\'s unreadable answer, never a retry that sends twice', async () => {
    const server = await startProviderServer({ faults: {}, handle: () => ({ answer: { status: 202, body: { data: null } } }) });
    try {
      // A receipt reader with a bug (it assumes a field the answer lacks): the provider has taken the message.
      const buggy = (unreadableBody: 'sent' | 'ambiguous') => defineHttpAdapter<PigeonOptions>({
        ...pigeonDefinition,
        success: { statuses: [202], unreadableBody, source: 'test provider' },
        parseReceipt: ({ json }, { recipients }) => ({ providerMessageId: (json as { data: { id: string } }).data.id, accepted: recipients, rejected: [] }),
      }).create({ apiKey: KEY, baseUrl: server.url });
      const message = normalizeMessage({ from: 'shop@example.com', to: 'ann@example.org', subject: 'Hi', text: 'Hello' });
      const receipt = await buggy('sent').send(message, sendContext());
      expect(receipt.accepted).toEqual(['ann@example.org']);
      expect(receipt.warnings?.join(' ')).toMatch(/accepted the message \(202 Accepted\) but its answer could not be read/);
      const error = await expectFailure(buggy('ambiguous').send(message, sendContext()));
      expect(error.code).toBe('AMBIGUOUS');
      expect(error.retryable).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('refuses a base URL holding credentials, a query or a fragment when the adapter is created, never printing them', () => {
    const error = (() => {
      try {
        pigeon.create({ apiKey: KEY, baseUrl: 'https://proxyuser:proxyPASSWORD-1@proxy.example.com' });
      } catch (caught) {
        return caught as MailError;
      }
      return undefined;
    })();
    expect(error?.code).toBe('CONFIG');
    expect(error?.message).toMatch(/user name or password/);
    expect(`${error?.message} ${error?.stack}`).not.toContain('proxyPASSWORD-1');
    expect(() => pigeon.create({ apiKey: KEY, baseUrl: 'https://proxyuser:proxyPASSWORD-2@' })).toThrow(/"https:\/\/\*\*\*@" is not a URL/);
    expect(() => pigeon.create({ apiKey: KEY, baseUrl: 'https://proxy.example.com/?token=abc' })).toThrow(/query or a fragment/);
    expect(() => pigeon.create({ apiKey: KEY, baseUrl: 'https://proxy.example.com/mail#x' })).toThrow(/query or a fragment/);
    // A path prefix stays allowed: https://proxy.example.com/brevo + /v1/send.
    expect(String(pigeon.create({ apiKey: KEY, baseUrl: 'https://proxy.example.com/brevo/' }))).toBe('pigeon(https://proxy.example.com/brevo)');
  });

  it('owns the options block: required options, https or loopback http only, the DSN\'s common options', () => {
    expect(() => pigeon.create({} as PigeonOptions)).toThrow(/pigeon needs `apiKey` \(Pigeon > Settings > Keys\)/);
    expect(() => pigeon.create({ apiKey: KEY, baseUrl: 'http://mail.example.com' })).toThrow(/must use https/);
    expect(String(pigeon.create({ apiKey: KEY, baseUrl: 'http://127.0.0.1:8025' }))).toBe('pigeon(http://127.0.0.1:8025)');
    expect(pigeon.create({ apiKey: KEY }).endpoint).toEqual({ host: 'api.pigeon.example', tls: 'https', auth: 'api-key' });
    const dsn = { scheme: 'pigeon+api', user: KEY, host: '127.0.0.1', port: 8025, isDefaultHost: false, path: '', options: { insecure: 'true', name: 'backup', timeout: '5000' }, redacted: 'pigeon+api://***@127.0.0.1:8025' };
    expect(pigeon.optionsFromDsn(dsn)).toEqual({ apiKey: KEY, baseUrl: 'http://127.0.0.1:8025', name: 'backup', connectTimeoutMs: 5000 });
    expect(pigeon.fromDsn(dsn).name).toBe('backup');
  });
});

describe('an adapter on an AWS SDK client maps the SDK\'s errors like every HTTP adapter\'s', () => {
  const sdkError = (name: string, status?: number, throttling?: boolean) =>
    Object.assign(new Error(`${name} happened`), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}), ...(throttling ? { $retryable: { throttling } } : {}) });

  it('reads a named error through the catalogue first (code and remedy)', () => {
    const error = errorFromSdk(sdkError('MessageRejected', 400), 'ses');
    expect(error).toMatchObject({ code: 'REJECTED', provider: 'ses', status: 400 });
    expect(error.remedy).toBeTruthy();
    expect(errorFromSdk(sdkError('AccountSuspendedException', 400), 'ses').code).toBe('AUTH');
  });

  it('falls back to the throttling flag, then to the status exactly as errorFromResponse does', () => {
    expect(errorFromSdk(sdkError('SomethingNew', 400, true), 'ses').code).toBe('RATE_LIMITED');
    for (const status of [401, 402, 403, 404, 408, 429, 500, 503]) {
      expect(errorFromSdk(sdkError('SomethingNew', status), 'ses').code, `status ${status}`).toBe(codeForStatus(status));
    }
    expect(codeForStatus(402)).toBe('AUTH');
    expect(codeForStatus(408)).toBe('TRANSIENT');
    // No status: the request never got an answer.
    expect(errorFromSdk(sdkError('TimeoutError'), 'ses').code).toBe('TRANSIENT');
  });

  it('keeps a MailError from the request handler as it is, named after the adapter', () => {
    const lost = new MailError('AMBIGUOUS', 'the connection closed after the request was written');
    expect(errorFromSdk(lost, 'ses-eu')).toMatchObject({ code: 'AMBIGUOUS', provider: 'ses-eu' });
  });
});

describe('the DSN table comes from the adapters\' own declarations', () => {
  it('a new scheme\'s key is redacted without being listed anywhere', () => {
    // The declaration says nothing about its user part: the key is a secret by default.
    expect(pigeon.dsn.userIsMailbox).toBe(false);
    const parsed = { scheme: 'pigeon+api', user: KEY, host: 'default', isDefaultHost: true, path: '', options: { name: 'second' } };
    expect(redactParsedDsn(parsed, pigeon.dsn)).toBe('pigeon+api://***@default?name=second');
    // brevo+api://KEY with "@default" forgotten: the key was read as the host, and is hidden too.
    // The reader stops at the missing key before it reads "name": an option it never read shows no value.
    expect(redactParsedDsn({ ...parsed, user: undefined, host: KEY.toLowerCase(), isDefaultHost: false }, pigeon.dsn)).toBe('pigeon+api://***?name=***');
    // Only a declaration that names a mailbox prints its user part.
    expect(redactParsedDsn({ ...parsed, user: 'ann@corp.com' }, { ...pigeon.dsn, userIsMailbox: true })).toBe('pigeon+api://ann%40corp.com@default?name=second');
    // Without a reader no option is known to be read, so none shows its value.
    expect(redactParsedDsn(parsed, { userIsMailbox: false })).toBe('pigeon+api://***@default?name=***');
  });

  it('every scheme whose user part is not a mailbox hides it, whatever the scheme', () => {
    const secretUser = ADAPTER_DSNS.filter(({ dsn }) => !dsn.userIsMailbox && !dsn.pathOnly).flatMap(({ dsn }) => Object.keys(dsn.schemes));
    expect(secretUser).toEqual(expect.arrayContaining(['brevo+api', 'mailjet+api', 'mailgun+api', 'smtp2go+api', 'ses+api']));
    for (const scheme of secretUser) {
      const redacted = parseDsn(`${scheme}://SECRET-USER-PART:SECRET-PASS@default`).redacted;
      expect(redacted, scheme).not.toContain('SECRET');
      expect(parseDsn(`${scheme}://SECRET-USER-PART`).redacted, scheme).not.toContain('SECRET');
    }
  });

  it('lists every scheme an adapter file declares, each with its example, and nothing else', async () => {
    const files = (await readdir(path.join(ROOT, 'adapters'))).filter((file) => file.endsWith('.ts')).map((file) => path.basename(file, '.ts'));
    expect(ADAPTER_DSNS.map(({ file }) => file).sort()).toEqual(files.sort());
    const declared = ADAPTER_DSNS.flatMap(({ dsn }) => Object.keys(dsn.schemes));
    expect([...DSN_SCHEMES].sort()).toEqual(declared.sort());
    for (const scheme of DSN_SCHEMES) expect(() => checkDsnChain(DSN_EXAMPLES[scheme]!.replace(/\.\.\./g, 'x').replace('TENANT', 'contoso.onmicrosoft.com'))).not.toThrow();
    // The index is generated from adapters/, never edited: it is not in git.
    expect(await readFile(path.join(ROOT, '.gitignore'), 'utf8')).toMatch(/^src\/core\/adapter-index\.ts$/m);
  });

  it('validates SMTP, Microsoft and SES DSNs without loading nodemailer, msal or the AWS SDK', async () => {
    // A fresh process on the built package; every module it loaded is listed from the ESM loader's
    // and the CommonJS loader's caches.
    const script = `
      import { createRequire } from 'node:module';
      const { checkDsnChain } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/core/dsn.js'))});
      checkDsnChain('failover(smtp://u:p@mail.example.com:587 gmail://a%40gmail.com:pw@default office365+oauth://a%40corp.com@contoso.onmicrosoft.com?client_id=c&client_secret=s graph://a%40corp.com@contoso.onmicrosoft.com?client_id=c&client_secret=s ses+api://AKIAEXAMPLE:secret@default?region=eu-west-1 outbox://./outbox)');
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));
    `;
    const record = path.join(await mkdtemp(path.join(tmpdir(), 'mailroom-imports-')), 'imports.txt');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', path.join(ROOT, 'test/helpers/record-imports.mjs'), '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, RECORD_IMPORTS: record } });
    const cjs = JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
    const esm = (await readFile(record, 'utf8')).split('\n').filter(Boolean);
    const loaded = [...cjs, ...esm];
    expect(loaded.some((file) => file.includes('/dist/adapters/smtp.js'))).toBe(true);
    // The address parser is one small file of nodemailer's; the rest of nodemailer is not loaded.
    const heavyFiles = loaded.filter((file) => /\/(nodemailer|@azure\/msal-node|@aws-sdk|mjml)\//.test(file) && !/\/nodemailer\/(lib|dist\/esm)\/addressparser\//.test(file));
    expect(heavyFiles).toEqual([]);
  });
});

describe('provider SDKs most apps never load are optional peer dependencies', () => {
  it('a missing one is a CONFIG error at setup that gives the install command, checked without loading it', async () => {
    const absent = { name: '@mailroom-test/absent-sdk', range: '^1.2.0' };
    let error: unknown;
    try {
      requireInstalled(absent, 'acme');
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'CONFIG', provider: 'acme' });
    expect((error as Error).message).toContain('npm install @mailroom-test/absent-sdk@^1.2.0');
    expect((error as { remedy: string }).remedy).toContain('npm install @mailroom-test/absent-sdk@^1.2.0');
    // The same error when the import itself fails (a package removed after setup).
    const failed = await expectFailure(loadOptional(absent, 'acme', () => import(/* @vite-ignore */ absent.name)));
    expect(failed.code).toBe('CONFIG');
    expect(failed.remedy).toContain('npm install @mailroom-test/absent-sdk@^1.2.0');
  });

  it('the install command names the range package.json declares, which the tested version satisfies', async () => {
    const manifest = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string | { optional?: boolean }>>;
    for (const pkg of [AWS_SES_SDK, MSAL_NODE]) {
      expect(manifest.peerDependencies![pkg.name]).toBe(pkg.range);
      expect(manifest.peerDependenciesMeta![pkg.name]).toEqual({ optional: true });
      expect(manifest.dependencies![pkg.name]).toBeUndefined();
      const tested = manifest.devDependencies![pkg.name] as string;
      expect(semverSatisfies(tested, pkg.range), `${pkg.name}@${tested} in ${pkg.range}`).toBe(true);
    }
  });
});
