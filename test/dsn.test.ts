// Configuration strings: parsing, failover chains, redaction of every secret, and clear CONFIG errors.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactDsn } from '../src/index.js';
import { adaptersFromDsn, parseDsn, parseDsnChain } from '../src/kit/index.js';
import { checkDsnChain, dsnSecrets } from '../src/core/dsn.js';
import { MailError } from '../src/core/errors.js';

describe('DSN strings', () => {
  it('decodes users, passwords, hosts, ports and options', () => {
    const dsn = parseDsn('smtp://user%40corp.com:p%40ss%3Aword@mail.example.com:2525?pool=true');
    expect(dsn).toMatchObject({ scheme: 'smtp', user: 'user@corp.com', password: 'p@ss:word', host: 'mail.example.com', port: 2525, isDefaultHost: false, options: { pool: 'true' } });
    expect(parseDsn('mailgun+api://KEY:example.com@default?region=eu')).toMatchObject({ user: 'KEY', password: 'example.com', isDefaultHost: true, options: { region: 'eu' } });
  });

  it('splits a failover chain in order', () => {
    const chain = parseDsnChain('failover(brevo+api://K1@default  mailgun+api://K2:example.com@default ses+api://A:S@default?region=eu-west-1)');
    expect(chain.map((d) => d.scheme)).toEqual(['brevo+api', 'mailgun+api', 'ses+api']);
  });

  it('takes paths for the outbox and nothing for memory', () => {
    expect(parseDsn('outbox://./outbox').path).toBe('./outbox');
    expect(parseDsn('outbox:///var/mail/out').path).toBe('/var/mail/out');
    expect(parseDsn('memory://').scheme).toBe('memory');
  });

  it('redacts every secret: passwords, API keys in the user part, secret options', () => {
    const text = redactDsn('failover(smtp://ann%40corp.com:hunter2@mail.example.com:587 brevo+api://xkeysib-SECRET@default office365+oauth://ann%40corp.com@tenant?client_id=app&client_secret=s3cr3t graph://a%40corp.com@t?client_id=c&client_secret=zz9)');
    for (const secret of ['hunter2', 'xkeysib-SECRET', 's3cr3t', 'zz9']) expect(text).not.toContain(secret);
    expect(text).toContain('smtp://ann%40corp.com:***@mail.example.com:587');
    expect(text).toContain('brevo+api://***@default');
    expect(text).toContain('client_id=app');
    expect(parseDsn('ses+api://AKIAXXX:wJalrSECRET@default?region=eu-west-1').redacted).toBe('ses+api://***:***@default?region=eu-west-1');
  });

  it('takes an AWS secret key with "/" and "+" as written, and never shows it', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    const dsn = parseDsn(`ses+api://AKIAIOSFODNN7EXAMPLE:${secret}@default?region=eu-west-1`);
    expect(dsn).toMatchObject({ user: 'AKIAIOSFODNN7EXAMPLE', password: secret, isDefaultHost: true, options: { region: 'eu-west-1' } });
    expect(dsn.redacted).toBe('ses+api://***:***@default?region=eu-west-1');
    expect(parseDsn(`ses+api://AKIAIOSFODNN7EXAMPLE:${encodeURIComponent(secret)}@default`).password).toBe(secret);
    expect(redactDsn(`failover(ses+api://A:${secret}@default brevo+api://K@default)`)).not.toContain('K7MDENG');
    // A DSN that still does not parse keeps a secret with "/" out of its error text.
    let message = '';
    try {
      parseDsn(`ses+api://A:${secret}@default:notaport`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/not a valid DSN/);
    expect(message).not.toContain('K7MDENG');
  });

  it('says what is wrong, without the secret, for unknown schemes and malformed strings', () => {
    expect(() => parseDsn('pigeon://coop')).toThrow(/unknown DSN scheme "pigeon": use one of outbox, memory, smtp/);
    expect(() => parseDsn('not a dsn')).toThrow(/is not a DSN/);
    let message = '';
    try {
      parseDsn('smtp://user:topsecret@');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/no host|not a valid DSN/);
    expect(message).not.toContain('topsecret');
    expect(() => parseDsnChain('failover()')).toThrow(/at least one/);
  });

  it('keeps the credentials out of the error when "@default" is forgotten', () => {
    // The commonest slip: the key (or key:secret) is then read as the host (and port).
    const slips = ['mailjet+api://PUBKEY1:mjSECRET1', 'ses+api://AKIA1:awsSECRET/2x', 'brevo+api://xkeysib-SECRET3', 'smtp2go+api://api-SECRET4', 'mailgun+api://mgSECRET5:mg.example.com', 'smtp://ann:smtpSECRET6'];
    for (const slip of slips) {
      let message = '';
      try {
        // When it parses, the key sits in the host, and the adapter's error quotes the redacted form.
        message = parseDsn(slip).redacted;
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, slip).toMatch(/:\/\/\*\*\*/);
      for (const secret of ['PUBKEY1', 'mjSECRET1', 'awsSECRET', 'SECRET3', 'SECRET4', 'mgSECRET5', 'smtpSECRET6']) expect(message, slip).not.toContain(secret);
    }
    expect(redactDsn('failover(mailjet+api://K:mjSECRET7 brevo+api://x@default)')).not.toContain('mjSECRET7');
  });

  it('refuses a query option the adapter does not use (a typo), naming it without its value', async () => {
    await expect(adaptersFromDsn('mailgun+api://KEY:example.com@default?regoin=eu')).rejects.toThrow(/"regoin" \(did you mean "region"\?\), which this adapter does not use/);
    await expect(adaptersFromDsn('brevo+api://KEY@default?region=eu')).rejects.toThrow(/brevo\+api:\/\/\*\*\*@default\?region=\*\*\*" has "region"/);
    const [adapter] = await adaptersFromDsn('mailgun+api://KEY:example.com@default?region=eu');
    expect(adapter!.name).toBe('mailgun');
  });

  it('suggests the option meant, from the names the adapter reads', () => {
    expect(() => checkDsnChain('sendgrid+api://SG.x@default?regoin=eu')).toThrow('has "regoin" (did you mean "region"?), which this adapter does not use');
    expect(() => checkDsnChain('smtp://a:p@mail.example.com:587?maxconnections=2')).toThrow('(did you mean "maxConnections"?)');
    expect(() => checkDsnChain('brevo+api://K@default?colour=red')).toThrow(/has "colour", which this adapter does not use/);
  });

  // The reader runs once per DSN: its mistake names the DSN as printed from the options it read
  // before the mistake, the same printed form redactDsn gives; an option after it stays hidden.
  it('names the DSN in a reader\'s mistake as redactDsn prints it', () => {
    for (const [dsn, printed] of [
      ['mailgun+api://KEY@default?region=eu', 'mailgun+api://***@default?region=***'],
      ['zoho://a%40b.eu:p@default?region=eu&organization=maybe', 'zoho://a%40b.eu:***@default?region=eu&organization=maybe'],
      ['outbox://./mail?name=out&nmae=x', 'outbox://./mail?name=out&nmae=***'],
    ] as const) {
      expect(redactDsn(dsn)).toBe(printed);
      expect(() => checkDsnChain(dsn)).toThrow(`DSN "${printed}"`);
    }
  });

  it('creates outbox and memory adapters from their DSNs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailroom-dsn-'));
    const adapters = await adaptersFromDsn(`failover(outbox://${dir} memory://)`);
    expect(adapters.map((a) => a.name)).toEqual(['outbox', 'memory']);
    expect(String(adapters[0])).toBe(`outbox(${dir})`);
    expect(String(adapters[1])).toBe('memory');
  });

  // Everything a DSN mistake can print: the error's message and remedy, and redactDsn() of the same text.
  function printedFor(dsn: string): string {
    let printed = redactDsn(dsn);
    try {
      checkDsnChain(dsn);
    } catch (error) {
      expect(error).toBeInstanceOf(MailError);
      printed += ` ${(error as MailError).message} ${(error as MailError).remedy ?? ''}`;
    }
    return printed;
  }

  function expectHidden(dsn: string, secret: string): void {
    const printed = printedFor(dsn);
    for (const form of [secret, encodeURIComponent(secret), ...secret.split('?')]) expect(printed, dsn).not.toContain(form);
  }

  it('reads a "?" in a password or key as part of it, and never prints it', () => {
    const smtp = parseDsn('smtp://shop%40example.com:2024?0917@smtp.example.com:587');
    expect(smtp).toMatchObject({ user: 'shop@example.com', password: '2024?0917', host: 'smtp.example.com', port: 587, options: {} });
    expectHidden('smtp://shop%40example.com:2024?0917@smtp.example.com:587', '2024?0917');
    const mailjet = parseDsn('mailjet+api://KEY:SECRET?with-q@default');
    expect(mailjet).toMatchObject({ user: 'KEY', password: 'SECRET?with-q', isDefaultHost: true });
    expectHidden('mailjet+api://KEY:SECRET?with-q@default', 'SECRET?with-q');
    // Options still follow the host.
    expect(parseDsn('mailgun+api://K?ey:example.com@default?region=eu')).toMatchObject({ user: 'K?ey', options: { region: 'eu' } });
    expectHidden('mailgun+api://K?ey:example.com@default?region=eu', 'K?ey');
    // A DSN that still does not parse hides everything up to its last "@".
    expectHidden('smtp://ann:pw2024?ss/wo#rd@smtp.example.com:notaport', 'pw2024?ss/wo#rd');
  });

  it('never prints the value of an option no adapter reads: a misspelled secret stays hidden', () => {
    const graph = 'graph://ann%40corp.com@tenant.onmicrosoft.com?client_id=app&client_secert=Abc8Q~realSecretValue';
    expect(() => checkDsnChain(graph)).toThrow(/lacks client_secret/);
    expectHidden(graph, 'Abc8Q~realSecretValue');
    expectHidden('smtp://ann:pw@smtp.example.com:587?pwd=hunter2hunter2', 'hunter2hunter2');
    expectHidden('brevo+api://xkeysib-0123@default?passwd=letmein99', 'letmein99');
    expect(() => checkDsnChain('smtp://ann:pw@smtp.example.com:587?pwd=hunter2hunter2')).toThrow(/"pwd", which this adapter does not use/);
    // The options an adapter reads keep their values: they say which endpoint or region is used.
    expect(redactDsn('mailgun+api://KEY:example.com@default?region=eu')).toBe('mailgun+api://***:***@default?region=eu');
  });
});


describe('dsnSecrets: what scrubbers built from a DSN hide (alerts, admin answers)', () => {
  it('every credential of a chain, but not the Mailgun sending domain in its password slot', () => {
    const secrets = dsnSecrets('failover(smtp://shop%40example.com:SmtpPass1@mail.example.com:587 mailgun+api://key-0123456789:mg.example.com@default brevo+api://xkeysib-abc@default)');
    expect(secrets).toEqual(expect.arrayContaining(['SmtpPass1', 'key-0123456789', 'xkeysib-abc']));
    expect(secrets).not.toContain('mg.example.com');
    expect(secrets).not.toContain('shop@example.com');
  });
});
