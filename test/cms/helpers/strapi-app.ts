// Boots examples/strapi (copied to a temp folder, without the admin panel's build) with mailroom as
// its email provider, delivering to the given SMTP sink; stop() shuts it down and cleans up.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyExample, type ExampleApp } from './example-app.js';
import type { SmtpSink } from './smtp-sink.js';

// The slice of Strapi's API the suites use.
export interface StrapiInstance {
  plugin(name: string): { service(name: string): unknown; provider: unknown };
  service(uid: string): unknown;
  db: {
    query(uid: string): {
      findOne(args: { where: Record<string, unknown> }): Promise<Record<string, unknown> | null>;
      create(args: { data: Record<string, unknown> }): Promise<Record<string, unknown>>;
    };
  };
  server: { httpServer: { address(): AddressInfo | string | null } };
  listen(): Promise<void>;
  destroy(): Promise<void>;
}

export interface StrapiApp {
  app: ExampleApp;
  strapi: StrapiInstance;
  baseUrl: string;
  stop(): Promise<void>;
}

export interface BootOptions {
  /** Serve the admin panel (it must have been built into the app first, see `beforeBoot`). Default false. */
  serveAdminPanel?: boolean;
  /** Runs in the copied app before Strapi loads, e.g. `strapi build`. */
  beforeBoot?: (appDir: string) => Promise<void>;
}

export async function bootStrapi(sink: SmtpSink, env: Record<string, string> = {}, options: BootOptions = {}): Promise<StrapiApp> {
  const app = await copyExample('strapi');
  const dataDir = await mkdtemp(join(tmpdir(), 'mailroom-strapi-data-'));
  const secret = () => randomBytes(24).toString('base64');
  Object.assign(process.env, {
    MAILROOM_DSN: sink.dsn,
    MAILROOM_JOURNAL: join(dataDir, 'journal.sqlite'),
    DATABASE_FILENAME: join(dataDir, 'strapi.db'),
    HOST: '127.0.0.1',
    PORT: '0',
    APP_KEYS: `${secret()},${secret()}`,
    ADMIN_JWT_SECRET: secret(),
    API_TOKEN_SALT: secret(),
    TRANSFER_TOKEN_SALT: secret(),
    ENCRYPTION_KEY: secret(),
    JWT_SECRET: secret(),
    STRAPI_TELEMETRY_DISABLED: 'true',
    STRAPI_DISABLE_UPDATE_NOTIFICATION: 'true',
    STRAPI_LOG_LEVEL: 'warn',
    ...env,
  });
  await options.beforeBoot?.(app.dir);
  const appRequire = createRequire(join(app.dir, 'package.json'));
  const { compileStrapi, createStrapi } = appRequire('@strapi/strapi') as {
    compileStrapi(options: { appDir: string }): Promise<Record<string, unknown>>;
    createStrapi(options: Record<string, unknown>): { load(): Promise<StrapiInstance> };
  };
  const strapi = await createStrapi({ ...(await compileStrapi({ appDir: app.dir })), autoReload: false, serveAdminPanel: options.serveAdminPanel ?? false }).load();
  await strapi.listen();
  const address = strapi.server.httpServer.address() as AddressInfo;
  return {
    app,
    strapi,
    baseUrl: `http://127.0.0.1:${address.port}`,
    async stop() {
      // Strapi's destroy() calls process.removeAllListeners(), which would cut this test worker off
      // from vitest: keep the worker's own listeners and put them back.
      const listeners = process.eventNames().map((name) => [name, process.rawListeners(name)] as const);
      await strapi.destroy();
      for (const [name, list] of listeners) {
        for (const listener of list) {
          if (!process.rawListeners(name).includes(listener)) process.on(name as NodeJS.Signals, listener as (...args: unknown[]) => void);
        }
      }
      await app.remove();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
