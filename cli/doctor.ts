/**
 * `rollout doctor`: checks every configured service against ECS (AWS, or local mode's endpoints) before
 * a rollout needs it, and says what is wrong and how to fix it. Read-only: only Describe calls.
 */
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type AwsHome, outsideHome } from '../shared/config/ecs-location';
import type { AppConfig, ServiceConfig } from '../shared/config/types';
import { diagnoseAlb } from './doctor-alb';

export interface DoctorCheck {
  readonly check: 'location' | 'cluster' | 'service' | 'controller' | 'primary' | 'taskDefinition' | 'loadBalancer';
  readonly ok: boolean;
  readonly detail: string;
  /** How to fix it, when it failed. */
  readonly fix?: string;
}

export interface ServiceDiagnosis {
  readonly service: string;
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
}

const failure = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** The checks of one service, in order; the first that fails ends them (the later ones depend on it). */
async function diagnose(service: ServiceConfig, ecs: ECSClient, home: AwsHome): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const pass = (check: DoctorCheck['check'], detail: string) => checks.push({ check, ok: true, detail });
  const fail = (check: DoctorCheck['check'], detail: string, fix: string) => {
    checks.push({ check, ok: false, detail, fix });
    return checks;
  };
  const where = `region ${home.region}${home.account ? `, account ${home.account}` : ''}`;
  const away = outsideHome(service, home);
  if (away) return fail('location', away, `change services.${service.name}.cluster, or run an orchestrator where the cluster is`);
  pass('location', `in ${where}`);

  let clusters;
  try {
    clusters = await ecs.send(new DescribeClustersCommand({ clusters: [service.cluster] }));
  } catch (e) {
    return fail('cluster', `DescribeClusters ${service.cluster} failed: ${failure(e)}`, 'check the credentials and that they allow ecs:DescribeClusters');
  }
  const cluster = clusters.clusters?.[0];
  if (!cluster || cluster.status !== 'ACTIVE') {
    const state = cluster ? `is ${cluster.status}` : `does not exist in ${where}`;
    return fail('cluster', `ECS cluster ${service.cluster} ${state}`, `correct services.${service.name}.cluster, or create the cluster`);
  }
  pass('cluster', `ECS cluster ${cluster.clusterName} is ACTIVE`);

  let services;
  try {
    services = await ecs.send(new DescribeServicesCommand({ cluster: service.cluster, services: [service.service] }));
  } catch (e) {
    return fail('service', `DescribeServices ${service.service} failed: ${failure(e)}`, 'check the credentials and that they allow ecs:DescribeServices');
  }
  const found = services.services?.[0];
  if (!found || found.status !== 'ACTIVE') {
    const state = found ? `is ${found.status}` : `does not exist in cluster ${service.cluster}`;
    return fail('service', `ECS service ${service.service} ${state}`, `correct services.${service.name}.service, or create the service (with the EXTERNAL deployment controller)`);
  }
  pass('service', `ECS service ${found.serviceName} is ACTIVE`);

  const controller = found.deploymentController?.type ?? 'ECS';
  if (controller !== 'EXTERNAL') {
    return fail(
      'controller',
      `ECS service ${service.service} uses the ${controller} deployment controller; task set rollouts need EXTERNAL`,
      'create the service again with deploymentController {type: EXTERNAL} (ECS cannot change a service\'s controller in place), then a task set made PRIMARY',
    );
  }
  pass('controller', 'deployment controller EXTERNAL');

  const primary = found.taskSets?.find((taskSet) => taskSet.status === 'PRIMARY');
  if (!primary?.taskDefinition) {
    return fail(
      'primary',
      `ECS service ${service.service} has no PRIMARY task set: a rollout has nothing to roll back to`,
      'create a task set (CreateTaskSet) of the running task definition and make it primary (UpdateServicePrimaryTaskSet)',
    );
  }
  pass('primary', `PRIMARY task set ${primary.id} at ${primary.scale?.value ?? '?'}%`);

  let definition;
  try {
    definition = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: primary.taskDefinition }))).taskDefinition;
  } catch (e) {
    return fail('taskDefinition', `task definition ${primary.taskDefinition} cannot be described: ${failure(e)}`, 'register the task definition family again, or check ecs:DescribeTaskDefinition');
  }
  const containers = (definition?.containerDefinitions ?? []).map((container) => container.name ?? '');
  const target = service.container ?? (containers.length === 1 ? containers[0] : undefined);
  if (!definition || definition.status !== 'ACTIVE') {
    return fail('taskDefinition', `task definition ${primary.taskDefinition} is ${definition?.status ?? 'missing'}`, 'register the family again and point the PRIMARY task set at an ACTIVE revision');
  }
  if (!target || !containers.includes(target)) {
    const which = service.container ? `has no container named ${service.container}` : `has ${containers.length} containers`;
    return fail('taskDefinition', `task definition ${definition.family}:${definition.revision} ${which} (containers: ${containers.join(', ')})`, `set services.${service.name}.container to one of: ${containers.join(', ')}`);
  }
  pass('taskDefinition', `task definition family ${definition.family} registered (revision ${definition.revision}), container ${target}`);
  return checks;
}

/**
 * Every configured service, checked. Read-only. `elbv2`: an ELBv2 client for a region, for the load
 * balancer checks of services with `traffic.alb` (cli/doctor-alb.ts); without it they are not made.
 */
export async function runDoctor(config: AppConfig, ecs: ECSClient, home: AwsHome, elbv2?: (region: string) => ElasticLoadBalancingV2Client): Promise<ServiceDiagnosis[]> {
  const out: ServiceDiagnosis[] = [];
  for (const service of Object.values(config.services)) {
    const checks = await diagnose(service, ecs, home);
    if (elbv2 && checks.every((check) => check.ok)) checks.push(...(await diagnoseAlb(service, ecs, elbv2)));
    out.push({ service: service.name, ok: checks.every((check) => check.ok), checks });
  }
  return out;
}

/** The report as text: one line per service, and for a failing one what is wrong and the fix (each, for the load balancer's problems). */
export function formatDiagnosis(report: readonly ServiceDiagnosis[], where: string): string {
  const lines = [`checked ${report.length} service${report.length === 1 ? '' : 's'} against ${where}`];
  for (const { service, ok, checks } of report) {
    if (ok) {
      lines.push(`ok    ${service}: ${checks.map((check) => check.detail).join('; ')}`);
      continue;
    }
    for (const failed of checks.filter((check) => !check.ok)) lines.push(`FAIL  ${service}: ${failed.detail}`, `      fix: ${failed.fix}`);
  }
  return `${lines.join('\n')}\n`;
}
