// A local SMTP server that behaves like a submission service: STARTTLS required before AUTH,
// AUTH PLAIN/LOGIN with one account, every accepted message parsed and kept for assertions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  user: string | undefined;
  secure: boolean;
  mail: ParsedMail;
}

export interface SmtpSink {
  port: number;
  user: string;
  pass: string;
  /** `smtp://user:pass@127.0.0.1:PORT`, STARTTLS and certificate checks on. */
  dsn: string;
  received: ReceivedMail[];
  /** While true, every MAIL FROM is answered 451 (a provider having a bad moment): sends fail, then succeed again. */
  refusing: boolean;
  /** Resolves with the first message matching `predicate` (waits up to `timeoutMs`). */
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const tlsDir = process.env.MAILROOM_TEST_TLS_DIR;
  if (!tlsDir) throw new Error('MAILROOM_TEST_TLS_DIR is not set: run through vitest.config.ts (global setup)');
  const user = 'cms@example.com';
  const pass = 'sink-password';
  const received: ReceivedMail[] = [];
  const waiters = new Set<() => boolean>();
  const state = { refusing: false };
  const server = new SMTPServer({
    key: readFileSync(join(tlsDir, 'key.pem')),
    cert: readFileSync(join(tlsDir, 'cert.pem')),
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, session, callback) {
      if (!session.secure) return callback(new Error('Must issue a STARTTLS command first'));
      if (auth.username === user && auth.password === pass) return callback(null, { user });
      return callback(new Error('535 5.7.8 Authentication credentials invalid'));
    },
    onMailFrom(_address, session, callback) {
      if (!session.user) return callback(Object.assign(new Error('Authentication required'), { responseCode: 530 }));
      if (state.refusing) return callback(Object.assign(new Error('4.3.0 Temporary system problem, try again later'), { responseCode: 451 }));
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          received.push({
            envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) },
            user: session.user as string | undefined,
            secure: session.secure,
            mail,
          });
          for (const wake of waiters) wake();
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    user,
    pass,
    get refusing() {
      return state.refusing;
    },
    set refusing(value: boolean) {
      state.refusing = value;
    },
    dsn: `smtp://${encodeURIComponent(user)}:${pass}@127.0.0.1:${port}`,
    received,
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = received.find(predicate);
          if (!found) return false;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching message within ${timeoutMs} ms (received ${received.length})`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
