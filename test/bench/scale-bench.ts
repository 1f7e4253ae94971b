// The scale benchmark: 2 producer processes queue N order messages (queue mode, journal and queue on
// a real redis-server); 3 worker processes deliver them to a real SMTP server (STARTTLS + AUTH)
// through an adapter limited to P messages a minute across all of them; one worker is killed with
// SIGKILL mid-run. Then the sink is reconciled with the journal: nothing lost, every duplicate
// flagged as possible (AMBIGUOUS), and the most messages in any 10 s window of the sink's clock
// against the pace. A second phase measures throughput with 3 workers against 1 on an unlimited
// adapter in the same run. Used by `npm run bench:scale` (full size) and test/scale.test.ts (small).
import type { ChildProcess } from 'node:child_process';
import { createMailer } from '../../src/index.js';
import { memoryAdapter } from '../../adapters/memory.js';
import { SendQueue } from '../../src/queue/send-queue.js';
import { startFixture, type FixtureProcess } from '../helpers/fixture-process.js';
import { startRedis } from '../helpers/redis-server.js';
import { startSmtpServer, type ReceivedMessage } from '../helpers/smtp-server.js';
import { createTestTls } from '../helpers/tls.js';

export interface ScaleOptions {
  /** Messages in the paced phase. */
  messages: number;
  /** The adapter's limit across every worker. */
  messagesPerMinute: number;
  /** Messages per run in the throughput phase (1 worker, then 3). */
  throughputMessages: number;
  log?: (line: string) => void;
}

export interface ScaleResult {
  messages: number;
  messagesPerMinute: number;
  delivered: number;
  lost: number;
  duplicates: number;
  duplicatesFlagged: number;
  duplicatesUnflagged: number;
  /** Most messages the sink accepted in any 10 s window, and what the pace allows in 10 s. */
  maxIn10s: number;
  paceIn10s: number;
  pacedSeconds: number;
  killedAfter: number;
  throughput1: number;
  throughput3: number;
  ratio: number;
}

const USER = 'shop@example.com';
const PASS = 'app-password';
const WORKERS = 3;
const CONCURRENCY = 5;

export async function runScaleBench(options: ScaleOptions): Promise<ScaleResult> {
  const log = options.log ?? (() => undefined);
  const [redis, tls] = await Promise.all([startRedis(), createTestTls()]);
  const sink = await startSmtpServer({ tls, users: { [USER]: PASS } });
  const smtp = { host: sink.host, port: sink.port, ca: tls.ca, user: USER, pass: PASS };
  const run = Date.now().toString(36);
  const workers: FixtureProcess[] = [];
  try {
    // Phase 1: paced, with a worker killed mid-run.
    const pacedQueue = `paced-${run}`;
    const workerPlan = { redis: redis.url, queueName: pacedQueue, smtp, messagesPerMinute: options.messagesPerMinute, concurrency: CONCURRENCY, stalledAfterMs: 5_000 };
    for (let n = 0; n < WORKERS; n++) workers.push(startFixture('scale-worker', workerPlan));
    await Promise.all(workers.map((worker) => ready(worker.child)));
    log(`${WORKERS} workers ready; 2 producers queue ${options.messages} messages`);
    const half = Math.ceil(options.messages / 2);
    const producers = await Promise.all([
      startFixture('scale-producer', { redis: redis.url, queueName: pacedQueue, run, from: 0, to: half }).done,
      startFixture('scale-producer', { redis: redis.url, queueName: pacedQueue, run, from: half, to: options.messages }).done,
    ]);
    for (const producer of producers) if (producer.code !== 0) throw new Error(`a producer failed: ${producer.stderr}`);
    const killAt = Math.floor(options.messages * 0.4);
    const started = Date.now();
    await until(() => sink.messages.length >= killAt, timeoutFor(killAt, options.messagesPerMinute));
    workers[0]!.child.kill('SIGKILL');
    const killedAfter = sink.messages.length;
    log(`worker 1 killed with SIGKILL after ${killedAfter} messages`);
    const queue = new SendQueue({ connection: redis.url, name: pacedQueue });
    await until(async () => {
      const counts = await queue.counts();
      return counts.waiting + counts.active + counts.delayed === 0;
    }, timeoutFor(options.messages, options.messagesPerMinute) + 60_000);
    const pacedSeconds = (Date.now() - started) / 1000;
    await queue.close();
    await Promise.all(workers.slice(1).map((worker) => stop(worker)));
    const reconciled = await reconcile(redis.url, run, options.messages, sink.messages);
    const timestamps = sink.messages.filter((message) => subjectOf(message).startsWith(`Order ${run}-`)).map((message) => message.at);
    const maxIn10s = busiestWindow(timestamps, 10_000);
    log(`paced phase: ${reconciled.delivered} delivered, ${reconciled.lost} lost, ${reconciled.duplicates} duplicates (${reconciled.flagged} flagged), max ${maxIn10s} in any 10 s (pace ${options.messagesPerMinute / 6})`);

    // Phase 2: throughput, unlimited adapter, 1 worker then 3.
    const throughput1 = await throughput(1, options.throughputMessages, { redis: redis.url, smtp, run: `${run}a`, sink: sink.messages });
    const throughput3 = await throughput(WORKERS, options.throughputMessages, { redis: redis.url, smtp, run: `${run}b`, sink: sink.messages });
    log(`throughput: 1 worker ${throughput1.toFixed(0)}/s, ${WORKERS} workers ${throughput3.toFixed(0)}/s`);
    return {
      messages: options.messages,
      messagesPerMinute: options.messagesPerMinute,
      delivered: reconciled.delivered,
      lost: reconciled.lost,
      duplicates: reconciled.duplicates,
      duplicatesFlagged: reconciled.flagged,
      duplicatesUnflagged: reconciled.duplicates - reconciled.flagged,
      maxIn10s,
      paceIn10s: options.messagesPerMinute / 6,
      pacedSeconds,
      killedAfter,
      throughput1,
      throughput3,
      ratio: throughput3 / throughput1,
    };
  } finally {
    for (const worker of workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    await sink.close();
    await redis.stop();
  }
}

async function throughput(count: number, messages: number, context: { redis: string; smtp: object; run: string; sink: ReceivedMessage[] }): Promise<number> {
  const queueName = `fast-${context.run}`;
  // The queue is filled first: the measure is the workers' delivery, not the producers'.
  const produced = await startFixture('scale-producer', { redis: context.redis, queueName, run: context.run, from: 0, to: messages }).done;
  if (produced.code !== 0) throw new Error(`the producer failed: ${produced.stderr}`);
  const plan = { redis: context.redis, queueName, smtp: context.smtp, concurrency: CONCURRENCY, stalledAfterMs: 30_000 };
  const workers = Array.from({ length: count }, () => startFixture('scale-worker', plan));
  const mine = () => context.sink.filter((message) => subjectOf(message).startsWith(`Order ${context.run}-`));
  await until(() => mine().length >= messages, 600_000);
  await Promise.all(workers.map((worker) => stop(worker)));
  const times = mine().map((message) => message.at).sort((a, b) => a - b);
  // From the first message to the last: worker start-up is not counted.
  return (times.length - 1) / ((times[times.length - 1]! - times[0]!) / 1000);
}

// Every key of the run against the sink and the journal.
async function reconcile(redis: string, run: string, messages: number, sink: ReceivedMessage[]): Promise<{ delivered: number; lost: number; duplicates: number; flagged: number }> {
  const copies = new Map<string, number>();
  for (const message of sink) {
    const subject = subjectOf(message);
    if (subject.startsWith(`Order ${run}-`)) copies.set(subject, (copies.get(subject) ?? 0) + 1);
  }
  const reader = createMailer({ adapters: [memoryAdapter()], journal: redis });
  let lost = 0;
  let duplicates = 0;
  let flagged = 0;
  for (let n = 0; n < messages; n++) {
    const entry = await reader.journal.findByIdempotencyKey(`${run}-${n}`);
    const count = copies.get(`Order ${run}-${n}`) ?? 0;
    if (count === 0 || entry?.status !== 'sent') lost++;
    if (count > 1) {
      duplicates++;
      if (entry?.possibleDuplicate) flagged++;
    }
  }
  await reader.close();
  return { delivered: copies.size, lost, duplicates, flagged };
}

function subjectOf(message: ReceivedMessage): string {
  return /^Subject: (.*)$/m.exec(message.raw.toString('latin1'))?.[1]?.trim() ?? '';
}

/** The most timestamps inside any window of `ms`. */
export function busiestWindow(timestamps: number[], ms: number): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  let best = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= ms) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

function timeoutFor(messages: number, perMinute: number): number {
  return Math.ceil((messages / perMinute) * 60_000 * 1.5) + 30_000;
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    let errors = '';
    child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"ready":true')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`a worker exited (${code}) before it was ready: ${errors}`)));
  });
}

async function stop(worker: FixtureProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  await worker.done;
}

async function until(probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`the scale run did not get there within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
