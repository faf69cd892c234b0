/**
 * `rollout doctor`'s load balancer checks, for a service with `traffic.alb`: the same reading and the
 * same checks as a rollout's start (shared/adapters/elbv2/alb-reading.ts, shared/core/alb-checks.ts),
 * one failed check per problem with its fix, and the steady timeout a rollout would use; for blue-green,
 * the preview rule too (shared/core/preview-rule-checks.ts). Read-only.
 */
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { readAlb, readAnchor } from '../shared/adapters/elbv2/alb-reading';
import type { ServiceConfig } from '../shared/config/types';
import { type AlbProblem, type AlbReading, albProblems, albSteadyTimeout } from '../shared/core/alb-checks';
import { previewRuleProblems } from '../shared/core/preview-rule-checks';
import type { DoctorCheck } from './doctor';

const failure = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** The target group of the service's PRIMARY task set, when ECS can say (undefined: not checked). */
async function primaryTargetGroup(service: ServiceConfig, ecs: ECSClient): Promise<string | null | undefined> {
  try {
    const found = (await ecs.send(new DescribeServicesCommand({ cluster: service.cluster, services: [service.service] }))).services?.[0];
    const primary = found?.taskSets?.find((set) => set.status === 'PRIMARY');
    return primary ? (primary.loadBalancers?.[0]?.targetGroupArn ?? null) : undefined;
  } catch {
    return undefined;
  }
}

/** The problems of a blue-green service's preview rule; none without `blueGreen`. */
async function previewProblems(service: ServiceConfig, client: ElasticLoadBalancingV2Client, production: AlbReading): Promise<AlbProblem[]> {
  const preview = service.blueGreen?.previewListenerRule;
  const alb = service.traffic?.alb;
  if (!preview || !alb) return [];
  try {
    return previewRuleProblems(alb, preview, await readAnchor(client, { listenerRule: preview }, production.loadBalancer), production.loadBalancer?.arn ?? null);
  } catch (e) {
    return [{ field: 'blueGreen.previewListenerRule', problem: `the preview rule could not be read: ${failure(e)}`, fix: 'check the credentials and that they allow elasticloadbalancing:DescribeRules and DescribeLoadBalancers' }];
  }
}

/** The load balancer checks of one service with `traffic.alb` (and its preview rule, with `blueGreen`); none without it. */
export async function diagnoseAlb(service: ServiceConfig, ecs: ECSClient, elbv2: (region: string) => ElasticLoadBalancingV2Client): Promise<DoctorCheck[]> {
  const alb = service.traffic?.alb;
  if (!alb) return [];
  const anchor = alb.listenerRule ?? alb.listener!;
  const at = `services.${service.name}`;
  const client = elbv2(anchor.split(':')[3] ?? '');
  let reading;
  try {
    reading = await readAlb(client, alb);
  } catch (e) {
    return [{ check: 'loadBalancer', ok: false, detail: `the load balancer of ${at}.traffic.alb could not be read: ${failure(e)}`, fix: 'check the credentials and that they allow elasticloadbalancing:Describe* in the load balancer\'s region' }];
  }
  const problems = [...albProblems(alb, reading, await primaryTargetGroup(service, ecs)), ...(await previewProblems(service, client, reading))];
  if (problems.length > 0) return problems.map((p) => ({ check: 'loadBalancer' as const, ok: false, detail: `${at}.${p.field}: ${p.problem}`, fix: p.fix }));
  const groups = reading.targetGroups.filter((group) => group !== null);
  const timeout = service.policies.steadyTimeoutConfigured
    ? `steady timeout ${service.policies.steadyTimeout}s (set)`
    : (({ seconds, basis }) => `steady timeout ${seconds}s from ${basis}`)(albSteadyTimeout(groups, { atLeastSeconds: service.policies.steadyTimeout }));
  const preview = service.blueGreen ? '; preview rule on the same load balancer forwards to the pair' : '';
  return [{ check: 'loadBalancer', ok: true, detail: `${alb.listenerRule ? 'listener rule' : 'listener'} forwards to the target group pair${preview}; ${timeout}` }];
}
