/**
 * 2. Cold start: each Lambda function built as the stack builds it (infra/function-bundles.ts: esbuild,
 * split ESM, one directory per function), what Lambda loads of it at init (the entry and the chunks it
 * imports statically), its import time and its cold init (import plus the first invocation) in a fresh
 * `node` process, against a fixed floor: a bare Hono handler (`hono/aws-lambda`) that imports and
 * constructs the DynamoDB, Step Functions and ECS clients, built with the same options.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { ENTRY_FILE, filesLoadedAtInit, functionBuildOptions } from '../../infra/function-bundles';
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
import { floorSource } from '../../test/helpers/bundle-floor';
import { API_TOKEN, WEBHOOK_TOKEN } from '../lib/fixtures';
import { fmt, fmtBytes, fmtRatio, median, percentile } from '../lib/stats';
import type { Benchmark, Figure, Target } from '../lib/types';

const exec = promisify(execFile);
/**
 * Alternated runs of each function and the floor. With 10, two functions with the same bundle (advance
 * and recover, 328 KiB each) read 1.27× and 0.99× in the same run: 20 halve that spread's cause, the
 * median of too few samples on a shared machine.
 */
const RUNS = 20;
const CHILD = join(import.meta.dirname, '..', 'child', 'cold.mjs');

/** Every function of the stack: functions/<entry>.ts and the export Lambda calls (infra/rollout-functions.ts). */
const FUNCTIONS = [
  { entry: 'api', handler: 'handler' },
  { entry: 'advance', handler: 'advance' },
  { entry: 'await-approval', handler: 'awaitApproval' },
  { entry: 'recover', handler: 'recover' },
  { entry: 'alarm-state-change', handler: 'alarmStateChange' },
  { entry: 'ecr-push', handler: 'ecrPush' },
  { entry: 'ecs-event', handler: 'ecsEvent' },
  { entry: 'watchdog', handler: 'watchdog' },
] as const;

/** The functions whose cold init (import + first invocation) is measured, with that first invocation. */
const COLD = ['api', 'advance', 'alarm-state-change'] as const;

const SIZE_TARGET = 1.3;
const IMPORT_TARGET = 1.25;
const INIT_TARGET = 1.25;

/** Built as the stack builds the functions; `file` is the entry Lambda loads. */
async function bundle(entryPoint: string, outdir: string, nodePaths: string[] = []): Promise<{ file: string; metafile: Metafile; dir: string }> {
  const result = await build({ ...functionBuildOptions(entryPoint, outdir, PROJECT_ROOT), nodePaths, logLevel: 'silent' });
  return { file: join(outdir, ENTRY_FILE), metafile: result.metafile, dir: outdir };
}

/** What Lambda loads at init: bytes, gzip bytes, and bytes by origin (a package, or a folder of ours). */
function atInit(b: { metafile: Metafile; dir: string }) {
  const files = filesLoadedAtInit(b.metafile, b.dir);
  const init = new Set(files.map((f) => f.file));
  const by = new Map<string, number>();
  for (const [output, { inputs }] of Object.entries(b.metafile.outputs)) {
    if (!init.has(output)) continue;
    for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      const key = pkg ? pkg[1]! : input.split('/').slice(0, 2).join('/');
      by.set(key, (by.get(key) ?? 0) + bytesInOutput);
    }
  }
  const clients = [...by.keys()].filter((k) => k.startsWith('@aws-sdk/client-')).map((k) => k.slice('@aws-sdk/client-'.length)).sort();
  const bytes = files.reduce((n, f) => n + f.bytes, 0);
  const gz = files.reduce((n, f) => n + gzipSync(readFileSync(resolve(PROJECT_ROOT, f.file))).byteLength, 0);
  return { bytes, gz, files: files.length, contributors: [...by].sort((x, y) => y[1] - x[1]), clients };
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
        ROLLOUT_SECRETS: JSON.stringify({ ROLLOUT_WEBHOOK_TOKEN: 'webhook-secret', ROLLOUT_API_TOKEN: 'api-secret' }),
        ROLLOUT_LINK_SECRET: 'bench-link-secret',
        // As the stack sets it on every function.
        NODE_OPTIONS: '--enable-source-maps',
      };

      // The floor (twice: as is, and reading the two secrets first for the api's cold init) and every function.
      const floorBuilds: Record<'plain' | 'secrets', Awaited<ReturnType<typeof bundle>>> = {} as never;
      for (const kind of ['plain', 'secrets'] as const) {
        const entry = join(dir, `floor-${kind}.mjs`);
        writeFileSync(entry, floorSource(kind === 'secrets'));
        floorBuilds[kind] = await bundle(entry, join(dir, `floor-${kind}`), [join(PROJECT_ROOT, 'node_modules')]);
      }
      const floorSize = atInit(floorBuilds.plain);
      const built = [];
      for (const f of FUNCTIONS) {
        const b = await bundle(join(PROJECT_ROOT, 'functions', `${f.entry}.ts`), join(dir, f.entry));
        built.push({ ...f, ...b, init: atInit(b) });
      }

      type Sample = { importMs: number; firstMs: number; initMs: number; warmMs: number; status: number | null; rssMiB: number };
      const runOnce = async (file: string, handler: string, event: string | null, nodeOptions = env.NODE_OPTIONS): Promise<Sample> => {
        const { stdout } = await exec(process.execPath, [CHILD, file, handler, event === null ? '-' : join(dir, `${event}.json`)], { env: { ...env, NODE_OPTIONS: nodeOptions }, timeout: 60_000 });
        return JSON.parse(stdout.trim().split('\n').at(-1)!) as Sample;
      };
      /** RUNS of each, real and floor back to back in alternating order, after one untimed run of each. */
      const alternate = async (real: () => Promise<Sample>, floor: () => Promise<Sample>) => {
        const out = { real: [] as Sample[], floor: [] as Sample[] };
        await real();
        await floor();
        for (let i = 0; i < RUNS; i++) {
          if (i % 2 === 0) {
            out.real.push(await real());
            out.floor.push(await floor());
          } else {
            out.floor.push(await floor());
            out.real.push(await real());
          }
        }
        return out;
      };

      // Import time: every function's entry against the floor's, import only.
      const imports: Record<string, { real: Sample[]; floor: Sample[] }> = {};
      for (const b of built) imports[b.entry] = await alternate(() => runOnce(b.file, b.handler, null), () => runOnce(floorBuilds.plain.file, 'handler', null));
      // Cold init: import and the first invocation, for the measured functions.
      const colds: Record<string, { real: Sample[]; floor: Sample[] }> = {};
      for (const entry of COLD) {
        const b = built.find((x) => x.entry === entry)!;
        const floor = entry === 'api' ? floorBuilds.secrets : floorBuilds.plain;
        colds[entry] = await alternate(() => runOnce(b.file, b.handler, entry), () => runOnce(floor.file, 'handler', 'floor'));
      }
      const api = built.find((b) => b.entry === 'api')!;
      const noMaps: Sample[] = [];
      for (let i = 0; i < 4; i++) noMaps.push(await runOnce(api.file, api.handler, 'api', ''));
      const bad = COLD.flatMap((entry) => colds[entry]!.real.filter((s) => s.status !== null && s.status !== 200).map((s) => `${entry}: ${s.status}`));

      /**
       * The ratio of a function to the floor: the median of the paired ratios, each run against the
       * floor run next to it. The machine's pace drifts over a benchmark (other work shares its cores), and
       * a pair shares its moment, so this is steadier than the ratio of the two medians.
       */
      const pairedRatio = (s: { real: Sample[]; floor: Sample[] }, key: 'importMs' | 'initMs') => median(s.real.map((x, i) => x[key] / s.floor[i]![key]));
      const figures: Figure[] = [];
      const targets: Target[] = [];
      const raw: Record<string, unknown> = { floor: { size: floorSize.bytes, gz: floorSize.gz } };
      const FLOOR = 'bare Hono handler with the DynamoDB, Step Functions and ECS clients';
      for (const b of built) {
        const sizeRatio = b.init.bytes / floorSize.bytes;
        const imp = median(imports[b.entry]!.real.map((x) => x.importMs));
        const floorImp = median(imports[b.entry]!.floor.map((x) => x.importMs));
        const impRatio = pairedRatio(imports[b.entry]!, 'importMs');
        figures.push(
          { metric: `${b.entry}: loaded at init (entry + ${b.init.files - 1} static chunks), minified`, value: `${fmtBytes(b.init.bytes)} (gzip ${fmtBytes(b.init.gz)})`, reference: `${fmtBytes(floorSize.bytes)} (gzip ${fmtBytes(floorSize.gz)})`, referenceName: FLOOR, ratio: fmtRatio(sizeRatio) },
          { metric: `${b.entry}: import time, median of ${RUNS}`, value: `${fmt(imp)} ms`, reference: `${fmt(floorImp)} ms`, referenceName: FLOOR, ratio: fmtRatio(impRatio) },
        );
        targets.push(
          { target: `${b.entry}: entry bundle ≤ ${SIZE_TARGET}× the floor's size`, measured: `${fmtRatio(sizeRatio)} (${fmtBytes(b.init.bytes)} vs ${fmtBytes(floorSize.bytes)})`, met: sizeRatio <= SIZE_TARGET },
          { target: `${b.entry}: import time ≤ ${IMPORT_TARGET}× the floor's`, measured: `${fmtRatio(impRatio)} paired (medians ${fmt(imp)} vs ${fmt(floorImp)} ms: ${fmtRatio(imp / floorImp)})`, met: impRatio <= IMPORT_TARGET },
        );
        raw[b.entry] = { init: { bytes: b.init.bytes, gz: b.init.gz, files: b.init.files, clients: b.init.clients }, imports: imports[b.entry] };
      }
      for (const entry of COLD) {
        const s = colds[entry]!;
        const init = median(s.real.map((x) => x.initMs));
        const floorInit = median(s.floor.map((x) => x.initMs));
        const initRatio = pairedRatio(s, 'initMs');
        const ref = entry === 'api' ? `${FLOOR}, reading the two token secrets first` : FLOOR;
        figures.push(
          { metric: `${entry}: cold init (import + first invocation), median`, value: `${fmt(init)} ms`, reference: `${fmt(floorInit)} ms`, referenceName: ref, ratio: fmtRatio(initRatio) },
          { metric: `${entry}: of which import / first invocation`, value: `${fmt(median(s.real.map((x) => x.importMs)))} / ${fmt(median(s.real.map((x) => x.firstMs)))} ms`, reference: `${fmt(median(s.floor.map((x) => x.importMs)))} / ${fmt(median(s.floor.map((x) => x.firstMs)))} ms`, referenceName: ref },
          { metric: `${entry}: cold init p90 (of ${RUNS})`, value: `${fmt(percentile(s.real.map((x) => x.initMs), 90))} ms`, reference: `${fmt(percentile(s.floor.map((x) => x.initMs), 90))} ms`, referenceName: ref },
          { metric: `${entry}: warm invocation`, value: `${fmt(median(s.real.map((x) => x.warmMs)))} ms`, reference: `${fmt(median(s.floor.map((x) => x.warmMs)))} ms`, referenceName: ref },
        );
        targets.push({ target: `${entry}: cold init ≤ ${INIT_TARGET}× the floor`, measured: `${fmtRatio(initRatio)} paired (medians ${fmt(init)} vs ${fmt(floorInit)} ms: ${fmtRatio(init / floorInit)})`, met: initRatio <= INIT_TARGET });
        raw[`${entry}-cold`] = s;
      }
      const apiInit = median(colds['api']!.real.map((x) => x.initMs));
      figures.push({ metric: 'api cold init without `--enable-source-maps`', value: `${fmt(median(noMaps.map((x) => x.initMs)))} ms`, reference: `${fmt(apiInit)} ms`, referenceName: 'with it (as deployed)', ratio: fmtRatio(median(noMaps.map((x) => x.initMs)) / apiInit) });
      const NEEDS: Record<string, readonly string[]> = { api: ['dynamodb', 'secrets-manager'], 'alarm-state-change': ['dynamodb'] };
      targets.push({
        target: 'a function loads no client at init that its first request does not use (GET /rollouts/{id}: DynamoDB and the secrets; the alarm handler: DynamoDB)',
        measured: built.map((b) => `${b.entry}: ${b.init.clients.join(', ') || 'none'}`).join('; '),
        met: built.every((b) => b.init.clients.every((c) => (NEEDS[b.entry] ?? ['dynamodb']).includes(c))),
      });
      if (bad.length) targets.push({ target: 'every cold invocation answered 200', measured: bad.join(', '), met: false });
      const missed = built.filter((b) => b.init.bytes / floorSize.bytes > SIZE_TARGET);
      return {
        method: [
          `Every function built as \`cdk synth\` builds it (infra/function-bundles.ts: esbuild ${'0.28.2'}, ESM with code splitting, target node22, \`mainFields: module, main\`, minified, external source maps without sources, the \`require\` banner, the SDK bundled), one output directory each. "Loaded at init" is the entry and every chunk it imports statically (from esbuild's metafile); what sits behind \`import()\` is loaded on first use and not counted. gzip is what the deployment zip roughly costs.`,
          `The floor, fixed for every function: a Hono app through \`hono/aws-lambda\`'s \`handle\` that imports and constructs the DynamoDB, Step Functions and ECS clients (the most any one function needs at start), built with the same options; its route makes one DynamoDB Query. For the api's cold init it also reads the two token secrets first (and so imports the Secrets Manager client), as \`GET /rollouts/{id}\` does on a cold start.`,
          `Import time = \`await import(entry)\` in a fresh \`node\` process (${process.version}; Node's own boot excluded); cold init = import plus the first invocation. ${RUNS} runs of each, the function and the floor back to back in alternating order, after one untimed run of each; times are medians, and each ratio is the median of the ${RUNS} paired ratios (a run against the floor run next to it: the machine's pace drifts over the benchmark, and a pair shares its moment; until 2026-12-04 the ratio of the two medians). \`NODE_OPTIONS=--enable-source-maps\` as the stack sets it. The SDK clients reach dynalite, the ECS emulator and a Secrets Manager stub on loopback (\`AWS_ENDPOINT_URL_*\`), so first invocations make real SDK calls.`,
          "First invocations: api `GET /rollouts/{id}` (reads both token secrets, then the rollout); advance of a finished rollout (reads it and the service lock); alarmStateChange for an alarm no active rollout watches (reads the service lock).",
        ],
        figures,
        targets,
        analysis: [
          ...built.map((b) => `${b.entry} at init, largest parts: ${b.init.contributors.slice(0, 10).map(([k, v]) => `${k} ${fmtBytes(v)}`).join(', ')}.`),
          `The floor at init: ${floorSize.contributors.slice(0, 6).map(([k, v]) => `${k} ${fmtBytes(v)}`).join(', ')}.`,
          ...(missed.length
            ? [
                `Over ${SIZE_TARGET}× the floor: ${missed.map((b) => `${b.entry} ${fmtRatio(b.init.bytes / floorSize.bytes)} (${fmtBytes(b.init.bytes - SIZE_TARGET * floorSize.bytes)} too many)`).join(', ')}. The api's HTTP app loads every route module at start: the webhook parsers and sender authentication, the approval pages and links, OIDC through jose, the rate limiter, the operator routes; and its first request builds the whole app. What would reach the target: the webhook, approval and OIDC code loaded by the first request that needs it (a route that loads its module on first use, as the dashboard and the docs do).`,
              ]
            : []),
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
