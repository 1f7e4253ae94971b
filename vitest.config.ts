import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/cms/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Several suites start real servers and child processes; two cores is the machine.
    maxWorkers: 2,
  },
});
