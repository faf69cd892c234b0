import type { Rollout } from '../../../shared/core/rollout';
import { states } from '../core/rollout-builders';

const NAMES = ['pending', 'queued', 'started', 'atWeight20', 'baking', 'atWeight50', 'paused', 'atWeight100', 'promoting', 'finalizing', 'succeeded', 'rollingBack', 'rolledBack', 'failed', 'rejected'] as const;

/** The core's named states (test/unit/core/rollout-builders.ts), typed by name. */
export function rolloutStates(): Record<(typeof NAMES)[number], Rollout> {
  const all = states();
  return Object.fromEntries(NAMES.map((name) => [name, all[name]!])) as Record<(typeof NAMES)[number], Rollout>;
}
