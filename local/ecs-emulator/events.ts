/**
 * ECS service action events (`detail-type: ECS Service Action`), as EventBridge delivers them in AWS:
 * TASKSET_STEADY_STATE when a task set reaches steady state, SERVICE_STEADY_STATE when every task set
 * of a service has, and SERVICE_TASK_START_IMPAIRED when injected launch failures keep a service's
 * tasks from starting.
 *
 * Task progress is derived lazily from the clock (fleet.ts), so nothing "happens" at a transition:
 * the watch looks after each call to the emulator, on a timer set for the next instant a task starts
 * or stops, and when asked (`emitDueEvents`, for tests that move the clock by hand). A look after a
 * call or on the timer reads the services the calls changed and those still moving (not steady at the
 * last look: only those can change with time alone); a look when asked, or after a change the watch
 * cannot place (faults, load balancer health), reads every service. Each look runs asynchronously
 * (never inside the call that changed the state) and announces only what a describe at that instant
 * shows; each transition into a state is announced once.
 * Events live in memory only: a restarted emulator starts watching from the state it finds.
 */
import { randomUUID } from 'node:crypto';
import { clearTimeout, setImmediate, setTimeout } from 'node:timers';
import type { EcsStore } from './store';
import type { StoredService, StoredTaskSet } from './types';

export type EcsServiceActionEventName = 'SERVICE_STEADY_STATE' | 'TASKSET_STEADY_STATE' | 'SERVICE_TASK_START_IMPAIRED';

/** Same keys and value formats as ECS's published "ECS Service Action" examples. */
export interface EcsServiceActionEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'ECS Service Action';
  readonly source: 'aws.ecs';
  readonly account: string;
  /** ISO 8601 to the second, `2019-11-19T19:27:22Z`. */
  readonly time: string;
  readonly region: string;
  /**
   * The service ARN; for TASKSET_STEADY_STATE also the task set ARN after it (ECS publishes no
   * example of that event, so where it names the task set is our reading).
   */
  readonly resources: readonly string[];
  readonly detail: {
    readonly eventType: 'INFO' | 'WARN';
    readonly eventName: EcsServiceActionEventName;
    readonly clusterArn: string;
    /** ISO 8601 with milliseconds, `2019-11-19T19:27:22.695Z`: when the transition happened. */
    readonly createdAt: string;
  };
}

export type EcsEventListener = (event: EcsServiceActionEvent) => void;

/** What a service looked like at the last look. */
interface ServiceState {
  steady: boolean;
  impaired: boolean;
}

/** Never wait less than this between looks, so a clock that does not move costs little. */
const MIN_DELAY_MS = 5;

const isoSeconds = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export class EcsEventWatch {
  private readonly listeners = new Set<EcsEventListener>();
  /** Task set ARN → steady at the last look. A task set not in here was never seen steady. */
  private readonly taskSets = new Map<string, boolean>();
  private readonly services = new Map<string, ServiceState>();
  /** Task sets and services whose tasks were sent toward a new count since the last look. */
  private readonly unsettledTaskSets = new Set<string>();
  /** …and for services, the instant of the latest such change. */
  private readonly unsettledServices = new Map<string, number>();
  /** Services a call changed since the last look. */
  private readonly touched = new Set<string>();
  /** Services not steady at the last look: their tasks move with time. */
  private readonly moving = new Set<string>();
  /** The next look reads every service. */
  private lookAtAll = false;
  private lookPending = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: EcsStore,
    private readonly clock: () => number,
  ) {}

  get watching(): boolean {
    return this.listeners.size > 0;
  }

  /** Adds a listener; the function returned removes it. Transitions before the first listener are not announced. */
  subscribe(listener: EcsEventListener): () => void {
    if (!this.watching) this.baseline();
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (!this.watching) this.stop();
    };
  }

  /** The store sent a task set's tasks toward a new count: a steady state reached after this is a new one. */
  retargeted(taskSet: StoredTaskSet): void {
    if (!this.watching || taskSet.fleet.running === taskSet.fleet.target) return;
    this.unsettledTaskSets.add(taskSet.arn);
    this.unsettledServices.set(taskSet.serviceArn, this.clock());
    this.touched.add(taskSet.serviceArn);
  }

  /** Takes the service's current state as known, without announcing it (a seeded service is born steady). */
  adopt(service: StoredService): void {
    if (!this.watching) return;
    const now = this.clock();
    this.observeService(service, now);
  }

  /**
   * Schedules a look after the current call returns, at the services the call changed (their ARNs) and
   * those still moving; at every service when the change cannot be placed (`all`, the default).
   */
  poke(changed: readonly string[] | 'all' = 'all'): void {
    if (!this.watching) return;
    if (changed === 'all') this.lookAtAll = true;
    else for (const arn of changed) this.touched.add(arn);
    if (this.lookPending) return;
    this.lookPending = true;
    setImmediate(() => {
      this.lookPending = false;
      this.lookAt(this.lookAtAll);
    });
  }

  /** Looks at every service now and announces what is due at the clock's current instant. */
  look(): void {
    this.lookAt(true);
  }

  private lookAt(all: boolean): void {
    if (!this.watching) return;
    const now = this.clock();
    const events: EcsServiceActionEvent[] = [];
    const seenTaskSets = new Set<string>();
    const seenServices = new Set<string>();
    const services = all ? Object.values(this.store.data.services) : this.changedOrMoving();
    this.lookAtAll = false;
    this.touched.clear();
    for (const service of services) {
      seenServices.add(service.arn);
      const taskSets = this.store.taskSetsOf(service, now);
      let allSteady = true;
      let anyTaskSetEvent = false;
      let impairedAt: number | null = null;
      for (const taskSet of taskSets) {
        seenTaskSets.add(taskSet.arn);
        const reading = this.store.reading(taskSet, now);
        const before = this.taskSets.get(taskSet.arn) ?? false;
        if (reading.steady && (!before || this.unsettledTaskSets.has(taskSet.arn))) {
          events.push(this.event('TASKSET_STEADY_STATE', service, reading.statusAt, taskSet));
          anyTaskSetEvent = true;
        }
        this.taskSets.set(taskSet.arn, reading.steady);
        allSteady &&= reading.steady;
        const blockedSince = this.blockedSince(taskSet, now);
        if (blockedSince !== null) impairedAt = Math.min(impairedAt ?? blockedSince, blockedSince);
      }
      const steady = taskSets.length > 0 ? allSteady : service.desiredCount === 0;
      const before = this.services.get(service.arn) ?? { steady: false, impaired: false };
      if (impairedAt !== null && !before.impaired) {
        events.push(this.event('SERVICE_TASK_START_IMPAIRED', service, impairedAt));
      }
      if (steady && (!before.steady || anyTaskSetEvent || this.unsettledServices.has(service.arn))) {
        const changedAt = this.unsettledServices.get(service.arn) ?? service.createdAt;
        const at = Math.max(changedAt, ...taskSets.map((taskSet) => this.store.reading(taskSet, now).statusAt));
        events.push(this.event('SERVICE_STEADY_STATE', service, at));
      }
      this.record(service, steady, impairedAt !== null);
    }
    if (all) this.forget(seenTaskSets, seenServices);
    this.unsettledTaskSets.clear();
    this.unsettledServices.clear();
    this.schedule(now);
    for (const event of events) this.announce(event);
  }

  /** The services a call changed since the last look, and those still moving. */
  private changedOrMoving(): StoredService[] {
    const out: StoredService[] = [];
    for (const arn of new Set([...this.touched, ...this.moving])) {
      const service = this.store.data.services[arn];
      if (service) out.push(service);
      else this.moving.delete(arn);
    }
    return out;
  }

  private baseline(): void {
    const now = this.clock();
    this.taskSets.clear();
    this.services.clear();
    this.moving.clear();
    for (const service of Object.values(this.store.data.services)) this.observeService(service, now);
  }

  private observeService(service: StoredService, now: number): void {
    const taskSets = this.store.taskSetsOf(service, now);
    let steady = true;
    let impaired = false;
    for (const taskSet of taskSets) {
      const reading = this.store.reading(taskSet, now);
      this.taskSets.set(taskSet.arn, reading.steady);
      this.unsettledTaskSets.delete(taskSet.arn);
      steady &&= reading.steady;
      impaired ||= this.blockedSince(taskSet, now) !== null;
    }
    this.unsettledServices.delete(service.arn);
    const serviceSteady = taskSets.length > 0 ? steady : service.desiredCount === 0;
    this.record(service, serviceSteady, impaired);
  }

  /** What the next look compares with, and whether the service is still moving (looked at again). */
  private record(service: StoredService, steady: boolean, impaired: boolean): void {
    this.services.set(service.arn, { steady, impaired });
    if (steady) this.moving.delete(service.arn);
    else this.moving.add(service.arn);
  }

  /** When a task that should have started did not, for a task set whose launches fail; null otherwise. */
  private blockedSince(taskSet: StoredTaskSet, now: number): number | null {
    if (!this.store.isLaunchBlocked(taskSet) || this.store.reading(taskSet, now).pending === 0) return null;
    const due = taskSet.fleet.since + this.store.config.taskStartMs;
    return now >= due ? due : null;
  }

  /** The next instant a task of a moving service starts or stops, or a blocked start is due; null when nothing moves. */
  private nextDue(now: number): number | null {
    const { taskStartMs, taskStopMs } = this.store.config;
    let next: number | null = null;
    const consider = (at: number) => {
      if (at > now) next = next === null ? at : Math.min(next, at);
    };
    const moving = [...this.moving].flatMap((arn) => {
      const service = this.store.data.services[arn];
      return service ? this.store.taskSetsOf(service, now) : [];
    });
    for (const taskSet of moving) {
      const { running, target, since } = taskSet.fleet;
      const reading = this.store.reading(taskSet, now);
      if (reading.steady) continue;
      if (this.store.isLaunchBlocked(taskSet)) {
        if (reading.pending > 0) consider(since + taskStartMs);
        continue;
      }
      const perStep = target > running ? taskStartMs : taskStopMs;
      const steps = Math.abs(target - running);
      // The next single start or stop, so running counts are fresh for the look that follows.
      const done = perStep <= 0 ? steps : Math.min(steps, Math.floor(Math.max(0, now - since) / perStep));
      if (done < steps) consider(since + (done + 1) * perStep);
    }
    return next;
  }

  private schedule(now: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.nextDue(now);
    if (due === null) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lookAt(this.lookAtAll);
    }, Math.max(MIN_DELAY_MS, due - now));
    // Waiting for a task to start must not keep a process alive.
    this.timer.unref();
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.taskSets.clear();
    this.services.clear();
    this.unsettledTaskSets.clear();
    this.unsettledServices.clear();
    this.touched.clear();
    this.moving.clear();
    this.lookAtAll = false;
  }

  private forget(taskSets: ReadonlySet<string>, services: ReadonlySet<string>): void {
    for (const arn of this.taskSets.keys()) if (!taskSets.has(arn)) this.taskSets.delete(arn);
    for (const arn of this.services.keys()) if (!services.has(arn)) this.services.delete(arn);
  }

  private event(
    eventName: EcsServiceActionEventName,
    service: StoredService,
    at: number,
    taskSet?: StoredTaskSet,
  ): EcsServiceActionEvent {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'ECS Service Action',
      source: 'aws.ecs',
      account: this.store.config.accountId,
      time: isoSeconds(at),
      region: this.store.config.region,
      resources: taskSet ? [service.arn, taskSet.arn] : [service.arn],
      detail: {
        eventType: eventName === 'SERVICE_TASK_START_IMPAIRED' ? 'WARN' : 'INFO',
        eventName,
        clusterArn: service.clusterArn,
        createdAt: new Date(at).toISOString(),
      },
    };
  }

  /** One listener's failure neither stops the others nor reaches the emulator's caller. */
  private announce(event: EcsServiceActionEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(structuredClone(event));
      } catch (error) {
        console.error(`ECS emulator: an event listener failed on ${event.detail.eventName}:`, error);
      }
    }
  }
}
