/** Stored records rendered as ECS renders them on the wire (timestamps in epoch seconds). */
import type { Cluster, Service, TaskDefinition, TaskSet } from '@aws-sdk/client-ecs';
import { principalArn } from './arns';
import type { EcsStore } from './store';
import type { StoredCluster, StoredService, StoredTaskDefinition, StoredTaskSet, Wire } from './types';

const seconds = (ms: number): number => ms / 1000;

export const clusterView = (store: EcsStore, cluster: StoredCluster, now: number): Wire<Cluster> => {
  const services = Object.values(store.data.services).filter((service) => service.clusterArn === cluster.arn);
  let runningTasksCount = 0;
  let pendingTasksCount = 0;
  for (const service of services) {
    for (const taskSet of store.taskSetsOf(service, now)) {
      const reading = store.reading(taskSet, now);
      runningTasksCount += reading.running;
      pendingTasksCount += reading.pending;
    }
  }
  return {
    clusterArn: cluster.arn,
    clusterName: cluster.name,
    status: 'ACTIVE',
    registeredContainerInstancesCount: 0,
    runningTasksCount,
    pendingTasksCount,
    activeServicesCount: services.length,
    statistics: [],
    tags: [...cluster.tags],
    settings: [{ name: 'containerInsights', value: 'disabled' }],
    capacityProviders: [],
    defaultCapacityProviderStrategy: [],
  };
};

export const taskDefinitionView = (store: EcsStore, definition: StoredTaskDefinition): Wire<TaskDefinition> => {
  const compatibilities = ['EC2', ...(definition.body.networkMode === 'awsvpc' ? ['FARGATE' as const] : [])];
  return {
    ...(structuredClone(definition.body) as Wire<TaskDefinition>),
    taskDefinitionArn: definition.arn,
    family: definition.family,
    revision: definition.revision,
    status: definition.status,
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
    compatibilities: compatibilities as Wire<TaskDefinition>['compatibilities'],
    registeredAt: seconds(definition.registeredAt),
    registeredBy: principalArn(store.config),
  };
};

export const taskSetView = (store: EcsStore, taskSet: StoredTaskSet, now: number, withTags = false): Wire<TaskSet> => {
  const reading = store.reading(taskSet, now);
  return {
    id: taskSet.id,
    taskSetArn: taskSet.arn,
    serviceArn: taskSet.serviceArn,
    clusterArn: taskSet.clusterArn,
    externalId: taskSet.externalId,
    status: taskSet.status,
    taskDefinition: taskSet.taskDefinition,
    computedDesiredCount: taskSet.fleet.target,
    pendingCount: reading.pending,
    runningCount: reading.running,
    createdAt: seconds(taskSet.createdAt),
    updatedAt: seconds(taskSet.updatedAt),
    launchType: taskSet.launchType,
    capacityProviderStrategy: taskSet.capacityProviderStrategy,
    platformVersion: taskSet.platformVersion,
    platformFamily: taskSet.launchType === 'FARGATE' ? 'Linux' : undefined,
    networkConfiguration: taskSet.networkConfiguration,
    loadBalancers: taskSet.loadBalancers ?? [],
    serviceRegistries: taskSet.serviceRegistries ?? [],
    scale: { value: taskSet.scale, unit: 'PERCENT' },
    stabilityStatus: reading.steady ? 'STEADY_STATE' : 'STABILIZING',
    stabilityStatusAt: seconds(reading.statusAt),
    ...(withTags ? { tags: [...taskSet.tags] } : {}),
  };
};

export const serviceView = (store: EcsStore, service: StoredService, now: number, withTags = false): Wire<Service> => {
  const taskSets = store.visibleTaskSetsOf(service, now).map((taskSet) => taskSetView(store, taskSet, now));
  const external = service.deploymentController !== 'ECS';
  return {
    serviceArn: service.arn,
    serviceName: service.name,
    clusterArn: service.clusterArn,
    loadBalancers: service.loadBalancers ?? [],
    serviceRegistries: service.serviceRegistries ?? [],
    status: 'ACTIVE',
    desiredCount: service.desiredCount,
    runningCount: taskSets.reduce((sum, taskSet) => sum + (taskSet.runningCount ?? 0), 0),
    pendingCount: taskSets.reduce((sum, taskSet) => sum + (taskSet.pendingCount ?? 0), 0),
    launchType: service.launchType,
    capacityProviderStrategy: service.capacityProviderStrategy,
    platformVersion: service.platformVersion,
    taskDefinition: service.taskDefinition,
    deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
    ...(external ? { taskSets } : { deployments: [] }),
    events: [],
    createdAt: seconds(service.createdAt),
    networkConfiguration: service.networkConfiguration,
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: service.deploymentController },
    createdBy: principalArn(store.config),
    enableECSManagedTags: false,
    propagateTags: 'NONE',
    enableExecuteCommand: false,
    ...(withTags ? { tags: [...service.tags] } : {}),
  };
};
