// Payload 3 plugin: `plugins: [mailroomPlugin({ dsn, defaultFromAddress, defaultFromName })]` sets
// Payload's `email` to mailroom's adapter, adds the admin screens' endpoints under
// /api/mailroom/... (Overview, Email log, Test email, Resend, Explain) and the screens themselves as
// a custom admin view at /admin/mailroom with a nav link (src/integrations/admin-ui/payload-admin.js). Payload leaves custom
// endpoints public, so each one checks here: a logged-in user of the admin's user collection that
// passes the plugin's `access` function for that action, else 401 (anonymous) or 403.
import { createAdminApi, type AdminApi, type AdminReply } from './admin/admin-api.js';
import { mailroomAdapter, mailroomEmail, payloadMailerOptions, payloadSender, type MailroomPayloadOptions } from './payload.js';

/** What an access function is given: Payload's request, with the logged-in user. */
export interface MailroomAccessArgs {
  req: PayloadRequestLike;
}
export type MailroomAccess = (args: MailroomAccessArgs) => boolean | Promise<boolean>;

/** The four actions of the screens; each defaults to "any logged-in admin user". */
export interface MailroomAccessOptions {
  /** Email log, an entry's page, Overview, verify, Explain. */
  read?: MailroomAccess;
  sendTest?: MailroomAccess;
  resend?: MailroomAccess;
  /** Message content (bodies, template data, HTML preview) on an entry's page. */
  content?: MailroomAccess;
}

export interface MailroomPluginOptions extends MailroomPayloadOptions {
  /**
   * Who may use the screens: one function for every action, or one per action. Only logged-in
   * users of the admin's user collection are asked; anonymous calls get 401. Default: every
   * logged-in admin user may do everything.
   */
  access?: MailroomAccess | MailroomAccessOptions;
}

// The parts of Payload's request and config the plugin uses; structural, so mailroom does not depend on payload.
export interface PayloadRequestLike {
  user?: { collection?: string } | null;
  payload: { email?: unknown; config: { admin?: { user?: string } } };
  query?: unknown;
  routeParams?: Record<string, unknown>;
  json?: () => Promise<unknown>;
}
interface PayloadEndpoint {
  path: string;
  method: 'get' | 'post';
  handler: (req: PayloadRequestLike) => Promise<Response>;
}
// Payload's own Endpoint type is wider (every method, its PayloadRequest); its Config fits this.
interface PayloadConfigLike {
  endpoints?: readonly unknown[] | undefined;
  admin?: { components?: { views?: Record<string, unknown>; afterNavLinks?: readonly unknown[] } & Record<string, unknown> } & Record<string, unknown>;
}

/** Where the admin view and nav link live: import-map paths Payload's `generate:importmap` resolves from the package. */
export const MAILROOM_ADMIN_VIEW = 'mailroom-js/payload-admin#MailroomView';
export const MAILROOM_NAV_LINK = 'mailroom-js/payload-admin#MailroomNavLink';

type Action = keyof MailroomAccessOptions;

export function mailroomPlugin(options: MailroomPluginOptions) {
  const { access, ...adapterOptions } = options;
  // A mailer given as is has options the plugin does not know: the admin API is told none (no DSN
  // to check, no journal to open again), only the sender Payload puts on every message.
  const adminOptions = { from: payloadSender(adapterOptions), ...(adapterOptions.mailer ? {} : { mailerOptions: payloadMailerOptions(adapterOptions) }) };
  const allowed = (action: Action, req: PayloadRequestLike): boolean | Promise<boolean> => {
    const check = typeof access === 'function' ? access : access?.[action];
    return check ? check({ req }) : true;
  };
  // One API per mailer: Payload may build its config more than once (tests, hot reload).
  const apis = new WeakMap<object, AdminApi>();
  const apiFor = (req: PayloadRequestLike): AdminApi => {
    const { mailer } = mailroomEmail(req.payload);
    let api = apis.get(mailer);
    if (!api) apis.set(mailer, (api = createAdminApi({ mailer, ...adminOptions })));
    return api;
  };

  const endpoint = (method: PayloadEndpoint['method'], path: string, action: Action, run: (api: AdminApi, req: PayloadRequestLike, body: unknown) => Promise<AdminReply>): PayloadEndpoint => ({
    method,
    path: `/mailroom${path}`,
    async handler(req) {
      const adminCollection = req.payload.config.admin?.user;
      if (!req.user || (adminCollection && req.user.collection !== adminCollection)) return answer({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'log in to the admin panel first' } } });
      if (!(await allowed(action, req))) return answer({ status: 403, body: { error: { code: 'FORBIDDEN', message: `your role may not ${ACTION_WORDS[action]}` } } });
      let body: unknown;
      if (method === 'post') {
        try {
          body = await req.json?.();
        } catch {
          return answer({ status: 400, body: { error: { code: 'INVALID_INPUT', message: 'expected a JSON body' } } });
        }
      }
      return answer(await run(apiFor(req), req, body));
    },
  });

  const endpoints: PayloadEndpoint[] = [
    endpoint('get', '/overview', 'read', (api) => api.overview()),
    endpoint('post', '/verify', 'read', (api) => api.verify()),
    endpoint('get', '/entries', 'read', (api, req) => api.list(ownParams(req.query))),
    endpoint('get', '/entries/:id', 'read', async (api, req) => api.get(req.routeParams?.id, { content: await allowed('content', req) })),
    endpoint('post', '/test', 'sendTest', (api, _req, body) => api.test(body)),
    endpoint('post', '/resend', 'resend', (api, _req, body) => api.resend(body)),
    endpoint('post', '/explain', 'read', (api, _req, body) => api.explain(body)),
  ];

  // What the admin view and nav link may show: the same rule as the endpoints, asked on the server.
  const mailroomCan = async (req: PayloadRequestLike) => ({
    read: await allowed('read', req),
    sendTest: await allowed('sendTest', req),
    resend: await allowed('resend', req),
  });
  const serverProps = { mailroomCan };

  return <Config extends PayloadConfigLike>(config: Config): Config => ({
    ...config,
    email: mailroomAdapter(adapterOptions),
    endpoints: [...(config.endpoints ?? []), ...endpoints],
    admin: {
      ...config.admin,
      components: {
        ...config.admin?.components,
        views: { ...config.admin?.components?.views, mailroom: { Component: { path: MAILROOM_ADMIN_VIEW, serverProps }, path: '/mailroom', exact: true, meta: { title: 'Mailroom' } } },
        afterNavLinks: [...(config.admin?.components?.afterNavLinks ?? []), { path: MAILROOM_NAV_LINK, serverProps }],
      },
    },
  });
}

const ACTION_WORDS: Record<Action, string> = {
  read: 'read the email log',
  sendTest: 'send test emails',
  resend: 'resend emails',
  content: 'view message content',
};

// Payload fills in its own query parameters (depth, locale...) on every request: the log's
// validation would refuse them as unknown fields.
const PAYLOAD_PARAMS = new Set(['depth', 'locale', 'fallback-locale', 'fallbackLocale', 'draft', 'trash']);
function ownParams(query: unknown): unknown {
  if (!query || typeof query !== 'object') return query;
  return Object.fromEntries(Object.entries(query).filter(([key]) => !PAYLOAD_PARAMS.has(key)));
}

function answer(reply: AdminReply): Response {
  return Response.json(reply.body, { status: reply.status, headers: { 'cache-control': 'no-store' } });
}
