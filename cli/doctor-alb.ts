/**
 * `rollout doctor`'s load balancer checks, for a service with `traffic.alb`: the same reading and the
 * same checks as a rollout's start (shared/adapters/elbv2/alb-reading.ts, shared/core/alb-checks.ts),
 * one failed check per problem with its fix, and the steady timeout a rollout would use. Read-only.
 */
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { readAlb } from '../shared/adapters/elbv2/alb-reading';
import type { ServiceConfig } from '../shared/config/types';
import { albProblems, albSteadyTimeout } from '../shared/core/alb-checks';
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

/** The load balancer checks of one service with `traffic.alb`; none without it. */
export async function diagnoseAlb(service: ServiceConfig, ecs: ECSClient, elbv2: (region: string) => ElasticLoadBalancingV2Client): Promise<DoctorCheck[]> {
  const alb = service.traffic?.alb;
  if (!alb) return [];
  const anchor = alb.listenerRule ?? alb.listener!;
  const at = `services.${service.name}`;
  let reading;
  try {
    reading = await readAlb(elbv2(anchor.split(':')[3] ?? ''), alb);
  } catch (e) {
    return [{ check: 'loadBalancer', ok: false, detail: `the load balancer of ${at}.traffic.alb could not be read: ${failure(e)}`, fix: 'check the credentials and that they allow elasticloadbalancing:Describe* in the load balancer\'s region' }];
  }
  const problems = albProblems(alb, reading, await primaryTargetGroup(service, ecs));
  if (problems.length > 0) return problems.map((p) => ({ check: 'loadBalancer' as const, ok: false, detail: `${at}.${p.field}: ${p.problem}`, fix: p.fix }));
  const groups = reading.targetGroups.filter((group) => group !== null);
  const timeout = service.policies.steadyTimeoutConfigured
    ? `steady timeout ${service.policies.steadyTimeout}s (set)`
    : (({ seconds, basis }) => `steady timeout ${seconds}s from ${basis}`)(albSteadyTimeout(groups, { atLeastSeconds: service.policies.steadyTimeout }));
  return [{ check: 'loadBalancer', ok: true, detail: `${alb.listenerRule ? 'listener rule' : 'listener'} forwards to the target group pair; ${timeout}` }];
}
