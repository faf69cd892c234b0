/**
 * The composition root every function calls with its own list of ports (function-root.ts), its
 * orchestrator built with it. The API builds its orchestrator on first use instead (lazy-orchestrator.ts).
 */
import { Orchestrator } from '../../shared/orchestration/orchestrator';
import { type FunctionRoot, composedRoot } from './function-root';
import type { PortName } from './ports';

export type { Composed, FunctionRoot } from './function-root';

export function functionRoot(fn: string, uses: readonly PortName[]): FunctionRoot {
  return composedRoot(fn, uses, (deps) => new Orchestrator(deps));
}
