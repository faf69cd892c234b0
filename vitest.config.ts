import { defineConfig } from 'vitest/config';

/** Load and soak tests: not part of `npm test`; `npm run test:load` runs them (vitest.load.config.ts). */
export const LOAD_TESTS = ['test/fault/load.test.ts', 'test/fault/kill-restart.load.test.ts'];

/** What every run shares, whichever tests it picks. */
export const COMMON = {
  environment: 'node',
  testTimeout: 30_000,
  hookTimeout: 60_000,
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', LOG_LEVEL: 'silent' },
} as const;

export default defineConfig({
  test: {
    ...COMMON,
    // Vitest's default leaves one of this project's two cores idle; most suites wait on loopback I/O
    // and timers, so two workers halve the wall time (about 2 minutes instead of 3.4 here).
    maxWorkers: 2,
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...LOAD_TESTS],
  },
});
