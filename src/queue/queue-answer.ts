// How long the queue's server gets to answer a command that cannot work without it (`mailroom
// queue`, `mailroom worker`, doctor's probe). BullMQ's clients reconnect forever and queue every
// call meanwhile, so without a deadline a server that is down makes such a command wait for ever.
import { MailError } from '../core/errors.js';

export const QUEUE_ANSWER_MS = 5_000;

const UNREACHABLE_REMEDY = 'Start the queue server (redis-server, PostgreSQL) or fix --queue / MAILROOM_QUEUE; until then send() in queue mode fails TRANSIENT.';

/** TRANSIENT naming the queue (`where`, already without credentials) and why it cannot be used. */
export function queueUnreachable(where: string, reason: string, cause?: unknown, remedy = UNREACHABLE_REMEDY): MailError {
  return new MailError('TRANSIENT', `the queue ${where} cannot be reached: ${reason}`, { cause, remedy });
}

/**
 * What `work` resolves to, or queueUnreachable when it fails or has not answered within `ms`.
 * `lastError` is the connection error the client reported last (its `error` event), which says
 * why there was no answer ("connect ECONNREFUSED 127.0.0.1:6379").
 */
export async function answerWithin<T>(work: Promise<T>, where: string, lastError: () => unknown, ms = QUEUE_ANSWER_MS, remedy?: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, ms, 'late')));
  try {
    const outcome = await Promise.race([work.then((value) => ({ value })), late]);
    if (outcome !== 'late') return outcome.value;
  } catch (error) {
    if (error instanceof MailError) throw error;
    throw queueUnreachable(where, reasonOf(error), error, remedy);
  } finally {
    clearTimeout(timer);
  }
  const last = lastError();
  throw queueUnreachable(where, `no answer within ${ms / 1_000} s${last === undefined ? '' : ` (${reasonOf(last)})`}`, last, remedy);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
