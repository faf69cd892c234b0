/** The machine a run happened on, as BENCHMARKS.md records it. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly memory: string;
  readonly node: string;
  readonly kernel: string;
}

export function machine(): Machine {
  let nproc = availableParallelism();
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    // no nproc: keep Node's count
  }
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  return { nproc, cpu, memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`, node: process.version, kernel: `Linux ${release()}` };
}

/** 1-minute load average: how busy the shared machine was. */
export const load1 = (): number => Number(loadavg()[0]!.toFixed(2));
