/**
 * Vitest's global setup: every run gets a temp directory of its own, removed when the run ends. The
 * test processes (and what they start: the registry, Chromium, the local stack's children) inherit it
 * as TMPDIR, so what the tests write there with `os.tmpdir()` (synthesized cloud assemblies, configs,
 * image layouts, data directories) does not pile up in the machine's temp folder run after run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const previous = process.env['TMPDIR'];
  const dir = mkdtempSync(join(tmpdir(), 'rollout-tests-'));
  process.env['TMPDIR'] = dir;
  return () => {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
