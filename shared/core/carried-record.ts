/**
 * A rollout record carried in the workflow's own data, so that the next Advance decides from it instead of
 * reading the store (docs/architecture.md, "What a rollout costs"). Whoever hands the loop on with a
 * record just read or written carries it, at `$.directive.carried` of the state machine's data
 * (infra/rollout-state-machine.ts): the clock's starter in the execution's input, the answer to a
 * callback wait (an ECS event's look, the wait's own look, an approval) in the task's output, and an
 * Advance or Recover that answers WAIT in its directive, for the Advance after the Wait.
 *
 * Carrying is only an optimisation of a read, never a source of truth: the record may have moved on
 * since it was handed on (an abort during a bake; a retried Advance is handed the same record again), so
 * the Advance treats it as unconfirmed until the store confirms it — by a save made from it (every save
 * is conditioned on its version) or by a read (shared/orchestration/step-driver.ts, `advance`):
 *
 * - Only a rollout moving forward is carried (`CARRIED_STATUSES`). A rollback acts on ECS before it
 *   saves, and a pending rollout asks the registry: their Advance reads the record.
 * - Nothing is done on ECS or the load balancer from an unconfirmed record: a look at ECS that would
 *   bring it to the record's weight is held, and the record read first.
 * - A save from it that conflicts is not decided again by the writer: the driver decides from the stored
 *   record, from the top (a Tick decided again on a rollback another actor runs would run it twice).
 * - An Advance that ends having saved nothing reads the record before it answers, and decides again if
 *   it had moved on.
 *
 * Bounded: Step Functions refuses a state's input or output over 256 KiB (States.DataLimitExceeded), and
 * a long rollout's log can outgrow any bound, so a record whose JSON is longer than `MAX_CARRIED_CHARS`
 * is not carried (the Advance reads it). Its JSON is UTF-16 characters; at most three UTF-8 bytes each,
 * the bound keeps a carried record under 96 KiB, well inside the state's limit with the rest of its data.
 */
import type { Rollout } from './rollout';
import { RolloutStatus } from './status';

export const MAX_CARRIED_CHARS = 32 * 1024;

/** What is handed on: the rollout and its status, and its record when short enough to carry. */
export interface Carried {
  readonly rolloutId: string;
  readonly status: string;
  readonly record?: Rollout;
}

/** The statuses a carried record may have (see the file comment). */
export const CARRIED_STATUSES: ReadonlySet<string> = new Set<RolloutStatus>([RolloutStatus.Progressing, RolloutStatus.Paused, RolloutStatus.Promoting]);

export function carry(rollout: Rollout): Carried {
  const carried = CARRIED_STATUSES.has(rollout.status) && JSON.stringify(rollout).length <= MAX_CARRIED_CHARS;
  return { rolloutId: rollout.id, status: rollout.status, ...(carried ? { record: rollout } : {}) };
}

/**
 * The carried record of rollout `id`, or null when `value` is none: absent, of another rollout, of a
 * status that is not carried, or not shaped like a record (damaged). Null means "read the store".
 */
export function carriedRecord(value: unknown, id: string): Rollout | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const r = value as Record<string, unknown>;
  const version = r['version'];
  const ecs = r['ecs'];
  const shaped =
    r['id'] === id &&
    typeof r['status'] === 'string' &&
    CARRIED_STATUSES.has(r['status']) &&
    typeof version === 'number' &&
    Number.isInteger(version) &&
    version >= 1 &&
    typeof r['service'] === 'string' &&
    typeof r['updatedAt'] === 'string' &&
    Array.isArray(r['events']) &&
    Array.isArray(r['steps']) &&
    typeof ecs === 'object' &&
    ecs !== null;
  return shaped ? (value as Rollout) : null;
}
