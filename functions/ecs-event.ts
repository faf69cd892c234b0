/**
 * EventBridge target for ECS service action events (`ECS Service Action`, e.g. TASKSET_STEADY_STATE,
 * SERVICE_STEADY_STATE): the rollout of the service they name, if it waits for ECS, is woken once ECS
 * is steady at its recorded weight. The event is only a nudge: the function looks at ECS itself.
 */
import { mayAnswerSteadyWait, parseEcsServiceAction } from '../shared/webhooks/ecs-event';
import { functionRoot } from './wiring/compose';
import type { InvocationContext } from './wiring/inputs';

const root = functionRoot('ecs-event', ['store', 'ecs', 'workflow']);

export async function ecsEvent(event: unknown, context?: InvocationContext): Promise<{ woken: string[] } | { ignored: string }> {
  root.begin(context);
  const parsed = parseEcsServiceAction(event);
  if ('ignored' in parsed) {
    root.logger.info('ECS event ignored', { reason: parsed.ignored });
    return { ignored: parsed.ignored };
  }
  const { cluster, service, eventName } = parsed.event;
  if (!mayAnswerSteadyWait(parsed.event)) {
    root.logger.info('ECS event ignored', { reason: `${eventName} answers no steady wait` });
    return { ignored: `${eventName} answers no steady wait` };
  }
  const woken = await (await root.get()).orchestrator.ecsChanged(cluster, service);
  root.logger.info('ECS event', { cluster, service, eventName, woken });
  return { woken };
}
