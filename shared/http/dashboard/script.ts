/**
 * The dashboard's script (browser/, TypeScript) as /dashboard/app.js serves it: one file bundled by
 * esbuild. The API function's bundle carries it, `dashboard-app.js` beside the entry, bundled at synth
 * (infra/function-bundles.ts); local mode and the tests bundle it at the first request (bundle-script.ts).
 * Nobody runs a build step (docs/architecture.md, "Lambda bundles").
 */
import { sideFileUrl } from '../../side-bundle';

/** The name of the bundled script beside the API function's entry. */
export const DASHBOARD_SCRIPT_FILE = 'dashboard-app.js';

let script: Promise<string> | undefined;

export function dashboardScript(): Promise<string> {
  script ??= load();
  script.catch(() => (script = undefined));
  return script;
}

async function load(): Promise<string> {
  // Replaced by the file's name at build time (`define`, infra/function-bundles.ts): esbuild then drops
  // the branch below, and esbuild with it. Unset when the sources run as they are (local mode, tests).
  if (process.env.ROLLOUT_DASHBOARD_SCRIPT) {
    const { readFile } = await import('node:fs/promises');
    return readFile(sideFileUrl(process.env.ROLLOUT_DASHBOARD_SCRIPT), 'utf8');
  } else {
    return (await import('./bundle-script')).bundleDashboardScript();
  }
}
