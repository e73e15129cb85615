import { defineConfig } from 'vitest/config';

/**
 * The end-to-end chaos suite (test/chaos/), on its own: `npm run test:chaos`. One file, scenarios in
 * order against one shared stack; each scenario has its own generous timeout.
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 180_000,
    maxWorkers: 1,
    reporters: ['default', './test/summary-reporter.ts', './test/chaos/table-reporter.ts'],
    // Fails the run when a test leaves a process or a temp file behind (test/harness/leaks/).
    globalSetup: ['./test/harness/leaks/global-setup.ts'],
    setupFiles: ['./test/harness/leaks/per-file.ts'],
  },
});
