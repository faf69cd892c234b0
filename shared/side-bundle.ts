/**
 * Files of their own beside a function's entry (infra/function-bundles.ts writes them): code that needs
 * zod's full build (the API docs, the full config loader) is built apart from the function, so that it
 * shares no chunk with what the function loads at init, and the dashboard's script is bundled for the
 * browser (docs/architecture.md, "Lambda bundles").
 */

/** Where `file` is in the function's root directory, whether this module sits in the entry or in a chunk. */
export function sideFileUrl(file: string): URL {
  return new URL(`${import.meta.url.includes('/chunks/') ? '../' : './'}${file}`, import.meta.url);
}

/** Imports a bundle of its own from the function's root directory. */
export async function importSideBundle<T>(file: string): Promise<T> {
  return (await import(sideFileUrl(file).href)) as T;
}
