/**
 * The reads that need nothing but the store: the orchestrator answers them with these, and so does the
 * API function before it has loaded the orchestrator (functions/wiring/lazy-orchestrator.ts).
 */
import { ROLLOUT_ID_PATTERN } from '../core/ids';
import type { Rollout } from '../core/rollout';
import { RolloutNotFoundError } from '../errors';
import type { RolloutStore } from '../ports';

/** A rollout by id; RolloutNotFoundError for an id that cannot be one of ours, which never reaches the store as a key. */
export function readRollout(store: Pick<RolloutStore, 'get'>, id: string): Promise<Rollout> {
  if (!ROLLOUT_ID_PATTERN.test(id)) return Promise.reject(new RolloutNotFoundError(id.slice(0, 64)));
  return store.get(id);
}
