/** EventBridge target for CloudWatch alarm state changes: rolls back, at once, every active rollout that watches the alarm. */
import { parseOrThrow } from '../shared/http/validation';
import { alarmStateChangeSchema } from '../shared/webhooks/alarm-event';
import { functionRoot } from './wiring/compose';
import type { InvocationContext } from './wiring/inputs';

const root = functionRoot('alarm-state-change', ['store', 'ecs', 'workflow']);

export async function alarmStateChange(event: unknown, context?: InvocationContext): Promise<{ alarm: string; state: string; rolledBack: string[] }> {
  root.begin(context);
  const { detail } = parseOrThrow(alarmStateChangeSchema, event, 'alarm state change event');
  const rolledBack = await (await root.get()).orchestrator.alarmChanged(detail.alarmName, detail.state.value, detail.state.reason ?? null);
  root.logger.info('alarm state change', { alarm: detail.alarmName, state: detail.state.value, rolledBack });
  return { alarm: detail.alarmName, state: detail.state.value, rolledBack };
}
