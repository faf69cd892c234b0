/**
 * The full config loader (YAML, the zod schemas) as a Lambda function loads it, on first use and only
 * for a config that needs it (bundled-config.ts). In a function's bundle it is a bundle of its own,
 * `config-loader.mjs` beside the entry (infra/function-bundles.ts): built with the function, zod's full
 * build would share its core and every locale with the request validators in a chunk loaded at init
 * (docs/architecture.md, "Lambda bundles"). Everywhere else it is the module itself.
 */
import { importSideBundle } from '../side-bundle';
import type { loadConfig } from './load-config';

/** The name of the separate bundle. */
export const CONFIG_LOADER_BUNDLE_FILE = 'config-loader.mjs';

export async function loadFullConfig(...args: Parameters<typeof loadConfig>): ReturnType<typeof loadConfig> {
  // Replaced by the bundle's name at build time (`define`, infra/function-bundles.ts): esbuild then
  // drops the branch below and its import. Unset when the sources run as they are (local mode, tests).
  if (process.env.ROLLOUT_CONFIG_LOADER_BUNDLE) {
    const bundle = await importSideBundle<{ loadConfig: typeof loadConfig }>(process.env.ROLLOUT_CONFIG_LOADER_BUNDLE);
    return bundle.loadConfig(...args);
  } else {
    return (await import('./load-config')).loadConfig(...args);
  }
}
