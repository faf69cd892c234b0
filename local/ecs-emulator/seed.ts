/**
 * Local mode's starting point: a service that already runs one image on a PRIMARY task set at 100%,
 * as if it had been deployed long ago. Built from the same operations the SDK calls.
 */
import * as arns from './arns';
import { steadyFleet } from './fleet';
import type { OperationContext } from './operations/context';
import { createCluster } from './operations/clusters';
import { createService } from './operations/services';
import { createTaskSet } from './operations/task-sets';
import { registerTaskDefinition } from './operations/task-definitions';
import { serviceSnapshot, type ServiceSnapshot } from './snapshot';

export interface SeedServiceInput {
  readonly cluster: string;
  readonly service: string;
  /** Default 2. */
  readonly desiredCount?: number;
  /** Default `app`. */
  readonly containerName?: string;
  readonly image: string;
  /** Default 8080. */
  readonly containerPort?: number;
  /** The target group the stable task set's tasks register with (behind a load balancer). */
  readonly targetGroupArn?: string;
}

/** Placeholder networking: awsvpc task sets need some, and nothing reads it. */
const NETWORK = {
  awsvpcConfiguration: {
    subnets: ['subnet-0a1b2c3d4e5f60001'],
    securityGroups: ['sg-0a1b2c3d4e5f60001'],
    assignPublicIp: 'DISABLED',
  },
};

export interface SeedOptions {
  /** Write the state (file) now. Default true; `seedServices` writes once for all of them. */
  readonly commit?: boolean;
  /** Answer the service's snapshot. Default true. */
  readonly snapshot?: boolean;
}

/**
 * Creates what is missing; a service that exists already is left exactly as it is. Costs the same
 * whatever the cluster holds: no walk of the cluster's services (CreateCluster, whose answer counts
 * them, is called only for a cluster that does not exist yet).
 */
export function seedService(context: OperationContext, input: SeedServiceInput, options?: SeedOptions & { snapshot?: true }): ServiceSnapshot;
export function seedService(context: OperationContext, input: SeedServiceInput, options: SeedOptions): ServiceSnapshot | null;
export function seedService(context: OperationContext, input: SeedServiceInput, options: SeedOptions = {}): ServiceSnapshot | null {
  const { store, now } = context;
  if (!store.data.clusters[arns.clusterArn(store.config, arns.clusterName(input.cluster))]) createCluster(context, { clusterName: input.cluster });
  const existing = store.findService(store.cluster(input.cluster), input.service);
  if (existing) return options.snapshot === false ? null : serviceSnapshot(store, existing, now);

  const { taskDefinition } = registerTaskDefinition(context, {
    family: input.service,
    containerDefinitions: [
      {
        name: input.containerName ?? 'app',
        image: input.image,
        essential: true,
        portMappings: [{ containerPort: input.containerPort ?? 8080, protocol: 'tcp' }],
      },
    ],
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
  }) as { taskDefinition: { taskDefinitionArn: string } };
  createService(context, {
    cluster: input.cluster,
    serviceName: input.service,
    desiredCount: input.desiredCount ?? 2,
    deploymentController: { type: 'EXTERNAL' },
    launchType: 'FARGATE',
    networkConfiguration: NETWORK,
  });
  const { taskSet } = createTaskSet(context, {
    cluster: input.cluster,
    service: input.service,
    taskDefinition: taskDefinition.taskDefinitionArn,
    launchType: 'FARGATE',
    networkConfiguration: NETWORK,
    ...(input.targetGroupArn
      ? { loadBalancers: [{ targetGroupArn: input.targetGroupArn, containerName: input.containerName ?? 'app', containerPort: input.containerPort ?? 8080 }] }
      : {}),
    scale: { value: 100, unit: 'PERCENT' },
  }) as { taskSet: { taskSetArn: string } };
  const service = store.service(store.cluster(input.cluster), input.service);
  const stored = store.data.taskSets[taskSet.taskSetArn]!;
  // What UpdateServicePrimaryTaskSet does to a service whose only task set this is, without its look
  // at every task set of the emulator (which made seeding many services quadratic).
  stored.status = 'PRIMARY';
  service.taskDefinition = stored.taskDefinition;
  stored.fleet = steadyFleet(stored.fleet.target, now);
  if (options.commit !== false) store.commit(now);
  return options.snapshot === false ? null : serviceSnapshot(store, service, now);
};
