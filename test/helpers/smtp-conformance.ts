// The conformance harness for an adapter that talks SMTP to the local smtp-server: each fault is a
// one-shot scripted reply (the server answers one fault, then recovers), in the provider's own words.
import type { MailAdapter } from '../../src/core/adapter.js';
import { arrivalFromMime, type ConformanceHarness } from '../conformance.js';
import type { SmtpReply, TestSmtpServer } from './smtp-server.js';

/** The server's replies for each injected fault; `auth` is refused at AUTH (a new connection) and at MAIL (a pooled one). */
export interface SmtpFaultReplies {
  auth: SmtpReply;
  notAuthenticated: SmtpReply;
  rateLimit: SmtpReply;
  serverError: SmtpReply;
  rejected: SmtpReply;
}

function once(reply: SmtpReply) {
  let used = false;
  return () => (used ? undefined : ((used = true), reply));
}

export function smtpConformanceHarness(options: {
  target: TestSmtpServer;
  make: (port: number) => MailAdapter & { close(): Promise<void> };
  replies: SmtpFaultReplies;
  secrets: string[];
  closeAlso?: () => Promise<void>;
}): ConformanceHarness {
  const { target, make, replies } = options;
  const main = make(target.port);
  let taken = 0;
  const faults = {
    // Refused until reset, as real credentials are: an adapter that retries once with a fresh
    // XOAUTH2 token must still end with AUTH.
    auth: () => {
      target.script.reply.AUTH = replies.auth;
      target.script.reply.MAIL = replies.notAuthenticated;
    },
    'rate-limit': () => { target.script.reply.MAIL = once(replies.rateLimit); },
    'server-error': () => { target.script.reply['DATA-END'] = once(replies.serverError); },
    rejected: () => { target.script.reply['DATA-END'] = once(replies.rejected); },
    drop: () => { target.script.drop = 'DATA-END'; },
  } as const;
  return {
    adapter: main,
    takeArrivals: async () => {
      const fresh = target.messages.slice(taken);
      taken = target.messages.length;
      return Promise.all(fresh.map((m) => arrivalFromMime(m.raw, { to: m.to })));
    },
    inject: (fault) => {
      const inject = faults[fault as keyof typeof faults];
      if (!inject) throw new Error(`no SMTP script for the fault "${fault}"`);
      inject();
    },
    unreachable: () => make(9),
    secrets: options.secrets,
    reset: () => { target.script.reply = {}; target.script.drop = undefined; },
    close: async () => { await main.close(); await target.close(); await options.closeAlso?.(); },
  };
}

/** The faults the harness scripts, for runConformance's `faults` option. */
export const SMTP_FAULTS = ['auth', 'rate-limit', 'server-error', 'rejected', 'drop'] as const;
