import { execFileSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

// The DSN table imports every adapter's declaration through a generated index: (re)write it before
// any suite loads, so a new file in adapters/ is picked up by a plain `npx vitest run`.
execFileSync(process.execPath, [new URL('./scripts/adapter-index.mjs', import.meta.url).pathname], { stdio: 'inherit' });

export default defineConfig({
  // examples/own-adapter imports the kit as an outside package does; here it is the source.
  resolve: { alias: { 'mailroom-js/adapter-kit': new URL('./src/kit/index.ts', import.meta.url).pathname } },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/cms/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Several suites start real servers and child processes; two cores is the machine.
    maxWorkers: 2,
  },
});
