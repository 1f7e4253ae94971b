// The moment a message is handed over: the end of DATA written to an SMTP server, an HTTP request
// sent to a provider. A process killed after it leaves a pending journal entry whose message may
// have been delivered; one killed before it, a message that never left. The report resolves once
// the journal holds it, and transports wait for that before the last byte leaves (the end of DATA;
// an HTTP request, which cannot be held mid-body, before it starts): a process killed at any moment
// then never leaves a delivered message behind an entry that says it never left. The chain runs each attempt
// in a scope that journals this moment, and the transports (src/kit/http.ts, adapters/smtp.ts) report
// into the scope they were called in, so no adapter has to pass anything along.
import { AsyncLocalStorage } from 'node:async_hooks';

/** Reports a handover; resolves once it is recorded (never rejects: a journal failure is reported elsewhere). */
export type HandoverReport = () => Promise<void>;

const scope = new AsyncLocalStorage<HandoverReport>();

/** Runs one attempt; `onHandover` is called each time a transport in it reports a handover. */
export function withHandoverReport<T>(onHandover: HandoverReport, run: () => T): T {
  return scope.run(onHandover, run);
}

/** The handover report of the attempt running in this async context, if any. */
export function handoverReporter(): HandoverReport | undefined {
  return scope.getStore();
}
