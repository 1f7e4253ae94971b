// Test certificates: a throw-away certificate authority and a server certificate it signs for
// localhost / 127.0.0.1, so tests can run real TLS (STARTTLS, implicit TLS, HTTPS) with
// certificate verification ON, trusting only this CA. Generated once per test file (RSA keygen
// takes a moment) and never written outside the caller's temp dirs.
import { generate } from 'selfsigned';

export interface TestTls {
  /** PEM of the CA that signed `cert`: what a client passes as `ca` to trust the server. */
  ca: string;
  /** PEM server certificate for the names in `hosts` (default localhost, 127.0.0.1, ::1). */
  cert: string;
  /** PEM private key of `cert`. */
  key: string;
  /** A second, unrelated self-signed certificate + key: a server nobody trusts. */
  untrusted: { cert: string; key: string };
}

export interface TestTlsOptions {
  /** DNS names and IP addresses the server certificate is valid for. Default localhost, 127.0.0.1, ::1. */
  hosts?: string[];
  /** Validity start. Default now (minus a minute of clock skew). */
  notBefore?: Date;
  /** Validity end. Default a day after `notBefore`; pass a past date for an expired certificate. */
  notAfter?: Date;
}

const IP = /^[\d.]+$|:/;

/** Generates a CA, a server certificate signed by it, and an untrusted self-signed one. */
export async function createTestTls(options: TestTlsOptions = {}): Promise<TestTls> {
  const hosts = options.hosts ?? ['localhost', '127.0.0.1', '::1'];
  const notBeforeDate = options.notBefore ?? new Date(Date.now() - 60_000);
  const notAfterDate = options.notAfter ?? new Date(notBeforeDate.getTime() + 24 * 3600_000);
  const common = { keySize: 2048, algorithm: 'sha256' } as const;
  const ca = await generate([{ name: 'commonName', value: 'mailroom test CA' }], {
    ...common,
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 48 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const altNames = hosts.map((host) => (IP.test(host) ? { type: 7 as const, ip: host } : { type: 2 as const, value: host }));
  const server = await generate([{ name: 'commonName', value: hosts[0] ?? 'localhost' }], {
    ...common,
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  const untrusted = await generate([{ name: 'commonName', value: 'localhost' }], {
    ...common,
    notBeforeDate,
    notAfterDate,
    extensions: [{ name: 'subjectAltName', altNames }],
  });
  return { ca: ca.cert, cert: server.cert, key: server.private, untrusted: { cert: untrusted.cert, key: untrusted.private } };
}
