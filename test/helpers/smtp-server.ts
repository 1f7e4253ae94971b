// A real SMTP server on loopback for adapter tests: the `smtp-server` package with STARTTLS (or
// implicit TLS) on a certificate from ./tls.ts, AUTH PLAIN/LOGIN/XOAUTH2 that checks the user and
// the password or token, and a script that makes any phase answer a given reply or drop the
// connection, so every SMTP outcome an adapter must map can be produced on demand.
//
// Usage:
//   const server = await startSmtpServer({ tls, users: { 'ann@corp.com': 'pw' } });
//   server.script.reply.MAIL = { code: 550, message: '5.7.60 SendAsDenied' };
//   server.script.drop = 'DATA-END';     // close after the end of DATA, before the reply
//   ... server.messages, server.auths, server.commands, server.connections ...
//   await server.close();
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import type { TestTls } from './tls.js';

/**
 * Where the script can act. EHLO, STARTTLS and DATA are the commands themselves (DATA: instead of
 * the 354); AUTH, MAIL and RCPT answer after the server checked them; DATA-END is the reply to the
 * end of the message; "connect" is before the greeting.
 */
export type SmtpPhase = 'connect' | 'EHLO' | 'STARTTLS' | 'AUTH' | 'MAIL' | 'RCPT' | 'DATA' | 'DATA-END';

export interface SmtpReply {
  code: number;
  /** The reply text after the code, e.g. "5.7.139 Authentication unsuccessful". */
  message: string;
}

/** A scripted reply, or a function deciding per call (e.g. per recipient); undefined = normal. */
export type ScriptedReply = SmtpReply | ((context: { address?: string; count: number; auth?: { username: string; password?: string }; session: string }) => SmtpReply | undefined);

export interface SmtpScript {
  /** Replies that replace the normal answer of a phase. */
  reply: Partial<Record<SmtpPhase, ScriptedReply>>;
  /** Close the connection at this phase without answering; a function decides per phase and session. */
  drop?: SmtpPhase | ((phase: SmtpPhase, session: string) => boolean);
}

export interface TestSmtpServerOptions {
  /** Certificate for STARTTLS / implicit TLS. Without it the server offers no TLS at all. */
  tls?: TestTls;
  /** Serve with the untrusted self-signed certificate instead of the CA-signed one. Default false. */
  untrustedCertificate?: boolean;
  /** Implicit TLS (like port 465) instead of STARTTLS. Default false. */
  secure?: boolean;
  /** Offer STARTTLS when `tls` is given. Default true. */
  starttls?: boolean;
  /** Accept mail without AUTH (a smart host / connector). Default false. */
  authOptional?: boolean;
  /** AUTH PLAIN / LOGIN: user name -> password. */
  users?: Record<string, string>;
  /** AUTH XOAUTH2: user name -> the access tokens accepted for that user. */
  tokens?: Record<string, string[]>;
  /** The initial script; `server.script` can be changed between sends. */
  script?: Partial<SmtpScript>;
  /** Milliseconds to wait before answering the end of DATA, or a function deciding per session. Default 0. */
  dataEndDelayMs?: number | ((session: string) => number);
  /**
   * Announce SMTPUTF8 (RFC 6531) in the EHLO answer. Default true. Without it smtp-server still
   * takes a UTF-8 address in MAIL FROM / RCPT TO: a lenient server, so a test sees what got through.
   */
  smtputf8?: boolean;
}

export interface ReceivedMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** The authenticated user, if any. */
  user?: string;
  /** Whether MAIL FROM carried the SMTPUTF8 parameter. */
  smtpUtf8: boolean;
  /** Whether the session was encrypted when the message arrived. */
  secure: boolean;
  /** When the server accepted it (ms since the epoch): what pace checks count. */
  at: number;
}

export interface AuthAttempt {
  method: string;
  username: string;
  /** Whether the server accepted the credentials. */
  ok: boolean;
  secure: boolean;
}

export interface TestSmtpServer {
  host: '127.0.0.1';
  port: number;
  script: SmtpScript;
  /** Messages accepted, in order. */
  messages: ReceivedMessage[];
  auths: AuthAttempt[];
  /** Every command name received, in order ("EHLO", "STARTTLS", "AUTH", "MAIL", ...). */
  commands: string[];
  /** How many TCP connections were opened. */
  connections: number;
  /** How many connections are open right now, and the most ever open at once. */
  open: { now: number; max: number };
  close(): Promise<void>;
}

// smtp-server's per-connection object; only these members are used (see patchConnection).
interface ServerConnection {
  session: SMTPServerSession;
  _socket: { destroy(): void };
  _onCommand(command: Buffer, callback: () => void): void;
  send(code: number, message: string): void;
}

const COMMAND_PHASES = new Set<SmtpPhase>(['EHLO', 'STARTTLS', 'DATA']);

export async function startSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const script: SmtpScript = { reply: {}, ...options.script };
  const counts = new Map<SmtpPhase, number>();
  const bySession = new Map<string, ServerConnection>();
  const state: Omit<TestSmtpServer, 'close' | 'port' | 'host' | 'script'> = {
    messages: [], auths: [], commands: [], connections: 0, open: { now: 0, max: 0 },
  };

  // The scripted reply for a phase, if any, as an Error smtp-server turns into that reply.
  const scripted = (phase: SmtpPhase, session: string, address?: string, auth?: { username: string; password?: string }): (Error & { responseCode: number }) | undefined => {
    const count = (counts.get(phase) ?? 0) + 1;
    counts.set(phase, count);
    const entry = script.reply[phase];
    const reply = typeof entry === 'function' ? entry({ address, count, session, ...(auth ? { auth } : {}) }) : entry;
    if (!reply) return undefined;
    return Object.assign(new Error(reply.message), { responseCode: reply.code });
  };
  const dropped = (phase: SmtpPhase, session: SMTPServerSession): boolean => {
    if (typeof script.drop === 'function' ? !script.drop(phase, session.id) : script.drop !== phase) return false;
    bySession.get(session.id)?._socket.destroy();
    return true;
  };

  const tls = options.tls;
  const certificate = tls && (options.untrustedCertificate ? tls.untrusted : { cert: tls.cert, key: tls.key });
  const server = new SMTPServer({
    logger: false,
    secure: Boolean(options.secure),
    ...(certificate ? { key: certificate.key, cert: certificate.cert } : {}),
    // A server "without STARTTLS" refuses the command too, not only hides it.
    disabledCommands: certificate && options.starttls !== false ? [] : ['STARTTLS'],
    authOptional: Boolean(options.authOptional),
    hideSMTPUTF8: options.smtputf8 === false,
    authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'],
    // AUTH on a plaintext session is refused with 538 whenever STARTTLS is on offer, as Office 365 does.
    allowInsecureAuth: false,
    onConnect(session, callback) {
      state.connections++;
      if (dropped('connect', session)) return;
      callback();
    },
    onAuth(auth: SMTPServerAuthentication, session, callback) {
      if (dropped('AUTH', session)) return;
      const username = auth.username ?? '';
      const ok = auth.method === 'XOAUTH2'
        ? Boolean(auth.accessToken && options.tokens?.[username]?.includes(auth.accessToken))
        : options.users?.[username] !== undefined && options.users[username] === auth.password;
      state.auths.push({ method: auth.method, username, ok, secure: Boolean(session.secure) });
      // A scripted AUTH reply may echo what the client sent, as some servers do.
      const error = scripted('AUTH', session.id, undefined, { username, ...(typeof auth.password === 'string' ? { password: auth.password } : {}) });
      if (error) return callback(error);
      if (!ok) return callback(Object.assign(new Error('5.7.3 Authentication unsuccessful'), { responseCode: 535 }));
      callback(null, { user: auth.username });
    },
    onMailFrom(address, session, callback) {
      if (dropped('MAIL', session)) return;
      callback(scripted('MAIL', session.id, address.address) ?? null);
    },
    onRcptTo(address, session, callback) {
      if (dropped('RCPT', session)) return;
      callback(scripted('RCPT', session.id, address.address) ?? null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (dropped('DATA-END', session)) return;
        const finish = () => {
          const error = scripted('DATA-END', session.id);
          if (error) return callback(error);
          state.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks),
            ...(typeof session.user === 'string' ? { user: session.user } : {}),
            smtpUtf8: Boolean(session.envelope.smtpUtf8),
            secure: Boolean(session.secure),
            at: Date.now(),
          });
          callback(null, 'OK queued as test');
        };
        const delay = typeof options.dataEndDelayMs === 'function' ? options.dataEndDelayMs(session.id) : options.dataEndDelayMs;
        if (delay) setTimeout(finish, delay);
        else finish();
      });
    },
    onClose() {
      state.open.now--;
    },
  });

  // Hooks for phases smtp-server has no callback for (EHLO, STARTTLS, the DATA command): wrap each
  // connection's command dispatcher. This relies on smtp-server internals (3.21: `connections`,
  // `_onCommand`, `_socket`, `send`), acceptable in a test helper and checked by the suites using it.
  const connect = server.connect.bind(server);
  server.connect = (socket, socketOptions) => {
    connect(socket, socketOptions);
    const connection = [...server.connections].at(-1) as unknown as ServerConnection;
    state.open.now++;
    state.open.max = Math.max(state.open.max, state.open.now);
    bySession.set(connection.session.id, connection);
    const dispatch = connection._onCommand.bind(connection);
    connection._onCommand = (command, callback) => {
      const name = command.toString().split(' ')[0]!.toUpperCase() as SmtpPhase;
      state.commands.push(name);
      if (COMMAND_PHASES.has(name)) {
        if (dropped(name, connection.session)) return;
        const error = scripted(name, connection.session.id);
        if (error) {
          connection.send(error.responseCode, error.message);
          return callback();
        }
      }
      dispatch(command, callback);
    };
  };

  // Failed TLS handshakes and dropped sockets are what some tests are about, not crashes.
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    script,
    get messages() { return state.messages; },
    get auths() { return state.auths; },
    get commands() { return state.commands; },
    get connections() { return state.connections; },
    get open() { return state.open; },
    close: () => {
      // Drop what clients left open (an idle pool) instead of waiting for smtp-server's 30 s grace.
      for (const connection of bySession.values()) connection._socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
