// Progress on stderr while the CLI waits for an adapter: "waiting for smtp(mail.example.com:587)… 5 s",
// every few seconds, so a server that never answers is not a silent pause. stdout stays the result.
import type { Mailer } from '../core/mailer.js';

/** Seconds between two progress lines. */
const EVERY_MS = 5_000;

/** Prints a line every 5 s of one attempt; returns the function that stops it. */
export function showProgress(mailer: Mailer, stream: NodeJS.WritableStream = process.stderr): () => void {
  let timer: NodeJS.Timeout | undefined;
  const stop = () => clearInterval(timer);
  mailer.on('attempt', ({ target, attempt, action }) => {
    stop();
    const started = Date.now();
    const what = `${action === 'verify' ? 'checking' : 'waiting for'} ${target}${attempt > 1 ? ` (attempt ${attempt})` : ''}`;
    timer = setInterval(() => stream.write(`${what}… ${Math.round((Date.now() - started) / 1_000)} s\n`), EVERY_MS);
    // The interval never keeps the process alive on its own.
    timer.unref();
  });
  return stop;
}
