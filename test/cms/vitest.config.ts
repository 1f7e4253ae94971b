// The CMS end-to-end suites: a real Strapi 5 and a real Payload 3 with mailroom as their email
// provider, delivering to a local SMTP server. Run through ./run.sh (it installs this folder).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*.test.ts'],
    // Makes the local SMTP server's certificate trusted by every worker (NODE_EXTRA_CA_CERTS is
    // read when a process starts), so the CMS configs use plain smtp:// DSNs like a real app.
    globalSetup: ['./helpers/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    // Strapi's design system says "type": "module" while its `main` is CommonJS: Node cannot load it
    // as published. Bundlers take its `module` build, and so does the jsdom suite (screens.test.ts).
    alias: ['design-system', 'ui-primitives'].map((name) => ({ find: new RegExp(`^@strapi/${name}$`), replacement: fileURLToPath(new URL(`./node_modules/@strapi/${name}/dist/index.mjs`, import.meta.url)) })),
    server: { deps: { inline: [/@strapi\/design-system/, /mailroom-js\/src\/integrations\/admin-ui/] } },
  },
});
