/**
 * Bundles the dashboard's browser code (browser/main.ts and what it imports) into the one script the
 * page loads: an IIFE, so that nothing leaks into the page's global scope, in strict mode (the
 * tsconfig beside the sources is strict, and esbuild says so at the top of the script). Run by local mode and the
 * tests at the first request for the script, and by the stack at synth for the API function.
 */
import { fileURLToPath } from 'node:url';
import { build, buildSync, type BuildOptions } from 'esbuild';

export const DASHBOARD_SOURCE = fileURLToPath(new URL('./browser/main.ts', import.meta.url));

const OPTIONS = {
  entryPoints: [DASHBOARD_SOURCE],
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'silent',
} satisfies BuildOptions;

export async function bundleDashboardScript(): Promise<string> {
  return (await build(OPTIONS)).outputFiles[0]!.text;
}

/** The same, synchronously: the stack builds its functions with esbuild's synchronous API. */
export function bundleDashboardScriptSync(): string {
  return buildSync(OPTIONS).outputFiles[0]!.text;
}
