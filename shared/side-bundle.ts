/**
 * A bundle of its own beside a function's entry (infra/function-bundles.ts builds them): code that needs
 * zod's full build (the API docs, the full config loader) is built apart from the function, so that it
 * shares no chunk with what the function loads at init (docs/architecture.md, "Lambda bundles").
 */

/** Imports `file` from the function's root directory, whether this module sits in the entry or in a chunk. */
export async function importSideBundle<T>(file: string): Promise<T> {
  const url = new URL(`${import.meta.url.includes('/chunks/') ? '../' : './'}${file}`, import.meta.url);
  return (await import(url.href)) as T;
}
