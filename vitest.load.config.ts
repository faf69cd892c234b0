import { defineConfig } from 'vitest/config';
import { COMMON, GLOBAL_SETUP, LONG_TESTS } from './vitest.config';

/** `npm run test:load`: the long suites alone (minutes of CPU on two cores), kept out of `npm test`. */
export default defineConfig({
  test: {
    ...COMMON,
    globalSetup: GLOBAL_SETUP,
    include: LONG_TESTS,
  },
});
