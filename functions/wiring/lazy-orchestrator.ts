/**
 * The API function's orchestrator, built on first use (docs/architecture.md, "Lambda bundles"): the
 * reads most requests make (`GET /rollouts/{id}`, `GET /rollouts`, `GET /deliveries/{id}`) are the
 * store's and need none of it (rollout-queries.ts); a command, a delivery or a service's view loads it
 * (the orchestration modules and the core's transitions), then calls it. The listeners subscribed
 * before it exists (logs, metrics, notifications) are handed to it when it is built.
 */
import type { AppOrchestrator } from '../../shared/http/deps';
import type { Orchestrator, OrchestratorDeps, RolloutListener } from '../../shared/orchestration/orchestrator';
import { readRollout } from '../../shared/orchestration/rollout-queries';
import { loadOnce } from '../../shared/load-once';

export type LazyOrchestrator = AppOrchestrator & Pick<Orchestrator, 'subscribe'>;

export function lazyOrchestrator(deps: OrchestratorDeps): LazyOrchestrator {
  const listeners = new Map<RolloutListener, (() => void) | null>();
  let built: Orchestrator | undefined;
  // A failed load is not kept: the next call tries again.
  const orchestrator = loadOnce(async () => {
    const { Orchestrator } = await import('../../shared/orchestration/orchestrator');
    built = new Orchestrator(deps);
    for (const listener of listeners.keys()) listeners.set(listener, built.subscribe(listener));
    return built;
  });
  return {
    config: deps.config,
    get: (id) => readRollout(deps.store, id),
    list: (query) => deps.store.list(query),
    delivery: (id) => deps.store.delivery(id),
    subscribe(listener) {
      listeners.set(listener, built ? built.subscribe(listener) : null);
      return () => {
        listeners.get(listener)?.();
        listeners.delete(listener);
      };
    },
    accept: async (input) => (await orchestrator()).accept(input),
    command: async (rolloutOrId, input) => (await orchestrator()).command(rolloutOrId, input),
    retry: async (id, by) => (await orchestrator()).retry(id, by),
    describeService: async (name) => (await orchestrator()).describeService(name),
  };
}
