/**
 * `npm run bench` runs every benchmark, `npm run bench -- <name> [<name>…]` some of them. Each runs in
 * a fresh Node process of its own (clean memory figures, no state carried over between benchmarks).
 * Each result is kept in bench/results.json (the latest of each benchmark) and BENCHMARKS.md is written
 * from it; a summary goes to stdout, progress to stderr.
 */
import './lib/env';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alarmRollback } from './benchmarks/alarm-rollback';
import { albRollback } from './benchmarks/alb-rollback';
import { coldStart } from './benchmarks/cold-start';
import { orchestration } from './benchmarks/orchestration';
import { scale } from './benchmarks/scale';
import { signature } from './benchmarks/signature';
import { webhook } from './benchmarks/webhook';
import { load1, machine } from './lib/machine';
import { progress } from './lib/progress';
import { readResults, renderMarkdown, type StoredResult } from './lib/report';
import type { Benchmark } from './lib/types';

const ALL: readonly Benchmark[] = [webhook, coldStart, alarmRollback, albRollback, orchestration, scale, signature];
const ROOT = join(import.meta.dirname, '..');
const RESULTS = join(import.meta.dirname, 'results.json');
const REPORT = join(ROOT, 'BENCHMARKS.md');

// A child: run one benchmark, write its result to the file named, exit.
const childAt = process.argv.indexOf('--child');
if (childAt !== -1) {
  const [name, out] = process.argv.slice(childAt + 1);
  const bench = ALL.find((b) => b.name === name)!;
  const r = await bench.run();
  writeFileSync(out!, JSON.stringify(r));
  process.exit(0);
}

/** Runs one benchmark in a fresh process (tsx's loader, like `npm run bench`). */
async function runInChild(bench: Benchmark): Promise<Awaited<ReturnType<Benchmark['run']>>> {
  const dir = mkdtempSync(join(tmpdir(), 'rollout-bench-run-'));
  const out = join(dir, 'result.json');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'run.ts'), '--child', bench.name, out], { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`the benchmark's process exited with ${code}`);
    return JSON.parse(readFileSync(out, 'utf8')) as Awaited<ReturnType<Benchmark['run']>>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = names.filter((n) => !ALL.some((b) => b.name === n));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${ALL.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = names.length ? ALL.filter((b) => names.includes(b.name)) : ALL;
const command = names.length ? `npm run bench -- ${names.join(' ')}` : 'npm run bench';
const stored = readResults(RESULTS);
const host = machine();
const started = Date.now();
let failed = false;

for (const bench of selected) {
  progress(`${bench.name}: start (load ${load1()})`);
  const t = Date.now();
  const loadBefore = load1();
  const base = { name: bench.name, title: bench.title, command, machine: host, at: new Date().toISOString(), loadBefore };
  let result: StoredResult;
  try {
    const r = await runInChild(bench);
    result = { ...base, ...r, seconds: (Date.now() - t) / 1000, loadAfter: load1() };
  } catch (e) {
    failed = true;
    const message = e instanceof Error ? e.message : String(e);
    progress(`${bench.name}: FAILED: ${e instanceof Error ? (e.stack ?? message) : message}`);
    result = { ...base, method: [], figures: [], targets: [], analysis: [], seconds: (Date.now() - t) / 1000, loadAfter: load1(), error: message };
  }
  stored.results[bench.name] = result;
  writeFileSync(RESULTS, `${JSON.stringify(stored, null, 1)}\n`);
  writeFileSync(REPORT, renderMarkdown(ALL, stored.results));
  progress(`${bench.name}: done in ${result.seconds.toFixed(1)} s`);
}

// The summary: every target of the benchmarks run now.
const out: string[] = ['', `${command}: ${((Date.now() - started) / 1000).toFixed(0)} s on ${host.nproc} × ${host.cpu}, Node ${host.node}`, ''];
for (const bench of selected) {
  const r = stored.results[bench.name]!;
  out.push(`${bench.name} (${r.seconds.toFixed(0)} s)${r.error ? `: FAILED: ${r.error}` : ''}`);
  for (const f of r.figures) out.push(`  ${f.metric}: ${f.value}${f.reference ? `  [${f.referenceName ?? 'reference'}: ${f.reference}]` : ''}${f.ratio ? `  ${f.ratio}` : ''}`);
  for (const t of r.targets) out.push(`  -> ${t.met === null ? 'info' : t.met ? 'MET' : 'MISSED'}: ${t.target}: ${t.measured}`);
  out.push('');
}
out.push(`Wrote ${REPORT} and ${RESULTS}.`);
console.log(out.join('\n'));
// Timers of the stand-ins (keep-alive sockets, the SDK's) must not hold the process open.
process.exit(failed ? 1 : 0);
