// What an SMTP server announces in its EHLO answer, for the one decision the adapter cannot leave
// to nodemailer: a local part that is not ASCII (jörg@example.com) may only go out with SMTPUTF8
// (RFC 6531). nodemailer adds SMTPUTF8 to MAIL FROM when the server announced it and otherwise
// sends the UTF-8 address anyway, which a lenient server takes and mangles. Its pool does not show
// a connection's EHLO answer before a send, so until a message has gone through the pool (whose
// result carries it, see `announcesInEhlo`) the adapter asks the server on a connection of its own.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type SMTPConnectionClass from 'nodemailer/lib/smtp-connection';
import { isAsciiLocalPart } from '../core/address.js';
import type { NormalizedMessage } from '../core/message.js';

const loadSmtpConnection = () => createRequire(import.meta.url)('nodemailer/lib/smtp-connection') as typeof SMTPConnectionClass;

/**
 * The first address of the message whose part before "@" is not ASCII, or undefined. The envelope
 * (from, to, cc, bcc) and Reply-To: a UTF-8 address in a header needs SMTPUTF8 too (RFC 6532).
 */
export function unicodeLocalPart(message: NormalizedMessage): string | undefined {
  return [message.from, ...message.to, ...message.cc, ...message.bcc, ...message.replyTo].find((a) => !isAsciiLocalPart(a.address))?.address;
}

export interface ExtensionProbeOptions {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  tls: ConnectionOptions;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
  clientName?: string;
  /** Opens the TCP connection (the adapter's own opener, so its silence watch covers the probe). */
  openSocket(): Promise<Socket>;
}

// A name no server announces: login() runs our handler without a byte on the wire.
const READ_EXTENSIONS = 'X-MAILROOM-READ-EXTENSIONS';

/**
 * Whether EHLO answer lines (as nodemailer reports them with a sent message: `info.ehlo`, one
 * keyword and its parameters per line, the greeting line left out) announce `keyword`.
 */
export function announcesInEhlo(lines: readonly string[], keyword: string): boolean {
  return lines.some((line) => line.trim().split(/\s+/)[0]!.toUpperCase() === keyword);
}

/**
 * The extensions the server announces after EHLO (after STARTTLS when TLS is on, as the pooled
 * connections see them), e.g. ["PIPELINING", "SMTPUTF8", ...]. No AUTH, no mail: connect, EHLO,
 * QUIT. A 4xx answer to EHLO is a failure (asked again later), not "no extensions": nodemailer
 * falls back to HELO after it and would report an empty list.
 */
export async function probeExtensions(options: ExtensionProbeOptions): Promise<string[]> {
  const socket = await options.openSocket();
  const SMTPConnection = loadSmtpConnection();
  // The session nodemailer set up may have fallen back to HELO after a refused EHLO, and its parsed
  // extensions do not tell that apart from a server announcing none. A custom AUTH handler (run
  // without a byte on the wire) can send commands: it asks EHLO again (RFC 5321 allows it at any
  // time) and reads the answer itself.
  let extensions: string[] | undefined;
  let refused: Error | undefined;
  const connection = new SMTPConnection({
    host: options.host,
    port: options.port,
    secure: options.secure,
    requireTLS: !options.secure && options.requireTLS,
    tls: options.tls,
    connection: socket,
    greetingTimeout: options.greetingTimeoutMs,
    socketTimeout: options.socketTimeoutMs,
    ...(options.clientName ? { name: options.clientName } : {}),
    logger: false,
    customAuth: {
      [READ_EXTENSIONS]: async (context) => {
        const { response } = await context.sendCommand(`EHLO ${connection.name}`);
        // nodemailer's `status` is 0 for a multi-line answer ("250-..."): read the code itself.
        const status = Number(response.slice(0, 3));
        if (status === 250) extensions = ehloKeywords(response);
        // A server without EHLO (5xx: a permanent answer) announces nothing.
        else if (status >= 500) extensions = [];
        else refused = Object.assign(new Error(`EHLO failed: ${response}`), { code: 'EPROTOCOL', response, responseCode: status || undefined, command: 'EHLO' });
        context.resolve();
      },
    },
  });
  try {
    return await new Promise<string[]>((resolve, reject) => {
      connection.once('error', reject);
      connection.once('end', () => reject(Object.assign(new Error('Connection closed before the EHLO answer'), { code: 'ECONNECTION' })));
      connection.connect(() => {
        connection.login({ user: READ_EXTENSIONS, pass: READ_EXTENSIONS, method: READ_EXTENSIONS }, (error) => {
          if (error) return reject(error);
          if (refused) return reject(refused);
          if (!extensions) return reject(new Error('the EHLO answer could not be read (nodemailer did not run the custom AUTH handler)'));
          resolve(extensions);
        });
      });
    });
  } finally {
    connection.removeAllListeners('end');
    // Ignore what a closing connection still reports.
    connection.on('error', () => undefined);
    connection.quit();
  }
}

// "250-host greets you\n250-PIPELINING\n250 SMTPUTF8" -> ["PIPELINING", "SMTPUTF8"].
function ehloKeywords(response: string): string[] {
  return response.split(/\r?\n/).slice(1).map((line) => line.replace(/^\d{3}[ -]/, '').trim().split(/\s+/)[0]!.toUpperCase()).filter(Boolean);
}
