/**
 * The load balancer checks at a rollout's start, for a service with `traffic.alb`: what only AWS knows
 * (shared/core/alb-checks.ts) refuses the rollout before anything changes, and the steady timeout
 * follows from the pair's health checks and deregistration delay unless the service sets
 * `steadyTimeout` (docs/configuration.md#traffic). A blue-green rollout's preview rule is checked too
 * (shared/core/preview-rule-checks.ts; its load balancer, production's, is not read again). The same
 * reading and checks serve `rollout doctor`.
 */
import type { ServiceConfig } from '../config/types';
import { type AlbPair, type AlbProblem, type AlbReading, albProblems, albProblemsText, albSteadyTimeout } from '../core/alb-checks';
import type { Rollout } from '../core/rollout';
import { previewRuleProblems } from '../core/preview-rule-checks';
import type { TaskSetView } from '../ports';
import { type OrchestrationContext, errorMessage } from './context';

export type AlbPreflight =
  | { readonly ok: false; readonly reason: string }
  /** `steadyTimeout`: the timeout the target groups need, when the service does not set one. */
  | { readonly ok: true; readonly steadyTimeout?: { readonly seconds: number; readonly basis: string } };

/** The problems of a blue-green rollout's preview rule (none for a canary). */
async function previewProblems(ctx: OrchestrationContext, rollout: Rollout, alb: AlbPair, production: AlbReading): Promise<AlbProblem[]> {
  const previewRule = rollout.blueGreen?.previewListenerRule;
  const preview = previewRule ? ctx.previewOf(rollout) : null;
  if (!previewRule || !preview?.inspectRule) return [];
  return previewRuleProblems(alb, previewRule, await preview.inspectRule(production.loadBalancer), production.loadBalancer?.arn ?? null);
}

/** Null when the service's traffic follows task counts (nothing to check). */
export async function albPreflight(ctx: OrchestrationContext, service: ServiceConfig, primary: TaskSetView, rollout: Rollout): Promise<AlbPreflight | null> {
  const alb = service.traffic?.alb;
  const router = alb ? ctx.deps.traffic?.(service) : null;
  if (!alb || !router?.inspect) return null;
  let reading;
  try {
    reading = await router.inspect();
  } catch (e) {
    return { ok: false, reason: `the load balancer of traffic.alb could not be read: ${errorMessage(e)}` };
  }
  const problems = albProblems(alb, reading, primary.targetGroupArn ?? null);
  try {
    problems.push(...(await previewProblems(ctx, rollout, alb, reading)));
  } catch (e) {
    return { ok: false, reason: `the preview rule of blueGreen.previewListenerRule could not be read: ${errorMessage(e)}` };
  }
  if (problems.length > 0) return { ok: false, reason: albProblemsText(problems) };
  if (service.policies.steadyTimeoutConfigured) return { ok: true };
  const groups = reading.targetGroups.filter((group) => group !== null);
  return { ok: true, steadyTimeout: albSteadyTimeout(groups, { ...ctx.opts.steadyTimeoutAllowance, atLeastSeconds: service.policies.steadyTimeout }) };
}
