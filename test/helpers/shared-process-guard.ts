/**
 * Run before each file of the `integration` project, whose files share their worker's process and
 * module graph (vitest.config.ts): a file may change `process.env` or the global `fetch` while it
 * runs, but must leave them as it found them. Registered before the file's own hooks, this `afterAll`
 * runs after them: it fails the file that left a change behind, and undoes it, so that the next file
 * in the worker does not run against it.
 */
import { afterAll, expect } from 'vitest';

const env = { ...process.env };
const { fetch } = globalThis;

afterAll(() => {
  const left = { ...process.env };
  const leftFetch = globalThis.fetch;
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  Object.assign(process.env, env);
  globalThis.fetch = fetch;
  expect(left, 'process.env as the file found it').toEqual(env);
  expect(leftFetch, 'the global fetch as the file found it').toBe(fetch);
});
