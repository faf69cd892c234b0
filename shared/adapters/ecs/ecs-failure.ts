/** SDK failures as domain errors that say which call failed, on what, and what AWS answered. */
import { TaskSetNotFoundException } from '@aws-sdk/client-ecs';
import { EcsError } from '../../errors';
import type { EcsTarget } from '../../ports';

const describeError = (error: unknown): string => {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
};

export const ecsFailure = (operation: string, target: EcsTarget, error: unknown): EcsError =>
  new EcsError(
    `ECS ${operation} failed for service ${target.service} in cluster ${target.cluster}: ${describeError(error)}`,
    { cause: error },
  );

/** The task set is already gone: for a delete, the work is done. */
export const isTaskSetNotFound = (error: unknown): boolean =>
  error instanceof TaskSetNotFoundException || (error instanceof Error && error.name === 'TaskSetNotFoundException');
