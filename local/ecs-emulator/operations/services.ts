/** CreateService, DescribeServices and UpdateService (desired count). */
import type {
  CapacityProviderStrategyItem,
  LaunchType,
  LoadBalancer,
  NetworkConfiguration,
  ServiceRegistry,
  Tag,
} from '@aws-sdk/client-ecs';
import * as arns from '../arns';
import { clientException, invalidParameter } from '../errors';
import type { DeploymentControllerType, Placement, StoredService } from '../types';
import { serviceView } from '../views';
import {
  includes,
  optionalNumber,
  optionalString,
  optionalStrings,
  passthrough,
  requiredString,
  type Input,
  type Operation,
} from './context';

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const CONTROLLERS: readonly string[] = ['ECS', 'CODE_DEPLOY', 'EXTERNAL'] satisfies DeploymentControllerType[];

const desiredCountOf = (input: Input): number | undefined => {
  const count = optionalNumber(input, 'desiredCount');
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) {
    throw invalidParameter('desiredCount must be a non-negative integer.');
  }
  return count;
};

/** Launch type, capacity providers and networking, as CreateService and CreateTaskSet both take them. */
export const placementOf = (input: Input): Placement => {
  const launchType = optionalString(input, 'launchType') as LaunchType | undefined;
  const capacityProviderStrategy = passthrough<CapacityProviderStrategyItem[]>(input, 'capacityProviderStrategy');
  if (launchType && capacityProviderStrategy?.length) {
    throw invalidParameter('Specifying both a launch type and capacity provider strategy is not supported.');
  }
  return {
    launchType,
    capacityProviderStrategy,
    platformVersion: optionalString(input, 'platformVersion'),
    networkConfiguration: passthrough<NetworkConfiguration>(input, 'networkConfiguration'),
    loadBalancers: passthrough<LoadBalancer[]>(input, 'loadBalancers'),
    serviceRegistries: passthrough<ServiceRegistry[]>(input, 'serviceRegistries'),
  };
};

export const createService: Operation = ({ store, now }, input) => {
  const cluster = store.cluster(optionalString(input, 'cluster'));
  const name = requiredString(input, 'serviceName');
  if (!NAME.test(name)) throw invalidParameter('Service name can only contain letters, numbers, hyphens and underscores.');
  if (store.findService(cluster, name)) throw invalidParameter('Creation of service was not idempotent.');
  const controller = (input.deploymentController as { type?: unknown } | undefined)?.type ?? 'ECS';
  if (typeof controller !== 'string' || !CONTROLLERS.includes(controller)) {
    throw invalidParameter(`Invalid deployment controller type: ${String(controller)}.`);
  }
  const deploymentController = controller as DeploymentControllerType;
  let taskDefinition: string | undefined;
  const taskDefinitionRef = optionalString(input, 'taskDefinition');
  // With the EXTERNAL controller, task sets carry the task definitions.
  if (deploymentController !== 'EXTERNAL') {
    if (!taskDefinitionRef) throw invalidParameter('A task definition must be specified.');
    const definition = store.findTaskDefinition(taskDefinitionRef);
    if (!definition) throw clientException('TaskDefinition not found.');
    taskDefinition = definition.arn;
  }
  const service: StoredService = {
    arn: arns.serviceArn(store.config, cluster.name, name),
    name,
    clusterArn: cluster.arn,
    deploymentController,
    desiredCount: desiredCountOf(input) ?? 0,
    taskDefinition,
    createdAt: now,
    tags: passthrough<Tag[]>(input, 'tags') ?? [],
    clientTokens: {},
    ...placementOf(input),
  };
  store.data.services[service.arn] = service;
  return { service: serviceView(store, service, now) };
};

export const describeServices: Operation = ({ store, now }, input) => {
  const cluster = store.cluster(optionalString(input, 'cluster'));
  const refs = optionalStrings(input, 'services') ?? [];
  if (refs.length === 0 || refs.length > 10) throw invalidParameter('services must list between 1 and 10 services.');
  const withTags = includes(input, 'TAGS');
  const services = [];
  const failures = [];
  for (const ref of refs) {
    const service = store.findService(cluster, ref);
    if (service) services.push(serviceView(store, service, now, withTags));
    else failures.push({ arn: arns.serviceArn(store.config, cluster.name, arns.serviceName(ref)), reason: 'MISSING' });
  }
  return { services, failures };
};

export const updateService: Operation = ({ store, now }, input) => {
  const cluster = store.cluster(optionalString(input, 'cluster'));
  const service = store.service(cluster, requiredString(input, 'service'));
  if (service.deploymentController === 'EXTERNAL' && optionalString(input, 'taskDefinition') !== undefined) {
    throw invalidParameter(
      'Unable to update task definition on services with a EXTERNAL deployment controller. Use task sets.',
    );
  }
  const desiredCount = desiredCountOf(input);
  if (desiredCount !== undefined && desiredCount !== service.desiredCount) {
    service.desiredCount = desiredCount;
    for (const taskSet of store.taskSetsOf(service, now)) store.retarget(taskSet, service, now);
  }
  return { service: serviceView(store, service, now) };
};
