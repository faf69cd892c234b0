/**
 * The clocks of the fault harness's stacks, by config: local-stack builds its orchestrator without a
 * clock, so a test file that wants to move a stack's time mocks the orchestrator module to look its
 * clock up here (see `clockedOrchestratorModule`). One stack's time moves; the process's does not.
 */
import type * as OrchestratorModule from '../../shared/orchestration/orchestrator';

type Clock = () => Date;

const clocks = new WeakMap<object, { clock: Clock; read: boolean }>();

export function setClock(config: object, clock: Clock): void {
  clocks.set(config, { clock, read: false });
}

/** The clock of the stack built on this config; marks it read (the orchestrator does so when built). */
export function clockFor(config: object): Clock | undefined {
  const entry = clocks.get(config);
  if (!entry) return undefined;
  entry.read = true;
  return entry.clock;
}

/** True once an orchestrator took this config's clock. */
export function clockInUse(config: object): boolean {
  return clocks.get(config)?.read ?? false;
}

/**
 * For `vi.mock(import('…/shared/orchestration/orchestrator'), clockedOrchestratorModule)`: the module
 * with an Orchestrator that, given no clock, takes the one set for its config.
 */
export async function clockedOrchestratorModule(importOriginal: () => Promise<typeof OrchestratorModule>) {
  const original = await importOriginal();
  class Orchestrator extends original.Orchestrator {
    constructor(deps: ConstructorParameters<typeof original.Orchestrator>[0]) {
      const clock = deps.clock ?? clockFor(deps.config);
      super(clock ? { ...deps, clock } : deps);
    }
  }
  return { ...original, Orchestrator };
}
