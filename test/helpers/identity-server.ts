// A local Microsoft identity platform over HTTPS (certificate from ./tls.ts) for msal-node: the
// tenant's OpenID metadata and the v2.0 token endpoint with client credentials (PROVIDERS.md §7),
// checking client id, secret or certificate assertion, grant type and scope; scriptable AADSTS
// errors; short token lifetimes to exercise renewal. `networkClient(ca)` gives msal an HTTP
// client that trusts only the test CA, since Node reads NODE_EXTRA_CA_CERTS at start-up only.
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { TestTls } from './tls.js';

export interface TokenError {
  status: number;
  error: string;
  /** e.g. 7000215 */
  code: number;
  description: string;
}

export interface IdentityServerOptions {
  tls: TestTls;
  tenant: string;
  clientId: string;
  /** Accepted client secret. */
  clientSecret?: string;
  /** Token lifetime in seconds. Default 3599. */
  expiresIn?: number;
}

export interface TokenRequest {
  tenant: string;
  form: Record<string, string>;
}

export interface IdentityServer {
  /** Base URL to pass as `authority` (the tenant is appended by the token source). */
  url: string;
  host: string;
  /** Token requests received, in order. */
  requests: TokenRequest[];
  /** Tokens issued, in order. */
  issued: string[];
  /** Answer every token request with this error until cleared. */
  error: TokenError | undefined;
  expiresIn: number;
  close(): Promise<void>;
}

/** A real AADSTS reply body, shaped like Microsoft's (PROVIDERS.md §7). */
export function aadError(status: number, error: string, code: number, text: string): TokenError {
  return {
    status, error, code,
    description: `AADSTS${code}: ${text}\r\nTrace ID: 0000aaaa-11bb-cc22-dd33-444444eeeeee\r\nCorrelation ID: 5555ffff-66aa-bb77-cc88-999999dddddd\r\nTimestamp: 2026-01-01 00:00:00Z`,
  };
}

export async function startIdentityServer(options: IdentityServerOptions): Promise<IdentityServer> {
  let counter = 0;
  const state = { requests: [] as TokenRequest[], issued: [] as string[], error: undefined as TokenError | undefined, expiresIn: options.expiresIn ?? 3599 };
  const server = https.createServer({ key: options.tls.key, cert: options.tls.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', base);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    const [tenant = '', ...rest] = url.pathname.split('/').filter(Boolean);
    const path = rest.join('/');
    if (req.method === 'GET' && path === 'v2.0/.well-known/openid-configuration') {
      if (tenant !== options.tenant) {
        const { description } = aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
        return reply(400, { error: 'invalid_tenant', error_description: description, error_codes: [90002] });
      }
      return reply(200, {
        issuer: `${base}/${tenant}/v2.0`,
        token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
        response_types_supported: ['code', 'id_token', 'token'],
      });
    }
    if (req.method === 'POST' && path === 'oauth2/v2.0/token') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        state.requests.push({ tenant, form });
        const fail = (e: TokenError) =>
          reply(e.status, { error: e.error, error_description: e.description, error_codes: [e.code], timestamp: '2026-01-01 00:00:00Z', trace_id: 'x', correlation_id: 'y' });
        if (state.error) return fail(state.error);
        if (form.grant_type !== 'client_credentials') return fail(aadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.'));
        if (form.client_id !== options.clientId) return fail(aadError(400, 'unauthorized_client', 700016, `Application with identifier '${form.client_id}' was not found in the directory.`));
        if (!form.scope?.endsWith('/.default')) return fail(aadError(400, 'invalid_scope', 1002012, 'The provided value for scope is not valid.'));
        const assertion = form.client_assertion_type === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' && Boolean(form.client_assertion);
        if (!form.client_secret && !assertion) return fail(aadError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."));
        if (form.client_secret && form.client_secret !== options.clientSecret) return fail(aadError(401, 'invalid_client', 7000215, 'Invalid client secret provided.'));
        const token = `token-${++counter}-${form.scope.split('/')[2]}`;
        state.issued.push(token);
        return reply(200, { token_type: 'Bearer', expires_in: state.expiresIn, ext_expires_in: state.expiresIn, access_token: token });
      });
      return;
    }
    reply(404, { error: 'not_found' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const host = `localhost:${(server.address() as AddressInfo).port}`;
  const base = `https://${host}`;
  return Object.assign(state, {
    url: base,
    host,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  }) as IdentityServer;
}

/** An msal `networkClient` over node:https that trusts `ca` (and only it). */
export function networkClient(ca: string): INetworkModule {
  const send = <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> =>
    new Promise((resolve, reject) => {
      const req = https.request(url, { method, ca, headers: options?.headers ?? {} }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers[name] = value;
          resolve({ status: res.statusCode ?? 0, headers, body: (text ? JSON.parse(text) : {}) as T });
        });
      });
      req.on('error', reject);
      req.end(options?.body);
    });
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}
