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

/**
 * The environment of one process running every function, from the template's: each function's
 * variables merged (a variable two functions set differently fails here), and `ROLLOUT_SECRETS` the
 * union of the secrets each names (`secretIds`, variable → secret id): the shared process reads any of
 * them, and the IAM evaluation holds each read to the function's own.
 */
export function sharedProcessEnvironment(environments: Readonly<Record<RolloutFunctionName, Readonly<Record<string, string>>>>): { merged: Record<string, string>; secretIds: Record<string, string> } {
  const merged: Record<string, string> = {};
  const secretIds: Record<string, string> = {};
  for (const name of ROLLOUT_FUNCTION_NAMES) {
    for (const [key, value] of Object.entries(environments[name])) {
      if (key === 'NODE_OPTIONS') continue;
      if (key === 'ROLLOUT_SECRETS') {
        Object.assign(secretIds, JSON.parse(value) as Record<string, string>);
        continue;
      }
      if (key in merged && merged[key] !== value) throw new Error(`functions disagree on ${key}: ${merged[key]} / ${value}`);
      merged[key] = value;
    }
  }
  merged['ROLLOUT_SECRETS'] = JSON.stringify(secretIds);
  return { merged, secretIds };
}
