/**
 * The emulated ECS control plane: runs operations by name the way the service does, logs every call,
 * applies injected faults, and exposes read-only views for tests and local mode.
 */
import { setImmediate } from 'node:timers';
import * as arns from './arns';
import { EcsApiError } from './errors';
import { EcsEventWatch, type EcsEventListener } from './events';
import { EcsFaults } from './faults';
import { LoadBalancerCoupling, type TargetRegistry } from './load-balancers';
import { createCluster, describeClusters } from './operations/clusters';
import type { Input, Operation } from './operations/context';
import { createService, describeServices, updateService } from './operations/services';
import { describeTaskDefinition, registerTaskDefinition } from './operations/task-definitions';
import {
  createTaskSet,
  deleteTaskSet,
  describeTaskSets,
  updateServicePrimaryTaskSet,
  updateTaskSet,
} from './operations/task-sets';
import { seedService, type SeedServiceInput } from './seed';
import { serviceSnapshot, type ServiceSnapshot } from './snapshot';
import { EcsStore } from './store';
import type { TaskDefinitionBody } from './types';

export interface EcsEmulatorOptions {
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Default `000000000000`. */
  readonly accountId?: string;
  /** Time for one task to start; a task set's running count grows by one per period. Default 1000 ms. */
  readonly taskStartMs?: number;
  /** Time for one task to stop. Default 0 (at once). */
  readonly taskStopMs?: number;
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** JSON file the state is loaded from at creation and written to after every change. Default: memory only. */
  readonly stateFile?: string;
  /**
   * Eventual consistency from the start: a new task set stays out of describes this long (see
   * `faults.lagDescribes`). Default 0: describes read after writes.
   */
  readonly describeLagMs?: number;
  /** The call log keeps this many of the latest calls, so a long-running local process stays small. Default 10000. */
  readonly maxCalls?: number;
}

export type RegisteredTaskDefinition = TaskDefinitionBody & { readonly arn: string; readonly revision: number };

export interface EcsCall {
  readonly operation: string;
  readonly input: unknown;
  /** Epoch ms, from the emulator's clock. */
  readonly at: number;
  /** The error type answered, when the call failed. */
  readonly error?: string;
}

const OPERATIONS: Readonly<Record<string, { readonly run: Operation; readonly mutates: boolean }>> = {
  CreateCluster: { run: createCluster, mutates: true },
  DescribeClusters: { run: describeClusters, mutates: false },
  RegisterTaskDefinition: { run: registerTaskDefinition, mutates: true },
  DescribeTaskDefinition: { run: describeTaskDefinition, mutates: false },
  CreateService: { run: createService, mutates: true },
  DescribeServices: { run: describeServices, mutates: false },
  UpdateService: { run: updateService, mutates: true },
  CreateTaskSet: { run: createTaskSet, mutates: true },
  DescribeTaskSets: { run: describeTaskSets, mutates: false },
  UpdateTaskSet: { run: updateTaskSet, mutates: true },
  UpdateServicePrimaryTaskSet: { run: updateServicePrimaryTaskSet, mutates: true },
  DeleteTaskSet: { run: deleteTaskSet, mutates: true },
};

export const ECS_OPERATIONS: readonly string[] = Object.keys(OPERATIONS);

export class EcsEmulator {
  readonly region: string;
  readonly accountId: string;
  readonly faults: EcsFaults;
  private readonly store: EcsStore;
  private readonly clock: () => number;
  private readonly log: EcsCall[] = [];
  private readonly maxCalls: number;
  private readonly events: EcsEventWatch;
  private loadBalancing: LoadBalancerCoupling | null = null;

  constructor(options: EcsEmulatorOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.clock = options.now ?? Date.now;
    this.maxCalls = options.maxCalls ?? 10_000;
    this.store = new EcsStore({
      region: this.region,
      accountId: this.accountId,
      taskStartMs: options.taskStartMs ?? 1000,
      taskStopMs: options.taskStopMs ?? 0,
      stateFile: options.stateFile,
    });
    this.events = new EcsEventWatch(this.store, this.clock);
    this.faults = new EcsFaults(() => {
      const now = this.clock();
      this.store.reanchorAll(now);
      this.store.commit(now);
      // Looks once the new launch rules apply (after this call), for SERVICE_TASK_START_IMPAIRED.
      this.events.poke();
    }, (ms) => {
      this.store.describeLagMs = ms;
    });
    if (options.describeLagMs) this.faults.lagDescribes(options.describeLagMs);
    this.store.launchBlocked = (taskSet, definition) => this.faults.launchBlocked(taskSet, definition);
    this.store.onRetarget = (taskSet) => this.events.retargeted(taskSet);
  }

  /**
   * Calls `listener` with an EventBridge-shaped "ECS Service Action" event each time a task set
   * reaches steady state (TASKSET_STEADY_STATE), a service does (SERVICE_STEADY_STATE: all its task
   * sets are), or injected launch failures keep a service's tasks from starting
   * (SERVICE_TASK_START_IMPAIRED). Asynchronously, once per transition, and only what a describe at
   * that instant shows. Returns the function that removes the listener.
   */
  onEvent(listener: EcsEventListener): () => void {
    const unsubscribe = this.events.subscribe(listener);
    this.events.poke();
    return unsubscribe;
  }

  /**
   * Announces now what is due at the clock's current instant, for tests that move the clock by hand
   * (the emulator otherwise looks after each call and on a timer). Resolves once listeners ran.
   */
  async emitDueEvents(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.events.look();
  }

  /** Every call so far, oldest first. */
  get calls(): readonly EcsCall[] {
    return this.log;
  }

  callsTo(operation: string): EcsCall[] {
    return this.log.filter((call) => call.operation === operation);
  }

  clearCalls(): void {
    this.log.length = 0;
  }

  /**
   * Runs one ECS operation (`CreateTaskSet`...) on a parsed JSON body and returns the JSON answer.
   * Throws `EcsApiError` with the type and status ECS would answer.
   */
  invoke(operation: string, input: unknown): unknown {
    const at = this.clock();
    try {
      const entry = OPERATIONS[operation];
      if (!entry) throw new EcsApiError('UnknownOperationException', `Unknown operation ${operation}.`);
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new EcsApiError('SerializationException', 'The request body must be a JSON object.');
      }
      const failure = this.faults.take(operation);
      if (failure && !failure.afterApplying) throw failure.error;
      const output = entry.run({ store: this.store, now: at }, input as Input);
      if (entry.mutates) this.store.commit(at);
      if (failure) throw failure.error;
      this.record({ operation, input, at });
      return output;
    } catch (error) {
      this.record({ operation, input, at, error: error instanceof EcsApiError ? error.type : 'InternalFailure' });
      throw error;
    } finally {
      // Any call may be the first to see a task start (the clock moved): look once it has returned, at
      // the services still moving and the one a change names.
      this.events.poke(OPERATIONS[operation]?.mutates ? this.changedBy(input) : []);
    }
  }

  /** The service a change names (its ARN); `all` when it names none this emulator holds. */
  private changedBy(input: unknown): readonly string[] | 'all' {
    const fields = typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
    const ref = fields.service ?? fields.serviceName;
    const cluster = fields.cluster;
    if (typeof ref !== 'string' || (cluster !== undefined && typeof cluster !== 'string')) return 'all';
    const clusterRecord = this.store.data.clusters[arns.clusterArn(this.store.config, arns.clusterName(cluster ?? 'default'))];
    const service = clusterRecord && this.store.findService(clusterRecord, ref);
    return service ? [service.arn] : 'all';
  }

  private record(call: EcsCall): void {
    this.log.push(call);
    if (this.log.length > this.maxCalls) this.log.splice(0, this.log.length - this.maxCalls);
  }

  /**
   * Puts the task sets that have `loadBalancers` behind a load balancer (the ELBv2 stand-in in local mode
   * and the tests): their tasks register as targets, and they are steady only once those are healthy.
   */
  attachLoadBalancers(registry: TargetRegistry): void {
    this.loadBalancing?.close();
    const coupling = new LoadBalancerCoupling(registry, this.store.config, () => this.events.poke());
    this.loadBalancing = coupling;
    this.store.adjustReading = (taskSet, reading, now) => coupling.adjust(taskSet, reading, now);
  }

  /** Creates the cluster, a task definition family named after the service, the service and a steady PRIMARY task set; does nothing when the service exists. */
  seedService(input: SeedServiceInput): ServiceSnapshot {
    this.seedServices([input]);
    return this.describe(input.cluster, input.service)!;
  }

  /**
   * `seedService` for many services, the state written once: local mode seeds every configured service
   * at start. Each service costs the same whatever the cluster already holds.
   */
  seedServices(inputs: readonly SeedServiceInput[]): void {
    const now = this.clock();
    for (const input of inputs) {
      const existed = this.exists(input.cluster, input.service);
      seedService({ store: this.store, now }, input, { commit: false, snapshot: false });
      // A seeded service is born steady: no transition to announce.
      if (!existed) this.events.adopt(this.store.service(this.store.cluster(input.cluster), input.service));
    }
    this.store.commit(now);
  }

  private exists(cluster: string, service: string): boolean {
    const clusterRecord = this.store.data.clusters[arns.clusterArn(this.store.config, arns.clusterName(cluster))];
    return Boolean(clusterRecord && this.store.findService(clusterRecord, service));
  }

  /** The service as it stands now, or null when it does not exist. */
  describe(cluster: string, service: string): ServiceSnapshot | null {
    const now = this.clock();
    const clusterRecord = this.store.data.clusters[arns.clusterArn(this.store.config, arns.clusterName(cluster))];
    const serviceRecord = clusterRecord && this.store.findService(clusterRecord, service);
    return serviceRecord ? serviceSnapshot(this.store, serviceRecord, now) : null;
  }

  /** The registered revisions of a family, oldest first, as RegisterTaskDefinition received them. */
  taskDefinitions(family: string): RegisteredTaskDefinition[] {
    return this.store.revisionsOf(family).map(({ arn, revision, body }) => ({ arn, revision, ...structuredClone(body) }));
  }
}

export const createEcsEmulator = (options: EcsEmulatorOptions = {}): EcsEmulator => new EcsEmulator(options);
