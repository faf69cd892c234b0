/**
 * How the functions are built: esbuild, run by the stack at synth (locally, no Docker), one output
 * directory per function with code splitting, so that what a function needs only on some paths (a
 * client, the dashboard, the API docs) sits in a chunk it loads with `import()` on first use and Lambda
 * does not load it at init (docs/architecture.md, "Lambda bundles"). The resolved config
 * (resolved-config.ts) is copied into every directory.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync, type BuildOptions, type Metafile } from 'esbuild';
import { CONFIG_LOADER_BUNDLE_FILE } from '../shared/config/full-config-loader';
import { bundleDashboardScriptSync } from '../shared/http/dashboard/bundle-script';
import { DASHBOARD_SCRIPT_FILE } from '../shared/http/dashboard/script';
import { DOCS_BUNDLE_FILE } from '../shared/http/openapi/docs-content';
import { BUNDLED_CONFIG_NAME } from './resolved-config';

/** The file Lambda loads: `index.mjs`, so a function's handler is `index.<export>`. */
export const ENTRY_FILE = 'index.mjs';

/**
 * ESM, like the package: tree-shakes the AWS SDK's ES builds (`module` field) and lets esbuild split
 * the code. The banner gives CommonJS dependencies the `require` that an ES module lacks. The SDK is
 * bundled, not taken from the runtime, so Lambda runs the exact client versions the tests ran.
 */
export function functionBuildOptions(entryPoint: string, outdir: string, absWorkingDir: string): BuildOptions & { metafile: true } {
  return {
    entryPoints: { index: entryPoint },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    banner: { js: "import { createRequire as __rolloutRequire } from 'node:module'; const require = __rolloutRequire(import.meta.url);" },
    metafile: true,
    absWorkingDir,
    // Select the side bundles (see buildFunction); the other branches, and their imports, are left out.
    define: {
      'process.env.ROLLOUT_DOCS_BUNDLE': JSON.stringify(DOCS_BUNDLE_FILE),
      'process.env.ROLLOUT_CONFIG_LOADER_BUNDLE': JSON.stringify(CONFIG_LOADER_BUNDLE_FILE),
      'process.env.ROLLOUT_DASHBOARD_SCRIPT': JSON.stringify(DASHBOARD_SCRIPT_FILE),
    },
    logLevel: 'error',
  };
}

/**
 * A bundle of its own beside a function's entry (shared/side-bundle.ts), one file: built apart, so that
 * zod's full build, which it needs, shares no chunk with the entry. With code splitting esbuild places
 * a module by the entry points that reach it, and zod's validators reach its core and locales from the
 * entry: built with the function, the full build's share of them would be loaded at init.
 * - `api-docs.mjs` (the API function): the API docs page and the OpenAPI document, generated with zod.
 * - `config-loader.mjs` (every function): the full config loader, for a config the bundled reader does
 *   not convert (shared/config/bundled-config.ts).
 */
export function buildSideBundle(source: 'api-docs' | 'config-loader', outdir: string, absWorkingDir: string): Metafile {
  const { entryPoints: _entries, outdir: _outdir, splitting: _splitting, chunkNames: _chunks, outExtension: _ext, ...options } = functionBuildOptions('', outdir, absWorkingDir);
  const file = source === 'api-docs' ? DOCS_BUNDLE_FILE : CONFIG_LOADER_BUNDLE_FILE;
  const { metafile } = buildSync({ ...options, entryPoints: [join(absWorkingDir, 'functions', `${source}.ts`)], outfile: join(outdir, file) });
  return metafile;
}

/** Builds one function into a fresh directory with the config beside it; returns the directory. */
export function buildFunction(entryPoint: string, configFile: string, absWorkingDir: string): { dir: string; metafile: Metafile } {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-function-'));
  const { metafile } = buildSync(functionBuildOptions(entryPoint, dir, absWorkingDir));
  if (entryPoint.endsWith('/functions/api.ts')) {
    buildSideBundle('api-docs', dir, absWorkingDir);
    // The dashboard's browser code, bundled for the browser: the API function serves it as it is.
    writeFileSync(join(dir, DASHBOARD_SCRIPT_FILE), bundleDashboardScriptSync());
  }
  buildSideBundle('config-loader', dir, absWorkingDir);
  copyFileSync(configFile, join(dir, BUNDLED_CONFIG_NAME));
  return { dir, metafile };
}

/** What stands in for the code when the stack is synthesized with bundling skipped (tests, `cdk ls`). */
export function unbuiltFunction(configFile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-function-'));
  copyFileSync(configFile, join(dir, BUNDLED_CONFIG_NAME));
  writeFileSync(join(dir, ENTRY_FILE), '// not built: this stack was synthesized with bundling skipped\n');
  return dir;
}

/**
 * The files Lambda loads at init for a function built by `functionBuildOptions`: the entry and every
 * chunk it imports statically (not those behind `import()`), with their sizes in bytes.
 */
export function filesLoadedAtInit(metafile: Metafile, outdir: string): { file: string; bytes: number }[] {
  const entry = Object.keys(metafile.outputs).find((out) => out.endsWith(`/${ENTRY_FILE}`) || out === ENTRY_FILE);
  if (!entry) throw new Error(`no ${ENTRY_FILE} among the outputs of ${outdir}`);
  const seen = new Set<string>();
  const visit = (out: string) => {
    if (seen.has(out)) return;
    seen.add(out);
    for (const i of metafile.outputs[out]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(entry);
  return [...seen].map((file) => ({ file, bytes: metafile.outputs[file]!.bytes }));
}
