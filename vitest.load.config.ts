import { defineConfig } from 'vitest/config';
import { COMMON, LONG_TESTS } from './vitest.config';

/** `npm run test:load`: the long suites alone (minutes of CPU on two cores), kept out of `npm test`. */
export default defineConfig({
  test: {
    ...COMMON,
    include: LONG_TESTS,
  },
});
