// Generic SMTP adapter on a pooled nodemailer transport: any server, a smart host / Exchange
// connector (no AUTH), and the named presets gmail:// and zoho://. TLS is required by default
// (STARTTLS, or implicit TLS on 465) with certificate checks on; nodemailer never reads files or
// URLs for a message. Every failure becomes a MailError through src/kit/smtp-errors.ts.
import { createRequire } from 'node:module';
import type { SendMailOptions, SentMessageInfo, Transporter } from 'nodemailer';
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { CAPABILITY_NAMES, FULL_CAPABILITIES, sendWithin, type AdapterCapabilities, type AdapterEndpoint, type AdapterLimits, type MailAdapter, type SendContext, type SendReceipt } from '../src/core/adapter.js';
import { addressProblem } from '../src/core/address.js';
import type { ParsedDsn } from '../src/core/dsn.js';
import { defineDsn, dsnBoolean, dsnWholeNumber, requireDsnPart } from '../src/core/dsn-options.js';
import { GMAIL_PRESET, zohoPreset, type SmtpPreset } from '../src/kit/smtp-presets.js';
import { MailError, toMailError } from '../src/core/errors.js';
import { optionNames, refuseUnknownOptions, type KnownOptions } from '../src/core/known-options.js';
import type { NormalizedMessage } from '../src/core/message.js';
import { toNodemailerMessage } from '../src/kit/mime.js';
import { simpleEnvelope, simpleMime } from '../src/kit/simple-mime.js';
import { SendLimiter } from '../src/kit/send-limits.js';
import { handoverReporter, type HandoverReport } from '../src/core/handover.js';
import { SecretScrubber } from '../src/core/secrets.js';
import { isGreetingTimeout, smtpError, unansweredError } from '../src/kit/smtp-errors.js';
import { announcesInEhlo, probeExtensions, unicodeLocalPart, type ExtensionProbeOptions } from '../src/kit/smtp-extensions.js';
import { explain } from '../src/core/diagnose.js';

// nodemailer takes ~75 ms to load: it is read when the first SMTP adapter is built, not when the
// DSN table imports this file for its declaration.
const loadNodemailer = () => createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer');

/** An OAuth2 access token for AUTH XOAUTH2. */
export interface SmtpAccessToken {
  accessToken: string;
  expiresOn?: Date;
  /** True when the token came from a cache: a 535 then triggers one retry with a fresh token. */
  fromCache?: boolean;
}

/** Supplies XOAUTH2 tokens; `forceRefresh` asks for a new one (the cached one was refused). */
export type SmtpTokenProvider = (options: { forceRefresh: boolean }) => Promise<SmtpAccessToken>;

/** Mailbox + password (AUTH PLAIN/LOGIN), or mailbox + token provider (AUTH XOAUTH2). */
export type SmtpAuth = { user: string; pass: string } | { user: string; token: SmtpTokenProvider };

export interface SmtpTlsOptions {
  /** Extra CA certificates to trust (PEM), e.g. a private CA. Default: the system's. */
  ca?: string | string[];
  /** Verify the server certificate. Default true; false is for a lab, never for the Internet. */
  rejectUnauthorized?: boolean;
  /** Lowest TLS version. Default Node's (TLS 1.2). */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Name to check the certificate against, when connecting by IP. Default the host. */
  servername?: string;
}

export interface SmtpAdapterOptions {
  /** Adapter name in chains, results and the journal. Default "smtp". */
  name?: string;
  host: string;
  /** Default 465 when `secure`, otherwise 587. */
  port?: number;
  /** Implicit TLS from the first byte (port 465). Default true when the port is 465. */
  secure?: boolean;
  /**
   * Refuse to continue without STARTTLS. Default true. Set false only for a smart host on a network
   * you trust: the session then uses STARTTLS when offered and otherwise runs in plaintext.
   */
  requireTLS?: boolean;
  /** Credentials; leave out for a relay that accepts mail from your address (a connector). */
  auth?: SmtpAuth;
  /** Extra CAs, certificate checks, lowest TLS version. Default: certificates checked against the system's CAs, TLS 1.2 or later. */
  tls?: SmtpTlsOptions;
  /** Most pooled connections open at once. Default 5. */
  maxConnections?: number;
  /** Messages sent over one connection before it is replaced. Default 100. */
  maxMessages?: number;
  /** Pace: most messages per minute, or a limiter shared with other adapters. Default unlimited. */
  messagesPerMinute?: number | SendLimiter;
  /** Longest a message waits under `messagesPerMinute` before failing RATE_LIMITED. Default 10,000 ms. */
  maxWaitMs?: number;
  /** Time to open the TCP connection. Default 30,000 ms. */
  connectionTimeoutMs?: number;
  /** Time to wait for the server's greeting (a wrong TLS mode shows up here). Default 30,000 ms. */
  greetingTimeoutMs?: number;
  /** Inactivity allowed on an open connection. Default 60,000 ms. */
  socketTimeoutMs?: number;
  /**
   * How long a pooled connection may stay open with nothing to send before it is closed (QUIT).
   * Default 5,000 ms: a burst of messages shares connections, and a script that never calls
   * `close()` still exits shortly after its last send instead of being held open by the pool.
   */
  idleTimeoutMs?: number;
  /** Host name sent with EHLO. Default the machine's name. */
  clientName?: string;
  /** Override what the chain may route here. Default: everything. */
  capabilities?: Partial<AdapterCapabilities>;
}

// Every option name, for the check of a JavaScript caller's typo (src/core/known-options.ts).
const SMTP_OPTIONS: KnownOptions = {
  names: optionNames<SmtpAdapterOptions>({
    name: true, host: true, port: true, secure: true, requireTLS: true, auth: true, tls: true, maxConnections: true, maxMessages: true,
    messagesPerMinute: true, maxWaitMs: true, connectionTimeoutMs: true, greetingTimeoutMs: true, socketTimeoutMs: true, idleTimeoutMs: true,
    clientName: true, capabilities: true,
  }),
  nested: {
    auth: ['user', 'pass', 'token'],
    tls: optionNames<SmtpTlsOptions>({ ca: true, rejectUnauthorized: true, minVersion: true, servername: true }),
    // A misspelled capability would leave the full default: a relay's real limit never applied.
    capabilities: CAPABILITY_NAMES,
  },
};

// Where the connections stood when a send or check was aborted (see watchSilence).
type ConnectionState = 'silent' | 'connecting' | 'answered';

// Per-send state the 'stream' plugin reads (see constructor).
interface Delivery {
  handedOver: boolean;
  /** Tells the journal (src/core/handover.ts): read from the send's signal, called from the pool's context. */
  reportHandover: HandoverReport | undefined;
}
const DELIVERY = 'mailroomDelivery';

export class SmtpAdapter implements MailAdapter {
  readonly name: string;
  /** The AUTH user when it is an address (the default sender); undefined for a relay or a plain user name. */
  readonly mailbox?: string;
  readonly capabilities: AdapterCapabilities;
  readonly endpoint: AdapterEndpoint;
  // Private (#) so util.inspect and JSON.stringify of the adapter never reach the credentials.
  readonly #transporter: Transporter;
  private readonly limiter: SendLimiter | undefined;
  readonly limits: AdapterLimits;
  private readonly description: string;
  readonly #tokenAuth: SmtpTokenProvider | undefined;
  // A 535 may quote the AUTH line back (AUTH PLAIN's base64 "\0user\0pass", AUTH LOGIN's parts).
  readonly #secrets: SecretScrubber;
  // The sockets of open connections, to tell at a timeout whether the server ever sent a byte.
  readonly #sockets = new Set<Socket>();
  readonly #target: string;
  // XOAUTH2 bookkeeping for the one retry after a refused cached token. Several messages may fail
  // on the same cached token at once (a burst opens several connections): each gets its retry, and
  // each retry asks for a fresh token (concurrent asks share one request).
  private lastTokenFromCache = false;
  #cachedTokensServed = 0;
  #renewalsWanted = 0;
  // Whether the server announces SMTPUTF8: known from the pool's last sent message, or asked once
  // on a connection of its own when the first message that needs it comes before any other.
  readonly #probe: ExtensionProbeOptions;
  #smtpUtf8: Promise<boolean> | undefined;

  constructor(options: SmtpAdapterOptions) {
    refuseUnknownOptions('the smtp adapter', options, SMTP_OPTIONS);
    if (!options.host) throw new MailError('CONFIG', 'the SMTP adapter needs a host');
    this.name = options.name ?? 'smtp';
    this.capabilities = { ...FULL_CAPABILITIES, ...options.capabilities };
    if (options.auth && addressProblem(options.auth.user) === undefined) this.mailbox = options.auth.user;
    const secure = options.secure ?? options.port === 465;
    const port = options.port ?? (secure ? 465 : 587);
    this.endpoint = {
      host: options.host,
      port,
      tls: secure ? 'implicit' : (options.requireTLS ?? true) ? 'starttls' : 'starttls-optional',
      auth: !options.auth ? 'none' : 'token' in options.auth ? 'oauth2' : 'password',
    };
    this.#target = `${options.host}:${port}`;
    this.description = `${this.name}(${this.#target}${secure ? ' TLS' : ''}${options.auth ? `, ${options.auth.user}` : ''})`;
    this.limiter = options.messagesPerMinute instanceof SendLimiter
      ? options.messagesPerMinute
      : options.messagesPerMinute
        ? new SendLimiter({ messagesPerMinute: options.messagesPerMinute, maxWaitMs: options.maxWaitMs, provider: this.name })
        : undefined;
    this.limits = {
      account: `${this.#target}${options.auth ? ` ${options.auth.user}` : ''}`,
      concurrency: options.maxConnections ?? 5,
      ...(this.limiter ? { messagesPerMinute: this.limiter.messagesPerMinute } : {}),
    };
    this.#tokenAuth = options.auth && 'token' in options.auth ? options.auth.token : undefined;
    const login = options.auth && 'pass' in options.auth ? { user: options.auth.user, pass: options.auth.pass } : undefined;
    this.#secrets = new SecretScrubber([], login ? [login] : []);

    const tls: ConnectionOptions = {
      rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
      minVersion: options.tls?.minVersion ?? 'TLSv1.2',
      ...(options.tls?.ca ? { ca: options.tls.ca } : {}),
      ...(options.tls?.servername ? { servername: options.tls.servername } : {}),
    };
    this.#probe = {
      host: options.host, port, secure, requireTLS: options.requireTLS ?? true, tls,
      greetingTimeoutMs: options.greetingTimeoutMs ?? 30_000,
      socketTimeoutMs: options.socketTimeoutMs ?? 60_000,
      ...(options.clientName ? { clientName: options.clientName } : {}),
      openSocket: () => new Promise((resolve, reject) =>
        this.openSocket(options.host, port, options.connectionTimeoutMs ?? 30_000, (error, socket) => (error ? reject(error) : resolve(socket!.connection)))),
    };
    this.#transporter = loadNodemailer().createTransport({
      pool: true,
      host: options.host,
      port,
      secure,
      requireTLS: !secure && (options.requireTLS ?? true),
      tls,
      maxConnections: options.maxConnections ?? 5,
      maxMessages: options.maxMessages ?? 100,
      // The chain decides about retries: nodemailer must never resend a message on its own, which
      // it would do after a connection dropped mid-delivery (a possible duplicate).
      maxRequeues: 0,
      connectionTimeout: options.connectionTimeoutMs ?? 30_000,
      greetingTimeout: options.greetingTimeoutMs ?? 30_000,
      socketTimeout: options.socketTimeoutMs ?? 60_000,
      idleTimeout: options.idleTimeoutMs ?? 5_000,
      ...(options.clientName ? { name: options.clientName } : {}),
      logger: false,
      disableFileAccess: true,
      disableUrlAccess: true,
      ...(options.auth ? { auth: this.nodemailerAuth(options.auth) } : {}),
      // The TCP connection is opened here and handed to nodemailer (which runs TLS and SMTP over
      // it), so its bytesRead (TLS bytes included) can tell whether the server ever answered.
      getSocket: (_options: unknown, callback: (error: Error | null, socket?: { connection: Socket }) => void) =>
        this.openSocket(options.host, port, options.connectionTimeoutMs ?? 30_000, callback),
    } as Parameters<typeof import('nodemailer').createTransport>[0]);
    // Marks the moment the whole message has gone into the connection's DATA stream, i.e. the end of
    // DATA is about to be written: a connection lost after that is AMBIGUOUS, before it TRANSIENT.
    // The end of the stream (and so the final "." that commits the message at the server) waits
    // until the journal holds the handover, so a process killed at any moment cannot leave a
    // delivered message behind an entry that says it never left. A processFunc is the last stage
    // before the DATA stream and is only read after the 354.
    this.#transporter.use('stream', (mail, done) => {
      const delivery = (mail.data as Record<string, unknown>)[DELIVERY] as Delivery | undefined;
      if (delivery) {
        mail.message.processFunc((input) =>
          endAfter(input, async () => {
            delivery.handedOver = true;
            await delivery.reportHandover?.();
          }),
        );
      }
      done();
    });
  }

  send(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
    // Declared limits (Office 365: 500 recipients) checked, domains in punycode.
    return sendWithin(this, message, (wire) => this.sendChecked(wire, ctx));
  }

  private async sendChecked(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
    if (ctx.signal.aborted) throw new MailError('TRANSIENT', 'the send was aborted before it started', { provider: this.name, cause: ctx.signal.reason });
    await this.checkSmtpUtf8(message, ctx.signal);
    await this.limiter?.acquire(ctx.signal);
    const cachedBefore = this.#cachedTokensServed;
    try {
      return await this.deliver(message, ctx);
    } catch (error) {
      const mailError = error as MailError;
      // Office 365 answers 535 when a cached token was revoked or lost its permission: one retry
      // with a token fetched anew, never more (a real credential problem stays an AUTH error).
      const onCachedToken = this.#cachedTokensServed > cachedBefore || this.lastTokenFromCache;
      if (mailError.code === 'AUTH' && this.#tokenAuth && onCachedToken) {
        this.#renewalsWanted++;
        return this.deliver(message, ctx);
      }
      throw error;
    }
  }

  // RFC 6531: an address whose part before "@" is not ASCII needs SMTPUTF8 on MAIL FROM. Refused
  // here, before MAIL FROM, where the server does not announce it; UNSUPPORTED lets the chain try
  // the next adapter. An all-ASCII message (nearly every one) costs nothing.
  private async checkSmtpUtf8(message: NormalizedMessage, signal: AbortSignal): Promise<void> {
    const address = unicodeLocalPart(message);
    if (address === undefined) return;
    const watch = this.watchSilence(signal);
    let announced: boolean;
    try {
      announced = await raceAbort(this.announcesSmtpUtf8(), signal);
    } catch (error) {
      throw this.#secrets.error(this.failure(error, watch.state(), watch.startedAt, signal, false));
    } finally {
      watch.stop();
    }
    if (announced) return;
    const detail = `${this.#target} does not announce SMTPUTF8: it cannot carry an address whose part before "@" is not ASCII (${address}, RFC 6531)`;
    throw new MailError('UNSUPPORTED', detail, { provider: this.name, remedy: explain(detail)?.remedy });
  }

  // One probe shared by concurrent sends; a failed one is forgotten, so the next message asks again.
  private announcesSmtpUtf8(): Promise<boolean> {
    if (this.#smtpUtf8) return this.#smtpUtf8;
    const probe = probeExtensions(this.#probe).then(
      (extensions) => extensions.includes('SMTPUTF8'),
      (error: unknown) => {
        if (this.#smtpUtf8 === probe) this.#smtpUtf8 = undefined;
        throw error;
      },
    );
    this.#smtpUtf8 = probe;
    return probe;
  }

  async verify(ctx: { signal?: AbortSignal } = {}): Promise<void> {
    const cachedBefore = this.#cachedTokensServed;
    try {
      await this.verifyOnce(ctx);
    } catch (error) {
      // As a send: a cached token refused (consent or mailbox permission granted since it was
      // issued) gets one check with a fresh token, or verify would fail where a send succeeds.
      const onCachedToken = this.#cachedTokensServed > cachedBefore || this.lastTokenFromCache;
      if ((error as MailError).code !== 'AUTH' || !this.#tokenAuth || !onCachedToken) throw error;
      this.#renewalsWanted++;
      await this.verifyOnce(ctx);
    }
  }

  private async verifyOnce(ctx: { signal?: AbortSignal }): Promise<void> {
    const watch = this.watchSilence(ctx.signal);
    try {
      await raceAbort(this.#transporter.verify(), ctx.signal);
    } catch (error) {
      throw this.#secrets.error(this.failure(error, watch.state(), watch.startedAt, ctx.signal, false));
    } finally {
      watch.stop();
    }
  }

  async close(): Promise<void> {
    this.#transporter.close();
  }

  toString(): string {
    return this.description;
  }

  private async deliver(message: NormalizedMessage, ctx: SendContext): Promise<SendReceipt> {
    const delivery: Delivery = { handedOver: false, reportHandover: handoverReporter(ctx.signal) };
    const watch = this.watchSilence(ctx.signal);
    try {
      // The common message goes as the MIME nodemailer's composer would write, built in one pass
      // (src/kit/simple-mime.ts); any other through the composer.
      const raw = simpleMime(message);
      const content = raw === undefined ? toNodemailerMessage(message) : { raw, envelope: simpleEnvelope(message), messageId: message.messageId };
      const mail = { ...content, signal: ctx.signal, [DELIVERY]: delivery } as unknown as SendMailOptions;
      const info = (await this.#transporter.sendMail(mail)) as SentMessageInfo;
      // The pooled connection's EHLO answer comes with the result: what the next message that needs
      // SMTPUTF8 goes by, without a probe, and it corrects an answer the server has since changed.
      const ehlo = (info as { ehlo?: unknown }).ehlo;
      if (Array.isArray(ehlo)) this.#smtpUtf8 = Promise.resolve(announcesInEhlo(ehlo as string[], 'SMTPUTF8'));
      const addresses = (list: unknown[] | undefined) => (list ?? []).map((entry) => (typeof entry === 'string' ? entry : (entry as { address: string }).address));
      const rejected = addresses(info.rejected);
      // The mailer already says which recipients were refused; the server's reply to each says why.
      const reasons = ((info as { rejectedErrors?: Array<{ recipient?: string; response?: string }> }).rejectedErrors ?? [])
        .filter((refusal) => refusal.recipient && refusal.response)
        .map((refusal) => `${refusal.recipient}: ${this.#secrets.text(refusal.response!)}`);
      return {
        // SMTP hands back no id of its own; the Message-ID we set is what message traces search.
        providerMessageId: message.messageId,
        accepted: addresses(info.accepted),
        rejected,
        ...(reasons.length > 0
          ? { warnings: [`${this.name}: the server's reply at RCPT TO: ${reasons.join('; ')}`] }
          : rejected.length > 0 ? { warnings: [`${this.name}: the server refused ${rejected.length} recipient(s): ${rejected.join(', ')}`] } : {}),
      };
    } catch (error) {
      throw this.#secrets.error(this.failure(error, watch.state(), watch.startedAt, ctx.signal, delivery.handedOver));
    } finally {
      watch.stop();
    }
  }

  // A server that accepted the connection and never answered (no greeting, no TLS handshake) is its
  // own diagnosis, whether nodemailer's greeting timer or the mailer's timeout (the abort) fired
  // first; so is one that answered and then went quiet. Neither is worth a retry at full timeout.
  private failure(error: unknown, state: ConnectionState, startedAt: number, signal: AbortSignal | undefined, handedOver: boolean): MailError {
    const waitedMs = performance.now() - startedAt;
    if (!handedOver && (state === 'silent' || isGreetingTimeout(error))) return unansweredError('silent', this.name, this.#target, waitedMs, error);
    if (!handedOver && signal?.aborted) return unansweredError(state === 'connecting' ? 'connecting' : 'stalled', this.name, this.#target, waitedMs, signal.reason);
    return smtpError(error, { provider: this.name, handedOver });
  }

  private openSocket(host: string, port: number, timeoutMs: number, callback: (error: Error | null, socket?: { connection: Socket }) => void): void {
    const socket = connect({ host, port });
    this.#sockets.add(socket);
    let done = false;
    const finish = (error: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('error', finish);
      if (error) socket.destroy();
      callback(error, error ? undefined : { connection: socket });
    };
    const timer = setTimeout(() => finish(Object.assign(new Error(`Connection timeout: ${host}:${port} did not accept the connection`), { code: 'ETIMEDOUT' })), timeoutMs);
    socket.once('connect', () => finish(null));
    socket.once('error', finish);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      finish(Object.assign(new Error('Connection closed before it was opened'), { code: 'ECONNECTION' }));
    });
  }

  // At an abort, notes whether a connection is open that never received a byte, and closes those:
  // nothing will come through them (a pool keeps waiting for their greeting otherwise).
  private watchSilence(signal: AbortSignal | undefined): { state(): ConnectionState; startedAt: number; stop(): void } {
    let state: ConnectionState = 'answered';
    const onAbort = () => {
      const sockets = [...this.#sockets];
      const silent = sockets.filter((socket) => !socket.connecting && socket.bytesRead === 0);
      const connecting = sockets.filter((socket) => socket.connecting);
      for (const socket of [...silent, ...connecting]) socket.destroy();
      state = silent.length > 0 ? 'silent' : connecting.length > 0 ? 'connecting' : 'answered';
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    return { state: () => state, startedAt: performance.now(), stop: () => signal?.removeEventListener('abort', onAbort) };
  }

  private nodemailerAuth(auth: SmtpAuth) {
    if ('pass' in auth) return { user: auth.user, pass: auth.pass };
    const provider = auth.token;
    return {
      type: 'OAuth2' as const,
      user: auth.user,
      // nodemailer calls this for every new connection, and with renew=true after a refused token.
      provisionCallback: (_user: string, renew: boolean, callback: (error: Error | null, token?: string, expires?: number) => void) => {
        const renewal = this.#renewalsWanted > 0;
        if (renewal) this.#renewalsWanted--;
        const forceRefresh = renew || renewal;
        provider({ forceRefresh }).then(
          (token) => {
            this.#secrets.add(token.accessToken);
            this.lastTokenFromCache = Boolean(token.fromCache) && !forceRefresh;
            if (this.lastTokenFromCache) this.#cachedTokensServed++;
            callback(null, token.accessToken, token.expiresOn?.getTime());
          },
          // nodemailer rewrites the `code` of the error it is given: hand it a wrapper so the
          // MailError inside (smtp-errors unwraps `cause`) keeps its own code.
          (error: unknown) => {
            const mailError = toMailError(error, { code: 'AUTH', provider: this.name });
            callback(new Error(mailError.message, { cause: mailError }));
          },
        );
      },
    };
  }
}

/** A pooled SMTP adapter. Defaults: STARTTLS required, certificates checked, 5 connections. */
export function smtpAdapter(options: SmtpAdapterOptions): SmtpAdapter {
  return new SmtpAdapter(options);
}

/** An SMTP adapter from smtp://, smtps://, gmail:// or zoho:// (see `smtpOptionsFromDsn` for the forms). */
export function fromDsn(dsn: ParsedDsn): SmtpAdapter {
  return smtpAdapter(smtpOptionsFromDsn(dsn));
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

const SMTP_EXAMPLE = 'smtp://user:pass@smtp.example.com:587';

/**
 * `smtp://user:pass@host:587` (STARTTLS), `smtps://user:pass@host:465` or any DSN on port 465 (implicit TLS),
 * `smtp://relay.corp.local:25` (a connector, no AUTH), `gmail://user%40gmail.com:APP_PASSWORD@default`,
 * `zoho://user%40corp.com:pass@default?region=eu&organization=true`.
 * Query options: requireTLS=false, maxConnections, maxMessages, messagesPerMinute, name.
 */
export function smtpOptionsFromDsn(dsn: ParsedDsn): SmtpAdapterOptions {
  const preset = smtpPreset(dsn);
  const host = dsn.isDefaultHost ? preset?.host : dsn.host;
  if (!host) throw new MailError('CONFIG', `the ${dsn.scheme} DSN "${dsn.redacted}" needs a host: ${SMTP_EXAMPLE}`);
  // Port 465 is implicit TLS (RFC 8314): a STARTTLS client there waits for a greeting that never comes.
  const secure = dsn.scheme === 'smtps' || dsn.port === 465 || (preset?.secure ?? false);
  if (dsn.scheme === 'smtps' && dsn.port !== undefined && STARTTLS_PORTS.has(dsn.port)) throw implicitTlsOnStarttlsPort(dsn, host);
  if (preset) requireDsnPart(dsn, dsn.password, 'a password');
  const auth = dsn.user !== undefined ? { user: dsn.user, pass: dsn.password ?? '' } : undefined;
  return {
    name: dsn.options.name ?? (dsn.scheme === 'smtps' ? 'smtp' : dsn.scheme),
    host,
    port: dsn.port ?? (secure ? 465 : preset?.port ?? 587),
    secure,
    ...(dsnBoolean(dsn, 'requireTLS') === false ? { requireTLS: false } : {}),
    ...(auth ? { auth } : {}),
    ...(preset?.minVersion ? { tls: { minVersion: preset.minVersion } } : {}),
    maxConnections: dsnWholeNumber(dsn, 'maxConnections') ?? preset?.maxConnections,
    maxMessages: dsnWholeNumber(dsn, 'maxMessages'),
    messagesPerMinute: dsnWholeNumber(dsn, 'messagesPerMinute') ?? preset?.messagesPerMinute,
  };
}

// Ports whose server greets in plain text and upgrades with STARTTLS (RFC 8314 §3.3 for 587; 25
// is relay). smtps:// on them fails every send in the TLS handshake, and before this check it was
// explained only then. A DSN cannot say otherwise; `smtpAdapter({ port, secure: true })` can.
const STARTTLS_PORTS: ReadonlySet<number> = new Set([25, 587]);

function implicitTlsOnStarttlsPort(dsn: ParsedDsn, host: string): MailError {
  const detail = `the smtps DSN "${dsn.redacted}" asks for implicit TLS (smtps://) on port ${dsn.port}, where the server expects STARTTLS (${host}): every send would fail in the TLS handshake`;
  return new MailError('CONFIG', detail, { remedy: explain(detail)?.remedy });
}

function smtpPreset(dsn: ParsedDsn): SmtpPreset | undefined {
  if (dsn.scheme === 'gmail') return GMAIL_PRESET;
  if (dsn.scheme !== 'zoho') return undefined;
  return zohoPreset(dsn.options.region ?? 'com', dsnBoolean(dsn, 'organization') === true);
}

// The user part is the SMTP login, printed in a redacted DSN (the password never is).
export const dsn = defineDsn({
  schemes: {
    smtp: SMTP_EXAMPLE,
    smtps: 'smtps://user:pass@smtp.example.com:465',
    gmail: 'gmail://user%40gmail.com:APP_PASSWORD@default',
    zoho: 'zoho://user%40example.com:APP_PASSWORD@default?region=eu',
  },
  userIsMailbox: true,
  order: 2,
  options: smtpOptionsFromDsn,
  create: smtpAdapter,
});

/**
 * `input` passed through as it is read, its end held until `beforeEnd` resolves. It reads `input`
 * only as its reader asks (the DATA stream, after the 354), so the end really is the end of DATA.
 */
function endAfter(input: Readable, beforeEnd: () => Promise<void>): Readable {
  let wanted = false;
  const pump = () => {
    while (wanted) {
      const chunk: unknown = input.read();
      if (chunk === null) return;
      wanted = output.push(chunk);
    }
  };
  const output = new Readable({
    read() {
      wanted = true;
      pump();
    },
    destroy(error, callback) {
      input.destroy(error ?? undefined);
      callback(error);
    },
  });
  input.on('readable', pump);
  input.once('end', () => void beforeEnd().then(() => output.push(null), (error: unknown) => output.destroy(error as Error)));
  input.once('error', (error) => output.destroy(error));
  return output;
}
