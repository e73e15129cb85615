import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The chaos suite has its own config and command (npm run test:chaos), run by CI after this.
    exclude: ['test/chaos/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers; two cores are shared, so keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
    // Fails the run when a test leaves a process or a temp file behind (test/harness/leaks/).
    globalSetup: ['./test/harness/leaks/global-setup.ts'],
    setupFiles: ['./test/harness/leaks/per-file.ts'],
  },
});
