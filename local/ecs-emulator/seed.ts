/**
 * Local mode's starting point: a service that already runs one image on a PRIMARY task set at 100%,
 * as if it had been deployed long ago. Built from the same operations the SDK calls.
 */
import { steadyFleet } from './fleet';
import type { OperationContext } from './operations/context';
import { createCluster } from './operations/clusters';
import { createService } from './operations/services';
import { createTaskSet, updateServicePrimaryTaskSet } from './operations/task-sets';
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

/** Creates what is missing; a service that exists already is left exactly as it is. */
export const seedService = (context: OperationContext, input: SeedServiceInput): ServiceSnapshot => {
  const { store, now } = context;
  // CreateCluster answers an existing cluster unchanged.
  createCluster(context, { clusterName: input.cluster });
  const existing = store.findService(store.cluster(input.cluster), input.service);
  if (existing) return serviceSnapshot(store, existing, now);

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
  updateServicePrimaryTaskSet(context, { cluster: input.cluster, service: input.service, primaryTaskSet: taskSet.taskSetArn });

  const stored = store.data.taskSets[taskSet.taskSetArn];
  if (stored) stored.fleet = steadyFleet(stored.fleet.target, now);
  store.commit(now);
  return serviceSnapshot(store, store.service(store.cluster(input.cluster), input.service), now);
};
