// Queue mode with no worker, on a real redis-server: messages sit `queued` and nothing fails, so
// the no-worker alert is the signal. It follows worker presence (heartbeats), not message age: a
// backlog a rate limit holds back while a worker runs raises nothing; the worker's stop does,
// `noWorkerMinutes` later. The alerts' clock is a manual one: each check runs when the test says.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMailer, startWorker } from '../src/index.js';
import { memoryAdapter } from '../adapters/memory.js';
import { manualClock, startAlertReceiver, type AlertReceiver } from './helpers/alert-receiver.js';
import { startRedis, type RedisHandle } from './helpers/redis-server.js';

vi.setConfig({ testTimeout: 40_000 });

const SITE = 'shop.test';
const SECRET = 'whsec-no-worker-0123456789';
const MINUTE = 60_000;

let redis: RedisHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
const open: Array<{ close(): Promise<void> }> = [];

// A queue-mode mailer on the shared Redis whose no-worker check runs on the manual clock and alerts the receiver.
function queueMailer(queue: { connection: string; name: string }, clock: ReturnType<typeof manualClock>, hook: AlertReceiver) {
  const mailer = createMailer({
    adapters: [memoryAdapter()],
    from: 'shop@example.com',
    journal: redis.url,
    queue,
    alerts: { site: SITE, clock, noWorkerMinutes: 5, queueCheckMs: MINUTE, pendingOlderThanMinutes: 0, channels: [{ type: 'webhook', url: `${hook.url}/in`, secret: SECRET }] },
  });
  open.push(mailer);
  return mailer;
}
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function until(probe: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function setup() {
  const hook = await startAlertReceiver();
  open.push(hook);
  const clock = manualClock(Date.now());
  const queue = { connection: redis.url, name: `nw${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}` };
  const mailer = queueMailer(queue, clock, hook);
  // One check per minute of the manual clock: the check's timer fires, the check asks Redis, and
  // the next check's timer is set only once it is done (so "a timer is pending" = "the check is over").
  const minutePasses = async () => {
    clock.advance(MINUTE);
    await until(() => clock.pending() > 0);
  };
  return { hook, clock, queue, mailer, minutePasses };
}

const order = (n: number) => ({ to: 'ann@example.com', subject: `Order ${n}`, text: 'Thank you' });

describe('the no-worker alert (queue mode)', () => {
  it('messages queued and no worker alive for noWorkerMinutes: one alert naming the count and the queue', async () => {
    const { hook, clock, queue, mailer, minutePasses } = await setup();
    await mailer.send(order(1));
    await mailer.send(order(2));
    for (let minute = 1; minute <= 5; minute++) await minutePasses();
    const [alert] = await hook.waitFor(1);
    expect(alert!.json).toMatchObject({
      trigger: 'no-worker',
      title: `[${SITE}] 2 message(s) queued, no worker for 5 min`,
      code: 'NO_WORKER',
      occurredAt: new Date(clock.now()).toISOString(),
      facts: [
        { label: 'Queued', value: '2' },
        { label: 'Queue', value: `${redis.url} ${queue.name}` },
        { label: 'Workers', value: '0' },
      ],
    });
    expect((alert!.json as { text: string }).text).toMatch(/nothing is delivered until one runs.*mailroom worker/);
  });

  it('a backlog the rate limit holds back while a worker runs raises nothing; once the worker stops, the alert comes noWorkerMinutes later', async () => {
    const { hook, clock, queue, mailer, minutePasses } = await setup();
    const delivered = memoryAdapter();
    // One message a minute across the queue: the first goes at once, the others wait (BullMQ keeps them waiting).
    const worker = await startWorker({ adapters: [delivered], from: 'shop@example.com', journal: redis.url, queue, messagesPerMinute: 1 });
    for (let n = 1; n <= 3; n++) await mailer.send(order(n));
    await until(() => delivered.messages.length === 1);
    expect((await mailer.queue!.probe()).workers).toBe(1);
    // Ten checks with the backlog waiting and the worker alive.
    for (let minute = 1; minute <= 10; minute++) await minutePasses();
    expect((await mailer.queue!.counts()).waiting).toBe(2);
    await worker.close(1_000);
    expect((await mailer.queue!.probe()).workers).toBe(0);
    // The last check that saw the worker was at minute 10: the alert is due at minute 15, not before.
    for (let minute = 11; minute <= 15; minute++) await minutePasses();
    const [alert] = await hook.waitFor(1);
    // Had any earlier check alerted, the first alert would carry its earlier time (and this one would be held back by the throttle).
    expect(alert!.json).toMatchObject({ trigger: 'no-worker', title: `[${SITE}] 2 message(s) queued, no worker for 5 min`, occurredAt: new Date(clock.now()).toISOString() });
    expect(delivered.messages).toHaveLength(1);
  });

  it('three mailers on one queue send the alert once, not once each; when the one that spoke closes, another takes over', async () => {
    const hook = await startAlertReceiver();
    open.push(hook);
    const clock = manualClock(Date.now());
    const queue = { connection: redis.url, name: `nwn${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}` };
    const instance = () => {
      return queueMailer(queue, clock, hook);
    };
    // A check is over once its next timer is set; `timers` = the checks' timers plus the open throttle windows.
    const minutePasses = async (timers: number) => {
      clock.advance(MINUTE);
      await until(() => clock.pending() >= timers);
    };
    const quietly = async (count: number) => {
      const got = await hook.waitFor(count);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(hook.requests).toHaveLength(count);
      return got.map((request) => request.json as { trigger: string; digest: unknown });
    };
    const first = instance();
    await first.send(order(1));
    await first.send(order(2));
    for (let minute = 1; minute <= 2; minute++) await minutePasses(1);
    const others = [instance(), instance()];
    for (let minute = 3; minute <= 4; minute++) await minutePasses(3);
    // Minute 5: the first mailer alerts (its throttle window opens); minute 7: the two others would too.
    for (let minute = 5; minute <= 7; minute++) await minutePasses(4);
    expect(await quietly(1)).toMatchObject([{ trigger: 'no-worker', digest: null }]);
    // The first one closes with its digest; at the next check one of the others, and only one, speaks.
    await first.close();
    expect((await quietly(2))[1]).toMatchObject({ trigger: 'no-worker', digest: { count: 2 } });
    await minutePasses(3);
    expect((await quietly(3))[2]).toMatchObject({ trigger: 'no-worker', digest: null });
    for (let minute = 9; minute <= 10; minute++) await minutePasses(3);
    await Promise.all(others.map((mailer) => mailer.close()));
    // The speaker's digest of minutes 9 and 10; nothing from the silent one.
    expect((await quietly(4))[3]).toMatchObject({ trigger: 'no-worker', digest: { count: 2 } });
  });

  it('triggers: { "no-worker": false } and noWorkerMinutes: 0 leave the check out', async () => {
    for (const alerts of [{ triggers: { 'no-worker': false } }, { noWorkerMinutes: 0 }]) {
      const clock = manualClock(Date.now());
      const mailer = createMailer({ adapters: [memoryAdapter()], journal: redis.url, queue: { connection: redis.url, name: 'nw-off' }, alerts: { clock, channels: [{ type: 'webhook', url: 'http://127.0.0.1:9/in', secret: SECRET }], pendingOlderThanMinutes: 0, ...alerts } });
      open.push(mailer);
      // No check scheduled: no timer at all on the alerts' clock.
      expect(clock.pending()).toBe(0);
    }
  });
});
