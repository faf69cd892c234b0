/** Runs bench/child/load.mjs (autocannon) in a child process and summarizes its answer. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { percentile } from './stats';

const run = promisify(execFile);
const CHILD = join(import.meta.dirname, '..', 'child', 'load.mjs');

export interface LoadOptions {
  readonly url: string;
  readonly method?: string;
  readonly path?: string;
  readonly paths?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** One body per request, in order (more requests than bodies cycle through them). */
  readonly bodies?: readonly string[];
  readonly connections?: number;
  readonly duration?: number;
  readonly amount?: number;
}

export interface LoadResult {
  readonly seconds: number;
  readonly responses: number;
  readonly ok: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly errors: number;
  /** Responses of any status per second. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requestsSent: number;
  /** The first few non-2xx answers. */
  readonly failures: readonly { readonly status: number; readonly body: string }[];
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-bench-load-'));
  try {
    const { bodies, ...rest } = options;
    const file = join(dir, 'options.json');
    const child: Record<string, unknown> = { ...rest };
    if (bodies) {
      child['bodiesFile'] = join(dir, 'bodies.json');
      writeFileSync(child['bodiesFile'] as string, JSON.stringify(bodies));
    }
    writeFileSync(file, JSON.stringify(child));
    const { stdout } = await run(process.execPath, [CHILD, file], { maxBuffer: 256 * 1024 * 1024 });
    const raw = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      seconds: number;
      responses: number;
      statuses: Record<string, number>;
      errors: number;
      latencies: number[];
      failures: { status: number; body: string }[];
      requestsSent: number;
    };
    const ok = Object.entries(raw.statuses).reduce((n, [status, count]) => n + (status.startsWith('2') ? count : 0), 0);
    return {
      seconds: raw.seconds,
      responses: raw.responses,
      ok,
      statuses: raw.statuses,
      errors: raw.errors,
      rps: raw.responses / raw.seconds,
      p50: percentile(raw.latencies, 50),
      p99: percentile(raw.latencies, 99),
      requestsSent: raw.requestsSent,
      failures: raw.failures,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
