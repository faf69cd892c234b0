/**
 * Task definition helpers: which container a rollout re-points, and the RegisterTaskDefinition input
 * that copies a revision with only that container's image changed.
 */
import type {
  ContainerDefinition,
  RegisterTaskDefinitionCommandInput,
  Tag,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import { EcsError } from '../../errors';
import type { EcsTarget } from '../../ports';

const PINNED = /@(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** The digest an image reference is pinned to (`sha256:<hex>`), or null for a tag-only reference. */
export const digestOf = (image: string): string | null => PINNED.exec(image)?.[1] ?? null;

/**
 * Everything RegisterTaskDefinition accepts that DescribeTaskDefinition returns. Read-only fields
 * (`taskDefinitionArn`, `revision`, `status`, `requiresAttributes`, `compatibilities`, `registeredAt`,
 * `registeredBy`, `deregisteredAt`, `deleteRequestedAt`) are left out: ECS sets them.
 */
const REGISTERABLE = [
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const satisfies readonly (keyof TaskDefinition & keyof RegisterTaskDefinitionCommandInput)[];

const describeRef = (definition: TaskDefinition): string =>
  definition.taskDefinitionArn ?? `${definition.family ?? '?'}:${definition.revision ?? '?'}`;

/** The container the rollout changes: `target.container`, or the only one. */
export const targetContainer = (target: EcsTarget, definition: TaskDefinition): ContainerDefinition => {
  const containers = definition.containerDefinitions ?? [];
  const names = containers.map((container) => container.name ?? '(unnamed)').join(', ');
  if (target.container !== undefined) {
    const named = containers.find((container) => container.name === target.container);
    if (!named) {
      throw new EcsError(
        `task definition ${describeRef(definition)} has no container named ${target.container} (containers: ${names})`,
      );
    }
    return named;
  }
  const [only, ...others] = containers;
  if (!only || others.length > 0) {
    throw new EcsError(
      `task definition ${describeRef(definition)} has ${containers.length} containers (${names}): ` +
        `name the one to deploy with the service's "container" setting`,
    );
  }
  return only;
};

/** The image of the target container in a task definition. */
export const targetImage = (target: EcsTarget, definition: TaskDefinition): string => {
  const image = targetContainer(target, definition).image;
  if (!image) throw new EcsError(`task definition ${describeRef(definition)}: the target container has no image`);
  return image;
};

/**
 * A new revision's input: the same family and settings with `containerName`'s image replaced. Tags
 * carry over except the `aws:` ones, which only AWS may set.
 */
export const reRegistration = (
  definition: TaskDefinition,
  tags: readonly Tag[] | undefined,
  containerName: string,
  image: string,
): RegisterTaskDefinitionCommandInput => {
  const input: Record<string, unknown> = {
    family: definition.family,
    containerDefinitions: (definition.containerDefinitions ?? []).map((container) =>
      container.name === containerName ? { ...container, image } : container,
    ),
  };
  for (const field of REGISTERABLE) {
    if (definition[field] !== undefined) input[field] = definition[field];
  }
  const userTags = (tags ?? []).filter((tag) => !tag.key?.startsWith('aws:'));
  if (userTags.length > 0) input.tags = userTags;
  return input as unknown as RegisterTaskDefinitionCommandInput;
};
