/** The task set operations an EXTERNAL deployment controller drives. */
import type { Tag } from '@aws-sdk/client-ecs';
import * as arns from '../arns';
import { clientException, invalidParameter } from '../errors';
import { emptyFleet } from '../fleet';
import type { EcsStore } from '../store';
import type { StoredService, StoredTaskSet } from '../types';
import { taskSetView } from '../views';
import {
  includes,
  optionalString,
  optionalStrings,
  passthrough,
  requiredString,
  scaleValue,
  type Input,
  type Operation,
  type OperationContext,
} from './context';
import { placementOf } from './services';

const CLIENT_TOKEN = /^[\x21-\x7e]{1,36}$/;

/**
 * ECS's quota "Task sets per service" (5, not adjustable). Every task set that still exists counts,
 * a DRAINING one included until its tasks have stopped: that is when ECS lets it go.
 */
export const MAX_TASK_SETS_PER_SERVICE = 5;

const externalService = (store: EcsStore, input: Input): StoredService => {
  const service = store.service(store.cluster(requiredString(input, 'cluster')), requiredString(input, 'service'));
  if (service.deploymentController === 'ECS') {
    throw invalidParameter('Amazon ECS task sets can only be used with services that use the EXTERNAL deployment controller.');
  }
  return service;
};

/** Key order as sent by one client may differ from another's; the fingerprint must not. */
const fingerprint = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );

const view = ({ store, now }: OperationContext, taskSet: StoredTaskSet) => ({ taskSet: taskSetView(store, taskSet, now) });

export const createTaskSet: Operation = (context, input) => {
  const { store, now } = context;
  const service = externalService(store, input);
  const clientToken = optionalString(input, 'clientToken');
  const { clientToken: _ignored, ...request } = input;
  if (clientToken !== undefined) {
    if (!CLIENT_TOKEN.test(clientToken)) throw invalidParameter('clientToken must be 1-36 printable ASCII characters.');
    const earlier = service.clientTokens[clientToken];
    const existing = earlier && store.findTaskSet(service, earlier.taskSetArn, now);
    if (earlier && existing) {
      if (earlier.fingerprint !== fingerprint(request)) {
        throw invalidParameter('The clientToken was already used with different parameters.');
      }
      return view(context, existing);
    }
  }
  const definition = store.findTaskDefinition(requiredString(input, 'taskDefinition'));
  if (!definition) throw clientException('TaskDefinition not found.');
  if (definition.status !== 'ACTIVE') throw clientException('TaskDefinition is inactive.');
  const existing = store.taskSetsOf(service, now);
  if (existing.length >= MAX_TASK_SETS_PER_SERVICE) {
    const draining = existing.filter((taskSet) => taskSet.status === 'DRAINING').length;
    throw invalidParameter(
      `The service ${service.name} already has ${existing.length} task sets (${draining} DRAINING), the maximum ` +
        `of ${MAX_TASK_SETS_PER_SERVICE} task sets per service. Delete a task set and wait for it to drain before creating another.`,
    );
  }
  const placement = placementOf(input);
  if (definition.body.networkMode === 'awsvpc' && !placement.networkConfiguration?.awsvpcConfiguration) {
    throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  const containers = new Set((definition.body.containerDefinitions ?? []).map((container) => container.name));
  for (const loadBalancer of placement.loadBalancers ?? []) {
    if (!loadBalancer.containerName || !containers.has(loadBalancer.containerName)) {
      throw invalidParameter(`The container ${String(loadBalancer.containerName)} does not exist in the task definition.`);
    }
  }
  // Without its own launch type or capacity providers, a task set runs the way its service does.
  const inherited =
    placement.launchType || placement.capacityProviderStrategy?.length
      ? {}
      : { launchType: service.launchType, capacityProviderStrategy: service.capacityProviderStrategy };
  const scale = scaleValue(input, 'scale') ?? 100;
  const id = arns.newTaskSetId();
  const clusterName = arns.clusterName(service.clusterArn);
  const taskSet: StoredTaskSet = {
    ...placement,
    ...inherited,
    arn: arns.taskSetArn(store.config, clusterName, service.name, id),
    id,
    serviceArn: service.arn,
    clusterArn: service.clusterArn,
    externalId: optionalString(input, 'externalId'),
    taskDefinition: definition.arn,
    status: 'ACTIVE',
    scale,
    createdAt: now,
    updatedAt: now,
    tags: passthrough<Tag[]>(input, 'tags') ?? [],
    fleet: emptyFleet(store.computedDesiredCount(service, scale), now),
  };
  store.addTaskSet(taskSet);
  if (clientToken !== undefined) {
    service.clientTokens[clientToken] = { taskSetArn: taskSet.arn, fingerprint: fingerprint(request) };
  }
  return view(context, taskSet);
};

export const describeTaskSets: Operation = ({ store, now }, input) => {
  const service = externalService(store, input);
  const refs = optionalStrings(input, 'taskSets');
  const withTags = includes(input, 'TAGS');
  const visible = store.visibleTaskSetsOf(service, now);
  const id = (ref: string) => arns.taskSetId(ref);
  const found = refs ? refs.map((ref) => ({ ref, taskSet: visible.find((taskSet) => taskSet.id === id(ref)) })) : null;
  const taskSets = found ? found.flatMap(({ taskSet }) => (taskSet ? [taskSet] : [])) : visible;
  return {
    taskSets: taskSets.map((taskSet) => taskSetView(store, taskSet, now, withTags)),
    failures: (found ?? []).filter(({ taskSet }) => !taskSet).map(({ ref }) => ({ arn: ref, reason: 'MISSING' })),
  };
};

export const updateTaskSet: Operation = (context, input) => {
  const { store, now } = context;
  const service = externalService(store, input);
  const taskSet = store.taskSet(service, requiredString(input, 'taskSet'), now);
  const scale = scaleValue(input, 'scale');
  if (scale === undefined) throw invalidParameter('scale must be specified.');
  if (taskSet.status === 'DRAINING') throw invalidParameter('Unable to update a task set that is DRAINING.');
  taskSet.scale = scale;
  taskSet.updatedAt = now;
  store.retarget(taskSet, service, now);
  return view(context, taskSet);
};

export const updateServicePrimaryTaskSet: Operation = (context, input) => {
  const { store, now } = context;
  const service = externalService(store, input);
  const primary = store.taskSet(service, requiredString(input, 'primaryTaskSet'), now);
  if (primary.status === 'DRAINING') throw invalidParameter('A DRAINING task set cannot become the primary task set.');
  for (const taskSet of store.taskSetsOf(service, now)) {
    if (taskSet.status === 'PRIMARY' && taskSet !== primary) {
      taskSet.status = 'ACTIVE';
      taskSet.updatedAt = now;
    }
  }
  if (primary.status !== 'PRIMARY') {
    primary.status = 'PRIMARY';
    primary.updatedAt = now;
  }
  service.taskDefinition = primary.taskDefinition;
  return view(context, primary);
};

export const deleteTaskSet: Operation = (context, input) => {
  const { store, now } = context;
  const service = externalService(store, input);
  const taskSet = store.taskSet(service, requiredString(input, 'taskSet'), now);
  if (taskSet.status === 'DRAINING') return view(context, taskSet);
  if (taskSet.status === 'PRIMARY') {
    throw invalidParameter('The primary task set cannot be deleted. Make another task set primary first.');
  }
  const busy = taskSet.fleet.target > 0 || store.reading(taskSet, now).running > 0;
  if (busy && input.force !== true) {
    throw invalidParameter('The task set has a non-zero task count. Scale it to 0 or use force to delete it.');
  }
  taskSet.status = 'DRAINING';
  taskSet.scale = 0;
  taskSet.updatedAt = now;
  store.retarget(taskSet, service, now);
  return view(context, taskSet);
};
