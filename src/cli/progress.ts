// Progress on stderr while the CLI waits: "waiting for smtp(mail.example.com:587)… 5 s" every few
// seconds of an attempt, so a server that never answers is not a silent pause; once the adapter has
// taken the message, "recording it in the send journal… 5 s" if the journal is what is slow, so the
// wait is never put on the adapter that has already answered. stdout stays the result.
import type { Mailer } from '../core/mailer.js';

/** Seconds between two progress lines. */
const EVERY_MS = 5_000;

/** Prints a line every 5 s of a wait; returns the function that stops it. */
export function showProgress(mailer: Mailer, stream: NodeJS.WritableStream = process.stderr): () => void {
  let timer: NodeJS.Timeout | undefined;
  const stop = () => clearInterval(timer);
  const tick = (what: string) => {
    stop();
    const started = Date.now();
    timer = setInterval(() => stream.write(`${what}… ${Math.round((Date.now() - started) / 1_000)} s\n`), EVERY_MS);
    // The interval never keeps the process alive on its own.
    timer.unref();
  };
  mailer.on('attempt', ({ target, attempt, action }) => tick(`${action === 'verify' ? 'checking' : 'waiting for'} ${target}${attempt > 1 ? ` (attempt ${attempt})` : ''}`));
  mailer.on('attempt-end', ({ target, ok, action }) => {
    stop();
    if (ok && action === 'send') tick(`${target} took the message: recording it in the send journal`);
  });
  return stop;
}
