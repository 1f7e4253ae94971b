// The SES adapter against aws-ses-v2-local (a real SES v2 emulator, started as a child process),
// checking the raw MIME it receives, plus SES's throttling, rejection and credential errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryAdapter } from '../adapters/memory.js';
import { fromDsn, sesAdapter } from '../adapters/ses.js';
import { parseDsn } from '../src/core/dsn.js';
import { createMailer } from '../src/core/mailer.js';
import { normalizeMessage } from '../src/core/message.js';
import { closedPort, expectFailure, MESSAGES, runConformance, sendContext } from './conformance.js';
import { expectRefusedAttachmentsSkipped } from './helpers/refused-attachments.js';
import { SES_ERRORS, startSesServer, type SesTestServer } from './providers/ses.js';

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const region = 'eu-west-1';

runConformance('ses', async () => {
  const server = await startSesServer({ credentials, region });
  const port = await closedPort();
  return {
    adapter: sesAdapter({ region, credentials, endpoint: server.url }),
    takeArrivals: async () => server.takeArrivals(),
    inject: (fault) => server.fail(fault),
    garble: (how) => server.garble(how),
    reset: () => server.reset(),
    unreachable: () => sesAdapter({ region, credentials, endpoint: `http://127.0.0.1:${port}` }),
    secrets: [credentials.secretAccessKey],
    close: () => server.close(),
  };
}, { faults: ['auth', 'rate-limit', 'server-error', 'rejected', 'drop', 'silent'], unreadableSuccess: 'sent' });

describe('ses specifics', () => {
  let server: SesTestServer;
  beforeAll(async () => {
    server = await startSesServer({ credentials, region });
  });
  afterAll(() => server?.close());
  const adapter = (extra: Parameters<typeof sesAdapter>[0] = {}) => sesAdapter({ region, credentials, endpoint: server.url, ...extra });

  it('sends raw MIME that the emulator stores with subject, bodies and attachment bytes intact', async () => {
    const message = normalizeMessage(MESSAGES.full!);
    const receipt = await adapter({ configurationSet: 'transactional' }).send(message, sendContext());
    const stored = (await server.store()).find((e) => e.messageId === receipt.providerMessageId);
    expect(stored).toBeDefined();
    expect(stored!.subject).toBe(message.subject);
    expect(stored!.from).toContain('shop@example.com');
    expect(stored!.destination.to.join(' ')).toContain('bruce@example.org');
    expect(stored!.destination.cc.join(' ')).toContain('chloe@example.net');
    expect(stored!.body.html).toContain('Merci pour votre commande'); // its parser inlines cid: images as data URIs
    const pdf = stored!.attachments.find((a) => a.filename === 'facture-1042.pdf');
    expect(Buffer.from(pdf!.content, 'base64').equals(message.attachments[0]!.content)).toBe(true);
    expect(stored!.attachments.find((a) => a.cid === 'logo@mailroom')?.contentType).toBe('image/png');

    const request = server.sendRequests.at(-1)!;
    expect(request.ConfigurationSetName).toBe('transactional');
    expect(request.Destination).toEqual({ ToAddresses: ['ann@example.com', 'bruce@example.org'], CcAddresses: ['chloe@example.net'], BccAddresses: ['audit@example.com'] });
    expect(request.EmailTags).toEqual([
      { Name: 'tag-order', Value: 'true' }, { Name: 'tag-confirmation', Value: 'true' },
      { Name: 'orderId', Value: '1042' }, { Name: 'customer', Value: 'c-77' },
    ]);
    const mime = Buffer.from((request.Content as { Raw: { Data: string } }).Raw.Data, 'base64').toString();
    expect(mime).not.toMatch(/^Bcc:/im); // Bcc only in the envelope
    expect(mime).toContain(`Message-ID: ${message.messageId}`);
  });

  it('signs with SigV4 for the configured region', async () => {
    await adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext());
    const authorization = String(server.requests.at(-1)!.headers.authorization);
    expect(authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/\\d{8}/${region}/ses/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$`));
    expect(authorization).not.toContain(credentials.secretAccessKey);
  });

  it('is refused (AUTH) by the SigV4 check when the secret, the key id or the region is wrong', async () => {
    const message = normalizeMessage(MESSAGES['text only']!);
    const wrongSecret = await expectFailure(adapter({ credentials: { ...credentials, secretAccessKey: 'not-the-secret-EXAMPLEKEY' } }).send(message, sendContext()));
    expect(wrongSecret.code).toBe('AUTH');
    expect(wrongSecret.detail).toMatch(/^403 SignatureDoesNotMatch/);
    expect(wrongSecret.message).not.toContain('not-the-secret-EXAMPLEKEY');
    const wrongKey = await expectFailure(adapter({ credentials: { ...credentials, accessKeyId: 'AKIAUNKNOWNEXAMPLE00' } }).send(message, sendContext()));
    expect(wrongKey.code).toBe('AUTH');
    expect(wrongKey.detail).toMatch(/UnrecognizedClientException: The security token included in the request is invalid/);
    const wrongRegion = await expectFailure(adapter({ region: 'us-east-1' }).verify!());
    expect(wrongRegion.code).toBe('AUTH');
    expect(wrongRegion.remedy).toMatch(/region.*ses:GetAccount for verify/);
  });

  it('maps throttling to RATE_LIMITED and MessageRejected to REJECTED with SES\'s text and a remedy', async () => {
    server.script(SES_ERRORS.throttled);
    const throttled = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(throttled.code).toBe('RATE_LIMITED');
    expect(throttled.detail).toBe('429 TooManyRequestsException: Maximum sending rate exceeded.');
    server.script(SES_ERRORS.rejected);
    const rejected = await expectFailure(adapter().send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(rejected.code).toBe('REJECTED');
    expect(rejected.detail).toMatch(/MessageRejected: Email address is not verified/);
    expect(rejected.remedy).toMatch(/sandbox/);
    server.script(SES_ERRORS.noConfigurationSet);
    const missing = await expectFailure(adapter({ configurationSet: 'missing' }).send(normalizeMessage(MESSAGES['text only']!), sendContext()));
    expect(missing.code).toBe('AUTH');
    expect(missing.remedy).toMatch(/configuration set/);
  });

  it('verify() reads the account with GetAccount', async () => {
    await adapter().verify!();
    expect(server.requests.at(-1)!.path).toBe('/v2/email/account');
    expect(server.requests.at(-1)!.method).toBe('GET');
  });

  it('without a region anywhere is AUTH with a remedy naming the region, not a TRANSIENT to retry', async () => {
    const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION, AWS_CONFIG_FILE: process.env.AWS_CONFIG_FILE, AWS_PROFILE: process.env.AWS_PROFILE };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    delete process.env.AWS_PROFILE;
    process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
    try {
      const before = server.requests.length;
      const noRegion = sesAdapter({ credentials, endpoint: server.url });
      const error = await expectFailure(noRegion.send(normalizeMessage(MESSAGES['text only']!), sendContext()));
      expect(error.code).toBe('AUTH');
      expect(error.retryable).toBe(false);
      expect(error.remedy).toMatch(/region=/);
      expect(error.remedy).toMatch(/AWS_REGION/);
      expect((await expectFailure(noRegion.verify!())).code).toBe('AUTH');
      expect(server.requests.length).toBe(before);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('skips a message with an attachment type SES refuses (client.cer, backup.tmp) as UNSUPPORTED, so the next adapter sends it (its refusal stopped the chain)', async () => {
    await expectRefusedAttachmentsSkipped(adapter(), () => server.requests.length, ['client.cer', 'backup.tmp']);
  });

  it('refuses a 51st recipient as UNSUPPORTED', async () => {
    const many = normalizeMessage({ ...MESSAGES['text only']!, to: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`) });
    await expect(adapter().send(many, sendContext())).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it('builds from a DSN: static keys or the default chain, region, configuration set, endpoint', async () => {
    const host = new URL(server.url);
    const built = fromDsn(parseDsn(`ses+api://${credentials.accessKeyId}:${encodeURIComponent(credentials.secretAccessKey)}@${host.hostname}:${host.port}?region=${region}&insecure=true&configuration_set=tx`));
    const receipt = await built.send(normalizeMessage(MESSAGES['text only']!), sendContext());
    expect(receipt.providerMessageId).toMatch(/^ses-/);
    expect(server.sendRequests.at(-1)!.ConfigurationSetName).toBe('tx');
    expect(String(built)).not.toContain(credentials.secretAccessKey);
    expect(String(fromDsn(parseDsn(`ses+api://default?region=${region}`)))).toBe(`ses(${region})`);
    expect(() => fromDsn(parseDsn('ses+api://ONLYKEY@default'))).toThrow(/both ACCESS:SECRET/);
    await built.close!();
  });
});
