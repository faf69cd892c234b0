/** RegisterTaskDefinition and DescribeTaskDefinition. */
import type { ContainerDefinition, Tag } from '@aws-sdk/client-ecs';
import * as arns from '../arns';
import { clientException } from '../errors';
import { REGISTER_TASK_DEFINITION_REQUEST, checkRegisterTaskDefinitionRequest } from '../request-shapes';
import type { StoredTaskDefinition, TaskDefinitionBody } from '../types';
import { taskDefinitionView } from '../views';
import { includes, passthrough, requiredString, type Input, type Operation } from './context';

const NAME = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * What a registered task definition keeps: every member of the model's RegisterTaskDefinitionRequest
 * besides `family` and `tags` (kept apart). Read from the SDK's model, not from what the adapter sends.
 */
const BODY_FIELDS = REGISTER_TASK_DEFINITION_REQUEST.members.filter((member) => member !== 'family' && member !== 'tags');

const validate = (body: TaskDefinitionBody): void => {
  const containers: ContainerDefinition[] = body.containerDefinitions ?? [];
  if (!Array.isArray(containers) || containers.length === 0) {
    throw clientException('Container list cannot be empty.');
  }
  const names = new Set<string>();
  for (const container of containers) {
    if (!container.name || !NAME.test(container.name)) throw clientException('Container.name should not be null or empty.');
    if (!container.image) throw clientException('Container.image should not be null or empty.');
    if (names.has(container.name)) throw clientException(`Duplicate container name: ${container.name}.`);
    names.add(container.name);
  }
  if (body.requiresCompatibilities?.includes('FARGATE')) {
    if (body.networkMode !== 'awsvpc') throw clientException('Fargate only supports network mode ‘awsvpc’.');
    if (!body.cpu || !body.memory) throw clientException('Fargate requires that cpu and memory be defined at the task level.');
  }
};

export const registerTaskDefinition: Operation = ({ store, now }, input) => {
  // Unknown members (at any depth) and missing required ones are refused, as the model has them.
  checkRegisterTaskDefinitionRequest(input);
  const family = requiredString(input, 'family');
  if (!NAME.test(family)) throw clientException('Family contains invalid characters or is too long.');
  const body: Record<string, unknown> = {};
  for (const field of BODY_FIELDS) {
    const value = passthrough(input, field);
    if (value !== undefined) body[field] = value;
  }
  validate(body as TaskDefinitionBody);
  const revision = (store.revisionsOf(family).at(-1)?.revision ?? 0) + 1;
  const definition: StoredTaskDefinition = {
    arn: arns.taskDefinitionArn(store.config, family, revision),
    family,
    revision,
    status: 'ACTIVE',
    registeredAt: now,
    body: body as TaskDefinitionBody,
    tags: passthrough<Tag[]>(input, 'tags') ?? [],
  };
  store.data.taskDefinitions[definition.arn] = definition;
  return { taskDefinition: taskDefinitionView(store, definition), tags: [...definition.tags] };
};

export const describeTaskDefinition: Operation = ({ store }, input: Input) => {
  const definition = store.findTaskDefinition(requiredString(input, 'taskDefinition'));
  if (!definition) throw clientException('Unable to describe task definition.');
  return {
    taskDefinition: taskDefinitionView(store, definition),
    ...(includes(input, 'TAGS') ? { tags: [...definition.tags] } : {}),
  };
};
