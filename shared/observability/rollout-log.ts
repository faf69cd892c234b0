/**
 * An orchestrator listener that writes each new entry of a rollout's event log as a JSON log line with the
 * rollout id and service bound: the audit trail of every transition is then in the logs too (CloudWatch
 * Logs Insights: `filter rolloutId = "…"`), whichever Lambda or process made it.
 */
import type { Logger } from './logger';
import type { RolloutListener } from '../orchestration/orchestrator';
import { withFields } from './loggers';

export function rolloutEventLogger(logger: Logger): RolloutListener {
  return (rollout, previous) => {
    const from = rollout === previous ? 0 : previous.events.length;
    const added = rollout.events.slice(from);
    if (added.length === 0) return;
    const log = withFields(logger, { rolloutId: rollout.id, service: rollout.service });
    for (const event of added) {
      log.info('rollout event', { event: event.type, seq: event.seq, detail: event.message, status: rollout.status, canaryWeight: rollout.canaryWeight, version: rollout.version });
    }
  };
}
