// The server half of mailroom's Strapi 5 admin plugin (`strapi.kind: "plugin"`, name "mailroom",
// entry `mailroom-js/strapi-server`): admin routes for the Email log, Test email, Resend, Overview
// and Explain screens, guarded by four RBAC actions that Super Admin gets by default. Strapi finds
// the plugin among the app's dependencies, so `npm i mailroom-js` is the whole install; the screens
// read the mailer of the email provider (`provider: 'mailroom-js/strapi'`).
import { createAdminApi, type AdminAccess, type AdminApi, type AdminReply } from './admin/admin-api.js';
import { strapiMailerOptions, type StrapiEmailProvider, type StrapiProviderOptions, type StrapiProviderSettings } from './strapi.js';
import { ACTIONS, PERMISSIONS, PLUGIN_NAME } from './strapi-permissions.js';

// Strapi accepts only its own keys on a plugin's server module (register, bootstrap, routes...):
// nothing else is exported here.

// The parts of Strapi this plugin uses; structural, so mailroom does not depend on Strapi.
interface StrapiLike {
  admin?: { services: { permission: { actionProvider: { registerMany(actions: unknown[]): Promise<void> } } } };
  plugin(name: string): { provider?: unknown } | undefined;
  config: { get(path: string, fallback?: unknown): unknown };
}
interface KoaContext {
  params: Record<string, string>;
  query: Record<string, unknown>;
  request: { body?: unknown };
  state: { userAbility?: { can(action: string, subject?: unknown): boolean } };
  status: number;
  body: unknown;
}

export async function register({ strapi }: { strapi: StrapiLike }): Promise<void> {
  // Registered before the admin's bootstrap, which grants every registered action to Super Admin.
  await strapi.admin?.services.permission.actionProvider.registerMany(
    ACTIONS.map((action) => ({ section: 'plugins', pluginName: PLUGIN_NAME, ...action })),
  );
}

export function bootstrap(): void {}

export function destroy(): void {}

const guard = (action: string) => ['admin::isAuthenticatedAdmin', { name: 'admin::hasPermissions', config: { actions: [action] } }];
const route = (method: 'GET' | 'POST', path: string, handler: string, action: string) => ({ method, path, handler: `admin.${handler}`, config: { policies: guard(action) } });

export const routes = {
  admin: {
    type: 'admin',
    routes: [
      route('GET', '/overview', 'overview', PERMISSIONS.readLog),
      route('POST', '/verify', 'verify', PERMISSIONS.readLog),
      route('GET', '/entries', 'list', PERMISSIONS.readLog),
      route('GET', '/entries/:id', 'get', PERMISSIONS.readLog),
      route('POST', '/test', 'test', PERMISSIONS.sendTest),
      route('POST', '/resend', 'resend', PERMISSIONS.resend),
      route('POST', '/explain', 'explain', PERMISSIONS.readLog),
    ],
  },
};

function apiFor(strapi: StrapiLike): { api?: AdminApi; problem?: AdminReply } {
  const provider = strapi.plugin('email')?.provider as Partial<StrapiEmailProvider> | undefined;
  if (!provider?.mailer) {
    return {
      problem: {
        status: 503,
        body: { error: { code: 'CONFIG', message: "Strapi's email provider is not mailroom: set provider: 'mailroom-js/strapi' in config/plugins (email.config)", remedy: "see mailroom's README \"Strapi 5\"" } },
      },
    };
  }
  const config = strapi.config.get('plugin::email', {}) as { providerOptions?: StrapiProviderOptions; settings?: StrapiProviderSettings };
  // The provider's own mailer options: the doctor checks the DSN Strapi sends with, and its secrets
  // are scrubbed from every answer (the test email goes through the provider's mailer itself).
  return { api: createAdminApi({ mailer: provider.mailer, mailerOptions: strapiMailerOptions(config.providerOptions, config.settings) }) };
}

export const controllers = {
  admin: ({ strapi }: { strapi: StrapiLike }) => {
    let cached: { api?: AdminApi; problem?: AdminReply } | undefined;
    const handle = (run: (api: AdminApi, ctx: KoaContext) => Promise<AdminReply>) => async (ctx: KoaContext) => {
      cached = cached?.api ? cached : apiFor(strapi);
      const answer = cached.api ? await run(cached.api, ctx) : cached.problem!;
      ctx.status = answer.status;
      ctx.body = answer.body;
    };
    const access = (ctx: KoaContext): AdminAccess => ({ content: ctx.state.userAbility?.can(PERMISSIONS.readContent) ?? false });
    return {
      overview: handle((api) => api.overview()),
      verify: handle((api) => api.verify()),
      list: handle((api, ctx) => api.list(ctx.query)),
      get: handle((api, ctx) => api.get(ctx.params.id, access(ctx))),
      test: handle((api, ctx) => api.test(ctx.request.body)),
      resend: handle((api, ctx) => api.resend(ctx.request.body)),
      explain: handle((api, ctx) => api.explain(ctx.request.body)),
    };
  },
};

export const config = { default: {}, validator: () => undefined };
