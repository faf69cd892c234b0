/**
 * The orchestration service as one object, for the entry points (Lambda handlers, the HTTP app, local
 * mode). It holds no logic of its own beyond routing: each concern is a module of this folder
 * (docs/architecture.md, "The orchestration service"):
 *
 * - delivery-intake.ts: a webhook delivery answered after one durable write, its work done afterwards;
 * - intake.ts: registry pushes → rollouts (matching, de-duplication, signature checks), retries;
 * - service-lock.ts: one rollout at a time per service, and the queue behind it;
 * - step-driver.ts: what the workflow's clock calls (advance, recover, the approval wait, resume);
 * - effect-runner.ts: the ECS calls, the lock and the workflow, with the one rollback path;
 * - rollout-writer.ts: transition and save with retry, then tell the listeners;
 * - clock.ts: the one execution that drives a rollout, taken by attempt number;
 * - watchdog.ts: re-drives rollouts whose clock stopped, and makes deadlines act on time.
 */
import type { RolloutInput } from '../core/commands';
import type { Directive } from '../core/directive';
import type { Rollout } from '../core/rollout';
import { RolloutStatus } from '../core/status';
import type { AppConfig, ServiceConfig } from '../config/types';
import type { DeliveryQueue, DeliveryRecord, ProcessedDelivery, ReceivedDelivery, RolloutStore } from '../ports';
import type { ImagePush, IngestResult } from '../webhooks/image-push';
import type { DeliveryInput, DeliveryIntake, DeliveryReceipt } from './delivery-intake';
import { InProcessDeliveryQueue } from './delivery-queue';
import { type OrchestrationContext, type OrchestratorDeps, createContext } from './context';
import { RolloutClock } from './clock';
import { EffectRunner } from './effect-runner';
import type { Intake } from './intake';
import { readRollout } from './rollout-queries';
import { loadOnce } from '../load-once';
import { type RolloutListener, RolloutWriter, type SaveInput } from './rollout-writer';
import { ServiceLock } from './service-lock';
import { describeService } from './service-view';
import { type ClockCall, StepDriver } from './step-driver';
import type { SweepReport, Watchdog } from './watchdog';

export type { ClockCall } from './step-driver';
export type { OrchestratorDeps, OrchestratorOptions } from './context';
export { target } from './context';
export type { RolloutListener } from './rollout-writer';
export type { DeliveryInput, DeliveryReceipt } from './delivery-intake';

export type OperatorCommand = Extract<RolloutInput, { type: 'Approve' | 'Reject' | 'Abort' | 'Promote' | 'Pause' | 'Resume' }>;

export class Orchestrator {
  readonly config: AppConfig;
  private readonly ctx: OrchestrationContext;
  private readonly writer: RolloutWriter;
  private readonly runner: EffectRunner;
  private readonly lock: ServiceLock;
  /** Pushes into rollouts and signature checks: loaded with the first push or pending rollout (most functions never need it). */
  private readonly intake: () => Promise<Intake>;
  private readonly driver: StepDriver;
  private readonly clock: RolloutClock;
  /** Loaded with the first sweep or execution end (docs/architecture.md, "Lambda bundles"): only the watchdog's function and local mode call them. */
  private readonly watchdog: () => Promise<Watchdog>;
  /**
   * Loaded with the first delivery (docs/architecture.md, "Lambda bundles"): the functions of the state
   * machine and the events never take one.
   */
  private readonly deliveries: () => Promise<DeliveryIntake>;
  private readonly deliveryQueue: () => DeliveryQueue;

  constructor(deps: OrchestratorDeps) {
    this.ctx = createContext(deps);
    this.config = deps.config;
    this.writer = new RolloutWriter(this.ctx);
    // The runner and the lock need each other: each gets the other's entry point, bound late.
    const step = (rolloutOrId: Rollout | string, input: SaveInput) => this.runner.step(rolloutOrId, input);
    this.lock = new ServiceLock(this.ctx, this.writer, step);
    this.clock = new RolloutClock(this.ctx, this.writer);
    this.runner = new EffectRunner(this.ctx, this.writer, this.lock, this.clock);
    this.intake = loadOnce(async () => new (await import('./intake')).Intake(this.ctx, this.writer, step, this.lock));
    this.driver = new StepDriver(this.ctx, this.writer, this.runner, this.lock, this.intake, this.clock);
    // The wired queue is read when a delivery is handed over, not now (a Lambda builds its client on first use).
    const local = new InProcessDeliveryQueue((id, received) => this.processDelivery(id, received), this.ctx.log);
    const queue = () => deps.deliveries ?? local;
    this.deliveryQueue = queue;
    this.deliveries = loadOnce(async () => {
      const [{ DeliveryIntake }, intake] = await Promise.all([import('./delivery-intake'), this.intake()]);
      return new DeliveryIntake(this.ctx, intake, { dispatch: (id, received) => queue().dispatch(id, received), answering: () => queue().answering?.() ?? (() => undefined) });
    });
    this.watchdog = loadOnce(async () => {
      const [{ Watchdog }, deliveries] = await Promise.all([import('./watchdog'), this.deliveries()]);
      return new Watchdog(this.ctx, this.writer, this.runner, this.lock, this.clock, deliveries);
    });
  }

  /** Subscribes to saved changes; returns the unsubscribe function. */
  subscribe(listener: RolloutListener): () => void {
    return this.writer.subscribe(listener);
  }

  // ---- queries

  get(id: string): Promise<Rollout> {
    return readRollout(this.ctx.deps.store, id);
  }

  list(query: Parameters<RolloutStore['list']>[0]) {
    return this.ctx.deps.store.list(query);
  }

  serviceConfig(name: string): ServiceConfig {
    return this.ctx.service(name);
  }

  describeService(name: string) {
    return describeService(this.ctx, name);
  }

  // ---- webhooks (delivery-intake.ts, intake.ts)

  /** A webhook delivery: recorded (the one store call), its work handed on; throws DeliveryNotReceivedError (503) when it cannot be recorded. */
  async accept(input: DeliveryInput): Promise<DeliveryReceipt> {
    return (await this.deliveries()).accept(input);
  }

  /** Records the pushes as one delivery and does its work now: the ECR event's path, and tests'. */
  async ingest(pushes: readonly ImagePush[], source = 'ingest'): Promise<IngestResult & { deliveryId: string }> {
    return (await this.deliveries()).ingest({ source, pushes });
  }

  /**
   * Does the work of a received delivery (what a `DeliveryQueue` calls); null when the delivery is unknown.
   * `received`: the record as this process just wrote it, when the queue was handed it (not read back).
   */
  async processDelivery(id: string, received?: ReceivedDelivery): Promise<ProcessedDelivery | null> {
    return (await this.deliveries()).process(id, received);
  }

  /** A delivery and, once processed, its outcome (`GET /deliveries/{id}`). */
  async delivery(id: string): Promise<DeliveryRecord | null> {
    return (await this.deliveries()).get(id);
  }

  /** Dispatches again the deliveries received at least this long ago and not processed. */
  async redispatchDeliveries(olderThanSeconds: number): Promise<string[]> {
    return (await this.deliveries()).redispatch(olderThanSeconds);
  }

  /** Resolves when an in-process delivery queue has nothing to do (at once for a queue that cannot tell, such as Lambda's). */
  deliveriesIdle(): Promise<void> {
    const queue = this.deliveryQueue();
    return 'idle' in queue && typeof queue.idle === 'function' ? (queue.idle as () => Promise<void>).call(queue) : Promise.resolve();
  }

  async checkSignature(rollout: Rollout): Promise<Rollout> {
    return (await this.intake()).checkSignature(rollout);
  }

  async retry(id: string, by: string): Promise<Rollout> {
    return (await this.intake()).retry(id, by);
  }

  // ---- operators and alarms

  /** Approve, reject, abort, promote, pause or resume. Refusals are InvalidTransitionError (409); the record is then unchanged. */
  command(rolloutOrId: Rollout | string, input: OperatorCommand): Promise<Rollout> {
    return this.runner.step(rolloutOrId, input);
  }

  /** An alarm changed state: every active rollout that watches it rolls back now. */
  async alarmChanged(alarm: string, state: string, reason: string | null): Promise<string[]> {
    if (state !== 'ALARM') return [];
    const watching = Object.values(this.config.services).filter((s) => s.alarms.includes(alarm));
    const rolledBack: string[] = [];
    for (const service of watching) {
      const holder = await this.lock.holder(service.name);
      if (!holder) continue;
      const after = await this.runner.step(holder, { type: 'AlarmFired', alarm, reason });
      this.ctx.log.warn('alarm fired', { alarm, rolloutId: holder, service: service.name, status: after.status });
      if (after.status === RolloutStatus.RolledBack || after.status === RolloutStatus.RollingBack || after.status === RolloutStatus.Failed) rolledBack.push(holder);
    }
    return rolledBack;
  }

  // ---- the workflow's clock (step-driver.ts)

  /** `clock`: which execution calls, and its turn of the loop (absent for a caller that is no execution). */
  advance(id: string, clock?: ClockCall, carried?: Rollout | null): Promise<Directive> {
    return this.driver.advance(id, clock, carried);
  }

  /** `version`: the record version the wait's APPROVAL directive was decided from, when the workflow passes it. */
  registerApprovalWait(id: string, taskToken: string, version?: number): Promise<void> {
    return this.driver.registerApprovalWait(id, taskToken, version);
  }

  /**
   * `version`: the record version the wait's STEADY directive was decided from, when the workflow passes
   * it; `converge`: that directive's (the Advance left its weight call's look for newer intents to the wait).
   */
  registerSteadyWait(id: string, taskToken: string, version?: number, converge?: boolean): Promise<void> {
    return this.driver.registerSteadyWait(id, taskToken, version, converge);
  }

  /**
   * An ECS service action event: the rollout of the configured service it names, if it waits for ECS,
   * is woken when ECS is steady. Answers the rollouts woken.
   */
  async ecsChanged(cluster: string, service: string): Promise<string[]> {
    const woken: string[] = [];
    for (const configured of Object.values(this.config.services)) {
      if (configured.service !== service || !sameCluster(configured.cluster, cluster)) continue;
      const id = await this.driver.ecsChanged(configured.name);
      if (id) woken.push(id);
    }
    return woken;
  }

  // ---- the watchdog (watchdog.ts)

  sweep(): Promise<SweepReport> {
    return this.watchdog().then((w) => w.sweep());
  }

  /** `output`: the execution's output, when its status-change event carries it; `status`: how it ended. */
  executionEnded(executionName: string, output?: string | null, status?: string): Promise<string | null> {
    return this.watchdog().then((w) => w.executionEnded(executionName, output, status));
  }

  recover(id: string, message: string, clock?: ClockCall): Promise<Directive> {
    return this.driver.recover(id, message, clock);
  }

  resume(): Promise<string[]> {
    return this.driver.resume();
  }
}

/** A configured cluster (a name or an ARN) and the name an ECS event gives. */
function sameCluster(configured: string, name: string): boolean {
  return configured === name || configured.endsWith(`:cluster/${name}`);
}
