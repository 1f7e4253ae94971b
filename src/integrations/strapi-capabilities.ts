// What Strapi's admin email settings page shows about the provider ("Provider capabilities": SMTP
// server, Encryption, Authentication, Pool status, Enabled features). The page labels encryption
// from `transport`: secure -> "TLS", port 587 -> "STARTTLS", port 465 -> "TLS", anything else
// "None"; so a STARTTLS chain must say so through these fields, or it reads "Encryption: None".
// Hosts and TLS modes only: never a credential.
import { describeEndpoint, type AdapterEndpoint, type MailAdapter } from '../core/adapter.js';

/** What Strapi's admin email settings page shows about the provider. */
export interface StrapiProviderCapabilities {
  /**
   * One adapter: its host and port. A chain: each adapter with host and TLS mode, in fallback order,
   * e.g. "office365 smtp.office365.com:587 STARTTLS → brevo api.brevo.com HTTPS". `secure` when every
   * adapter encrypts (TLS, required STARTTLS or HTTPS). Present once the chain is built: right after
   * startup for a DSN, at once for `adapters`.
   */
  transport?: { host: string; port?: number; secure?: boolean; pool?: boolean };
  /** How the adapters authenticate, e.g. "oauth2 → api-key"; no user name, no secret. */
  auth?: { type: string };
  /** "pool" (SMTP connection pool), "requireTLS" (STARTTLS required), "oauth2". */
  features: string[];
  /** Adapter names of the chain, in fallback order. */
  adapters: string[];
  /** Each adapter's host, port, TLS mode and kind of authentication, in fallback order. */
  endpoints: Array<{ adapter: string } & AdapterEndpoint>;
}

const ENCRYPTED = new Set<AdapterEndpoint['tls']>(['implicit', 'starttls', 'https']);

export function strapiCapabilities(adapters: MailAdapter[]): StrapiProviderCapabilities {
  // An adapter of the app's own may say nothing about its endpoint: it is then shown by name only.
  const endpoints = adapters.flatMap((adapter) => (adapter.endpoint ? [{ adapter: adapter.name, ...adapter.endpoint }] : []));
  const capabilities: StrapiProviderCapabilities = { features: features(endpoints), adapters: adapters.map((adapter) => adapter.name), endpoints };
  if (adapters.length === 0) return capabilities;
  const smtp = endpoints.some((endpoint) => endpoint.port !== undefined);
  const secure = endpoints.length === adapters.length && endpoints.every((endpoint) => ENCRYPTED.has(endpoint.tls));
  const only = adapters.length === 1 ? endpoints[0] : undefined;
  if (only && only.tls === 'starttls' && only.port === 587) {
    // Strapi's page says "STARTTLS" for port 587 without `secure`.
    capabilities.transport = { host: only.host, port: 587, pool: true };
  } else if (only) {
    capabilities.transport = { host: only.host, ...(only.port ? { port: only.port } : {}), ...(secure ? { secure } : {}), ...(smtp ? { pool: true } : {}) };
  } else {
    const chain = adapters.map((adapter) => [adapter.name, describeEndpoint(adapter.endpoint)].filter(Boolean).join(' ')).join(' → ');
    capabilities.transport = { host: chain, ...(secure ? { secure } : {}), ...(smtp ? { pool: true } : {}) };
  }
  const auths = endpoints.map((endpoint) => endpoint.auth).filter((auth): auth is string => Boolean(auth));
  if (auths.length > 0) capabilities.auth = { type: auths.join(' → ') };
  return capabilities;
}

function features(endpoints: AdapterEndpoint[]): string[] {
  const out: string[] = [];
  if (endpoints.some((endpoint) => endpoint.port !== undefined)) out.push('pool');
  if (endpoints.some((endpoint) => endpoint.tls === 'starttls')) out.push('requireTLS');
  if (endpoints.some((endpoint) => endpoint.auth === 'oauth2')) out.push('oauth2');
  return out;
}
