// No echoed secret survives. Servers that quote back what they were sent (an SMTP 535 quoting the
// AUTH exchange, HTTP 401/403 bodies quoting the key, the Authorization header or SES's signed
// parts) answer every adapter, through the API and the `mailroom` CLI (as built, dist/). Every form
// of every credential (as is, URL-encoded, base64, base64 of "user:pass" and of AUTH PLAIN's
// "\0user\0pass", a Basic header) is then looked for in every surface: error messages, stacks,
// cause chains, util.inspect, JSON, event payloads, the journal's file bytes and CLI output.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brevoAdapter } from '../adapters/brevo.js';
import { mailgunAdapter } from '../adapters/mailgun.js';
import { mailjetAdapter } from '../adapters/mailjet.js';
import { postmarkAdapter } from '../adapters/postmark.js';
import { resendAdapter } from '../adapters/resend.js';
import { sendgridAdapter } from '../adapters/sendgrid.js';
import { sparkpostAdapter } from '../adapters/sparkpost.js';
import { sesAdapter } from '../adapters/ses.js';
import { smtpAdapter } from '../adapters/smtp.js';
import { smtp2goAdapter } from '../adapters/smtp2go.js';
import { office365Adapter } from '../adapters/office365.js';
import { createMailer, redactDsn, type MailAdapter } from '../src/index.js';
import { normalizeMessage, parseDsn } from '../src/kit/index.js';
import { DSN_SCHEMES } from '../src/core/dsn.js';
import { startProviderServer, type ProviderAnswer, type ProviderRequest, type ProviderServer } from './providers/server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { builtCli, CLI } from './helpers/built-cli.js';
import { createTestTls } from './helpers/tls.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

// Recognisable credentials with characters that URL-encoding and base64 change.
const SMTP_USER = 'shop@example.com';
const SMTP_PASS = 'Sm7p-S3CRET!p%ss/w+rd';
const BREVO_KEY = 'xkeysib-BREVO5ECRET-0123456789abcdef';
const MAILJET_KEY = 'mjKEY5ECRET0123456789';
const MAILJET_SECRET = 'mjS3CRET/value+9876543210';
const MAILGUN_KEY = 'key-MAILGUN5ECRET-0123456789abcdef';
const SMTP2GO_KEY = 'api-SMTP2GO5ECRET0123456789ABCDEF';
const SES_ACCESS = 'AKIASESACCESS5ECRET1';
const SES_SECRET = 'sesSECRET/key+0123456789abcdefghijklmnop';
const SES_TOKEN = 'FwoGZXIvYXdzEsesSESSION5ECRETtoken0123456789abcdef==';
const POSTMARK_TOKEN = 'pm-POSTMARK5ECRET-0123-4567-89ab';
const SENDGRID_KEY = 'SG.SENDGRID5ECRET.key+0123456789/abc';
const RESEND_KEY = 're_RESEND5ECRET_0123456789abcdef';
const SPARKPOST_KEY = 'sparkpost5ECRET0123456789abcdef01234567';

// For every HTTP API scheme, including ones added after this suite was written.
const ANY_KEY = 'anyAPI-K3Y/5ECRET+0123456789abcdef';

const logins: Array<[string, string]> = [[SMTP_USER, SMTP_PASS], [MAILJET_KEY, MAILJET_SECRET], ['api', MAILGUN_KEY]];
const secrets = [ANY_KEY, SMTP_PASS, BREVO_KEY, MAILJET_KEY, MAILJET_SECRET, MAILGUN_KEY, SMTP2GO_KEY, SES_ACCESS, SES_SECRET, SES_TOKEN, POSTMARK_TOKEN, SENDGRID_KEY, RESEND_KEY, SPARKPOST_KEY];
/** Every form a credential can show in. Signatures seen by the SES server are added as they come. */
const forbidden = new Set<string>([
  ...secrets.flatMap((secret) => [secret, encodeURIComponent(secret), b64(secret)]),
  ...logins.flatMap(([user, pass]) => [b64(`${user}:${pass}`), b64(`\0${user}\0${pass}`), `Basic ${b64(`${user}:${pass}`)}`]),
  // An API key sent as Basic user or password (SendGrid-style "apikey:KEY", SparkPost's bare key).
  ...['', 'api', 'apikey'].flatMap((user) => [b64(`${user}:${ANY_KEY}`), b64(`${ANY_KEY}:${user}`)]),
]);

/** Where each form was found: must stay empty. */
function leaks(surface: string, text: string): string[] {
  return [...forbidden].filter((form) => text.includes(form)).map((form) => `${surface}: ${JSON.stringify(form)}`);
}

/** Message, stack, every string property, util.inspect and JSON of an error and each of its causes. */
function errorSurfaces(error: unknown): string {
  const parts = [String(error), inspect(error, { depth: 20, showHidden: true }), JSON.stringify(error) ?? ''];
  for (let current = error, depth = 0; current && depth < 10; current = (current as { cause?: unknown }).cause, depth++) {
    if (typeof current !== 'object') {
      parts.push(String(current));
      continue;
    }
    for (const key of Object.getOwnPropertyNames(current)) {
      const value = (current as Record<string, unknown>)[key];
      if (typeof value === 'string') parts.push(value);
    }
  }
  return parts.join('\n');
}

// HTTP servers that quote back whatever credential they were sent, in several forms.
function echoing(credentialOf: (request: ProviderRequest) => string, extra: (request: ProviderRequest) => Record<string, string> = () => ({})) {
  return (request: ProviderRequest) => {
    const seen = credentialOf(request);
    const basic = /^Basic (.+)$/.exec(seen)?.[1];
    const decoded = basic ? Buffer.from(basic, 'base64').toString('utf8') : seen;
    const [user = '', pass = decoded] = basic ? decoded.split(/:(.*)/s) : [];
    const message = `Unauthorized: got ${seen} (${decoded}, ${encodeURIComponent(pass)}, ${b64(pass)}, plain ${b64(`\0${user}\0${pass}`)})`;
    return { status: 401, headers: extra(request), body: { message, error: message, ErrorMessage: message, code: 401, data: { error: message } } };
  };
}

let dir: string;
let caFile: string;
let ca: string;
let smtp: TestSmtpServer;
const servers: ProviderServer[] = [];
const seenSignatures: string[] = [];
let http: Record<'brevo' | 'mailjet' | 'mailgun' | 'smtp2go' | 'ses' | 'postmark' | 'sendgrid' | 'resend' | 'sparkpost' | 'any', ProviderServer>;

beforeAll(async () => {
  await builtCli();
  dir = await mkdtemp(join(tmpdir(), 'mailroom-secrets-'));
  const tls = await createTestTls();
  ca = tls.ca;
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, tls.ca);
  // A 535 that quotes what AUTH carried: the user, the password and the base64 the client sent.
  smtp = await startSmtpServer({
    tls,
    users: { [SMTP_USER]: 'the-right-one' },
    script: { reply: { AUTH: ({ auth }) => ({
      code: 535,
      message: `5.7.8 Authentication failed for ${auth?.username} with ${auth?.password} (${encodeURIComponent(auth?.password ?? '')}); AUTH PLAIN ${b64(`\0${auth?.username}\0${auth?.password}`)} = ${b64(`\0${auth?.username}\0${auth?.password}`)}, Basic ${b64(`${auth?.username}:${auth?.password}`)}, login ${b64(auth?.password ?? '')}`,
    }) } },
  });
  const start = async (answer: (request: ProviderRequest) => ProviderAnswer) => {
    const server = await startProviderServer({ handle: (request) => ({ answer: answer(request) }), faults: {} });
    servers.push(server);
    return server;
  };
  const header = (name: string) => (request: ProviderRequest) => String(request.headers[name] ?? '');
  http = {
    brevo: await start(echoing(header('api-key'))),
    mailjet: await start(echoing(header('authorization'))),
    mailgun: await start(echoing(header('authorization'))),
    smtp2go: await start(echoing(header('x-smtp2go-api-key'))),
    postmark: await start(echoing(header('x-postmark-server-token'))),
    sendgrid: await start(echoing(header('authorization'))),
    resend: await start(echoing(header('authorization'))),
    sparkpost: await start(echoing(header('authorization'))),
    // Any provider: quotes every header it got and the body, decoded where it is Basic.
    any: await start((request) => {
      const seen = Object.entries(request.headers).map(([name, value]) => `${name}: ${String(value)}`).join('; ');
      const basics = Object.values(request.headers).flatMap((value) => /^Basic (.+)$/.exec(String(value))?.[1] ?? []).map((encoded) => Buffer.from(encoded, 'base64').toString('utf8'));
      const message = `Unauthorized: got ${seen} (${basics.join(', ')}) for ${request.body.toString('utf8').slice(0, 2_000)}`;
      return { status: 401, body: { message, error: message, errors: [{ message, field: null, help: null }], ErrorMessage: message, code: 401 } };
    }),
    // SES's restJson error, quoting the signed Authorization header and the session token.
    ses: await start((request) => {
      const authorization = String(request.headers.authorization ?? '');
      const signature = /Signature=([0-9a-f]+)/.exec(authorization)?.[1];
      if (signature) {
        seenSignatures.push(signature);
        forbidden.add(signature);
      }
      const token = String(request.headers['x-amz-security-token'] ?? '');
      return {
        status: 403,
        headers: { 'x-amzn-ErrorType': 'UnrecognizedClientException:http://internal.amazon.com/coral/com.amazonaws.sesv2/' },
        body: { message: `The security token ${token} included in the request is invalid: ${authorization}; access key ${SES_ACCESS} (${b64(SES_ACCESS)})` },
      };
    }),
  };
});
afterAll(async () => {
  await smtp?.close();
  await Promise.all(servers.map((server) => server.close()));
});

const adapters = (): Record<string, () => MailAdapter> => ({
  smtp: () => smtpAdapter({ host: 'localhost', port: smtp.port, auth: { user: SMTP_USER, pass: SMTP_PASS }, tls: { ca } }),
  office365: () => office365Adapter({ mailbox: SMTP_USER, password: SMTP_PASS, host: 'localhost', port: smtp.port, tls: { ca } }),
  brevo: () => brevoAdapter({ apiKey: BREVO_KEY, baseUrl: http.brevo.url }),
  mailjet: () => mailjetAdapter({ apiKey: MAILJET_KEY, secretKey: MAILJET_SECRET, baseUrl: http.mailjet.url }),
  mailgun: () => mailgunAdapter({ apiKey: MAILGUN_KEY, domain: 'mg.example.com', baseUrl: http.mailgun.url }),
  smtp2go: () => smtp2goAdapter({ apiKey: SMTP2GO_KEY, baseUrl: http.smtp2go.url }),
  postmark: () => postmarkAdapter({ serverToken: POSTMARK_TOKEN, baseUrl: http.postmark.url }),
  sendgrid: () => sendgridAdapter({ apiKey: SENDGRID_KEY, baseUrl: http.sendgrid.url }),
  resend: () => resendAdapter({ apiKey: RESEND_KEY, baseUrl: http.resend.url }),
  sparkpost: () => sparkpostAdapter({ apiKey: SPARKPOST_KEY, baseUrl: http.sparkpost.url }),
  ses: () => sesAdapter({ region: 'eu-west-1', endpoint: http.ses.url, credentials: { accessKeyId: SES_ACCESS, secretAccessKey: SES_SECRET, sessionToken: SES_TOKEN } }),
});

const dsns = (): Record<string, string> => ({
  smtp: `smtp://${encodeURIComponent(SMTP_USER)}:${encodeURIComponent(SMTP_PASS)}@localhost:${smtp.port}`,
  brevo: `brevo+api://${BREVO_KEY}@127.0.0.1:${http.brevo.port}?insecure=true`,
  mailjet: `mailjet+api://${MAILJET_KEY}:${encodeURIComponent(MAILJET_SECRET)}@127.0.0.1:${http.mailjet.port}?insecure=true`,
  mailgun: `mailgun+api://${MAILGUN_KEY}:mg.example.com@127.0.0.1:${http.mailgun.port}?insecure=true`,
  smtp2go: `smtp2go+api://${SMTP2GO_KEY}@127.0.0.1:${http.smtp2go.port}?insecure=true`,
  postmark: `postmark+api://${POSTMARK_TOKEN}@127.0.0.1:${http.postmark.port}?insecure=true`,
  sendgrid: `sendgrid+api://${encodeURIComponent(SENDGRID_KEY)}@127.0.0.1:${http.sendgrid.port}?insecure=true`,
  resend: `resend+api://${RESEND_KEY}@127.0.0.1:${http.resend.port}?insecure=true`,
  sparkpost: `sparkpost+api://${SPARKPOST_KEY}@127.0.0.1:${http.sparkpost.port}?insecure=true`,
  ses: `ses+api://${SES_ACCESS}:${encodeURIComponent(SES_SECRET)}@127.0.0.1:${http.ses.port}?insecure=true&region=eu-west-1&session_token=${encodeURIComponent(SES_TOKEN)}`,
});

function cli(args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: caFile }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => done({ code, out }));
  });
}

async function journalBytes(folder: string): Promise<string> {
  const files = (await readdir(folder)).filter((name) => name.startsWith('journal') || name.endsWith('.sqlite') || name.includes('sqlite'));
  const contents = await Promise.all(files.map((name) => readFile(join(folder, name))));
  return contents.map((bytes) => bytes.toString('latin1')).join('\n');
}

describe('echoed secrets are scrubbed everywhere', () => {
  it('the echoing servers do echo every form (the scan below can find them)', async () => {
    const response = await fetch(`${http.mailjet.url}/v3.1/send`, { method: 'POST', headers: { authorization: `Basic ${b64(`${MAILJET_KEY}:${MAILJET_SECRET}`)}` } });
    expect(leaks('raw echo', await response.text()).length).toBeGreaterThan(3);
  });

  it.each(['smtp', 'office365', 'brevo', 'mailjet', 'mailgun', 'smtp2go', 'ses', 'postmark', 'sendgrid', 'resend', 'sparkpost'])('%s: errors, causes, events and the journal file hold no form of a credential', async (name) => {
    const folder = await mkdtemp(join(dir, `${name}-`));
    const make = adapters()[name]!;
    const found: string[] = [];
    // The adapter alone: send and verify.
    const adapter = make();
    const direct = await adapter.send(normalizeMessage({ from: SMTP_USER, to: 'ann@example.com', subject: 'Hi', text: 'Hello' }), { signal: AbortSignal.timeout(10_000), attempt: 1 }).catch((error: unknown) => error);
    expect((direct as { code?: string }).code).toBe('AUTH');
    found.push(...leaks(`${name} send error`, errorSurfaces(direct)));
    if (adapter.verify) found.push(...leaks(`${name} verify error`, errorSurfaces(await adapter.verify().catch((error: unknown) => error))));
    await adapter.close?.();

    // Through a mailer with a journal, listening to every event.
    const mailer = createMailer({ adapters: [make()], journal: join(folder, 'journal.sqlite'), retry: { attempts: 1 } });
    const events: unknown[] = [];
    for (const event of ['sent', 'failed', 'failover', 'journal-error'] as const) mailer.on(event, (...payload: unknown[]) => events.push(payload));
    const failure = await mailer.send({ from: SMTP_USER, to: 'ann@example.com', subject: 'Hi', text: 'Hello', idempotencyKey: `secrets-${name}` }).catch((error: unknown) => error);
    found.push(...leaks(`${name} mailer error`, errorSurfaces(failure)));
    found.push(...leaks(`${name} events`, events.map((payload) => `${inspect(payload, { depth: 20, showHidden: true })}\n${JSON.stringify(payload)}`).join('\n')));
    const entry = await mailer.journal.findByIdempotencyKey(`secrets-${name}`);
    expect(entry?.status).toBe('failed');
    found.push(...leaks(`${name} journal entry`, JSON.stringify(entry)));
    await mailer.close();
    found.push(...leaks(`${name} journal file`, await journalBytes(folder)));
    expect(events.length).toBeGreaterThan(0);
    expect(found).toEqual([]);
  });

  it('the CLI prints no form of a credential: send, verify, journal, and mistyped DSNs', async () => {
    const cwd = await mkdtemp(join(dir, 'cli-'));
    const outputs: string[] = [];
    // One adapter after another would take a while: each its own journal folder, run side by side.
    await Promise.all(Object.entries(dsns()).map(async ([name, dsn]) => {
      const folder = await mkdtemp(join(cwd, `${name}-`));
      const sent = await cli(['send', '--dsn', dsn, '--from', SMTP_USER, '--to', 'ann@example.com', '--subject', `Hi ${name}`, '--text', 'Hello'], folder);
      expect(sent.code).toBe(1);
      expect(sent.out).toMatch(/AUTH/);
      const verified = await cli(['verify', '--dsn', dsn], folder);
      const journal = await cli(['journal', '--json', '--limit', '50'], folder);
      expect(journal.out).toContain(`Hi ${name}`);
      outputs.push(sent.out, verified.out, journal.out, await journalBytes(join(folder, '.mailroom')));
    }));
    const mistyped = [
      `mailjet+api//${MAILJET_KEY}:${MAILJET_SECRET}@default`,
      `smtp:/${encodeURIComponent(SMTP_USER)}:${SMTP_PASS}@mail.example.com`,
      `${SMTP_USER}:${SMTP_PASS}@mail.example.com:587`,
      `brevo+api//${BREVO_KEY}`,
      `smtp://${encodeURIComponent(SMTP_USER)}:${SMTP_PASS}@mail.example.com:587`, // an unencoded "%" in the password
    ];
    await Promise.all(mistyped.map(async (dsn) => {
      const run = await cli(['send', '--dsn', dsn, '--from', SMTP_USER, '--to', 'ann@example.com', '--subject', 'Hi', '--text', 'Hello'], cwd);
      expect(run.code).toBe(1);
      expect(run.out).toMatch(/CONFIG/);
      expect(run.out).not.toMatch(/URIError|URI malformed/);
      outputs.push(run.out);
    }));
    expect(leaks('cli output and journal files', outputs.join('\n'))).toEqual([]);
  }, 120_000);

  // Whatever HTTP API adapters exist (their DSN schemes end in "+api"), each against a server that
  // quotes back every header and the body: the API and the CLI show no form of the key.
  const apiSchemes = DSN_SCHEMES.filter((scheme) => scheme.endsWith('+api'));
  it('covers every HTTP API scheme there is', () => {
    expect(apiSchemes.length).toBeGreaterThanOrEqual(5);
  });
  it.each(apiSchemes)('%s, against a server echoing every header and the body: no form of its key in errors, events, the journal or CLI output', async (scheme) => {
    const known = dsns();
    const fixed = Object.entries(known).find(([name]) => `${name}+api` === scheme)?.[1];
    // The known ones keep their own credentials (mailgun's domain, SES's region); any other scheme gets the key as its DSN user.
    const dsn = fixed ? fixed.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${http.any.port}`) : `${scheme}://${encodeURIComponent(ANY_KEY)}@127.0.0.1:${http.any.port}?insecure=true`;
    const folder = await mkdtemp(join(dir, `${scheme.replace('+', '-')}-`));
    const found: string[] = [];
    const mailer = createMailer({ dsn, journal: join(folder, 'journal.sqlite'), retry: { attempts: 1 } });
    const events: unknown[] = [];
    for (const event of ['sent', 'failed', 'failover', 'journal-error'] as const) mailer.on(event, (...payload: unknown[]) => events.push(payload));
    const failure = await mailer.send({ from: SMTP_USER, to: 'ann@example.com', subject: 'Hi', text: 'Hello', idempotencyKey: `any-${scheme}` }).catch((error: unknown) => error);
    // The provider's 401 is AUTH (as the error, or as the one attempt of an ALL_FAILED chain).
    expect(String(failure)).toMatch(/\bAUTH\b/);
    found.push(...leaks(`${scheme} mailer error`, errorSurfaces(failure)));
    found.push(...leaks(`${scheme} events`, events.map((payload) => `${inspect(payload, { depth: 20, showHidden: true })}\n${JSON.stringify(payload)}`).join('\n')));
    found.push(...leaks(`${scheme} journal entry`, JSON.stringify(await mailer.journal.findByIdempotencyKey(`any-${scheme}`))));
    for (const adapter of await mailer.adapters()) {
      if (adapter.verify) found.push(...leaks(`${scheme} verify error`, errorSurfaces(await adapter.verify().catch((error: unknown) => error))));
    }
    await mailer.close();
    found.push(...leaks(`${scheme} journal file`, await journalBytes(folder)));
    const sent = await cli(['send', '--dsn', dsn, '--from', SMTP_USER, '--to', 'ann@example.com', '--subject', 'Hi', '--text', 'Hello'], folder);
    expect(sent.code).toBe(1);
    const verified = await cli(['verify', '--dsn', dsn], folder);
    const journal = await cli(['journal', '--json', '--limit', '50'], folder);
    found.push(...leaks(`${scheme} cli`, [sent.out, verified.out, journal.out, await journalBytes(join(folder, '.mailroom'))].join('\n')));
    expect(found).toEqual([]);
  }, 60_000);

  it('a DSN without "://" or with a bad "%" is a CONFIG error that never shows it verbatim', () => {
    for (const dsn of [`mailjet+api//${MAILJET_KEY}:${MAILJET_SECRET}@default`, `smtp:/u:${SMTP_PASS}@h`, `u:${SMTP_PASS}@h:587`, `smtp://u:${SMTP_PASS}@h:587`]) {
      let error: unknown;
      try {
        parseDsn(dsn);
      } catch (thrown) {
        error = thrown;
      }
      expect((error as { code?: string }).code).toBe('CONFIG');
      expect(leaks(dsn, errorSurfaces(error))).toEqual([]);
      expect(leaks(dsn, redactDsn(dsn))).toEqual([]);
    }
  });

  it('SES signatures were seen, and scanned for', () => {
    expect(seenSignatures.length).toBeGreaterThan(0);
  });
});
