import { defineConfig } from 'vitest/config';

/**
 * The long suites, kept out of `npm test` (its budget is 3 minutes on two cores) and run by
 * `npm run test:load` (vitest.load.config.ts), which `.ci/run` runs after it: the load and soak tests,
 * the fault-injection matrix (an ECS fault at every call of a rollout), the kills at each store write of
 * a rollout's creation, and the strict-ECS rounds (draining, the task-set limit, eventual consistency,
 * at the loop's level).
 */
export const LONG_TESTS = [
  'test/fault/load.test.ts',
  'test/fault/kill-restart.load.test.ts',
  'test/fault/fault-injection.test.ts',
  'test/fault/kill-during-creation.test.ts',
  'test/fault/ecs-strict.test.ts',
];

/** What every run shares, whichever tests it picks. */
export const COMMON = {
  environment: 'node',
  testTimeout: 30_000,
  hookTimeout: 60_000,
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', LOG_LEVEL: 'silent' },
} as const;

/** A temp directory per run, removed at its end (test/helpers/temp-dir-setup.ts): once per run, not per project. */
export const GLOBAL_SETUP = ['test/helpers/temp-dir-setup.ts'];

const EXCLUDE = ['**/node_modules/**', ...LONG_TESTS];

/**
 * The files that change what their whole process shares, or load a Lambda entry whose composition is
 * built once per process: each runs in a module graph of its own. They call the functions' handlers
 * with the AWS endpoints pointed at stand-ins through `process.env`, replace the global `fetch`, spy on
 * `process.stdout.write`, expose the garbage collector, or turn on V8's natives syntax.
 */
export const OWN_PROCESS_TESTS = [
  'test/integration/aws-path/least-privilege.test.ts',
  'test/integration/aws-path/least-privilege-secrets-traffic.test.ts',
  'test/integration/step-functions/state-machine-run.test.ts',
  'test/integration/secrets/api-function-secrets.test.ts',
  // Exposes the garbage collector to count what a packed history member keeps.
  'test/unit/local/packed-history.test.ts',
  // Turns on V8's natives syntax to ask whether an SDK client's configuration has fast properties.
  'test/unit/shared/fast-config.test.ts',
];

export default defineConfig({
  test: {
    ...COMMON,
    globalSetup: GLOBAL_SETUP,
    // Vitest's default leaves one of this project's two cores idle; most suites wait on loopback I/O,
    // timers and child processes, so three workers keep both cores busy (about 3 minutes, against 3.4
    // with two and 6 with one).
    maxWorkers: 3,
    projects: [
      {
        // Pure code and in-memory fakes: the files share their workers' module graph instead of
        // importing it again per file (about half of the suite's import time). None changes globals.
        test: { ...COMMON, name: 'unit', include: ['test/unit/**/*.test.ts'], exclude: [...EXCLUDE, ...OWN_PROCESS_TESTS], isolate: false },
      },
      {
        // Real services and stand-ins on loopback, child processes, CDK synthesis: these files, too,
        // share their workers' module graph (each would otherwise import the local stack, the SDK
        // clients or aws-cdk-lib again: about two thirds of the suite's import time). A file that
        // changes a global must restore it before it ends; test/helpers/shared-process-guard.ts fails
        // the file that does not.
        test: {
          ...COMMON,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...EXCLUDE, 'test/unit/**', ...OWN_PROCESS_TESTS],
          isolate: false,
          setupFiles: ['test/helpers/shared-process-guard.ts'],
        },
      },
      {
        // One fresh module graph per file.
        test: { ...COMMON, name: 'fresh-process', include: OWN_PROCESS_TESTS, exclude: EXCLUDE },
      },
    ],
  },
});
