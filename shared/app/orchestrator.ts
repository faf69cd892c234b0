/**
 * The application service: loads a rollout, asks the pure core what an input means, saves the result
 * under the optimistic lock, then runs the effects the core asked for. Webhooks, the API, the alarm
 * handler and the workflow's step handler (`advance`) all go through here: one rollout logic.
 */
import type { AppConfig, ServiceConfig } from '../config/types';
import type { Effect, RolloutInput } from '../core/commands';
import { createRollout } from '../core/create-rollout';
import { type Directive, nextDirective } from '../core/directive';
import type { Rollout } from '../core/rollout';
import { RolloutStatus, isTerminal } from '../core/status';
import { transition } from '../core/transition';
import { InvalidTransitionError, NotFoundError, RolloutError, RolloutNotFoundError, VersionConflictError } from '../errors';
import type { EcsDeployer, EcsTarget, RolloutStore, SignatureVerifier, Workflow } from '../ports';
import { newRolloutId } from './ids';
import { type ImagePush, deliveryKey, servicesForRepository, signedDigestOfTag, tagDeploys } from './image-push';
import { type Logger, silentLogger } from './logger';

export interface OrchestratorOptions {
  /** Seconds between looks at ECS while waiting for steady state (Step Functions Wait). Default 5. */
  readonly steadyPollSeconds?: number;
  /** How long a (service, digest) delivery is remembered, in seconds. Default 7 days. */
  readonly deliveryTtlSeconds?: number;
  /** Attempts at an ECS rollback before the rollout is FAILED. Default 3. */
  readonly rollbackAttempts?: number;
  /** Pause between rollback attempts, in ms. Default 500. */
  readonly rollbackBackoffMs?: number;
  /** A ROLLING_BACK record untouched this long is taken to have lost its actor, and the workflow re-drives it. Default 30 s. */
  readonly staleRollbackSeconds?: number;
}

export interface OrchestratorDeps {
  readonly config: AppConfig;
  readonly store: RolloutStore;
  readonly ecs: EcsDeployer;
  readonly verifier: SignatureVerifier;
  readonly workflow: Workflow;
  readonly clock?: () => Date;
  readonly newId?: (now: Date) => string;
  readonly logger?: Logger;
  readonly options?: OrchestratorOptions;
}

export interface Accepted {
  readonly rolloutId: string;
  readonly service: string;
  readonly status: Rollout['status'];
}
export interface Ignored {
  readonly reason: string;
  readonly service?: string;
  readonly repository?: string;
  readonly tag?: string | null;
  readonly digest?: string;
  readonly rolloutId?: string;
}
export interface IngestResult {
  readonly accepted: Accepted[];
  readonly ignored: Ignored[];
}

export type OperatorCommand = Extract<RolloutInput, { type: 'Approve' | 'Reject' | 'Abort' | 'Promote' }>;

const MAX_SAVE_ATTEMPTS = 8;

export class Orchestrator {
  readonly config: AppConfig;
  private readonly store: RolloutStore;
  private readonly ecs: EcsDeployer;
  private readonly verifier: SignatureVerifier;
  private readonly workflow: Workflow;
  private readonly clock: () => Date;
  private readonly newId: (now: Date) => string;
  private readonly log: Logger;
  private readonly opts: Required<OrchestratorOptions>;

  constructor(deps: OrchestratorDeps) {
    this.config = deps.config;
    this.store = deps.store;
    this.ecs = deps.ecs;
    this.verifier = deps.verifier;
    this.workflow = deps.workflow;
    this.clock = deps.clock ?? (() => new Date());
    this.newId = deps.newId ?? newRolloutId;
    this.log = deps.logger ?? silentLogger;
    this.opts = {
      steadyPollSeconds: 5,
      deliveryTtlSeconds: 7 * 24 * 3600,
      rollbackAttempts: 3,
      rollbackBackoffMs: 500,
      staleRollbackSeconds: 30,
      ...deps.options,
    };
  }

  // ---- queries ---------------------------------------------------------------------------------

  get(id: string): Promise<Rollout> {
    return this.store.get(id);
  }

  list(query: Parameters<RolloutStore['list']>[0]) {
    return this.store.list(query);
  }

  serviceConfig(name: string): ServiceConfig {
    const service = this.config.services[name];
    if (!service) throw new NotFoundError(`service ${name} is not configured`);
    return service;
  }

  /** A configured service with the digest ECS runs now and the rollout holding its lock. */
  async describeService(name: string) {
    const service = this.serviceConfig(name);
    const [view, activeRollout] = await Promise.all([
      this.ecs.describe(target(service)).then(
        (v) => ({ ok: true as const, v }),
        (e: unknown) => ({ ok: false as const, error: e instanceof Error ? e.message : String(e) }),
      ),
      this.store.lockHolder(name),
    ]);
    return {
      name,
      cluster: service.cluster,
      service: service.service,
      image: service.image,
      stable: view.ok ? (view.v.primary?.digest ?? null) : null,
      stableImage: view.ok ? (view.v.primary?.image ?? null) : null,
      activeRollout,
      steps: service.steps,
      alarms: service.alarms,
      ...(view.ok ? {} : { ecsError: view.error }),
    };
  }

  // ---- webhooks --------------------------------------------------------------------------------

  /** Starts a rollout for each configured service an image push matches; resumes rollouts a signature push completes. */
  async ingest(pushes: readonly ImagePush[]): Promise<IngestResult> {
    const result: IngestResult = { accepted: [], ignored: [] };
    for (const push of pushes) {
      const services = servicesForRepository(this.config, push.registry, push.repository);
      if (services.length === 0) {
        result.ignored.push({ reason: `no configured service deploys ${push.registry}/${push.repository}`, repository: push.repository, tag: push.tag, digest: push.digest });
        continue;
      }
      const signed = signedDigestOfTag(push.tag);
      for (const service of services) {
        const outcome = signed ? await this.ingestSignature(service, signed) : await this.ingestImage(service, push);
        if ('status' in outcome) result.accepted.push(outcome);
        else result.ignored.push(outcome);
      }
    }
    return result;
  }

  private async ingestImage(service: ServiceConfig, push: ImagePush): Promise<Accepted | Ignored> {
    const about = { service: service.name, tag: push.tag, digest: push.digest };
    const verdict = tagDeploys(service, push.tag);
    if (!verdict.deploys) return { ...about, reason: verdict.reason };
    const stable = await this.ecs.describe(target(service)).then((v) => v.primary?.digest ?? null, () => null);
    if (stable === push.digest) return { ...about, reason: `${push.digest} is already the stable image of ${service.name}` };

    const now = this.clock();
    const key = deliveryKey(service.name, push.digest);
    let id = this.newId(now);
    const claim = await this.store.claimDelivery(key, id, this.opts.deliveryTtlSeconds);
    if (!claim.claimed) {
      const existing = await this.store.get(claim.rolloutId).catch((e: unknown) => {
        if (e instanceof RolloutNotFoundError) return null;
        throw e;
      });
      if (existing) return { ...about, rolloutId: existing.id, reason: `duplicate delivery: rollout ${existing.id} already deploys this digest (${existing.status})` };
      // The claim was taken but its record never written (a crash in between): finish that creation.
      id = claim.rolloutId;
    }
    const rollout = createRollout(
      { id, service: service.name, image: { registry: service.registry, repository: service.repository, tag: push.tag, digest: push.digest }, steps: service.steps, source: push.source },
      now,
    );
    try {
      await this.store.create(rollout);
    } catch (e) {
      if (e instanceof VersionConflictError) return { ...about, rolloutId: id, reason: `duplicate delivery: rollout ${id} already deploys this digest` };
      throw e;
    }
    this.log.info('rollout created', { rolloutId: id, service: service.name, digest: push.digest, tag: push.tag });
    const after = await this.checkSignature(rollout);
    return { rolloutId: id, service: service.name, status: after.status };
  }

  private async ingestSignature(service: ServiceConfig, digest: string): Promise<Accepted | Ignored> {
    const about = { service: service.name, digest };
    const owner = await this.store.deliveryOwner(deliveryKey(service.name, digest));
    if (!owner) return { ...about, reason: `signature for ${digest}, which no rollout of ${service.name} waits for` };
    const rollout = await this.store.get(owner);
    if (rollout.status !== RolloutStatus.Pending || rollout.signature) {
      return { ...about, rolloutId: owner, reason: `signature for rollout ${owner}, which is ${rollout.status} and not waiting for one` };
    }
    const after = await this.checkSignature(rollout);
    return { rolloutId: owner, service: service.name, status: after.status };
  }

  /** Verifies the image against the service's keys, from the registry in the config only. */
  async checkSignature(rollout: Rollout): Promise<Rollout> {
    const service = this.serviceConfig(rollout.service);
    let input: RolloutInput;
    try {
      const verdict = await this.verifier.verify(
        { registry: service.registry, repository: service.repository, digest: rollout.image.digest, keys: service.verify.keys },
        this.clock(),
      );
      input =
        verdict.outcome === 'verified'
          ? { type: 'SignatureVerified', signature: verdict.signature }
          : verdict.outcome === 'missing'
            ? { type: 'SignatureMissing', detail: verdict.detail }
            : { type: 'SignatureRejected', reason: verdict.reason };
    } catch (e) {
      // An unreachable registry is no verdict: the rollout keeps waiting and the next signature push retries.
      this.log.warn('signature check failed', { rolloutId: rollout.id, error: e });
      input = { type: 'SignatureMissing', detail: `could not check the registry: ${e instanceof Error ? e.message : String(e)}` };
    }
    return this.step(rollout, input);
  }

  // ---- operators and alarms --------------------------------------------------------------------

  /** Approve, reject, abort or promote. Refusals are InvalidTransitionError (409); the record is then unchanged. */
  command(id: string, input: OperatorCommand): Promise<Rollout> {
    return this.step(id, input);
  }

  /**
   * Starts the image of a ROLLED_BACK rollout again, from stable, as a new rollout (its signature is
   * checked again: keys may have been rotated since).
   */
  async retry(id: string, by: string): Promise<Rollout> {
    const original = await this.store.get(id);
    if (original.status !== RolloutStatus.RolledBack) {
      throw new InvalidTransitionError(`cannot retry rollout ${id}: it is ${original.status}, and only ROLLED_BACK rollouts can be`);
    }
    const service = this.serviceConfig(original.service);
    const now = this.clock();
    const rollout = createRollout(
      { id: this.newId(now), service: service.name, image: original.image, steps: service.steps, source: `retry of rollout ${id} by ${by}` },
      now,
    );
    // No delivery claim: the original keeps it, so repeated pushes of this digest still count as duplicates.
    await this.store.create(rollout);
    return this.checkSignature(rollout);
  }

  /** An alarm changed state: every active rollout that watches it rolls back now. */
  async alarmChanged(alarm: string, state: string, reason: string | null): Promise<string[]> {
    if (state !== 'ALARM') return [];
    const watching = Object.values(this.config.services).filter((s) => s.alarms.includes(alarm));
    const rolledBack: string[] = [];
    for (const service of watching) {
      const holder = await this.store.lockHolder(service.name);
      if (!holder) continue;
      const after = await this.step(holder, { type: 'AlarmFired', alarm, reason });
      this.log.warn('alarm fired', { alarm, rolloutId: holder, service: service.name, status: after.status });
      if (after.status === RolloutStatus.RolledBack || after.status === RolloutStatus.RollingBack || after.status === RolloutStatus.Failed) rolledBack.push(holder);
    }
    return rolledBack;
  }

  // ---- the workflow's step handler -------------------------------------------------------------

  /**
   * Moves the rollout as far as it can go now and tells the workflow what to wait for next.
   * Safe to call at any time and any number of times: it only acts on what the record says.
   */
  async advance(id: string): Promise<Directive> {
    let rollout = await this.store.get(id);
    for (let guard = 0; guard < 4 * rollout.steps.length + 8; guard++) {
      const now = this.clock();
      if (rollout.status === RolloutStatus.RollingBack) {
        const idle = (now.getTime() - Date.parse(rollout.updatedAt)) / 1000;
        if (idle < this.opts.staleRollbackSeconds) return { next: 'WAIT', seconds: this.opts.steadyPollSeconds, for: 'steady' };
        rollout = await this.runEffects(rollout, [{ type: 'rollback' }]);
        continue;
      }
      const ticked = await this.save(rollout, { type: 'Tick' });
      rollout = await this.runEffects(ticked.rollout, ticked.effects);
      if (rollout.status === RolloutStatus.Progressing && rollout.wait?.for === 'steady') {
        if (await this.reachedSteadyState(rollout)) {
          rollout = await this.step(rollout, { type: 'Steady' });
          continue;
        }
        rollout = await this.store.get(id);
      }
      const directive = nextDirective(rollout, this.clock(), { steadyPollSeconds: this.opts.steadyPollSeconds });
      if (directive.next === 'WAIT' && directive.for === 'bake' && directive.seconds === 0) continue;
      if (directive.next === 'WAIT' && rollout.wait?.for !== 'steady' && rollout.wait?.for !== 'bake' && rollout.status === RolloutStatus.Progressing) continue;
      return directive;
    }
    return nextDirective(rollout, this.clock(), { steadyPollSeconds: this.opts.steadyPollSeconds });
  }

  /** Step Functions' AwaitApproval task: keeps the token on the paused rollout (or answers it when no longer paused). */
  async registerApprovalWait(id: string, taskToken: string): Promise<void> {
    await this.step(id, { type: 'ApprovalWaitStarted', taskToken });
  }

  /**
   * The workflow's catch-all: a step failed beyond its retries. Rolls an active rollout back (or
   * re-drives an interrupted rollback) and tells the workflow what to do next.
   */
  async recover(id: string, message: string): Promise<Directive> {
    let rollout = await this.step(id, { type: 'WorkflowFailed', message });
    if (rollout.status === RolloutStatus.RollingBack) rollout = await this.runEffects(rollout, [{ type: 'rollback' }]);
    return nextDirective(rollout, this.clock(), { steadyPollSeconds: this.opts.steadyPollSeconds });
  }

  /** Local restart: every rollout that holds a lock goes back to its workflow; queues move on. */
  async resume(): Promise<string[]> {
    const resumed: string[] = [];
    for (const name of Object.keys(this.config.services)) {
      const holder = await this.store.lockHolder(name);
      if (holder) {
        const rollout = await this.store.get(holder).catch(() => null);
        if (rollout && !isTerminal(rollout.status) && rollout.status !== RolloutStatus.Pending) {
          await this.workflow.start(holder);
          resumed.push(holder);
          continue;
        }
        // The holder ended (or never started) but died before letting go: let go now.
        await this.store.releaseLock(name, holder);
      }
      await this.startNextQueued(name);
    }
    return resumed;
  }

  // ---- saving and effects ----------------------------------------------------------------------

  /** Transition, save (re-deciding on a version conflict), then run the effects. Returns the latest record. */
  private async step(rolloutOrId: Rollout | string, input: RolloutInput): Promise<Rollout> {
    const { rollout, effects } = await this.save(rolloutOrId, input);
    return this.runEffects(rollout, effects);
  }

  private async save(rolloutOrId: Rollout | string, input: RolloutInput) {
    let current = typeof rolloutOrId === 'string' ? await this.store.get(rolloutOrId) : rolloutOrId;
    for (let attempt = 1; ; attempt++) {
      const result = transition(current, input, this.clock());
      if (!result.changed) return result;
      try {
        await this.store.save(result.rollout);
        return result;
      } catch (e) {
        if (!(e instanceof VersionConflictError) || attempt >= MAX_SAVE_ATTEMPTS) throw e;
        current = await this.store.get(current.id);
      }
    }
  }

  private async runEffects(rollout: Rollout, effects: readonly Effect[]): Promise<Rollout> {
    let latest = rollout;
    for (const effect of effects) {
      switch (effect.type) {
        case 'acquireLock':
          latest = await this.acquireLock(latest);
          break;
        case 'startWorkflow':
          await this.workflow.start(latest.id);
          break;
        case 'wakeWorkflow':
          await this.workflow.wake(latest, effect.taskToken);
          break;
        case 'createCanary':
          latest = await this.createCanary(latest);
          break;
        case 'applyWeight':
          latest = await this.applyWeight(latest);
          break;
        case 'promote':
          latest = await this.ecsThen(latest, 'promote', (t, r) => this.ecs.promote(t, { stableTaskSetId: r.ecs.stableTaskSetId!, canaryTaskSetId: r.ecs.canaryTaskSetId! }), { type: 'Promoted' });
          break;
        case 'rollback':
          latest = await this.rollback(latest);
          break;
        case 'releaseLock':
          await this.store.releaseLock(latest.service, latest.id);
          await this.startNextQueued(latest.service);
          break;
      }
    }
    return latest;
  }

  private async acquireLock(rollout: Rollout): Promise<Rollout> {
    const service = this.serviceConfig(rollout.service);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.store.acquireLock(service.name, rollout.id)) {
        const view = await this.ecs.describe(target(service)).catch((e: unknown) => e as Error);
        if (view instanceof Error) return this.step(rollout.id, { type: 'StartFailed', reason: view.message });
        if (!view.primary) return this.step(rollout.id, { type: 'StartFailed', reason: `ECS service ${service.cluster}/${service.service} has no PRIMARY task set to roll back to` });
        return this.step(rollout.id, { type: 'Started', stableTaskSetId: view.primary.id, stableDigest: view.primary.digest });
      }
      const holder = await this.store.lockHolder(service.name);
      if (holder === null) continue; // released between our two reads: try again
      const queued = await this.step(rollout.id, { type: 'Queued', behind: holder });
      // The holder may have ended and looked for queued rollouts before ours was recorded as queued.
      if ((await this.store.lockHolder(service.name)) !== null) return queued;
    }
    return this.store.get(rollout.id);
  }

  private async startNextQueued(service: string): Promise<void> {
    if ((await this.store.lockHolder(service)) !== null) return;
    const page = await this.store.list({ service, status: RolloutStatus.Pending, limit: 100 });
    const next = [...page.items].reverse().find((r) => r.signature && r.wait?.for === 'lock');
    if (next) await this.runEffects(next, [{ type: 'acquireLock' }]);
  }

  private createCanary(rollout: Rollout): Promise<Rollout> {
    const image = `${rollout.image.registry}/${rollout.image.repository}@${rollout.image.digest}`;
    return this.ecsCall(rollout, 'createCanary', async (t, r) => {
      const canary = await this.ecs.createCanary(t, { rolloutId: r.id, image, stableTaskSetId: r.ecs.stableTaskSetId! });
      return this.step(r.id, { type: 'CanaryCreated', taskSetId: canary.taskSetId, taskDefinitionArn: canary.taskDefinitionArn });
    });
  }

  /** Makes ECS match the recorded weight, then follows the record if another actor changed it meanwhile. */
  private async applyWeight(rollout: Rollout): Promise<Rollout> {
    return this.ecsCall(rollout, 'setWeights', async (t, r) => {
      await this.setWeights(t, r);
      const latest = await this.store.get(r.id);
      if (latest.status === RolloutStatus.RollingBack || latest.status === RolloutStatus.RolledBack) {
        // A rollback was recorded while our call was in flight; it may have run before ours landed.
        await this.ecs.rollback(t, { stableTaskSetId: latest.ecs.stableTaskSetId!, canaryTaskSetId: latest.ecs.canaryTaskSetId });
      }
      return latest;
    });
  }

  private setWeights(t: EcsTarget, r: Rollout): Promise<void> {
    return this.ecs.setWeights(t, { stableTaskSetId: r.ecs.stableTaskSetId!, canaryTaskSetId: r.ecs.canaryTaskSetId!, canaryWeight: r.canaryWeight });
  }

  /** True when both task sets run at the recorded weight and are steady; re-applies the weight if ECS drifted from it. */
  private async reachedSteadyState(rollout: Rollout): Promise<boolean> {
    const t = target(this.serviceConfig(rollout.service));
    let view;
    try {
      view = await this.ecs.describe(t);
    } catch (e) {
      this.log.warn('describe failed while waiting for steady state', { rolloutId: rollout.id, error: e });
      return false;
    }
    const canary = view.taskSets.find((s) => s.id === rollout.ecs.canaryTaskSetId);
    const stable = view.taskSets.find((s) => s.id === rollout.ecs.stableTaskSetId);
    if (!canary) {
      await this.step(rollout.id, { type: 'EcsFailed', message: `canary task set ${rollout.ecs.canaryTaskSetId} disappeared from ${t.cluster}/${t.service}` });
      return false;
    }
    if (canary.scale !== rollout.canaryWeight || (stable && stable.scale !== 100 - rollout.canaryWeight)) {
      await this.applyWeight(rollout);
      return false;
    }
    return canary.steady && (stable?.steady ?? true);
  }

  private async rollback(rollout: Rollout): Promise<Rollout> {
    const t = target(this.serviceConfig(rollout.service));
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.opts.rollbackAttempts; attempt++) {
      try {
        if (rollout.ecs.stableTaskSetId) {
          await this.ecs.rollback(t, { stableTaskSetId: rollout.ecs.stableTaskSetId, canaryTaskSetId: rollout.ecs.canaryTaskSetId });
        }
        return this.step(rollout.id, { type: 'RolledBack' });
      } catch (e) {
        lastError = e;
        this.log.warn('rollback attempt failed', { rolloutId: rollout.id, attempt, error: e });
        if (attempt < this.opts.rollbackAttempts) await sleep(this.opts.rollbackBackoffMs * attempt);
      }
    }
    return this.step(rollout.id, { type: 'RollbackFailed', message: lastError instanceof Error ? lastError.message : String(lastError) });
  }

  private ecsThen(rollout: Rollout, what: string, call: (t: EcsTarget, r: Rollout) => Promise<void>, then: RolloutInput): Promise<Rollout> {
    return this.ecsCall(rollout, what, async (t, r) => {
      await call(t, r);
      return this.step(r.id, then);
    });
  }

  /** Runs an ECS call for the rollout; a failure becomes EcsFailed, which rolls the rollout back. */
  private async ecsCall(rollout: Rollout, what: string, call: (t: EcsTarget, r: Rollout) => Promise<Rollout>): Promise<Rollout> {
    const t = target(this.serviceConfig(rollout.service));
    try {
      return await call(t, rollout);
    } catch (e) {
      if (e instanceof RolloutError && !(e.status >= 500)) throw e;
      const message = e instanceof Error ? e.message : String(e);
      this.log.error('ECS call failed', { rolloutId: rollout.id, call: what, error: e });
      return this.step(rollout.id, { type: 'EcsFailed', message: `${what}: ${message}` });
    }
  }
}

export function target(service: ServiceConfig): EcsTarget {
  return { cluster: service.cluster, service: service.service, ...(service.container ? { container: service.container } : {}) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
