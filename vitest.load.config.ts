import { defineConfig } from 'vitest/config';
import { COMMON, LOAD_TESTS } from './vitest.config';

/** `npm run test:load`: the load tests alone (minutes of CPU on two cores), kept out of `npm test`. */
export default defineConfig({
  test: {
    ...COMMON,
    include: LOAD_TESTS,
  },
});
