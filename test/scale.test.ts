// The scale benchmark at a small size (npm run bench:scale runs 5,000): 2 producer processes,
// 3 worker processes on a real redis-server and a real SMTP server, an adapter limited to 720
// messages a minute across all workers, one worker killed with SIGKILL mid-run. Nothing is lost,
// every duplicate is one the journal flagged as possible, and no 10 s window of the sink's clock
// holds more than the pace allows. Throughput (3 workers vs 1) is printed, never asserted.
import { describe, expect, it } from 'vitest';
import { busiestWindow, runScaleBench } from './bench/scale-bench.js';

describe('many workers', () => {
  it('lose nothing, flag every duplicate and hold the global pace when a worker is killed', async () => {
    const result = await runScaleBench({ messages: 240, messagesPerMinute: 720, throughputMessages: 150 });
    console.log(JSON.stringify(result));
    expect(result.delivered).toBe(240);
    expect(result.lost).toBe(0);
    expect(result.duplicatesUnflagged).toBe(0);
    // The sink's clock is the end of each message's DATA, which lags the start the pace allowed by
    // the send's own latency: a 10 s window of arrivals can hold the starts of a slightly longer one.
    // Under a full parallel test run that latency reached ~0.6 s (121 arrivals in 10 s, no duplicate,
    // against 120). 5% over covers it; without the pace the workers deliver over 100 a second.
    expect(result.maxIn10s).toBeLessThanOrEqual(Math.ceil(result.paceIn10s * 1.05));
    // 240 at 12 a second take 20 s (less what went out while the producers were still queuing):
    // the pace was really applied, not only counted.
    expect(result.pacedSeconds).toBeGreaterThan(15);
    expect(result.throughput1).toBeGreaterThan(0);
    expect(result.throughput3).toBeGreaterThan(0);
  }, 240_000);

  it('counts the busiest window of the sink exactly', () => {
    expect(busiestWindow([0, 1000, 9999, 10_000, 10_001, 25_000], 10_000)).toBe(4);
    expect(busiestWindow([], 10_000)).toBe(0);
  });
});
