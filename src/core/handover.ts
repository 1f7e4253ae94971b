// The moment a message is handed over: the end of DATA written to an SMTP server, an HTTP request
// sent to a provider. A process killed after it leaves a pending journal entry whose message may
// have been delivered; one killed before it, a message that never left. The report resolves once
// the journal holds it, and transports wait for that before the last byte leaves (the end of DATA;
// an HTTP request, which cannot be held mid-body, before it starts): a process killed at any moment
// then never leaves a delivered message behind an entry that says it never left.
//
// The report travels with the attempt's AbortSignal (SendContext.signal): the chain gives every
// attempt a signal of its own, and every transport already takes that signal (it carries the
// attempt timeout), so the transports (src/kit/http.ts, adapters/smtp.ts) find the report through
// it and no adapter has to pass anything else along. A WeakMap lookup costs nothing on the send
// path; an AsyncLocalStorage scope per attempt cost every promise in the process a hook on Node 20.

/** Reports a handover; resolves once it is recorded (never rejects: a journal failure is reported elsewhere). */
export type HandoverReport = () => Promise<void>;

const reports = new WeakMap<AbortSignal, HandoverReport>();

/** Makes `report` the handover report of the attempt that owns `signal`. */
export function reportHandoverOn(signal: AbortSignal, report: HandoverReport): void {
  reports.set(signal, report);
}

/** The handover report of the attempt whose signal this is (SendContext.signal), if any. */
export function handoverReporter(signal: AbortSignal | undefined): HandoverReport | undefined {
  return signal ? reports.get(signal) : undefined;
}
