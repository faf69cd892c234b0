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
import { RolloutStatus, holdsEcs, isTerminal } from '../core/status';
import { transition } from '../core/transition';
import { InvalidTransitionError, NotFoundError, RolloutNotFoundError, VersionConflictError } from '../errors';
import type { Alarms, EcsDeployer, EcsTarget, RolloutStore, SignatureVerifier, VerificationResult, Workflow } from '../ports';
import { DEFAULT_WAIT_FOR_SECONDS, signatureWaitInput } from '../core/signature-deadline';
import { ROLLOUT_ID_PATTERN, newRolloutId } from '../core/ids';
import { type Accepted, type Ignored, type ImagePush, type IngestResult, deliveryKey, servicesForRepository, signedDigestOfTag, tagDeploys } from '../webhooks/image-push';
import { type Logger, silentLogger } from '../observability/logger';
import { findStableTag, newerThanStableVerdict } from '../webhooks/tag-policy';

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
  /** Pauses before looking again for a signature that a .sig push announced but the registry did not serve yet. Default 250, 500, 1000 ms. */
  readonly signatureRecheckMs?: readonly number[];
}

export interface OrchestratorDeps {
  readonly config: AppConfig;
  readonly store: RolloutStore;
  readonly ecs: EcsDeployer;
  readonly verifier: SignatureVerifier;
  readonly workflow: Workflow;
  /** Read before each step; alarm events act at once whether or not this is wired. */
  readonly alarms?: Alarms;
  readonly clock?: () => Date;
  readonly newId?: (now: Date) => string;
  readonly logger?: Logger;
  readonly options?: OrchestratorOptions;
}

export type OperatorCommand = Extract<RolloutInput, { type: 'Approve' | 'Reject' | 'Abort' | 'Promote' }>;

/**
 * Told about every saved change of a rollout, after the save: the dashboard's live updates,
 * notifications, metrics. A listener that throws is logged and does not fail the change.
 */
export type RolloutListener = (rollout: Rollout, previous: Rollout) => void | Promise<void>;

const MAX_SAVE_ATTEMPTS = 8;

export class Orchestrator {
  readonly config: AppConfig;
  private readonly store: RolloutStore;
  private readonly ecs: EcsDeployer;
  private readonly verifier: SignatureVerifier;
  private readonly workflow: Workflow;
  private readonly alarms: Alarms | undefined;
  private readonly clock: () => Date;
  private readonly newId: (now: Date) => string;
  private readonly log: Logger;
  private readonly opts: Required<OrchestratorOptions>;
  private readonly listeners = new Set<RolloutListener>();

  constructor(deps: OrchestratorDeps) {
    this.config = deps.config;
    this.store = deps.store;
    this.ecs = deps.ecs;
    this.verifier = deps.verifier;
    this.workflow = deps.workflow;
    this.alarms = deps.alarms;
    this.clock = deps.clock ?? (() => new Date());
    this.newId = deps.newId ?? newRolloutId;
    this.log = deps.logger ?? silentLogger;
    this.opts = {
      steadyPollSeconds: 5,
      deliveryTtlSeconds: 7 * 24 * 3600,
      rollbackAttempts: 3,
      rollbackBackoffMs: 500,
      staleRollbackSeconds: 30,
      signatureRecheckMs: [250, 500, 1000],
      ...deps.options,
    };
  }

  /** Subscribes to saved changes; returns the unsubscribe function. */
  subscribe(listener: RolloutListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- queries ---------------------------------------------------------------------------------

  get(id: string): Promise<Rollout> {
    // Ids are ours: anything else cannot exist, and must not reach the store as a key.
    if (!ROLLOUT_ID_PATTERN.test(id)) return Promise.reject(new RolloutNotFoundError(id.slice(0, 64)));
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
    let source = push.source;
    if (service.tagPolicy?.newerThanStable) {
      // Per service, here rather than at the route, so every source (the ECR Lambda too) is held to it
      // and one service's refusal does not hold back another built from the same image.
      const stableTag = await findStableTag(this, service.name).catch((e: unknown) => ({ digest: stable, tag: null, how: `reading it failed: ${e instanceof Error ? e.message : String(e)}` }));
      const verdict = newerThanStableVerdict(service, push.tag, stableTag);
      if (!verdict.deploys) return { ...about, reason: verdict.reason };
      if (verdict.note) source = `${source}; ${verdict.note}`;
    }

    const now = this.clock();
    const key = deliveryKey(service.name, push.digest);
    let id = this.newId(now);
    const claim = await this.store.claimDelivery(key, id, this.opts.deliveryTtlSeconds);
    if (!claim.claimed) {
      const existing = await this.findRollout(claim.rolloutId);
      if (existing && existing.status === RolloutStatus.Rejected) {
        // A refused image may come back re-signed (or after a key was added): a new push is a new try.
        // A ROLLED_BACK one may not: redeploying a bad image takes an explicit retry.
        if (!(await this.store.takeOverDelivery(key, existing.id, id, this.opts.deliveryTtlSeconds))) {
          return { ...about, rolloutId: existing.id, reason: `duplicate delivery: another delivery is retrying rejected rollout ${existing.id}` };
        }
      } else if (existing) {
        // A duplicate may be the nudge a rollout waiting for its signature needs (the registry had not linked the .sig tag yet).
        const now = existing.status === RolloutStatus.Pending && !existing.signature ? await this.checkSignature(existing) : existing;
        return { ...about, rolloutId: existing.id, reason: `duplicate delivery: rollout ${existing.id} already deploys this digest (${now.status})` };
      } else {
        // The claim was taken but its record never written (a crash in between): finish that creation.
        id = claim.rolloutId;
      }
    }
    const rollout = createRollout(
      { id, service: service.name, image: { registry: service.registry, repository: service.repository, tag: push.tag, digest: push.digest }, source, ...planOf(service) },
      now,
    );
    try {
      await this.store.create(rollout);
      await this.tell(rollout, rollout);
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
    const rollout = owner ? await this.findRollout(owner) : null;
    if (!rollout) return { ...about, reason: `signature for ${digest}, which no rollout of ${service.name} waits for` };
    if (rollout.status !== RolloutStatus.Pending || rollout.signature) {
      return { ...about, rolloutId: rollout.id, reason: `signature for rollout ${rollout.id}, which is ${rollout.status} and not waiting for one` };
    }
    // A registry may notify before the .sig tag resolves: look again a few times before waiting on.
    let after = await this.checkSignature(rollout);
    for (const delayMs of this.opts.signatureRecheckMs) {
      if (after.status !== RolloutStatus.Pending || after.signature) break;
      await sleep(delayMs);
      after = await this.checkSignature(after);
    }
    return { rolloutId: rollout.id, service: service.name, status: after.status };
  }

  private findRollout(id: string): Promise<Rollout | null> {
    return this.store.get(id).catch((e: unknown) => {
      if (e instanceof RolloutNotFoundError) return null;
      throw e;
    });
  }

  /** Verifies the image against the service's keys, from the registry in the config only. */
  async checkSignature(rollout: Rollout): Promise<Rollout> {
    const service = this.serviceConfig(rollout.service);
    let verdict: VerificationResult;
    try {
      verdict = await this.verifier.verify(
        { registry: service.registry, repository: service.repository, digest: rollout.image.digest, keys: service.verify.keys, policy: service.verify },
        this.clock(),
      );
    } catch (e) {
      // An unreachable registry is no verdict: the rollout keeps waiting (until verify.waitFor) and looks again.
      this.log.warn('signature check failed', { rolloutId: rollout.id, error: e });
      verdict = { outcome: 'missing', detail: `could not check the registry: ${e instanceof Error ? e.message : String(e)}` };
    }
    return this.step(rollout, signatureWaitInput(verdict, rollout, this.clock(), service.verify.waitForSeconds ?? DEFAULT_WAIT_FOR_SECONDS));
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
      { id: this.newId(now), service: service.name, image: original.image, source: `retry of rollout ${id} by ${by}`, ...planOf(service) },
      now,
    );
    // No delivery claim: the original keeps it, so repeated pushes of this digest still count as duplicates.
    await this.store.create(rollout);
    await this.tell(rollout, rollout);
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
    const directiveOptions = { steadyPollSeconds: this.opts.steadyPollSeconds };
    for (let guard = 0; guard < 4 * rollout.steps.length + 8; guard++) {
      const now = this.clock();
      if (isTerminal(rollout.status)) {
        await this.letGoIfEnded(rollout);
        break;
      }
      if (rollout.status === RolloutStatus.Pending) {
        if (rollout.wait?.for === 'signature' && !rollout.signature) rollout = await this.checkSignature(rollout);
        if (rollout.status === RolloutStatus.Pending) break;
        continue;
      }
      if (rollout.status === RolloutStatus.RollingBack) {
        const idle = (now.getTime() - Date.parse(rollout.updatedAt)) / 1000;
        if (idle < this.opts.staleRollbackSeconds) return { next: 'WAIT', seconds: this.opts.steadyPollSeconds, for: 'steady' };
        rollout = await this.runEffects(rollout, [{ type: 'rollback' }]);
        continue;
      }
      if (rollout.status === RolloutStatus.Progressing || rollout.status === RolloutStatus.Paused) {
        const verdict = await this.checkBeforeStep(rollout);
        if (verdict) {
          const after = await this.step(rollout, verdict);
          if (after.version !== rollout.version) {
            rollout = after;
            continue;
          }
        }
        if (rollout.wait?.for === 'hold') return nextDirective(rollout, now, directiveOptions);
      }
      // Look at ECS before the Tick can time a steady wait out: after a long pause (a restart) the
      // canary may well be steady already.
      const waitedSteady = rollout.status === RolloutStatus.Progressing && rollout.wait?.for === 'steady';
      const before = await this.settleSteady(rollout);
      rollout = before.rollout;
      // Moved on, or changed meanwhile (rolled back by another actor): decide again from the top.
      if (before.moved || (waitedSteady && rollout.status !== RolloutStatus.Progressing)) continue;
      const ticked = await this.save(rollout, { type: 'Tick' });
      const after = await this.settleSteady(await this.runEffects(ticked.rollout, ticked.effects));
      rollout = after.rollout;
      if (after.moved) continue;
      const directive = nextDirective(rollout, this.clock(), directiveOptions);
      // A bake that has just elapsed, or a step that has nothing to wait for: go on now.
      const canMoveNow = directive.next === 'WAIT' && rollout.status === RolloutStatus.Progressing && (rollout.wait === null || (rollout.wait.for === 'bake' && directive.seconds === 0));
      if (!canMoveNow) return directive;
    }
    return nextDirective(rollout, this.clock(), directiveOptions);
  }

  /**
   * While the rollout waits for steady state, looks at ECS once: `moved` when it was steady at the
   * recorded weight (and the rollout moved on); otherwise the latest record.
   */
  private async settleSteady(rollout: Rollout): Promise<{ rollout: Rollout; moved: boolean }> {
    if (rollout.status !== RolloutStatus.Progressing || rollout.wait?.for !== 'steady') return { rollout, moved: false };
    const steadyAt = await this.steadyWeight(rollout);
    if (steadyAt !== null) return { rollout: await this.step(rollout.id, { type: 'Steady', weight: steadyAt }), moved: true };
    return { rollout: await this.store.get(rollout.id), moved: false };
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

  /**
   * Local restart: every rollout that holds a lock goes back to its workflow, queues move on, and
   * rollouts waiting for a signature look for it again (its notification may have been missed).
   */
  async resume(): Promise<string[]> {
    const resumed: string[] = [];
    for (const name of Object.keys(this.config.services)) {
      const holder = await this.store.lockHolder(name);
      const rollout = holder ? await this.findRollout(holder) : null;
      if (rollout && holdsEcs(rollout.status)) {
        await this.workflow.start(rollout.id);
        resumed.push(rollout.id);
      } else if (rollout) {
        await this.letGoIfEnded(rollout);
      }
      const page = await this.store.list({ service: name, status: RolloutStatus.Pending, limit: 100 });
      for (const waiting of page.items.filter((r) => !r.signature)) await this.checkSignature(waiting);
      await this.startNextQueued(name);
    }
    return resumed;
  }

  /**
   * An ended rollout that still holds its service's lock (its release was lost to a crash) lets go and
   * starts the next queued one. FAILED keeps the lock on purpose: a human must look first.
   */
  private async letGoIfEnded(rollout: Rollout): Promise<void> {
    if (!isTerminal(rollout.status) || rollout.status === RolloutStatus.Failed) return;
    if ((await this.store.lockHolder(rollout.service)) !== rollout.id) return;
    await this.runEffects(rollout, [{ type: 'releaseLock' }]);
  }

  /**
   * What must be true before the rollout moves: its alarms (an alarm in ALARM rolls a live canary back
   * and holds a rollout whose canary does not exist yet; INSUFFICIENT_DATA counts as the service's
   * policy says), and a steady stable task set to roll back to before the canary is created.
   * Answers the input to apply, or null when nothing changes.
   */
  private async checkBeforeStep(rollout: Rollout): Promise<RolloutInput | null> {
    const service = this.serviceConfig(rollout.service);
    const canaryLive = rollout.ecs.canaryTaskSetId !== null;
    const holds: string[] = [];
    if (this.alarms && service.alarms.length > 0) {
      const states = await this.alarms.states(service.alarms).catch((e: unknown) => {
        // No reading is no verdict; the alarm events still act at once.
        this.log.warn('reading alarm states failed', { rolloutId: rollout.id, error: e });
        return {} as Record<string, string>;
      });
      const firing = service.alarms.filter((n) => states[n] === 'ALARM');
      const noData = service.alarms.filter((n) => states[n] === 'INSUFFICIENT_DATA');
      if (firing.length > 0 && canaryLive) return { type: 'AlarmFired', alarm: firing[0]!, reason: 'in ALARM when checked before the next step' };
      if (firing.length > 0) holds.push(`alarm ${firing.join(', ')} ${firing.length > 1 ? 'are' : 'is'} in ALARM; the canary starts once ${firing.length > 1 ? 'they are' : 'it is'} OK`);
      if (noData.length > 0 && service.policies.insufficientData === 'fail') {
        return { type: 'AlarmFired', alarm: noData[0]!, reason: 'INSUFFICIENT_DATA, which this service counts as failing (alarmPolicy.insufficientData: fail)' };
      }
      if (noData.length > 0 && service.policies.insufficientData === 'hold') holds.push(`alarm ${noData.join(', ')} has INSUFFICIENT_DATA (alarmPolicy.insufficientData: hold)`);
    }
    if (!canaryLive && rollout.ecs.stableTaskSetId) {
      const view = await this.ecs.describe(this.targetOf(rollout)).catch(() => null);
      const stable = view?.taskSets.find((t) => t.id === rollout.ecs.stableTaskSetId);
      if (view && !stable) return { type: 'EcsFailed', message: `the stable task set ${rollout.ecs.stableTaskSetId} to roll back to is gone` };
      if (stable && !stable.steady) holds.push(`the stable task set ${stable.id} to roll back to is not steady yet (${stable.runningCount} running)`);
    }
    if (holds.length > 0) return { type: 'Hold', reason: holds.join('; ') };
    return rollout.wait?.for === 'hold' ? { type: 'Unhold' } : null;
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
        await this.tell(result.rollout, current);
        return result;
      } catch (e) {
        if (!(e instanceof VersionConflictError) || attempt >= MAX_SAVE_ATTEMPTS) throw e;
        current = await this.store.get(current.id);
      }
    }
  }

  private async tell(rollout: Rollout, previous: Rollout): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(rollout, previous);
      } catch (e) {
        this.log.warn('rollout listener failed', { rolloutId: rollout.id, error: e });
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
          latest = await this.promote(latest);
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
    if (service.policies.onNewImage === 'queue' && (await this.olderQueued(service.name, rollout.id))) {
      // Older rollouts wait for this lock: queue behind them and hand the lock to the oldest.
      const queued = await this.step(rollout.id, { type: 'Queued', behind: await this.store.lockHolder(service.name) });
      await this.startNextQueued(service.name);
      return (await this.findRollout(rollout.id)) ?? queued;
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.store.acquireLock(service.name, rollout.id)) {
        const view = await this.ecs.describe(target(service)).catch((e: unknown) => e as Error);
        if (view instanceof Error) return this.step(rollout.id, { type: 'StartFailed', reason: view.message });
        if (!view.primary) return this.step(rollout.id, { type: 'StartFailed', reason: `ECS service ${service.cluster}/${service.service} has no PRIMARY task set to roll back to` });
        return this.step(rollout.id, { type: 'Started', stableTaskSetId: view.primary.id, stableDigest: view.primary.digest });
      }
      const holder = await this.store.lockHolder(service.name);
      if (holder === null) continue; // released between our two reads: try again
      if (service.policies.onNewImage === 'reject') {
        return this.step(rollout.id, { type: 'StartFailed', reason: `rollout ${holder} of ${service.name} is still active and the service's onNewImage policy is reject` });
      }
      const queued = await this.step(rollout.id, { type: 'Queued', behind: holder });
      if (service.policies.onNewImage === 'supersede') await this.supersedeOthers(service.name, rollout.id, holder);
      // The holder may have ended and looked for queued rollouts before ours was recorded as queued.
      if ((await this.store.lockHolder(service.name)) !== null) return queued;
    }
    return this.store.get(rollout.id);
  }

  /**
   * Ends every older rollout of the service for the newest one: first the queued ones (so that the
   * holder's release starts the newest), then the holder, which rolls back to stable.
   */
  private async supersedeOthers(service: string, newest: string, holder: string): Promise<void> {
    const page = await this.store.list({ service, status: RolloutStatus.Pending, limit: 100 });
    const older = page.items.filter((r) => r.id !== newest && r.id < newest && r.signature && r.wait?.for === 'lock');
    for (const r of older) await this.supersede(r.id, newest);
    await this.supersede(holder, newest);
  }

  private async supersede(id: string, by: string): Promise<void> {
    try {
      await this.step(id, { type: 'Supersede', by });
    } catch (e) {
      // Already being made primary (or ended): the newer rollout simply waits its turn.
      if (!(e instanceof InvalidTransitionError)) throw e;
      this.log.info('not superseded', { rolloutId: id, by, reason: e.message });
    }
  }

  private async olderQueued(service: string, id: string): Promise<boolean> {
    const page = await this.store.list({ service, status: RolloutStatus.Pending, limit: 100 });
    return page.items.some((r) => r.id < id && r.signature !== null && r.wait?.for === 'lock');
  }

  private async startNextQueued(service: string): Promise<void> {
    if ((await this.store.lockHolder(service)) !== null) return;
    const page = await this.store.list({ service, status: RolloutStatus.Pending, limit: 100 });
    const next = [...page.items].reverse().find((r) => r.signature && r.wait?.for === 'lock');
    if (next) await this.runEffects(next, [{ type: 'acquireLock' }]);
  }

  private async createCanary(rollout: Rollout): Promise<Rollout> {
    const image = `${rollout.image.registry}/${rollout.image.repository}@${rollout.image.digest}`;
    const canary = await this.ecsCall(rollout, 'createCanary', (t) =>
      this.ecs.createCanary(t, { rolloutId: rollout.id, image, stableTaskSetId: rollout.ecs.stableTaskSetId! }),
    );
    if (!canary.ok) return canary.rollout;
    return this.step(rollout.id, { type: 'CanaryCreated', taskSetId: canary.value.taskSetId, taskDefinitionArn: canary.value.taskDefinitionArn });
  }

  /**
   * Makes ECS match the latest recorded weight. Re-reads the record after each call: if another actor
   * recorded a new weight meanwhile it applies that one, and if one recorded a rollback, it runs the
   * rollback again, since its own call may have landed after the other actor's.
   */
  private async applyWeight(rollout: Rollout): Promise<Rollout> {
    let latest = await this.store.get(rollout.id);
    let applied: number | null = null;
    for (let round = 0; round < 5; round++) {
      if (latest.status === RolloutStatus.RollingBack || latest.status === RolloutStatus.RolledBack) {
        if (applied !== null) await this.ecs.rollback(this.targetOf(latest), { stableTaskSetId: latest.ecs.stableTaskSetId!, canaryTaskSetId: latest.ecs.canaryTaskSetId }).catch(() => undefined);
        return latest;
      }
      // No canary yet (a promote decided before it existed): CanaryCreated applies the weight.
      if (!latest.ecs.canaryTaskSetId || !holdsEcs(latest.status) || latest.canaryWeight === applied) return latest;
      const weight: number = latest.canaryWeight;
      const current: Rollout = latest;
      const call = await this.ecsCall(current, 'setWeights', (t) =>
        this.ecs.setWeights(t, { stableTaskSetId: current.ecs.stableTaskSetId!, canaryTaskSetId: current.ecs.canaryTaskSetId!, canaryWeight: weight }),
      );
      if (!call.ok) return call.rollout;
      applied = weight;
      latest = await this.store.get(rollout.id);
    }
    return latest;
  }

  /**
   * The weight at which ECS is steady now, when it is the recorded one with both task sets at their
   * shares; null otherwise. Re-applies the recorded weight if ECS drifted from it (a crash between
   * recording and calling, or a lost race).
   */
  private async steadyWeight(rollout: Rollout): Promise<number | null> {
    // No canary yet (a promote decided before it existed): the Tick creates it first.
    if (!rollout.ecs.canaryTaskSetId) return null;
    const t = this.targetOf(rollout);
    let view;
    try {
      view = await this.ecs.describe(t);
    } catch (e) {
      this.log.warn('describe failed while waiting for steady state', { rolloutId: rollout.id, error: e });
      return null;
    }
    const canary = view.taskSets.find((s) => s.id === rollout.ecs.canaryTaskSetId);
    const stable = view.taskSets.find((s) => s.id === rollout.ecs.stableTaskSetId);
    if (!canary) {
      await this.step(rollout.id, { type: 'EcsFailed', message: `canary task set ${rollout.ecs.canaryTaskSetId} disappeared from ${t.cluster}/${t.service}` });
      return null;
    }
    if (canary.scale !== rollout.canaryWeight || (stable && stable.scale !== 100 - rollout.canaryWeight)) {
      await this.applyWeight(rollout);
      return null;
    }
    return canary.steady && (stable?.steady ?? true) ? canary.scale : null;
  }

  private async promote(rollout: Rollout): Promise<Rollout> {
    const done = await this.ecsCall(rollout, 'promote', (t) =>
      this.ecs.promote(t, { stableTaskSetId: rollout.ecs.stableTaskSetId!, canaryTaskSetId: rollout.ecs.canaryTaskSetId! }),
    );
    return done.ok ? this.step(rollout.id, { type: 'Promoted' }) : done.rollout;
  }

  private async rollback(rollout: Rollout): Promise<Rollout> {
    const t = this.targetOf(rollout);
    // A CreateTaskSet whose answer was lost left a canary the record never learned of: find it by its
    // externalId (the rollout id), so the rollback removes it too.
    let canaryTaskSetId = rollout.ecs.canaryTaskSetId;
    if (!canaryTaskSetId) {
      const view = await this.ecs.describe(t).catch(() => null);
      canaryTaskSetId = view?.taskSets.find((s) => s.externalId === rollout.id && s.id !== rollout.ecs.stableTaskSetId)?.id ?? null;
    }
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.opts.rollbackAttempts; attempt++) {
      try {
        if (rollout.ecs.stableTaskSetId) {
          await this.ecs.rollback(t, { stableTaskSetId: rollout.ecs.stableTaskSetId, canaryTaskSetId });
        }
        lastError = undefined;
        break;
      } catch (e) {
        lastError = e;
        this.log.warn('rollback attempt failed', { rolloutId: rollout.id, attempt, error: e });
        if (attempt < this.opts.rollbackAttempts) await sleep(this.opts.rollbackBackoffMs * attempt);
      }
    }
    if (lastError === undefined) return this.step(rollout.id, { type: 'RolledBack' });
    return this.step(rollout.id, { type: 'RollbackFailed', message: lastError instanceof Error ? lastError.message : String(lastError) });
  }

  private targetOf(rollout: Rollout): EcsTarget {
    return target(this.serviceConfig(rollout.service));
  }

  /**
   * Runs one ECS call for the rollout. A failure of the call itself (not of the store writes around
   * it) becomes EcsFailed, which rolls the rollout back.
   */
  private async ecsCall<T>(rollout: Rollout, what: string, call: (t: EcsTarget) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; rollout: Rollout }> {
    try {
      return { ok: true, value: await call(this.targetOf(rollout)) };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.log.error('ECS call failed', { rolloutId: rollout.id, call: what, error: e });
      return { ok: false, rollout: await this.step(rollout.id, { type: 'EcsFailed', message: `${what}: ${message}` }) };
    }
  }
}

/** The steps and rules a new rollout of the service follows. */
function planOf(service: ServiceConfig) {
  return {
    steps: service.steps,
    steadyTimeoutSeconds: service.policies.steadyTimeout,
    approvalDefaults: service.policies.approvals,
    signatureWaitSeconds: service.verify.waitForSeconds ?? DEFAULT_WAIT_FOR_SECONDS,
  };
}

export function target(service: ServiceConfig): EcsTarget {
  return { cluster: service.cluster, service: service.service, ...(service.container ? { container: service.container } : {}) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
