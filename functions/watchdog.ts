/**
 * The watchdog (docs/architecture.md, "The watchdog"): on its schedule it looks after every active
 * rollout (a clock that stopped is started again, an overdue or owed callback answered); on a Step
 * Functions execution status change (failed, timed out, aborted, or succeeded) it re-drives that
 * execution's rollout at once if it is still active (and undoes a weight call that landed after a
 * rolled-back one's rollback when the execution did not succeed: shared/orchestration/watchdog.ts).
 */
import * as z from 'zod/mini';
import { parseOrThrow } from '../shared/http/validation';
import { emfWatchdogRedrives } from '../shared/observability/emf';
import type { SweepReport } from '../shared/orchestration/watchdog';
import { functionRoot } from './wiring/compose';
import type { InvocationContext } from './wiring/inputs';

const root = functionRoot('watchdog', ['store', 'ecs', 'workflow', 'deliveries']);

const event = z.looseObject({ 'detail-type': z.string(), detail: z.optional(z.looseObject({ name: z.optional(z.string().check(z.maxLength(80))), status: z.optional(z.string()), output: z.optional(z.nullable(z.string())) })) });
const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

export async function watchdog(input: unknown, context?: InvocationContext): Promise<SweepReport | { redriven: string | null }> {
  root.begin(context);
  const parsed = parseOrThrow(event, input, 'watchdog event');
  const { orchestrator } = await root.get();
  if (parsed['detail-type'] === EXECUTION_STATUS_CHANGE && parsed.detail?.name) {
    if (parsed.detail.status === 'RUNNING') return { redriven: null };
    const redriven = await orchestrator.executionEnded(parsed.detail.name, parsed.detail.output, parsed.detail.status);
    root.logger.info('execution ended', { execution: parsed.detail.name, status: parsed.detail.status, redriven });
    countRedrives(redriven === null ? [] : [redriven]);
    return { redriven };
  }
  const report = await orchestrator.sweep();
  countRedrives(report.redriven);
  return report;
}

/** The WatchdogRedrives metric the stack's alarm watches (EMF on stdout, as Lambda forwards it). */
function countRedrives(rolloutIds: readonly string[]): void {
  if (rolloutIds.length === 0 || process.env.LOG_LEVEL?.toLowerCase() === 'silent') return;
  process.stdout.write(`${JSON.stringify(emfWatchdogRedrives(rolloutIds, Date.now()))}\n`);
}
