/**
 * Task sets behind a load balancer, as ECS runs them: a task set created with `loadBalancers` registers
 * each of its running tasks as a target of its target group (one per task set under the EXTERNAL
 * controller), and is steady only once those targets are healthy. A task that leaves (scale down,
 * deleted set) is deregistered first and keeps running while it drains for the group's
 * deregistration delay, so the set's running count includes it and the set is not steady until it
 * has drained. Time-driven like the fleet (`fleet.ts`): registrations are reconciled whenever the
 * task set is read, at the instants its tasks started or stopped.
 *
 * The target groups live in a load balancer (in local mode and the tests, the ELBv2 stand-in), reached
 * through `TargetRegistry`; a task set whose group the load balancer does not know is never steady.
 * Target ids are private IPv4 addresses (awsvpc tasks register by IP). Registrations are kept in
 * memory: after a restart, the tasks running then register again as long-healthy targets.
 */
import type { FleetRates, FleetReading } from './fleet';
import type { StoredTaskSet } from './types';

export interface TargetHealthNow {
  readonly state: string;
  /** When the state changes by itself (healthy, drained), or null. */
  readonly changesAt: number | null;
}

/** What the coupling needs of a load balancer. */
export interface TargetRegistry {
  hasTargetGroup(targetGroupArn: string): boolean;
  register(targetGroupArn: string, targets: readonly { readonly id: string; readonly port?: number }[], at: number): void;
  deregister(targetGroupArn: string, ids: readonly string[], at: number): void;
  /** Null once the target is not registered (or has drained). */
  targetHealth(targetGroupArn: string, id: string, now: number): TargetHealthNow | null;
}

interface Membership {
  readonly targetGroupArn: string;
  readonly port: number | undefined;
  /** Targets of running tasks, oldest first. */
  readonly serving: string[];
  /** Targets deregistered and still draining: their tasks still run. */
  leaving: string[];
}

export class LoadBalancerCoupling {
  private readonly members = new Map<string, Membership>();
  private nextAddress = 1;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly registry: TargetRegistry,
    private readonly rates: FleetRates,
    /** Called when a target's health or drain is due to change, so the emulator looks for steady states. */
    private readonly onDue: () => void,
  ) {}

  /** The task set's reading with its load balancer's view: draining tasks still run, steady only when every target is healthy. */
  adjust(taskSet: StoredTaskSet, reading: FleetReading, now: number): FleetReading {
    const membership = this.membership(taskSet);
    if (!membership) return reading;
    const { targetGroupArn } = membership;
    if (!this.registry.hasTargetGroup(targetGroupArn)) return { ...reading, steady: false };
    this.reconcile(taskSet, membership, reading.running, now);
    membership.leaving = membership.leaving.filter((id) => this.registry.targetHealth(targetGroupArn, id, now) !== null);
    let due = Infinity;
    let healthy = true;
    for (const id of [...membership.serving, ...membership.leaving]) {
      const health = this.registry.targetHealth(targetGroupArn, id, now);
      if (health?.state !== 'healthy') healthy = false;
      if (health?.changesAt != null) due = Math.min(due, health.changesAt);
    }
    const draining = membership.leaving.length;
    if (due !== Infinity) this.wakeAt(due, now);
    const steady = reading.steady && healthy && draining === 0;
    return { running: reading.running + draining, pending: reading.pending, steady, statusAt: steady === reading.steady ? reading.statusAt : now };
  }

  private membership(taskSet: StoredTaskSet): Membership | undefined {
    const existing = this.members.get(taskSet.arn);
    if (existing) return existing;
    const loadBalancer = taskSet.loadBalancers?.find((lb) => lb.targetGroupArn);
    if (!loadBalancer?.targetGroupArn) return undefined;
    const membership: Membership = { targetGroupArn: loadBalancer.targetGroupArn, port: loadBalancer.containerPort, serving: [], leaving: [] };
    this.members.set(taskSet.arn, membership);
    return membership;
  }

  /** Registers started tasks and deregisters stopped ones, each at the instant the fleet says it happened. */
  private reconcile(taskSet: StoredTaskSet, membership: Membership, running: number, now: number): void {
    const { fleet } = taskSet;
    while (membership.serving.length < running) {
      // The k-th task started since the fleet's anchor started at since + k × taskStartMs.
      const k = membership.serving.length - fleet.running + 1;
      // A task already running at the anchor and never registered predates the coupling (a seeded set
      // is born steady, a restart keeps running tasks): it has long been a healthy target.
      const at = k >= 1 ? Math.min(now, fleet.since + k * this.rates.taskStartMs) : 0;
      const id = this.address();
      this.registry.register(membership.targetGroupArn, [{ id, port: membership.port }], at);
      membership.serving.push(id);
    }
    while (membership.serving.length > running) {
      const k = fleet.running - membership.serving.length + 1;
      const at = k >= 1 ? Math.min(now, fleet.since + k * this.rates.taskStopMs) : now;
      const id = membership.serving.pop()!;
      this.registry.deregister(membership.targetGroupArn, [id], at);
      membership.leaving.push(id);
    }
  }

  private address(): string {
    const n = this.nextAddress++;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }

  /** One timer, for the earliest health or drain milestone ahead. */
  private wakeAt(at: number, now: number): void {
    if (at <= now || at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.onDue();
    }, at - now + 5);
    this.timer.unref();
  }

  /** Stops the timer (tests). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
