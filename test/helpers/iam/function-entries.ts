/**
 * The stack's functions as their Lambda entry points (functions/), imported once the environment is
 * set (each reads its configuration and builds its clients on first use): one handler per function
 * name of infra/rollout-functions.ts, each wrapped by `wrap` (the IAM recorder's `as`, say).
 */
import type { RolloutFunctionName } from '../../../infra/rollout-functions';
import { ROLLOUT_FUNCTION_NAMES } from '../../../infra/rollout-functions';

// The entry points' results differ per function; the tests read them as they need.
export type Handler = (event: unknown) => Promise<any>;

export async function functionEntries(wrap: (name: RolloutFunctionName, run: () => Promise<unknown>) => Promise<unknown>): Promise<Record<RolloutFunctionName, Handler>> {
  const modules = {
    api: await import('../../../functions/api'),
    advance: await import('../../../functions/advance'),
    awaitApproval: await import('../../../functions/await-approval'),
    recover: await import('../../../functions/recover'),
    alarmStateChange: await import('../../../functions/alarm-state-change'),
    ecrPush: await import('../../../functions/ecr-push'),
    ecsEvent: await import('../../../functions/ecs-event'),
    watchdog: await import('../../../functions/watchdog'),
  };
  const entries: Record<RolloutFunctionName, Handler> = {
    api: (e) => modules.api.handler(e as never, {} as never),
    advance: (e) => modules.advance.advance(e),
    awaitApproval: (e) => modules.awaitApproval.awaitApproval(e),
    recover: (e) => modules.recover.recover(e),
    alarmStateChange: (e) => modules.alarmStateChange.alarmStateChange(e),
    ecrPush: (e) => modules.ecrPush.ecrPush(e),
    ecsEvent: (e) => modules.ecsEvent.ecsEvent(e),
    watchdog: (e) => modules.watchdog.watchdog(e),
  };
  return Object.fromEntries(ROLLOUT_FUNCTION_NAMES.map((name) => [name, (e: unknown) => wrap(name, () => entries[name](e))])) as Record<RolloutFunctionName, Handler>;
}
