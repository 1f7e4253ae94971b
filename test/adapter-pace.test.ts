// `?messagesPerMinute=` on every network adapter's DSN, not only SMTP's: the HTTP APIs, SES and Graph
// count their account's pace in process, declare it as `limits` (so `sharedLimits` counts it across
// instances), and a message over it fails RATE_LIMITED before any request, so the chain moves on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../src/index.js';
import { adaptersFromDsn, checkDsnChain } from '../src/core/dsn.js';
import { MailError } from '../src/core/errors.js';
import { startBrevoServer, type BrevoServer } from './providers/brevo.js';
import { mailErrorOf } from './helpers/assertions.js';
import { startRedis, type RedisHandle } from './helpers/redis-server.js';

const KEY = 'xkeysib-pace-0123456789abcdef';
const order = (n: number) => ({ from: 'shop@example.com', to: `customer${n}@example.com`, subject: `Order ${n}`, text: 'Thank you.' });


describe('messagesPerMinute on any DSN', () => {
  it('is read by every HTTP, SES and Graph DSN and declared as the adapter\'s limits, without its secret', async () => {
    const dsns = [
      `brevo+api://${KEY}@default?messagesPerMinute=40`,
      'mailjet+api://MJKEY:MJSECRET-9876@default?messagesPerMinute=40',
      'mailgun+api://MGKEY-secret:mg.example.com@default?region=eu&messagesPerMinute=40',
      'smtp2go+api://api-S2GSECRET@default?messagesPerMinute=40',
      'postmark+api://PMTOKEN-secret@default?messagesPerMinute=40',
      'sendgrid+api://SG.secret-key@default?messagesPerMinute=40',
      'resend+api://re_secret_key@default?messagesPerMinute=40',
      'sparkpost+api://SPSECRET@default?messagesPerMinute=40',
      'ses+api://AKIAPACE:SESSECRET@default?region=eu-west-1&messagesPerMinute=40',
      'graph://shop%40corp.com@corp.onmicrosoft.com?client_id=app&client_secret=GRAPHSECRET&messagesPerMinute=40',
    ];
    for (const dsn of dsns) {
      expect(() => checkDsnChain(dsn), dsn).not.toThrow();
      const [adapter] = await adaptersFromDsn(dsn);
      expect(adapter!.limits?.messagesPerMinute, dsn).toBe(40);
      for (const secret of [KEY, 'MJSECRET-9876', 'MGKEY-secret', 'S2GSECRET', 'PMTOKEN-secret', 'SG.secret-key', 're_secret_key', 'SPSECRET', 'SESSECRET', 'AKIAPACE', 'GRAPHSECRET']) {
        expect(adapter!.limits!.account, dsn).not.toContain(secret);
      }
    }
    // Two keys of one provider are two accounts; one key is one account wherever it runs.
    const [a] = await adaptersFromDsn(`brevo+api://${KEY}@default?messagesPerMinute=40`);
    const [b] = await adaptersFromDsn('brevo+api://another-key-1234@default?messagesPerMinute=40');
    const [c] = await adaptersFromDsn(`brevo+api://${KEY}@default?messagesPerMinute=10`);
    expect(a!.limits!.account).not.toBe(b!.limits!.account);
    expect(a!.limits!.account).toBe(c!.limits!.account);
    // Without it, no pace is declared (the account's own rate is the provider's to enforce).
    expect((await adaptersFromDsn(`brevo+api://${KEY}@default`))[0]!.limits).toBeUndefined();
    expect(() => checkDsnChain(`brevo+api://${KEY}@default?messagesPerMinute=fast`)).toThrow(MailError);
  });

  describe('against Brevo\'s local API', () => {
    let server: BrevoServer;
    let redis: RedisHandle;
    beforeAll(async () => {
      server = await startBrevoServer(KEY);
      redis = await startRedis();
    });
    afterAll(async () => {
      await server?.close();
      await redis?.stop();
    });

    it('a message over the pace fails RATE_LIMITED in this process, and Brevo is not asked', async () => {
      const before = server.requests.length;
      const mailer = createMailer({ dsn: `brevo+api://${KEY}@127.0.0.1:${server.port}?insecure=true&messagesPerMinute=2`, journal: false, retry: { attempts: 1 } });
      await mailer.send(order(1));
      await mailer.send(order(2));
      const failure = await mailErrorOf(mailer.send(order(3)));
      expect(failure.code).toBe('ALL_FAILED');
      expect(failure.attempts?.[0]?.error).toMatchObject({ code: 'RATE_LIMITED' });
      expect(server.requests.length - before).toBe(2);
      await mailer.close();
    });

    it('with sharedLimits, two instances count one pace for the account', async () => {
      const before = server.requests.length;
      const dsn = `brevo+api://${KEY}@127.0.0.1:${server.port}?insecure=true&messagesPerMinute=2`;
      const first = createMailer({ dsn, journal: false, retry: { attempts: 1 }, sharedLimits: redis.url });
      const second = createMailer({ dsn, journal: false, retry: { attempts: 1 }, sharedLimits: redis.url });
      await first.send(order(1));
      // A steady pace of 2 a minute: the next start is 30 s away, past the 10 s a send may wait.
      const failure = await mailErrorOf(second.send(order(2)));
      expect(failure.attempts?.[0]?.error).toMatchObject({ code: 'RATE_LIMITED' });
      expect(server.requests.length - before).toBe(1);
      await Promise.all([first.close(), second.close()]);
    });
  });
});
