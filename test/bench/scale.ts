// `npm run bench:scale`: the scale benchmark at full size (see scale-bench.ts). Sizes from the
// environment: SCALE_MESSAGES (default 5000), SCALE_PACE messages a minute (default 600),
// SCALE_THROUGHPUT_MESSAGES (default 2000). 5,000 at 600 a minute takes about 9 minutes.
import { runScaleBench } from './scale-bench.js';

const messages = Number(process.env.SCALE_MESSAGES ?? 5000);
const messagesPerMinute = Number(process.env.SCALE_PACE ?? 600);
const throughputMessages = Number(process.env.SCALE_THROUGHPUT_MESSAGES ?? 2000);
console.log(`scale: 2 producers, 3 workers (5 at once each), ${messages} messages at ${messagesPerMinute}/min across all workers, one worker killed with SIGKILL at 40%`);
const result = await runScaleBench({ messages, messagesPerMinute, throughputMessages, log: (line) => console.log(`  ${line}`) });
const rows: Array<[string, string]> = [
  ['messages queued / delivered', `${result.messages} / ${result.delivered}`],
  ['lost', String(result.lost)],
  ['duplicates (all AMBIGUOUS, flagged possibleDuplicate)', `${result.duplicates} (${result.duplicatesFlagged} flagged, ${result.duplicatesUnflagged} unflagged)`],
  [`most messages in any 10 s window (pace ${result.paceIn10s})`, String(result.maxIn10s)],
  ['paced phase', `${result.pacedSeconds.toFixed(0)} s (${((result.messages / result.pacedSeconds) * 60).toFixed(0)}/min)`],
  ['worker killed after', `${result.killedAfter} messages`],
  [`throughput, unlimited adapter, 1 worker (${throughputMessages} messages)`, `${result.throughput1.toFixed(0)} messages/s`],
  [`throughput, unlimited adapter, 3 workers (${throughputMessages} messages)`, `${result.throughput3.toFixed(0)} messages/s`],
  ['ratio 3 workers / 1', result.ratio.toFixed(2)],
];
const width = Math.max(...rows.map(([label]) => label.length));
for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
const ok = result.lost === 0 && result.duplicatesUnflagged === 0 && result.maxIn10s <= result.paceIn10s;
console.log(ok ? 'OK: nothing lost, every duplicate flagged, the pace held' : 'FAILED: see above');
process.exitCode = ok ? 0 : 1;
