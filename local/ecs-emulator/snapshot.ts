/** A read-only, test-friendly picture of one service (plain numbers, times in epoch ms). */
import * as arns from './arns';
import type { EcsStore } from './store';
import type { StoredService, TaskSetStatus } from './types';

export interface TaskSetSnapshot {
  readonly id: string;
  readonly arn: string;
  readonly status: TaskSetStatus;
  readonly externalId: string | null;
  readonly taskDefinition: string;
  /** Container name → image, from the task set's task definition. */
  readonly images: Readonly<Record<string, string>>;
  readonly scale: number;
  readonly computedDesiredCount: number;
  readonly runningCount: number;
  readonly pendingCount: number;
  readonly stabilityStatus: 'STEADY_STATE' | 'STABILIZING';
  readonly stabilityStatusAt: number;
}

export interface ServiceSnapshot {
  readonly cluster: string;
  readonly service: string;
  readonly arn: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly primaryTaskSetId: string | null;
  /** Oldest first; task sets that finished draining are gone. */
  readonly taskSets: readonly TaskSetSnapshot[];
}

export const serviceSnapshot = (store: EcsStore, service: StoredService, now: number): ServiceSnapshot => {
  const taskSets = store.taskSetsOf(service, now).map((taskSet): TaskSetSnapshot => {
    const reading = store.reading(taskSet, now);
    const containers = store.data.taskDefinitions[taskSet.taskDefinition]?.body.containerDefinitions ?? [];
    return {
      id: taskSet.id,
      arn: taskSet.arn,
      status: taskSet.status,
      externalId: taskSet.externalId ?? null,
      taskDefinition: taskSet.taskDefinition,
      images: Object.fromEntries(containers.map((container) => [container.name ?? '', container.image ?? ''])),
      scale: taskSet.scale,
      computedDesiredCount: taskSet.fleet.target,
      runningCount: reading.running,
      pendingCount: reading.pending,
      stabilityStatus: reading.steady ? 'STEADY_STATE' : 'STABILIZING',
      stabilityStatusAt: reading.statusAt,
    };
  });
  return {
    cluster: arns.clusterName(service.clusterArn),
    service: service.name,
    arn: service.arn,
    desiredCount: service.desiredCount,
    runningCount: taskSets.reduce((sum, taskSet) => sum + taskSet.runningCount, 0),
    primaryTaskSetId: taskSets.find((taskSet) => taskSet.status === 'PRIMARY')?.id ?? null,
    taskSets,
  };
};
