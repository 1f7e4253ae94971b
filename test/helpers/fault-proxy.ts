// A TCP proxy in front of a test server (the SMTP one) for the faults the server itself cannot
// play: a refused connection (the proxy stops listening for a moment, so the kernel answers RST to
// the SYN), a reset right after the greeting, a greeting that never comes (the client's greeting
// timeout), and a TLS handshake that fails (after the server's 220 to STARTTLS the client gets
// bytes that are not TLS). Each new connection asks `pick` which fault it meets, if any.
import { once } from 'node:events';
import net from 'node:net';

export type ProxyFault = 'reset-after-greeting' | 'greeting-timeout' | 'tls-failure';

export interface FaultProxy {
  port: number;
  /** Stops accepting for `ms` milliseconds: connections in that window are refused. */
  refuseFor(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultProxy(target: number, pick: () => ProxyFault | undefined): Promise<FaultProxy> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = net.createServer((client) => {
    track(client);
    const fault = pick();
    if (fault === 'greeting-timeout') return; // accepted, never a byte: the client's timer decides
    const upstream = net.connect(target, '127.0.0.1');
    track(upstream);
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    let greeted = false;
    let startTls = false;
    client.on('data', (chunk: Buffer) => {
      if (fault === 'tls-failure' && /^STARTTLS\r?\n/i.test(chunk.toString('latin1'))) startTls = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!greeted) {
        greeted = true;
        client.write(chunk);
        if (fault === 'reset-after-greeting') client.resetAndDestroy();
        return;
      }
      if (startTls) {
        // The server's "220 Ready to start TLS" goes through; what follows is not a TLS record.
        client.write(chunk);
        client.end('HTTP/1.1 400 this is not TLS\r\n\r\n');
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  let closed = false;
  return {
    port,
    async refuseFor(ms) {
      if (closed || !server.listening) return;
      server.close();
      await new Promise((resolve) => setTimeout(resolve, ms));
      if (closed) return;
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    async close() {
      closed = true;
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}
