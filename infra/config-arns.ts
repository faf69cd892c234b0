/**
 * The AWS resources the config names, as IAM resource ARNs: the ECS services and their task sets, the
 * ECR repositories, the roles to pass. Pure functions of the config and the stack's environment, so the
 * grants and the tests derive the same strings.
 */
import type { AppConfig, ServiceConfig } from '../shared/config/types';
import { isEcrHost } from '../shared/config/known-registries';

/** Partition, region and account of the stack (literal strings or CloudFormation tokens). */
export interface ArnEnvironment {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

export interface EcsServiceArns {
  /** `arn:…:ecs:<region>:<account>:service/<cluster>/<service>` */
  readonly service: string;
  /** `arn:…:ecs:<region>:<account>:task-set/<cluster>/<service>/*`: task set ids are made by ECS. */
  readonly taskSets: string;
}

const ECS_ARN = /^arn:(aws[a-z-]*):ecs:([a-z0-9-]+):(\d{12}):(cluster|service)\/(.+)$/;

interface ParsedEcsArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly path: readonly string[];
}

function parseEcsArn(value: string, kind: 'cluster' | 'service'): ParsedEcsArn | null {
  const match = ECS_ARN.exec(value);
  if (!match || match[4] !== kind) return null;
  return { partition: match[1]!, region: match[2]!, account: match[3]!, path: match[5]!.split('/') };
}

/**
 * The service's ARNs. The config may give the cluster and the service as names or ARNs; an ARN also
 * says where the service lives (its account and region win over the stack's). A service ARN in the old
 * format (`service/<name>`, no cluster) takes its cluster from `cluster`.
 */
export function ecsServiceArns(service: Pick<ServiceConfig, 'cluster' | 'service'>, env: ArnEnvironment): EcsServiceArns {
  const clusterArn = parseEcsArn(service.cluster, 'cluster');
  const serviceArn = parseEcsArn(service.service, 'service');
  const clusterName = clusterArn ? clusterArn.path.join('/') : service.cluster;
  const [first = '', second] = serviceArn?.path ?? [service.service];
  const [cluster, name] = second === undefined ? [clusterName, first] : [first, second];
  const where = serviceArn ?? clusterArn ?? env;
  const prefix = `arn:${where.partition}:ecs:${where.region}:${where.account}`;
  return { service: `${prefix}:service/${cluster}/${name}`, taskSets: `${prefix}:task-set/${cluster}/${name}/*` };
}

export function allEcsServiceArns(config: AppConfig, env: ArnEnvironment): EcsServiceArns[] {
  return Object.values(config.services).map((service) => ecsServiceArns(service, env));
}

/** `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` → its account and region. */
export function ecrRegistryOf(host: string): { readonly account: string; readonly region: string; readonly china: boolean } | null {
  if (!isEcrHost(host)) return null;
  const [account = '', , , region = ''] = host.split('.');
  return { account, region, china: host.endsWith('.cn') };
}

export interface EcrRepository {
  readonly account: string;
  readonly region: string;
  readonly name: string;
  readonly arn: string;
}

/** The ECR repositories the services pull from (deduplicated, in config order). */
export function ecrRepositories(config: AppConfig, env: ArnEnvironment): EcrRepository[] {
  const found = new Map<string, EcrRepository>();
  for (const service of Object.values(config.services)) {
    const registry = ecrRegistryOf(service.registry);
    if (!registry) continue;
    const partition = registry.china ? 'aws-cn' : env.partition;
    const arn = `arn:${partition}:ecr:${registry.region}:${registry.account}:repository/${service.repository}`;
    found.set(arn, { account: registry.account, region: registry.region, name: service.repository, arn });
  }
  return [...found.values()];
}

/** Every role the services allow to be passed to ECS (deduplicated). */
export function passRoleArns(config: AppConfig): string[] {
  return [...new Set(Object.values(config.services).flatMap((service) => service.aws?.passRoles ?? []))];
}

/** Every alarm some service watches (deduplicated, sorted). */
export function alarmNames(config: AppConfig): string[] {
  return [...new Set(Object.values(config.services).flatMap((service) => service.alarms))].sort();
}
