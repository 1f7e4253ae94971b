// An option name an adapter factory does not know is a CONFIG error when the adapter is built:
// from JavaScript (no type checker) `regoin: 'eu'` was ignored, and Mailgun's US endpoint used for
// an EU domain. The error names the option, the adapter and the closest known name, never a value.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mailgunAdapter } from '../adapters/mailgun.js';
import { smtpAdapter } from '../adapters/smtp.js';
import { office365Adapter } from '../adapters/office365.js';
import { sesAdapter } from '../adapters/ses.js';
import { memoryAdapter } from '../adapters/memory.js';
import { createMailer, createTemplateRenderer, failover, MailError, startWorker } from '../src/index.js';

const KEY = 'key-0123456789abcdef0123456789abcdef';

function configError(run: () => unknown): MailError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(MailError);
    expect((error as MailError).code).toBe('CONFIG');
    return error as MailError;
  }
  throw new Error('expected a CONFIG error, nothing was thrown');
}

describe('adapter factories refuse an option name they do not know', () => {
  it('mailgunAdapter({ regoin }) names the typo, the adapter and "region", not the key', () => {
    const error = configError(() => mailgunAdapter({ apiKey: KEY, domain: 'mg.example.com', regoin: 'eu' } as never));
    expect(error.message).toContain('the mailgun adapter: unknown option "regoin" (did you mean "region"?)');
    expect(error.message).toMatch(/known options: apiKey, domain, region, baseUrl/);
    expect(error.remedy).toMatch(/ignored/);
    expect(`${error.message} ${error.remedy} ${error.stack}`).not.toContain(KEY);
  });

  it('the same through createMailer({ adapters }), at setup', () => {
    const error = configError(() => createMailer({ adapters: [mailgunAdapter({ apiKey: KEY, domain: 'mg.example.com', apikey: KEY } as never)], journal: false }));
    expect(error.message).toContain('unknown option "apikey" (did you mean "apiKey"?)');
    expect(error.message).not.toContain(KEY);
  });

  it('inside an option that is a group of options: smtp tls, auth; office365 oauth', () => {
    expect(configError(() => smtpAdapter({ host: 'mail.example.com', tls: { rejectUnauthorised: false } } as never)).message).toContain(
      'unknown option "tls.rejectUnauthorised" (did you mean "tls.rejectUnauthorized"?)',
    );
    expect(configError(() => smtpAdapter({ host: 'mail.example.com', auth: { user: 'a@example.com', password: 'pw-SECRET' } } as never)).message).toMatch(
      /unknown option "auth.password"(?!.*pw-SECRET)/,
    );
    expect(configError(() => office365Adapter({ mailbox: 'a@corp.com', oauth: { tenant: 't', clientID: 'c', clientSecret: 's' } } as never)).message).toContain(
      'unknown option "oauth.clientID" (did you mean "oauth.clientId"?)',
    );
    // A relay's limit misspelled: the full default capabilities applied, and the relay refused the send.
    expect(configError(() => smtpAdapter({ host: 'mail.example.com', capabilities: { maxRecipient: 50 } } as never)).message).toContain(
      'the smtp adapter: unknown option "capabilities.maxRecipient" (did you mean "capabilities.maxRecipients"?)',
    );
    expect(smtpAdapter({ host: 'mail.example.com', capabilities: { maxRecipients: 50, tags: false } }).capabilities).toMatchObject({ maxRecipients: 50, tags: false });
  });

  // The AWS SDK writes "$source" into the credentials object it is given, and a resolved identity
  // carries expiration and accountId: inside `credentials` nothing is refused, so one object can serve twice.
  it('ses: a typo is refused; what the AWS SDK adds to a credentials object is not', () => {
    expect(configError(() => sesAdapter({ regoin: 'eu-west-1' } as never)).message).toContain('the ses adapter: unknown option "regoin" (did you mean "region"?)');
    const credentials = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'x', expiration: new Date(), $source: {} };
    expect(() => sesAdapter({ region: 'eu-west-1', credentials })).not.toThrow();
  });

  it('a name far from every known one gets no guess, only the list', () => {
    const message = configError(() => smtpAdapter({ host: 'mail.example.com', pool: true } as never)).message;
    expect(message).toContain('the smtp adapter: unknown option "pool"; known options: name, host, port, secure,');
    expect(message).not.toContain('did you mean');
  });

  // Every factory in adapters/, so an adapter added later cannot skip the check.
  const files = readdirSync(new URL('../adapters/', import.meta.url)).filter((file) => file.endsWith('.ts'));
  it.each(files)('adapters/%s', async (file) => {
    const module = (await import(new URL(`../adapters/${file}`, import.meta.url).href)) as Record<string, unknown>;
    const factories = Object.entries(module).filter(([name, value]) => /^[a-z]\w*Adapter$/.test(name) && typeof value === 'function');
    expect(factories.length).toBe(1);
    const [name, factory] = factories[0]!;
    const error = configError(() => (factory as (options: unknown) => unknown)({ nmae: 'x' }));
    expect(error.message, name).toMatch(/adapter: unknown option "nmae" \(did you mean "name"\?\)/);
  });
});

describe('createMailer refuses an unknown name inside its option groups too', () => {
  it.each([
    [{ limits: { maxRecipient: 5 } }, 'unknown option "limits.maxRecipient" (did you mean "limits.maxRecipients"?)'],
    [{ journal: { stor: 'memory://' } }, 'unknown option "journal.stor" (did you mean "journal.store"?)'],
    [{ templates: { dri: './emails' } }, 'unknown option "templates.dri" (did you mean "templates.dir"?)'],
    // Two levels down: the brand without its name, the body not checked, and no word about it.
    [{ templates: { brand: { nmae: 'Atelier' } } }, 'unknown option "templates.brand.nmae" (did you mean "templates.brand.name"?)'],
    [{ templates: { strict: { bdoy: false } } }, 'unknown option "templates.strict.bdoy" (did you mean "templates.strict.body"?)'],
    [{ idempotency: { waitMS: 5 } }, 'unknown option "idempotency.waitMS" (did you mean "idempotency.waitMs"?)'],
    [{ sharedLimits: { redis: 'redis://127.0.0.1:1', maxWait: 5 } }, 'unknown option "sharedLimits.maxWait" (did you mean "sharedLimits.maxWaitMs"?)'],
    [{ timeoutMS: 1000 }, 'unknown option "timeoutMS" (did you mean "timeoutMs"?)'],
  ])('%o', (options, says) => {
    const error = configError(() => createMailer({ dsn: 'memory://', journal: false, ...options } as never));
    expect(error.message).toContain(`createMailer: ${says}`);
  });
});

describe('createTemplateRenderer refuses an unknown name, the brand\'s too', () => {
  it('names the typo and the closest known name', () => {
    expect(configError(() => createTemplateRenderer({ brand: { colour: '#1f4e79' } } as never)).message).toContain(
      'createTemplateRenderer: unknown option "brand.colour" (did you mean "brand.color"?)',
    );
    expect(configError(() => createTemplateRenderer({ defaultLocal: 'fr' } as never)).message).toContain('unknown option "defaultLocal" (did you mean "defaultLocale"?)');
  });
});

// failover() is documented as an adapter factory ("the chain is an adapter") with the same option
// groups as createMailer: a typo there was ignored, its default (30 s, 3 attempts) used in silence.
describe('failover() refuses an option name it does not know', () => {
  it.each([
    [{ timeoutMS: 5000 }, 'failover(): unknown option "timeoutMS" (did you mean "timeoutMs"?)'],
    [{ retry: { attempt: 2 } }, 'failover(): unknown option "retry.attempt" (did you mean "retry.attempts"?)'],
    [{ cooldown: { period: 1000 } }, 'failover(): unknown option "cooldown.period" (did you mean "cooldown.periodMs"?)'],
  ])('%o', (options, says) => {
    const error = configError(() => failover([memoryAdapter()], options as never));
    expect(error.message).toContain(says);
    expect(error.remedy).toContain('failover(adapters, { name, retry, cooldown, timeoutMs, onAmbiguous })');
  });

  it('the options it documents pass, and createMailer still builds its chain', async () => {
    expect(() => failover([memoryAdapter()], { name: 'microsoft', retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 }, cooldown: { failures: 2, periodMs: 10 }, timeoutMs: 20_000, onAmbiguous: 'stop' })).not.toThrow();
    const mailer = createMailer({ dsn: 'memory://', journal: false, retry: { attempts: 1 }, cooldown: { failures: 1 }, timeoutMs: 1000, onAmbiguous: 'stop' });
    expect((await mailer.adapters()).map((adapter) => adapter.name)).toEqual(['memory']);
    await mailer.close();
  });
});

// startWorker takes the mailer options and its own: its typo was reported as createMailer's, with
// no guess, and one inside a queue object (its pace) passed unseen. Checked before any connection.
describe('startWorker refuses an option name it does not know, as its own', () => {
  it.each([
    [{ concurency: 2 }, 'startWorker: unknown option "concurency" (did you mean "concurrency"?)'],
    [{ queue: { connection: 'redis://127.0.0.1:1', messagesPerMinut: 30 } }, 'startWorker: unknown option "queue.messagesPerMinut" (did you mean "queue.messagesPerMinute"?)'],
    [{ timeoutMS: 1000 }, 'startWorker: unknown option "timeoutMS" (did you mean "timeoutMs"?)'],
  ])('%o', async (options, says) => {
    const error = await startWorker({ dsn: 'memory://', journal: false, queue: 'redis://127.0.0.1:1', readyTimeoutMs: 1, ...options } as never).then(
      () => { throw new Error('expected a CONFIG error'); },
      (thrown: unknown) => thrown as MailError,
    );
    expect(error).toBeInstanceOf(MailError);
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain(says);
    expect(error.remedy).toContain('concurrency, messagesPerMinute, stalledAfterMs, readyTimeoutMs');
  });
});
