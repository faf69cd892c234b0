import { defineConfig } from 'vitest/config';

/**
 * The long suites, kept out of `npm test` (its budget is 3 minutes on two cores) and run by
 * `npm run test:load` (vitest.load.config.ts), which `.ci/run` runs after it: the load and soak tests,
 * the fault-injection matrix (an ECS fault at every call of a rollout) and the strict-ECS rounds
 * (draining, the task-set limit, eventual consistency, at the loop's level).
 */
export const LONG_TESTS = ['test/fault/load.test.ts', 'test/fault/kill-restart.load.test.ts', 'test/fault/fault-injection.test.ts', 'test/fault/ecs-strict.test.ts'];

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
    exclude: ['**/node_modules/**', ...LONG_TESTS],
  },
});
