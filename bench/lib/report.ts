/** Writes BENCHMARKS.md from the latest result of each benchmark (bench/results.json). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Machine } from './machine';
import type { BenchResult } from './types';

export interface StoredResult extends BenchResult {
  readonly command: string;
  readonly machine: Machine;
  readonly loadBefore: number;
  readonly loadAfter: number;
  readonly error?: string;
}

export interface ResultsFile {
  readonly results: Record<string, StoredResult>;
}

export function readResults(file: string): ResultsFile {
  if (!existsSync(file)) return { results: {} };
  return JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
}

/** `2026-11-29 01:51 UTC` */
const day = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const met = (m: boolean | null) => (m === null ? '—' : m ? '**met**' : '**missed**');

export function renderMarkdown(order: readonly { name: string; title: string }[], results: Record<string, StoredResult>): string {
  const present = order.filter((b) => results[b.name]);
  const machines = [...new Set(present.map((b) => JSON.stringify(results[b.name]!.machine)))].map((m) => JSON.parse(m) as Machine);
  const commands = [...new Set(present.map((b) => results[b.name]!.command))];
  const dates = present.map((b) => results[b.name]!.at).sort();
  const lines: string[] = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (bench/run.ts) from bench/results.json; edit the benchmarks, not this file. -->',
    '',
    'Where the orchestrator stands: each figure is measured side by side with its reference in the same run, on a shared and',
    'noisy machine, so ratios and medians over repeats matter more than absolute numbers. No benchmark is a pass/fail test.',
    '',
    `- **Command:** ${commands.map((c) => `\`${c}\``).join(', ')} (one benchmark: \`npm run bench -- <name>\`, names: ${order.map((b) => `\`${b.name}\``).join(', ')})`,
    `- **Date:** ${dates.length ? (day(dates[0]!) === day(dates.at(-1)!) ? day(dates[0]!) : `${day(dates[0]!)} to ${day(dates.at(-1)!)}`) : 'never run'}`,
    ...machines.map((m) => `- **Machine:** ${m.nproc} cores (\`nproc\`), ${m.cpu}, ${m.memory} memory, ${m.kernel}, Node ${m.node}`),
    `- **Load** (1-minute load average before → after each benchmark, other sessions share the machine): ${present.map((b) => `${b.name} ${results[b.name]!.loadBefore} → ${results[b.name]!.loadAfter}`).join('; ')}`,
    '',
    '## Summary',
    '',
    '| benchmark | target | measured | |',
    '|---|---|---|---|',
  ];
  for (const b of present) {
    const r = results[b.name]!;
    if (r.error) lines.push(`| ${esc(b.title)} | — | failed: ${esc(r.error)} | **error** |`);
    for (const t of r.targets) lines.push(`| [${b.name}](#${b.name}) | ${esc(t.target)} | ${esc(t.measured)} | ${met(t.met)} |`);
  }
  for (const [i, b] of present.entries()) {
    const r = results[b.name]!;
    lines.push('', `<a id="${b.name}"></a>`, `## ${i + 1}. ${r.title}`, '', `\`${r.command}\` at ${day(r.at)}, ${r.seconds.toFixed(0)} s, load ${r.loadBefore} → ${r.loadAfter}.`, '');
    if (r.error) {
      lines.push(`**The benchmark failed:** ${r.error}`, '');
      continue;
    }
    lines.push('**How**', '', ...r.method.map((m) => `- ${m}`), '');
    lines.push('| figure | value | reference | ratio |', '|---|---|---|---|');
    for (const f of r.figures) lines.push(`| ${esc(f.metric)} | ${esc(f.value)} | ${f.reference ? `${esc(f.reference)}${f.referenceName ? ` (${esc(f.referenceName)})` : ''}` : ''} | ${f.ratio ?? ''} |`);
    lines.push('', '**Targets**', '', ...r.targets.map((t) => `- ${met(t.met)}: ${t.target}: ${t.measured}`), '');
    if (r.analysis.length) lines.push('**Why, and what would reach it**', '', ...r.analysis.map((a) => `- ${a}`), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export function writeReport(file: string, markdown: string): void {
  writeFileSync(file, markdown);
}
