/**
 * 2. Cold start: each Lambda bundle built by esbuild with the stack's own bundling options
 * (infra/rollout-functions.ts `bundlingFor`), its minified size, and its cold init in a fresh `node`
 * process (import plus the first invocation), against a bare Hono Lambda handler bundled the same way
 * that imports the same AWS SDK clients and makes the same kind of first calls.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { ENTRY_FILE, functionBuildOptions } from '../../infra/function-bundles';
import { PROJECT_ROOT } from '../../infra/rollout-functions';
import { writeResolvedConfig } from '../../infra/resolved-config';
import { startDynalite } from '../../local/dynamodb/dynalite-server';
import { startEcsEmulator } from '../../local/ecs-emulator';
import { DynamoRolloutStore } from '../../shared/adapters/dynamodb/dynamo-rollout-store';
import { loadConfig } from '../../shared/config/load-config';
import { createRollout } from '../../shared/core/create-rollout';
import { RolloutStatus } from '../../shared/core/status';
import { newRolloutId } from '../../shared/core/ids';
import { alarmEvent, httpApiEvent } from '../../test/helpers/lambda-events';
import { startSecretsStub } from '../../test/helpers/aws-endpoints';
import { API_TOKEN, WEBHOOK_TOKEN } from '../lib/fixtures';
import { fmt, fmtBytes, fmtRatio, median, percentile } from '../lib/stats';
import type { Benchmark, Figure, Target } from '../lib/types';

const exec = promisify(execFile);
const RUNS = 10;
const CHILD = join(import.meta.dirname, '..', 'child', 'cold.mjs');

interface Entry {
  /** functions/<entry>.ts */
  readonly entry: 'api' | 'advance' | 'alarm-state-change';
  /** The handler measured (each function has its own entry point). */
  readonly handler: string;
  readonly functions: string;
  /** The SDK clients the measured handler's first invocation uses. */
  readonly uses: readonly string[];
}

const ENTRIES: readonly Entry[] = [
  { entry: 'api', handler: 'handler', functions: 'api', uses: ['secrets-manager', 'dynamodb'] },
  { entry: 'advance', handler: 'advance', functions: 'advance', uses: ['dynamodb'] },
  { entry: 'alarm-state-change', handler: 'alarmStateChange', functions: 'alarmStateChange', uses: ['dynamodb'] },
];

const requireFromRoot = createRequire(join(PROJECT_ROOT, 'package.json'));

/** `@aws-sdk/client-<name>` exports one `<Service>Client` class. */
function clientClass(name: string): string {
  const exported = Object.keys(requireFromRoot(`@aws-sdk/client-${name}`) as object).filter((k) => /^[A-Z][A-Za-z0-9]*Client$/.test(k));
  if (exported.length !== 1) throw new Error(`@aws-sdk/client-${name} exports ${exported.length} client classes`);
  return exported[0]!;
}

/** Built as the stack builds the functions (infra/function-bundles.ts); `file` is the entry Lambda loads. */
async function bundle(entryPoint: string, outdir: string, nodePaths: string[] = []): Promise<{ file: string; metafile: Metafile }> {
  const result = await build({ ...functionBuildOptions(entryPoint, outdir, PROJECT_ROOT), nodePaths, logLevel: 'silent' });
  return { file: join(outdir, ENTRY_FILE), metafile: result.metafile };
}

/** Bytes in the bundle by origin: a package under node_modules, or a folder of ours. */
function contributors(metafile: Metafile): [string, number][] {
  const by = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      const key = pkg ? pkg[1]! : input.split('/').slice(0, 2).join('/');
      by.set(key, (by.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...by].sort((a, b) => b[1] - a[1]);
}

function clientsIn(metafile: Metafile): string[] {
  const found = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /node_modules\/@aws-sdk\/client-([a-z0-9-]+)\//.exec(input);
    if (m) found.add(m[1]!);
  }
  return [...found].sort();
}

/** The floor: a bare Hono Lambda handler importing and constructing the same clients, making the same first calls. */
function floorSource(clients: readonly string[], uses: readonly string[]): string {
  const CLIENT_CLASS = Object.fromEntries(clients.map((c) => [c, clientClass(c)]));
  const imports = clients.map((c) => `import { ${CLIENT_CLASS[c]}${c === 'dynamodb' ? ', QueryCommand' : ''}${c === 'secrets-manager' ? ', GetSecretValueCommand' : ''} } from '@aws-sdk/client-${c}';`);
  const construct = clients.map((c) => `const ${CLIENT_CLASS[c]}_ = new ${CLIENT_CLASS[c]}({});`);
  const secrets = uses.includes('secrets-manager')
    ? `await Promise.all(['webhook-secret', 'api-secret'].map((id) => SecretsManagerClient_.send(new GetSecretValueCommand({ SecretId: id }))));`
    : '';
  return [
    "import { Hono } from 'hono';",
    "import { handle } from 'hono/aws-lambda';",
    ...imports,
    ...construct,
    `globalThis.__benchClients = [${clients.map((c) => `${CLIENT_CLASS[c]}_`).join(', ')}];`,
    'const app = new Hono();',
    "app.get('/probe/:id', async (c) => {",
    `  ${secrets}`,
    "  const out = await DynamoDBClient_.send(new QueryCommand({ TableName: 'rollouts', KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': 'pk' }, ExpressionAttributeValues: { ':pk': { S: 'ROLLOUT#' + c.req.param('id') } }, ConsistentRead: true }));",
    '  return c.json({ items: out.Items?.length ?? 0 });',
    '});',
    'export const handler = handle(app);',
  ].join('\n');
}

/** CPU samples of one --cpu-prof run by origin: a package, a folder of ours (through the bundle's source map), or V8 and Node themselves. */
function profileByPackage(profileFile: string, bundleFile: string, metafile: Metafile): [string, number][] {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[]; samples: number[]; timeDeltas: number[] };
  const map = JSON.parse(readFileSync(`${bundleFile}.map`, 'utf8')) as { sources: string[]; mappings: string };
  const lines = decodeMappings(map.mappings);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    all += dt;
    const frame = byId.get(id)?.callFrame;
    const special: Record<string, string> = { '(idle)': 'idle (I/O waits)', '(garbage collector)': 'GC', '(program)': 'V8 (parse, compile)', '(root)': 'V8 (parse, compile)' };
    let key = (frame && special[frame.functionName]) ?? 'node internals (http, streams, crypto…)';
    if (frame?.functionName === 'compileSourceTextModule') key = 'compiling the bundle (V8 parse)';
    else if (frame?.functionName === 'compileForInternalLoader') key = "loading Node's built-in modules";
    else if (frame?.url.includes('source_map')) key = 'source maps (--enable-source-maps)';
    if (frame && frame.url.endsWith('.mjs') && frame.url.includes(bundleFile.split('/').at(-2)!)) {
      const source = sourceAt(lines, frame.lineNumber, frame.columnNumber, map.sources);
      const pkg = source ? /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source) : null;
      key = source ? (pkg ? pkg[1]! : relative(PROJECT_ROOT, resolve(dirname(bundleFile), source)).split('/').slice(0, 2).join('/')) : '(bundle, unmapped)';
    }
    totals.set(key, (totals.get(key) ?? 0) + dt);
  });
  void metafile;
  return [...totals].map(([k, v]): [string, number] => [k, v / all]).sort((a, b) => b[1] - a[1]);
}

/** Source map `mappings` → per generated line, sorted [column, sourceIndex] segments. */
function decodeMappings(mappings: string): [number, number][][] {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const out: [number, number][][] = [];
  let source = 0;
  for (const line of mappings.split(';')) {
    const segments: [number, number][] = [];
    let column = 0;
    for (const segment of line.split(',')) {
      if (!segment) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = chars.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >> 1) : value >> 1);
          value = 0;
          shift = 0;
        }
      }
      column += values[0] ?? 0;
      if (values.length > 1) source += values[1]!;
      segments.push([column, source]);
    }
    out.push(segments);
  }
  return out;
}

function sourceAt(lines: [number, number][][], line: number, column: number, sources: string[]): string | null {
  const segments = lines[line];
  if (!segments?.length) return null;
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid]![0] <= column) lo = mid;
    else hi = mid - 1;
  }
  return sources[segments[lo]![1]] ?? null;
}

function listen(server: Server): Promise<string> {
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

export const coldStart: Benchmark = {
  name: 'cold-start',
  title: 'Cold start: Lambda bundle size and cold init vs a bare Hono handler with the same SDK clients',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'rollout-bench-cold-'));
    const dynamo = await startDynalite({ tableName: 'rollouts' });
    const ecs = await startEcsEmulator({ taskStartMs: 10 });
    const secrets = await startSecretsStub({ 'webhook-secret': WEBHOOK_TOKEN, 'api-secret': API_TOKEN });
    const sfnStub = createServer((_req, res) => res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end('{"__type":"UnknownOperationException"}'));
    const sfn = await listen(sfnStub);
    try {
      // The example config, resolved as the stack writes it into every bundle.
      const config = await loadConfig(resolve(PROJECT_ROOT, 'examples', 'rollout.config.yaml'), {});
      const configFile = writeResolvedConfig(config, join(dir, 'config'));
      const service = Object.values(config.services)[0]!;
      // A finished rollout for the handlers to read.
      const store = new DynamoRolloutStore({ client: dynamo.client, tableName: 'rollouts' });
      const created = createRollout(
        {
          id: newRolloutId(new Date()),
          service: service.name,
          image: { registry: service.registry, repository: service.repository, tag: 'v1', digest: `sha256:${'ab'.repeat(32)}` },
          source: 'bench',
          steps: service.steps,
          steadyTimeoutSeconds: service.policies.steadyTimeout,
          approvalDefaults: service.policies.approvals,
          signatureWaitSeconds: 600,
        },
        new Date(),
      );
      await store.create({ ...created, status: RolloutStatus.Rejected, reason: 'bench' });
      const id = created.id;

      const events: Record<string, unknown> = {
        api: httpApiEvent('GET', `/rollouts/${id}`, { headers: { authorization: `Bearer ${API_TOKEN}` } }),
        // By entry point: each function has its own (functions/<entry>.ts).
        advance: { rolloutId: id },
        'alarm-state-change': alarmEvent(service.alarms[0] ?? 'web-5xx'),
        floor: httpApiEvent('GET', `/probe/${id}`),
      };
      for (const [k, v] of Object.entries(events)) writeFileSync(join(dir, `${k}.json`), JSON.stringify(v));

      const env = {
        PATH: process.env['PATH'] ?? '',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_ECS: ecs.endpoint,
        AWS_ENDPOINT_URL_SFN: sfn,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        LOG_LEVEL: 'silent',
        ROLLOUT_CONFIG: configFile,
        ROLLOUT_TABLE_NAME: 'rollouts',
        ROLLOUT_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:rollout',
        ROLLOUT_WEBHOOK_TOKEN_SECRET_ARN: 'webhook-secret',
        ROLLOUT_API_TOKEN_SECRET_ARN: 'api-secret',
        ROLLOUT_LINK_SECRET: 'bench-link-secret',
        // As the stack sets it on every function.
        NODE_OPTIONS: '--enable-source-maps',
      };

      // Bundles: each entry, and its floor.
      const built = [];
      for (const e of ENTRIES) {
        const real = await bundle(join(PROJECT_ROOT, 'functions', `${e.entry}.ts`), join(dir, e.entry));
        const clients = clientsIn(real.metafile);
        const floorDir = join(dir, `${e.entry}-floor`);
        const floorEntry = join(dir, `${e.entry}-floor.mjs`);
        writeFileSync(floorEntry, floorSource(clients, e.uses));
        const floor = await bundle(floorEntry, floorDir, [join(PROJECT_ROOT, 'node_modules')]);
        const size = (file: string) => statSync(file).size;
        const gz = (file: string) => gzipSync(readFileSync(file)).byteLength;
        built.push({ ...e, metafile: real.metafile, contributors: contributors(real.metafile), real: real.file, floor: floor.file, clients, sizes: { real: size(real.file), realGz: gz(real.file), floor: size(floor.file), floorGz: gz(floor.file), map: size(`${real.file}.map`) } });
      }

      const runOnce = async (file: string, handler: string, event: string, nodeOptions = env.NODE_OPTIONS) => {
        const { stdout } = await exec(process.execPath, [CHILD, file, handler, join(dir, `${event}.json`)], { env: { ...env, NODE_OPTIONS: nodeOptions }, timeout: 60_000 });
        return JSON.parse(stdout.trim().split('\n').at(-1)!) as { bootMs: number; importMs: number; firstMs: number; initMs: number; warmMs: number; status: number | null; rssMiB: number };
      };
      type Sample = Awaited<ReturnType<typeof runOnce>>;
      const samples: Record<string, { real: Sample[]; floor: Sample[]; noMaps: Sample[] }> = {};
      for (const b of built) samples[b.entry] = { real: [], floor: [], noMaps: [] };
      // Warm the file cache once, then interleave: each run measures real and floor back to back, in alternating order.
      for (const b of built) {
        await runOnce(b.real, b.handler, b.entry);
        await runOnce(b.floor, 'handler', 'floor');
      }
      for (let i = 0; i < RUNS; i++) {
        for (const b of built) {
          const s = samples[b.entry]!;
          if (i % 2 === 0) {
            s.real.push(await runOnce(b.real, b.handler, b.entry));
            s.floor.push(await runOnce(b.floor, 'handler', 'floor'));
          } else {
            s.floor.push(await runOnce(b.floor, 'handler', 'floor'));
            s.real.push(await runOnce(b.real, b.handler, b.entry));
          }
          if (b.entry === 'api' && i % 3 === 0) s.noMaps.push(await runOnce(b.real, b.handler, b.entry, ''));
        }
      }
      // Where one api cold start spends its time: one more run under --cpu-prof, mapped back through the source map.
      const api0 = built.find((b) => b.entry === 'api')!;
      const profDir = join(dir, 'profile');
      await exec(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=100', CHILD, api0.real, api0.handler, join(dir, 'api.json')], { env: { ...env }, timeout: 60_000 });
      const profileFile = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      const apiProfile = profileFile ? profileByPackage(join(profDir, profileFile), api0.real, api0.metafile) : [];
      const bad = built.flatMap((b) => samples[b.entry]!.real.filter((s) => s.status !== null && s.status !== 200).map((s) => `${b.entry}: ${s.status}`));

      const figures: Figure[] = [];
      const targets: Target[] = [];
      const raw: Record<string, unknown> = {};
      for (const b of built) {
        const s = samples[b.entry]!;
        const init = median(s.real.map((x) => x.initMs));
        const floorInit = median(s.floor.map((x) => x.initMs));
        const ratio = init / floorInit;
        figures.push(
          { metric: `${b.entry} bundle (${b.functions}): minified size`, value: `${fmtBytes(b.sizes.real)} (gzip ${fmtBytes(b.sizes.realGz)})`, reference: `${fmtBytes(b.sizes.floor)} (gzip ${fmtBytes(b.sizes.floorGz)})`, referenceName: 'bare Hono handler, same clients', ratio: fmtRatio(b.sizes.real / b.sizes.floor) },
          { metric: `${b.entry} (\`${b.handler}\`): cold init, median`, value: `${fmt(init)} ms`, reference: `${fmt(floorInit)} ms`, referenceName: 'bare Hono handler, same clients', ratio: fmtRatio(ratio) },
          { metric: `${b.entry}: of which import / first invocation`, value: `${fmt(median(s.real.map((x) => x.importMs)))} / ${fmt(median(s.real.map((x) => x.firstMs)))} ms`, reference: `${fmt(median(s.floor.map((x) => x.importMs)))} / ${fmt(median(s.floor.map((x) => x.firstMs)))} ms`, referenceName: 'bare Hono handler, same clients' },
          { metric: `${b.entry}: cold init p90 (of ${RUNS})`, value: `${fmt(percentile(s.real.map((x) => x.initMs), 90))} ms`, reference: `${fmt(percentile(s.floor.map((x) => x.initMs), 90))} ms`, referenceName: 'bare Hono handler, same clients' },
          { metric: `${b.entry}: warm invocation`, value: `${fmt(median(s.real.map((x) => x.warmMs)))} ms`, reference: `${fmt(median(s.floor.map((x) => x.warmMs)))} ms`, referenceName: 'bare Hono handler, same clients' },
        );
        targets.push({ target: `${b.entry}: cold init ≤ 1.25× the floor`, measured: `${fmtRatio(ratio)} (${fmt(init)} vs ${fmt(floorInit)} ms)`, met: ratio <= 1.25 });
        raw[b.entry] = { clients: b.clients, uses: b.uses, sizes: b.sizes, real: s.real, floor: s.floor, ...(s.noMaps.length ? { noSourceMaps: s.noMaps } : {}) };
      }
      const api = samples['api']!;
      figures.push({
        metric: 'api cold init without `--enable-source-maps`',
        value: `${fmt(median(api.noMaps.map((x) => x.initMs)))} ms`,
        reference: `${fmt(median(api.real.map((x) => x.initMs)))} ms`,
        referenceName: 'with it (as deployed)',
        ratio: fmtRatio(median(api.noMaps.map((x) => x.initMs)) / median(api.real.map((x) => x.initMs))),
      });
      const loaded = built.map((b) => `${b.entry}: loads ${b.clients.join(', ')}; its measured handler uses ${b.uses.join(', ')}`);
      targets.push({ target: 'a route loads no client it does not use', measured: loaded.join('; '), met: built.every((b) => b.clients.every((c) => b.uses.includes(c))) });
      if (bad.length) targets.push({ target: 'every cold invocation answered 200', measured: bad.join(', '), met: false });
      return {
        method: [
          `Bundles built with esbuild ${'0.28.2'} using the options of \`bundlingFor\` in infra/rollout-functions.ts (ESM, target node22, \`mainFields: module, main\`, minified, external source map without sources, the \`require\` banner, the SDK bundled). Sizes are of \`index.mjs\`; gzip is what the deployment zip roughly costs.`,
          `Cold init = \`await import(bundle)\` plus the first invocation, timed inside a fresh \`node\` process (${process.version}; Node's own boot, about the same for both, is excluded), ${RUNS} runs of each, real and floor back to back in alternating order, after one untimed run of each to warm the file cache. \`NODE_OPTIONS=--enable-source-maps\` as the stack sets it. The SDK clients reach dynalite, the ECS emulator and a Secrets Manager stub on loopback (\`AWS_ENDPOINT_URL_*\`), so the first invocation makes real SDK calls.`,
          "First invocations: api `GET /rollouts/{id}` (reads both token secrets, then the rollout); steps `advance` of a finished rollout (reads it and the service lock); events `alarmStateChange` for an alarm no active rollout watches (reads the service lock). The floor, per bundle: a Hono app through `hono/aws-lambda`'s `handle`, importing and constructing every `@aws-sdk/client-*` that bundle contains, whose route makes the same first calls (the two secrets for the api floor, then one DynamoDB Query). The floor repeats those calls on its warm invocation too, where the api caches its secrets.",
        ],
        figures,
        targets,
        analysis: [
          ...built.map((b) => `${b.entry} bundle, largest parts: ${b.contributors.slice(0, 10).map(([k, v]) => `${k} ${fmtBytes(v)}`).join(', ')}.`),
          (() => {
            const a = samples['api']!;
            const dImport = median(a.real.map((x) => x.importMs)) - median(a.floor.map((x) => x.importMs));
            const dFirst = median(a.real.map((x) => x.firstMs)) - median(a.floor.map((x) => x.firstMs));
            const zod = api0.contributors.find(([k]) => k === 'zod')?.[1] ?? 0;
            const yaml = api0.contributors.find(([k]) => k === 'yaml')?.[1] ?? 0;
            const noMaps = median(a.noMaps.map((x) => x.initMs));
            const withMaps = median(a.real.map((x) => x.initMs));
            return `The floor has the same SDK clients, so the difference is ours. api: +${fmt(dImport)} ms to import (compiling ${fmtBytes(api0.sizes.real - api0.sizes.floor)} more JavaScript: zod ${fmtBytes(zod)} and yaml ${fmtBytes(yaml)} alone are ${fmtRatio((zod + yaml) / api0.sizes.floor)} the floor's whole bundle) and +${fmt(dFirst)} ms in the first invocation (reading the bundled config through the YAML loader and its zod schemas, parsing keys and trusted roots, building the orchestrator, the operator features and the whole Hono app). \`--enable-source-maps\`, which the stack sets, costs ${fmt(withMaps - noMaps)} ms of the api's init (${fmt(((withMaps - noMaps) / withMaps) * 100, 0)}%).`;
          })(),
          'What would reach 1.25× the floor: (1) in Lambda, read the config the stack already resolved and validated at synth as plain JSON into `AppConfig` (no yaml, no config schemas to build and run at init); (2) validate requests and events with `zod/mini` (tree-shakable) or small hand-written checks: zod is used by the webhook parsers and the step inputs too, so only then do its 444 KiB leave the bundles; (3) one entry point per function instead of three shared bundles, and clients imported and built on first use (`await import(...)`): the alarm handler needs DynamoDB, ECS and SFN, never ECR, Secrets Manager or CloudWatch, and `GET /rollouts/{id}` needs only DynamoDB and the secrets; (4) build the dashboard and API-docs routes on first request. (1) and (2) together remove about 560 KiB, over 40% of each bundle, with the compile time that goes with it.',
          `One api cold start under \`--cpu-prof\` (import + first invocation + one warm), CPU samples by origin through the source map: ${apiProfile.slice(0, 10).map(([k, v]) => `${k} ${fmt(v * 100, 0)}%`).join(', ')}.`,
        ],
        raw,
      };
    } finally {
      await new Promise<void>((r) => sfnStub.close(() => r()));
      await secrets.close();
      await ecs.close();
      await dynamo.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
