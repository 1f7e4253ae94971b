// The CMS end-to-end suites: a real Strapi 5 and a real Payload 3 with mailroom as their email
// provider, delivering to a local SMTP server. Run through ./run.sh (it installs this folder).
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
  },
});
