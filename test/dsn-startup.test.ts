// DSN mistakes are found when the mailer is created, not at the first send: every scheme's
// malformed forms make createMailer throw CONFIG at once, with a remedy and without the secret;
// query values are taken literally ("+" stays "+"); verify() reports per adapter and never throws.
import { describe, expect, it } from 'vitest';
import { FULL_CAPABILITIES } from '../src/core/adapter.js';
import { createMailer, MailError, type MailAdapter } from '../src/index.js';
import { parseDsn } from '../src/kit/index.js';
import { smtpAdapter } from '../adapters/smtp.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../src/core/config.js';
import { builtCli } from './helpers/built-cli.js';
import { runCli } from './helpers/cli.js';

// Each entry: a malformed DSN, what the error must say, and the secrets it holds.
const MALFORMED: Array<[dsn: string, says: RegExp, secrets: string[]]> = [
  ['brevo+api://xkeysib-SECRET-1', /no "@default".*lacks the API key/, ['xkeysib-SECRET-1']],
  ['brevo+api://@default', /lacks the API key/, []],
  ['brevo+api://xkeysib-SECRET-1@default?regoin=eu', /"regoin", which this adapter does not use/, ['xkeysib-SECRET-1']],
  // SendGrid's SMTP login (user "apikey", the key as password) written as an API DSN: "apikey" would be sent as the key.
  ['sendgrid+api://apikey:SG.SECRET-11@default', /has a password .*which this adapter does not use/, ['SG.SECRET-11']],
  ['brevo+api://login:xkeysib-SECRET-1@default', /has a password .*which this adapter does not use/, ['xkeysib-SECRET-1']],
  ['office365+oauth://ann%40corp.com:entraSECRET-12@corp.onmicrosoft.com?client_id=app&client_secret=entraSECRET-12', /has a password .*which this adapter does not use/, ['entraSECRET-12']],
  // A proxy under a path: the adapter would post to the proxy's root.
  ['brevo+api://xkeysib-SECRET-1@proxy.example.com/brevo', /has a path after the host, which this adapter does not use/, ['xkeysib-SECRET-1']],
  // An option given twice: which one was meant is unknown (the last one used to win in silence).
  ['mailgun+api://mgSECRET-3:mg.example.com@default?region=eu&region=us', /gives "region" twice/, ['mgSECRET-3']],
  ['graph://ann%40corp.com@corp.onmicrosoft.com?client_id=app&client_secret=entraSECRET-13&client_secret=entraSECRET-14', /gives "client_secret" twice/, ['entraSECRET-13', 'entraSECRET-14']],
  // Read as "not true", these sent https to a local http test server, which failed with a TLS error.
  ['brevo+api://xkeysib-SECRET-1@127.0.0.1:8080?insecure=TRUE', /insecure=TRUE: use true, false/, ['xkeysib-SECRET-1']],
  ['brevo+api://xkeysib-SECRET-1@127.0.0.1:8080?insecure=1', /insecure=1: use true, false/, ['xkeysib-SECRET-1']],
  // A yes/no option written otherwise: read as its default in silence (Zoho's personal host instead of smtppro, a copy in Sent Items).
  ['zoho://ann%40corp.eu:zohoSECRET-15@default?region=eu&organization=TRUE', /organization=TRUE: use true, false/, ['zohoSECRET-15']],
  ['graph://ann%40corp.com@corp.onmicrosoft.com?client_id=app&client_secret=entraSECRET-16&save_to_sent_items=no', /save_to_sent_items=no: use true, false/, ['entraSECRET-16']],
  ['smtp://ann:smtpSECRET-17@smtp.example.com:587?requireTLS=FALSE', /requireTLS=FALSE: use true, false/, ['smtpSECRET-17']],
  // A chain written with commas: "default," was taken as a host name, and every send through it failed on DNS.
  ['failover(brevo+api://xkeysib-SECRET-1@default, mailgun+api://mgSECRET-3:mg.example.com@default)', /separate the DSNs of failover\(\) with spaces, not commas/, ['xkeysib-SECRET-1', 'mgSECRET-3']],
  ['brevo+api://xkeysib-SECRET-1;', /has a host that is not a host name: it holds ";"/, ['xkeysib-SECRET-1']],
  ['failover(brevo+api://xkeysib-SECRET-1@default,mailgun+api://mgSECRET-3:mg.example.com@default)', /separate the DSNs of failover\(\) with spaces, not commas/, ['xkeysib-SECRET-1', 'mgSECRET-3']],
  ['smtp://ann:smtpSECRET-17@smtp.example.com;', /has a host that is not a host name: it holds ";"/, ['smtpSECRET-17']],
  // Quotes kept by an env file (Docker's env_file keeps them): the error named no quote.
  ['"brevo+api://xkeysib-SECRET-1@default"', /wrapped in quotes/, ['xkeysib-SECRET-1']],
  ["'failover(brevo+api://xkeysib-SECRET-1@default memory://)'", /wrapped in quotes/, ['xkeysib-SECRET-1']],
  // A port where the adapter takes none: the tenant is not a host (smtp_port= is), and @default is the provider's own endpoint.
  ['office365+oauth://ann%40corp.com@corp.onmicrosoft.com:25?client_id=app&client_secret=entraSECRET-18', /has a port, which this adapter does not use/, ['entraSECRET-18']],
  ['brevo+api://xkeysib-SECRET-1@default:8443', /has a port, which this adapter does not use/, ['xkeysib-SECRET-1']],
  ['brevo+api://xkeysib-SECRET-1@default?timeout=soon', /timeout=soon, which is not a whole number/, ['xkeysib-SECRET-1']],
  ['mailjet+api://PUBKEY-2:mjSECRET-2', /not a valid DSN/, ['PUBKEY-2', 'mjSECRET-2']],
  ['mailjet+api://PUBKEY-2@default', /lacks the secret key/, ['PUBKEY-2']],
  ['mailgun+api://mgSECRET-3@default', /lacks the sending domain/, ['mgSECRET-3']],
  ['mailgun+api://mgSECRET-3:mg.example.com@default?region=asia', /region=asia: use us, eu/, ['mgSECRET-3']],
  ['mailgun+api://mgSECRET-3:mg.example.com', /not a valid DSN|no "@default"/, ['mgSECRET-3']],
  ['smtp2go+api://api-SECRET-4', /no "@default".*lacks the API key/, ['api-SECRET-4']],
  ['smtp2go+api://api-SECRET-4@default?region=mars', /region=mars: use us, eu, au/, ['api-SECRET-4']],
  ['ses+api://AKIA5:awsSECRET-5', /not a valid DSN/, ['AKIA5', 'awsSECRET-5']],
  ['ses+api://AKIA5-SECRET@default?region=eu-west-1', /needs both ACCESS:SECRET/, ['AKIA5-SECRET']],
  ['ses+api://AKIA5:awsSECRET-5@default?regoin=eu-west-1', /"regoin"/, ['AKIA5', 'awsSECRET-5']],
  ['smtp://ann:smtpSECRET-6@', /no host|not a valid DSN/, ['smtpSECRET-6']],
  ['smtp://ann:smtpSECRET-6@default', /needs a host/, ['smtpSECRET-6']],
  ['smtp://ann:smtpSECRET-6@mail.example.com:587?maxConnections=many', /maxConnections=many/, ['smtpSECRET-6']],
  ['smtp://ann:smtpSECRET-6@mail.example.com:99999', /not a valid DSN/, ['smtpSECRET-6']],
  ['smtps://ann:smtpSECRET-6@mail.example.com?requireTSL=false', /"requireTSL"/, ['smtpSECRET-6']],
  ['gmail://ann%40gmail.com@default', /lacks a password/, []],
  ['zoho://ann%40example.com:zohoSECRET-7@default?region=mars', /unknown Zoho region "mars"/, ['zohoSECRET-7']],
  ['office365://shop%40corp.com@default', /lacks the password/, []],
  ['office365://:o365SECRET-8@default', /lacks the mailbox/, ['o365SECRET-8']],
  ['office365+oauth://shop%40corp.com@default?client_id=app&client_secret=oauthSECRET-9', /names no tenant/, ['oauthSECRET-9']],
  ['office365+oauth://shop%40corp.com@contoso.onmicrosoft.com?client_id=app', /lacks client_secret/, []],
  ['office365+oauth://shop%40corp.com@contoso.onmicrosoft.com?client_secret=oauthSECRET-9', /lacks client_id/, ['oauthSECRET-9']],
  ['office365+oauth://@contoso.onmicrosoft.com?client_id=app&client_secret=oauthSECRET-9', /lacks the mailbox/, ['oauthSECRET-9']],
  ['office365+oauth://shop%40corp.com@contoso.onmicrosoft.com?client_id=app&client_secret=oauthSECRET-9&smtp_port=0', /smtp_port=0/, ['oauthSECRET-9']],
  ['graph://shop%40corp.com@default?client_id=app&client_secret=graphSECRET-10', /names no tenant/, ['graphSECRET-10']],
  ['graph://shop%40corp.com@contoso.onmicrosoft.com?client_secret=graphSECRET-10', /lacks client_id/, ['graphSECRET-10']],
  ['graph://shop%40corp.com@contoso.onmicrosoft.com?client_id=app', /lacks client_secret/, []],
  ['graph://shop%40corp.com@contoso.onmicrosoft.com?client_id=app&client_secert=graphSECRET-11', /lacks client_secret \(it has "client_secert": did you mean "client_secret"\?\)/, ['graphSECRET-11']],
  ['graph://@contoso.onmicrosoft.com?client_id=app&client_secret=graphSECRET-10', /lacks the mailbox/, ['graphSECRET-10']],
  ['graph://shop%40corp.com@contoso.onmicrosoft.com?client_id=app&client_secret=graphSECRET-10&save_to_sent=false', /"save_to_sent"/, ['graphSECRET-10']],
  ['outbox://./outbox?nmae=x', /"nmae"/, []],
  ['memory://?limit=3', /"limit"/, []],
  ['failover(brevo+api://xkeysib-GOOD-11@default mailgun+api://mgSECRET-11@default)', /mailgun\+api DSN .* lacks the sending domain/, ['xkeysib-GOOD-11', 'mgSECRET-11']],
  ['pigeon://coop', /unknown DSN scheme "pigeon"/, []],
  ['failover()', /at least one/, []],
  // A typo names what is wrong: the parenthesis left open, the port that is not a number.
  ['failover(smtp://ann:smtpSECRET-6@mail.example.com:587 brevo+api://xkeysib-SECRET-1@default', /no closing "\)"/, ['smtpSECRET-6', 'xkeysib-SECRET-1']],
  ['smtp://ann:smtpSECRET-6@mail.example.com:58a7', /not a valid DSN URL: the port "58a7" is not a number from 1 to 65535/, ['smtpSECRET-6']],
  ['smtp://ann:smtpSECRET-6@mail.example.com:0', /the port "0" is not a number from 1 to 65535/, ['smtpSECRET-6']],
  // Quotes kept by an env file (Docker's --env-file, systemd) around the value.
  ['"smtp://ann:smtpSECRET-6@mail.example.com:587"', /wrapped in quotes/, ['smtpSECRET-6']],
  ["'brevo+api://xkeysib-SECRET-1@default'", /wrapped in quotes/, ['xkeysib-SECRET-1']],
  // A bare API key set as the whole DSN (MAILROOM_DSN=<key>): it is a secret, never printed, in part or whole.
  ['xkeysib-0123456789abcdef0123456789abcdef-SECRET12', /is not a DSN/, ['xkeysib', '0123456789abcdef', 'SECRET12']],
  ['8d3c2a1b-5e4f-4a6b-9c7d-0e1f2a3b4c5d', /is not a DSN/, ['8d3c2a1b', '0e1f2a3b4c5d']],
  ['SG.abcdefSECRET13.ghijklSECRET13_x', /is not a DSN/, ['abcdefSECRET13', 'SG.abc']],
];

function configErrorOf(dsn: string): MailError {
  try {
    createMailer({ dsn, journal: false });
  } catch (error) {
    return error as MailError;
  }
  throw new Error(`createMailer accepted ${dsn}`);
}

describe('DSN mistakes at startup', () => {
  it.each(MALFORMED)('createMailer refuses %s at once: CONFIG with a remedy, no secret', (dsn, says, secrets) => {
    const error = configErrorOf(dsn);
    expect(error).toBeInstanceOf(MailError);
    expect(error.code).toBe('CONFIG');
    expect(error.message).toMatch(says);
    expect(error.remedy).toMatch(/README "Configuration strings"/);
    const shown = `${error.message} ${error.remedy}`;
    for (const secret of secrets) expect(shown).not.toContain(secret);
  });

  it('the remedy shows the form of the scheme at fault', () => {
    expect(configErrorOf('brevo+api://xkeysib-SECRET').remedy).toContain('brevo+api://KEY@default');
    expect(configErrorOf('mailgun+api://KEY@default').remedy).toContain('mailgun+api://KEY:mg.example.com@default');
    expect(configErrorOf('graph://a%40corp.com@default?client_id=c&client_secret=s').remedy).toContain('graph://user%40corp.com@TENANT?client_id=');
  });

  it('accepts a well-formed DSN of every scheme', async () => {
    const mailer = createMailer({
      dsn: 'failover(smtp://ann:pw@127.0.0.1:9 gmail://ann%40gmail.com:pw@default office365://shop%40corp.com:pw@default office365+oauth://shop%40corp.com@contoso.onmicrosoft.com?client_id=a&client_secret=s graph://shop%40corp.com@contoso.onmicrosoft.com?client_id=a&client_secret=s brevo+api://K@default mailjet+api://K:S@default mailgun+api://K:mg.example.com@default?region=eu smtp2go+api://K@default?region=eu ses+api://A:S@default?region=eu-west-1 memory://)',
      journal: false,
    });
    expect((await mailer.adapters()).map((adapter) => adapter.name)).toEqual(['smtp', 'gmail', 'office365', 'office365-2', 'graph', 'brevo', 'mailjet', 'mailgun', 'smtp2go', 'ses', 'memory']);
    await mailer.close();
  });
});

// smtps:// is implicit TLS; 587 (and 25) greet in plain text and upgrade with STARTTLS. The TLS
// handshake then failed at the first send; the mistake is plain from the DSN, so createMailer says it.
describe('smtps:// on a STARTTLS port', () => {
  it.each([587, 25])('createMailer refuses smtps://…:%i with CONFIG and the two right forms, no password', (port) => {
    const error = configErrorOf(`smtps://ann:smtpSECRET-21@mail.example.com:${port}`);
    expect(error).toBeInstanceOf(MailError);
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain(`the smtps DSN "smtps://ann:***@mail.example.com:${port}" asks for implicit TLS (smtps://) on port ${port}, where the server expects STARTTLS`);
    expect(error.remedy).toMatch(/^Ports 587 and 25 use STARTTLS: write smtp:\/\/user:pass@host:587 .*, or smtps:\/\/user:pass@host:465 for implicit TLS/);
    expect(`${error.message} ${error.remedy}`).not.toContain('smtpSECRET-21');
  });

  it('in a failover chain too', () => {
    expect(configErrorOf('failover(brevo+api://K@default smtps://ann:pw@mail.example.com:587)').message).toMatch(/implicit TLS \(smtps:\/\/\) on port 587/);
  });

  it('keeps the forms that work: smtps:// on 465 or without a port, smtp:// on 587, and smtp:// on 465 (implicit TLS there whatever the scheme)', async () => {
    const mailer = createMailer({ dsn: 'failover(smtps://a:p@mail.example.com:465 smtps://a:p@mail.example.com smtp://a:p@mail.example.com:587 smtp://a:p@mail.example.com:465)', journal: false });
    expect((await mailer.adapters()).map((adapter) => adapter.endpoint?.tls)).toEqual(['implicit', 'implicit', 'starttls', 'implicit']);
    await mailer.close();
  });

  it('smtpAdapter({ port: 587, secure: true }) is taken as meant: the explicit option says so', async () => {
    const mailer = createMailer({ adapters: [smtpAdapter({ host: 'mail.example.com', port: 587, secure: true })], journal: false });
    expect((await mailer.adapters())[0]!.endpoint).toMatchObject({ port: 587, tls: 'implicit' });
    await mailer.close();
  });
});

// A configuration file's `dsn` is the same DSN as --dsn or MAILROOM_DSN and must get the same
// remedy. The file's error kept only the message, which the catalogue then read as a failed TLS
// upgrade: "use the right port ... or set requireTLS=false", nothing about the scheme.
describe('a DSN mistake in the configuration file keeps the DSN\'s remedy', () => {
  const SMTPS_587 = 'smtps://ann:smtpSECRET-22@mail.example.com:587';
  const REMEDY = 'Ports 587 and 25 use STARTTLS: write smtp://user:pass@host:587 (mailroom upgrades with STARTTLS and requires it by default), or smtps://user:pass@host:465 for implicit TLS (README "Gmail, Zoho, any SMTP server, smart hosts").';

  it('loadConfigFile: smtps:// on 587 says the two right forms, and no password', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-config-dsn-'));
    try {
      await writeFile(join(dir, 'mailroom.config.json'), JSON.stringify({ dsn: SMTPS_587, retry: { attempts: 0 } }));
      const error = await loadConfigFile(join(dir, 'mailroom.config.json')).then(() => undefined, (thrown: unknown) => thrown as MailError);
      expect(error).toBeInstanceOf(MailError);
      expect(error!.message).toMatch(/mailroom\.config\.json: option "dsn": the smtps DSN .* on port 587.*; option "retry\.attempts"/);
      expect(error!.remedy).toBe(REMEDY);
      expect(`${error!.message} ${error!.remedy}`).not.toContain('smtpSECRET-22');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('mailroom verify prints the same remedy from the file as from --dsn, never requireTLS=false', async () => {
    await builtCli();
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-config-dsn-'));
    try {
      await writeFile(join(dir, 'mailroom.config.json'), JSON.stringify({ dsn: SMTPS_587 }));
      const fromFile = await runCli(['verify', '--journal', 'off'], { cwd: dir });
      // From a folder with no configuration file: the file would be read (and refused) first.
      const fromFlag = await runCli(['verify', '--journal', 'off', '--dsn', SMTPS_587], { cwd: await mkdtemp(join(tmpdir(), 'mailroom-no-config-')) });
      expect(fromFile.code).toBe(1);
      expect(fromFile.stderr).toContain(`remedy: ${REMEDY}`);
      expect(fromFile.stderr).not.toContain('requireTLS=false');
      expect(fromFlag.stderr).toContain(`remedy: ${REMEDY}`);
      expect(fromFile.stderr + fromFile.stdout).not.toContain('smtpSECRET-22');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('DSN query values', () => {
  it('keeps a "+" in a query value (an Entra client secret), decoding only %XX', () => {
    const secret = 'Abc8Q~x+y/z=w';
    for (const scheme of ['graph', 'office365+oauth']) {
      const dsn = parseDsn(`${scheme}://shop%40corp.com@contoso.onmicrosoft.com?client_id=app&client_secret=${secret}`);
      expect(dsn.options.client_secret, scheme).toBe(secret);
      expect(parseDsn(`${scheme}://shop%40corp.com@t?client_id=app&client_secret=${encodeURIComponent(secret)}`).options.client_secret).toBe(secret);
    }
    expect(parseDsn('graph://a%40corp.com@t?client_id=app&client_secret=a%26b%25c#d').options.client_secret).toBe('a&b%c#d');
  });
});

describe('verify()', () => {
  it('reports every adapter, and never throws, even when an adapter check throws something foreign', async () => {
    const adapter = (name: string, verify?: () => Promise<void>): MailAdapter => ({
      name,
      capabilities: FULL_CAPABILITIES,
      send: () => Promise.reject(new Error('not used')),
      ...(verify ? { verify } : {}),
    });
    const mailer = createMailer({
      adapters: [
        adapter('throws', () => {
          throw new TypeError('boom');
        }),
        adapter('unchecked'),
        adapter('fine', () => Promise.resolve()),
      ],
      journal: false,
    });
    const results = await mailer.verify();
    expect(results.map((result) => [result.adapter, result.ok, result.error?.code])).toEqual([
      ['throws', false, 'TRANSIENT'],
      ['unchecked', true, undefined],
      ['fine', true, undefined],
    ]);
    await mailer.close();
  });
});

describe('createMailer refuses an option it does not know (a typo, or a setting put in the wrong place)', () => {
  it.each([
    [{ dsn: 'memory://', journal: false, retries: { attempts: 5 } }, /unknown option "retries"/],
    [{ dsn: 'memory://', journal: false, timeoutMS: 1000 }, /unknown option "timeoutMS"/],
    // Strapi's settings.defaultFrom written into providerOptions: it was ignored, and mail left without that sender.
    [{ dsn: 'memory://', journal: false, defaultFrom: 'shop@example.com' }, /unknown option "defaultFrom"/],
    // One level down: three attempts instead of the five meant, and no word about it.
    [{ dsn: 'memory://', journal: false, retry: { attempt: 5 } }, /unknown option "retry.attempt"/],
    [{ dsn: 'memory://', journal: false, cooldown: { periodMS: 1000 } }, /unknown option "cooldown.periodMS"/],
  ])('%o', (options, says) => {
    let error: unknown;
    try {
      createMailer(options as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).code).toBe('CONFIG');
    expect((error as MailError).message).toMatch(says);
    expect((error as MailError).message).toMatch(/known options: .*(timeoutMs|attempts|periodMs)/);
  });
});

describe('createMailer refuses a chain option whose value it cannot use, as the configuration file does', () => {
  it.each([
    [{ timeoutMs: 0 }, /option "timeoutMs": expected a whole number of 1 or more/],
    [{ timeoutMs: '30000' }, /option "timeoutMs": expected a whole number of 1 or more/],
    [{ retry: { attempts: 0 } }, /option "retry.attempts": expected a whole number of 1 or more/],
    [{ retry: { attempts: '3' } }, /option "retry.attempts": expected a whole number of 1 or more/],
    [{ retry: { baseDelayMs: -5 } }, /option "retry.baseDelayMs": expected a whole number of 0 or more/],
    [{ cooldown: { failures: -1 } }, /option "cooldown.failures": expected a whole number of 1 or more/],
    [{ onAmbiguous: 'retry' }, /option "onAmbiguous": expected one of "failover"\|"stop"/],
    // Past 2^31 - 1 ms Node fires a timer after 1 ms: "no limit" would time out every attempt at once.
    [{ timeoutMs: 2 ** 31 }, /option "timeoutMs": expected at most 2147483647 ms/],
    [{ timeoutMs: Number.MAX_SAFE_INTEGER }, /option "timeoutMs": expected at most 2147483647 ms/],
    [{ retry: { maxDelayMs: 2 ** 32 } }, /option "retry.maxDelayMs": expected at most 2147483647 ms/],
    [{ retry: { baseDelayMs: 2 ** 31 } }, /option "retry.baseDelayMs": expected at most 2147483647 ms/],
  ])('%o', (options, says) => {
    let error: unknown;
    try {
      createMailer({ dsn: 'memory://', journal: false, ...options } as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).code).toBe('CONFIG');
    expect((error as MailError).message).toMatch(says);
  });
});

describe('the journal option\'s values, as JavaScript may pass them', () => {
  it.each([
    // A truthy string: every body would be kept although the caller asked for none.
    [{ store: 'memory://', storeContent: 'false' }, /option "journal.storeContent": expected true or false, got a string/],
    // Read as "no expiry": entries would be kept for ever.
    [{ store: 'memory://', ttlMs: '30d' }, /option "journal.ttlMs": expected a whole number of milliseconds, 0 or more .*got a string/],
    [{ store: 'memory://', ttlMs: -1 }, /option "journal.ttlMs": .*got -1/],
    [{ store: 5 }, /journal store: expected a file path, .* got a number/],
    [{ store: '' }, /journal store: expected a file path, .* got an empty string/],
    [null, /the journal option must be false, a store .* got null/],
    [true, /the journal option must be false, a store .* got true/],
    [42, /the journal option must be false, a store .* got a number/],
  ])('%j is CONFIG at createMailer, not a journal that silently does otherwise', (journal, says) => {
    let error: unknown;
    try {
      createMailer({ dsn: 'memory://', journal: journal as never });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).code).toBe('CONFIG');
    expect((error as MailError).message).toMatch(says);
  });

  it.each([5, '', 'postgres://db.internal/mail', { redis: 5 }])('sharedLimits %j is CONFIG naming the option, not a TypeError', (sharedLimits) => {
    let error: unknown;
    try {
      createMailer({ dsn: 'memory://', journal: false, sharedLimits: sharedLimits as never });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).code).toBe('CONFIG');
    expect((error as MailError).message).toMatch(/the sharedLimits option must be a redis:\/\/ \(or rediss:\/\/\) URL/);
  });

  it.each([[{ waitMs: '30s' }, 'waitMs'], [{ staleAfterMs: -1 }, 'staleAfterMs'], [{ waitMs: 1.5 }, 'waitMs']])('idempotency %j is CONFIG naming the field', (idempotency, field) => {
    let error: unknown;
    try {
      createMailer({ dsn: 'memory://', journal: false, idempotency: idempotency as never });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).code).toBe('CONFIG');
    expect((error as MailError).message).toContain(`option "idempotency.${field}": expected a whole number of milliseconds, 0 or more`);
  });

  it('the values it can use are taken as they are', async () => {
    const mailer = createMailer({ dsn: 'memory://', from: 'shop@example.com', journal: { store: 'memory://', storeContent: false, ttlMs: 0 } });
    try {
      const sent = await mailer.send({ to: 'ann@example.com', text: 'hello' });
      expect((await mailer.journal.get(sent.id))?.content).toBeUndefined();
    } finally {
      await mailer.close();
    }
  });
});

describe('checkDsnChain and redactDsn given what an unset variable holds', () => {
  it('checkDsnChain(undefined) is CONFIG asking whether MAILROOM_DSN is set; redactDsn prints it as nothing', async () => {
    const { checkDsnChain, redactDsn } = await import('../src/index.js');
    for (const value of [undefined, null, 5]) {
      let error: unknown;
      try {
        checkDsnChain(value as never);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(MailError);
      expect(error).toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/the DSN must be a string/) });
      expect(redactDsn(value as never)).toBe('');
    }
    expect(() => checkDsnChain(undefined as never)).toThrow(/is MAILROOM_DSN set\?/);
  });
});

describe('the longest attempt timeout', () => {
  it('2147483647 ms (the longest a Node timer waits) still lets a 50 ms attempt finish', async () => {
    const slow: MailAdapter = {
      name: 'slow',
      capabilities: FULL_CAPABILITIES,
      async send(message, ctx) {
        await new Promise((done) => setTimeout(done, 50));
        ctx.signal.throwIfAborted();
        return { accepted: message.to.map((to) => to.address), rejected: [] };
      },
    };
    const mailer = createMailer({ adapters: [slow], journal: false, from: 'shop@example.com', timeoutMs: 2 ** 31 - 1, retry: { attempts: 1 } });
    try {
      await expect(mailer.send({ to: 'ann@example.com', text: 'hello' })).resolves.toMatchObject({ status: 'sent', adapter: 'slow' });
    } finally {
      await mailer.close();
    }
  });

  it('the configuration file refuses a longer one, as createMailer does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-timer-'));
    try {
      await writeFile(join(dir, 'mailroom.config.json'), JSON.stringify({ dsn: 'memory://', timeoutMs: 2 ** 31 }));
      await expect(loadConfigFile(join(dir, 'mailroom.config.json'))).rejects.toThrow(/option "timeoutMs": expected at most 2147483647 ms/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('verify() gives each failed check the catalogue\'s remedy, as a failed send gets', () => {
  it('a closed port is "nothing listens at this host and port", not the generic passing-failure advice', async () => {
    const { closedPort } = await import('./conformance.js');
    const port = await closedPort();
    const mailer = createMailer({ dsn: `brevo+api://xkeysib-SECRET-1@127.0.0.1:${port}?insecure=true`, journal: false });
    try {
      const [result] = await mailer.verify();
      expect(result!.ok).toBe(false);
      expect(result!.error!.code).toBe('TRANSIENT');
      expect(result!.error!.message).toMatch(/ECONNREFUSED/);
      expect(result!.error!.remedy).toMatch(/Nothing listens at this host and port/);
    } finally {
      await mailer.close();
    }
  });
});

describe('createMailer options of the wrong type', () => {
  it.each([
    [{ dsn: 123 }, /the dsn option must be a string/],
    [{ dsn: ['smtp://u:p@h:587'] }, /the dsn option must be a string/],
    [{ adapters: 'memory://' }, /the adapters option must be an array of adapters.*dsn/],
    // From JavaScript a "10s" or a NaN would reach setTimeout, which reads it as 1 ms.
    [{ dsn: 'memory://', timeoutMs: '10s' }, /option "timeoutMs": expected a whole number of 1 or more/],
    [{ dsn: 'memory://', timeoutMs: Number.NaN }, /option "timeoutMs": expected a whole number of 1 or more/],
    // The mailer's own sender and reply-to: said once at setup, not as every message's INVALID_MESSAGE.
    [{ dsn: 'memory://', from: 'shop at example' }, /createMailer: the from option is not an address/],
    [{ dsn: 'memory://', replyTo: ['help@example.com', 'not an address'] }, /createMailer: the replyTo option is not an address/],
  ])('%j is CONFIG naming the option, not a TypeError', (options, says) => {
    let error: unknown;
    try {
      createMailer({ ...(options as object), journal: false });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).code).toBe('CONFIG');
    expect((error as MailError).message).toMatch(says);
  });
});
