/**
 * The emulator's state with the lookups every operation needs: references by name or ARN resolve
 * the way ECS resolves them, and a task set that finished draining no longer exists.
 */
import * as arns from './arns';
import { clusterNotFound, serviceNotFound, taskSetNotFound } from './errors';
import { readFleet, retargetFleet, type FleetRates, type FleetReading } from './fleet';
import { emptyState, loadState, saveState } from './persistence';
import type { EcsStateData, StoredCluster, StoredService, StoredTaskDefinition, StoredTaskSet } from './types';

export interface EcsStoreConfig extends arns.Account, FleetRates {
  readonly stateFile?: string;
}

/** Decides whether a task set's tasks are kept from starting (fault injection). */
export type LaunchGate = (taskSet: StoredTaskSet, taskDefinition: StoredTaskDefinition | undefined) => boolean;

export class EcsStore {
  readonly data: EcsStateData;
  launchBlocked: LaunchGate = () => false;
  /**
   * Eventual consistency (fault injection): a task set created less than this many milliseconds ago is
   * not yet shown by describes (DescribeServices, DescribeTaskSets), though every write sees it.
   */
  describeLagMs = 0;
  /** Told when a task set's tasks are sent toward a new count (the event watch). */
  onRetarget: (taskSet: StoredTaskSet) => void = () => {};
  /** What ECS waits for beyond the tasks themselves (load-balancer targets: `load-balancers.ts`). */
  adjustReading: (taskSet: StoredTaskSet, reading: FleetReading, now: number) => FleetReading = (_taskSet, reading) => reading;

  /**
   * Each service's task sets by ARN, beside `data.taskSets`: every call and every look of the event
   * watch reads a service's task sets, which a walk of all the emulator's task sets made quadratic.
   */
  private readonly byService = new Map<string, Map<string, StoredTaskSet>>();
  /** The task sets draining, by ARN: the only ones `commit` may find gone (every call commits). */
  private readonly draining = new Map<string, StoredTaskSet>();

  constructor(readonly config: EcsStoreConfig) {
    this.data = config.stateFile ? loadState(config.stateFile) : emptyState();
    for (const taskSet of Object.values(this.data.taskSets)) this.index(taskSet);
  }

  /** Stores a new task set. */
  addTaskSet(taskSet: StoredTaskSet): void {
    this.data.taskSets[taskSet.arn] = taskSet;
    this.index(taskSet);
  }

  /** Drops task sets that finished draining, then writes the state file (when there is one). */
  commit(now: number): void {
    for (const taskSet of this.draining.values()) {
      if (!this.isGone(taskSet, now)) continue;
      delete this.data.taskSets[taskSet.arn];
      this.draining.delete(taskSet.arn);
      this.byService.get(taskSet.serviceArn)?.delete(taskSet.arn);
    }
    if (this.config.stateFile) saveState(this.config.stateFile, this.data);
  }

  cluster(ref: string | undefined): StoredCluster {
    const cluster = this.data.clusters[arns.clusterArn(this.config, arns.clusterName(ref ?? 'default'))];
    if (!cluster) throw clusterNotFound();
    return cluster;
  }

  findService(cluster: StoredCluster, ref: string): StoredService | undefined {
    const service = this.data.services[arns.serviceArn(this.config, cluster.name, arns.serviceName(ref))];
    return service?.clusterArn === cluster.arn ? service : undefined;
  }

  service(cluster: StoredCluster, ref: string | undefined): StoredService {
    const service = ref === undefined ? undefined : this.findService(cluster, ref);
    if (!service) throw serviceNotFound();
    return service;
  }

  /** The service's task sets that still exist, oldest first. */
  taskSetsOf(service: StoredService, now: number): StoredTaskSet[] {
    return [...(this.byService.get(service.arn)?.values() ?? [])]
      .filter((taskSet) => !this.isGone(taskSet, now))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** The task sets a describe shows now: those created within the describe lag are not visible yet. */
  visibleTaskSetsOf(service: StoredService, now: number): StoredTaskSet[] {
    return this.taskSetsOf(service, now).filter((taskSet) => now - taskSet.createdAt >= this.describeLagMs);
  }

  findTaskSet(service: StoredService, ref: string, now: number): StoredTaskSet | undefined {
    const id = arns.taskSetId(ref);
    return this.taskSetsOf(service, now).find((taskSet) => taskSet.id === id);
  }

  taskSet(service: StoredService, ref: string | undefined, now: number): StoredTaskSet {
    const taskSet = ref === undefined ? undefined : this.findTaskSet(service, ref, now);
    if (!taskSet) throw taskSetNotFound(ref ?? '(none)');
    return taskSet;
  }

  /** By `family` (latest ACTIVE revision), `family:revision` or ARN. */
  findTaskDefinition(ref: string): StoredTaskDefinition | undefined {
    const { family, revision } = arns.taskDefinitionRef(ref);
    if (revision !== null) return this.data.taskDefinitions[arns.taskDefinitionArn(this.config, family, revision)];
    return this.revisionsOf(family)
      .filter((definition) => definition.status === 'ACTIVE')
      .at(-1);
  }

  revisionsOf(family: string): StoredTaskDefinition[] {
    return Object.values(this.data.taskDefinitions)
      .filter((definition) => definition.family === family)
      .sort((a, b) => a.revision - b.revision);
  }

  computedDesiredCount(service: StoredService, scale: number): number {
    return Math.ceil((service.desiredCount * scale) / 100);
  }

  reading(taskSet: StoredTaskSet, now: number): FleetReading {
    return this.adjustReading(taskSet, readFleet(taskSet.fleet, now, this.config, this.isLaunchBlocked(taskSet)), now);
  }

  /** Points the task set's tasks at what its scale (or draining) now asks for. */
  retarget(taskSet: StoredTaskSet, service: StoredService, now: number): void {
    if (taskSet.status === 'DRAINING') this.draining.set(taskSet.arn, taskSet);
    const target = taskSet.status === 'DRAINING' ? 0 : this.computedDesiredCount(service, taskSet.scale);
    this.reading(taskSet, now); // the adjustment sees the tasks as they were before they change course
    taskSet.fleet = retargetFleet(taskSet.fleet, now, target, this.config, this.isLaunchBlocked(taskSet));
    this.onRetarget(taskSet);
  }

  /** Freezes every fleet's progress at `now`, before the rules deciding which launches fail change. */
  reanchorAll(now: number): void {
    for (const taskSet of Object.values(this.data.taskSets)) {
      this.reading(taskSet, now);
      taskSet.fleet = retargetFleet(taskSet.fleet, now, taskSet.fleet.target, this.config, this.isLaunchBlocked(taskSet));
    }
  }

  isLaunchBlocked(taskSet: StoredTaskSet): boolean {
    return this.launchBlocked(taskSet, this.data.taskDefinitions[taskSet.taskDefinition]);
  }

  private index(taskSet: StoredTaskSet): void {
    let own = this.byService.get(taskSet.serviceArn);
    if (!own) this.byService.set(taskSet.serviceArn, (own = new Map()));
    own.set(taskSet.arn, taskSet);
    if (taskSet.status === 'DRAINING') this.draining.set(taskSet.arn, taskSet);
  }

  private isGone(taskSet: StoredTaskSet, now: number): boolean {
    return taskSet.status === 'DRAINING' && this.reading(taskSet, now).running === 0;
  }
}
