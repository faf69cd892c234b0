/** The functions as the stack builds them: split bundles whose entry loads only what the function needs at start. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFunction, ENTRY_FILE, filesLoadedAtInit, functionBuildOptions } from '../../infra/function-bundles';
import { bundleDashboardScript } from '../../shared/http/dashboard/bundle-script';
import { writeResolvedConfig } from '../../infra/resolved-config';
import { PROJECT_ROOT } from '../../infra/rollout-functions';
import { configFrom } from './infra-fixtures';
import { floorSource } from '../helpers/bundle-floor';
import { httpApiEvent } from '../helpers/lambda-events';

/** The packages and folders of ours whose code is in the files Lambda loads at init. */
function loadedAtInit(built: { dir: string; metafile: Metafile }): Set<string> {
  const init = new Set(filesLoadedAtInit(built.metafile, built.dir).map((f) => f.file));
  const origins = new Set<string>();
  for (const [output, { inputs }] of Object.entries(built.metafile.outputs)) {
    if (!init.has(output)) continue;
    for (const input of Object.keys(inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      origins.add(pkg ? pkg[1]! : input);
    }
  }
  return origins;
}

const built: Record<string, { dir: string; metafile: Metafile }> = {};

/** Bytes of the files Lambda loads at init. */
const initBytes = (b: { dir: string; metafile: Metafile }) => filesLoadedAtInit(b.metafile, b.dir).reduce((n, f) => n + f.bytes, 0);

/**
 * What each function may load at init, as a multiple of the floor (a bare Hono handler constructing the
 * DynamoDB, Step Functions and ECS clients, built the same way): the target, 1.3×, for the functions of
 * the state machine and the events. The API, whose webhook routes (their parsers), request validators
 * (zod) and orchestrator load with the first request that needs them, 1.2×.
 */
const INIT_SIZE_BOUND: Record<string, number> = { 'alarm-state-change': 1.3, advance: 1.3, api: 1.2 };

beforeAll(async () => {
  const configFile = writeResolvedConfig(await configFrom(), mkdtempSync(join(tmpdir(), 'resolved-')));
  for (const entry of ['alarm-state-change', 'api', 'advance']) built[entry] = buildFunction(join(PROJECT_ROOT, 'functions', `${entry}.ts`), configFile, PROJECT_ROOT);
}, 120_000);

describe('the function bundles', () => {
  it('are minified, split ES modules for node22 with source maps, the AWS SDK included', () => {
    const options = functionBuildOptions('functions/api.ts', '/out', PROJECT_ROOT);
    expect(options).toMatchObject({ bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node22', minify: true, sourcemap: true });
    expect(options.mainFields).toEqual(['module', 'main']);
    expect(options.banner?.js).toContain('createRequire');
    expect(options.external ?? []).toEqual([]);
  });

  it('hold the entry Lambda calls, its chunks and the resolved config', () => {
    const { dir } = built['alarm-state-change']!;
    expect(existsSync(join(dir, ENTRY_FILE))).toBe(true);
    expect(readdirSync(join(dir, 'chunks')).some((f) => f.endsWith('.mjs'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'rollout.config.json'), 'utf8'))).toHaveProperty('services.web');
  });

  it('load no YAML parser and no config schemas at init', () => {
    for (const [entry, b] of Object.entries(built)) {
      const loaded = [...loadedAtInit(b)];
      expect(loaded, entry).not.toContain('yaml');
      expect(loaded.filter((o) => o.startsWith('shared/config/') && o.endsWith('-schema.ts')), entry).toEqual([]);
      expect(loaded, entry).not.toContain('shared/config/load-config.ts');
    }
  });

  it('load no zod classic, no zod locale but English, and no config loader at init: the full loader is a bundle of its own', async () => {
    for (const [entry, b] of Object.entries(built)) {
      const init = new Set(filesLoadedAtInit(b.metafile, b.dir).map((f) => f.file));
      const initInputs = Object.entries(b.metafile.outputs).flatMap(([output, { inputs }]) => (init.has(output) ? Object.keys(inputs) : []));
      expect(initInputs.filter((i) => /zod\/v4\/classic\//.test(i)), entry).toEqual([]);
      expect(initInputs.filter((i) => /zod\/v4\/locales\//.test(i) && !i.endsWith('/locales/en.js')), entry).toEqual([]);
      expect(initInputs.filter((i) => /zod\/v4\/core\/(to-json-schema|json-schema-processors)\.js$/.test(i)), entry).toEqual([]);
      expect(initInputs.filter((i) => i.endsWith('shared/config/load-config.ts')), entry).toEqual([]);
    }
    // The side bundle reads a config as `npm start` does: the file beside the entry, with every section.
    const { dir } = built['alarm-state-change']!;
    const loader = (await import(pathToFileURL(join(dir, 'config-loader.mjs')).href)) as { loadConfig(file: string): Promise<{ services: Record<string, unknown> }> };
    expect(Object.keys((await loader.loadConfig(join(dir, 'rollout.config.json'))).services)).toContain('web');
  });

  it('load at most their bound of the floor at init, so that what is loaded on first use stays there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'floor-'));
    writeFileSync(join(dir, 'floor.mjs'), floorSource(false));
    const floor = { dir, metafile: buildSync({ ...functionBuildOptions(join(dir, 'floor.mjs'), dir, PROJECT_ROOT), nodePaths: [join(PROJECT_ROOT, 'node_modules')] }).metafile };
    const floorBytes = initBytes(floor);
    expect(floorBytes).toBeGreaterThan(200 * 1024); // the floor itself: three SDK clients and Hono
    for (const [entry, b] of Object.entries(built)) expect(initBytes(b) / floorBytes, entry).toBeLessThanOrEqual(INIT_SIZE_BOUND[entry]!);
  });

  it('the alarm handler loads no ECR, Secrets Manager or CloudWatch client at init, and ECS and Step Functions only when it calls them', () => {
    const loaded = loadedAtInit(built['alarm-state-change']!);
    for (const client of ['client-ecr', 'client-secrets-manager', 'client-cloudwatch', 'client-ecs', 'client-sfn']) expect(loaded).not.toContain(`@aws-sdk/${client}`);
    expect(loaded).toContain('@aws-sdk/client-dynamodb');
    const all = new Set(Object.values(built['alarm-state-change']!.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path)));
    expect([...all].some((p) => p.includes('@aws-sdk/client-ecs/'))).toBe(true);
  });

  it('the API loads no ECS, ECR, CloudWatch or Step Functions client at init: GET /rollouts/{id} needs only DynamoDB and the token secrets', () => {
    const loaded = loadedAtInit(built['api']!);
    for (const client of ['client-ecr', 'client-cloudwatch', 'client-ecs', 'client-sfn']) expect(loaded).not.toContain(`@aws-sdk/${client}`);
  });

  it('the API loads no zod, no webhook parser and no request validator at init: they load with their routes', () => {
    const loaded = [...loadedAtInit(built['api']!)];
    expect(loaded).not.toContain('zod');
    expect(loaded.filter((o) => /^shared\/webhooks\/(distribution|github|harbor|acr-generic|ecr-event|tag-only|source-auth)\.ts$/.test(o))).toEqual([]);
    expect(loaded.filter((o) => /^shared\/http\/(webhook-routes|schemas|validation)\.ts$/.test(o))).toEqual([]);
  });

  it('the API loads no orchestrator and no transition of the core at init: its reads need only the store', () => {
    const loaded = [...loadedAtInit(built['api']!)];
    expect(loaded.filter((o) => o.startsWith('shared/orchestration/') && !o.endsWith('/rollout-queries.ts'))).toEqual([]);
    expect(loaded.filter((o) => o.startsWith('shared/core/transitions/'))).toEqual([]);
    // The other functions call it at every invocation: it is in their entry.
    expect([...loadedAtInit(built['advance']!)]).toContain('shared/orchestration/orchestrator.ts');
  });

  it('the API carries the dashboard script bundled at synth, and loads the dashboard only with its routes', async () => {
    const api = built['api']!;
    expect(readFileSync(join(api.dir, 'dashboard-app.js'), 'utf8')).toBe(await bundleDashboardScript());
    const loaded = [...loadedAtInit(api)];
    expect(loaded.filter((o) => /^shared\/http\/dashboard\/(page|styles|script|bundle-script|browser\/)/.test(o))).toEqual([]);
    // The bundler that local mode runs at the first request is not in the function at all.
    expect(Object.keys(api.metafile.inputs).filter((i) => /node_modules\/esbuild\/|dashboard\/(bundle-script|browser\/)/.test(i))).toEqual([]);
  });

  it('the built API function serves the dashboard, its script and the API docs from its own directory', async () => {
    const api = built['api']!;
    const env = { ROLLOUT_TABLE_NAME: 'rollouts', ROLLOUT_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:rollout', ROLLOUT_CONFIG: join(api.dir, 'rollout.config.json'), ROLLOUT_SECRETS: '{}', AWS_REGION: 'us-east-1' };
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers: Record<string, string>; body: string }>;
      const { handler } = (await import(pathToFileURL(join(api.dir, ENTRY_FILE)).href)) as { handler: Handler };
      const get = (path: string) => handler(httpApiEvent('GET', path), { awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 });
      const script = await get('/dashboard/app.js');
      expect(script.statusCode).toBe(200);
      expect(script.headers['content-type']).toMatch(/^text\/javascript/);
      expect(script.body).toBe(readFileSync(join(api.dir, 'dashboard-app.js'), 'utf8'));
      expect((await get('/')).body).toContain('<script src="/dashboard/app.js" defer></script>');
      expect(JSON.parse((await get('/openapi.json')).body)).toHaveProperty('paths./rollouts/{id}');
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('the API loads no OpenAPI document and no zod classic at init: the docs are a bundle of their own, loaded by their routes', async () => {
    const api = built['api']!;
    const loaded = [...loadedAtInit(api)];
    expect(loaded.filter((o) => o.startsWith('shared/http/openapi/') && !o.endsWith('docs-routes.ts') && !o.endsWith('docs-content.ts'))).toEqual([]);
    // zod classic is in the bundle only in chunks loaded on demand (the full config loader, for a config
    // with notifications, webhook sources, Slack or Notation; the docs): never at init.
    const init = new Set(filesLoadedAtInit(api.metafile, api.dir).map((f) => f.file));
    const initInputs = Object.entries(api.metafile.outputs).flatMap(([output, { inputs }]) => (init.has(output) ? Object.keys(inputs) : []));
    expect(initInputs.filter((i) => /zod\/v4\/classic\//.test(i))).toEqual([]);
    expect(initInputs.filter((i) => /shared\/config\/(load-config|schema)\.ts$/.test(i))).toEqual([]);
    const docs = (await import(pathToFileURL(join(api.dir, 'api-docs.mjs')).href)) as { openApiDocument(): { openapi: string; paths: Record<string, unknown> } };
    const document = docs.openApiDocument();
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toContain('/rollouts/{id}');
  });
});
