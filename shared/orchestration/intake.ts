/**
 * Intake: what a registry push (any webhook source, or the ECR event) starts. Each push is matched to
 * the configured services, de-duplicated by a durable (service, digest) delivery claim, checked against
 * the tag policies, and becomes a PENDING rollout whose signature is verified at once; a verified one
 * asks for the service lock (shared/orchestration/service-lock.ts). A signature push resumes the rollout
 * waiting for it.
 */
import type { ServiceConfig } from '../config/types';
import { createRollout } from '../core/create-rollout';
import { RolloutPolicy } from '../core/policy';
import type { Rollout } from '../core/rollout';
import { signatureWaitInput } from '../core/signature-deadline';
import { RolloutStatus } from '../core/status';
import { InvalidTransitionError, VersionConflictError } from '../errors';
import type { PlannedPush, ReceivedDelivery, VerificationResult } from '../ports';
import { type Accepted, type Ignored, type ImagePush, type IngestResult, deliveryKey, servicesForRepository, signedDigestOfTag, tagDeploys } from '../webhooks/image-push';
import { findStableTag, newerThanStableVerdict } from '../webhooks/tag-policy';
import { type OrchestrationContext, errorMessage, sleep, target } from './context';
import type { RolloutWriter } from './rollout-writer';
import type { ServiceLock, StepFn } from './service-lock';
import { describeService } from './service-view';

export class Intake {
  constructor(
    private readonly ctx: OrchestrationContext,
    private readonly writer: RolloutWriter,
    private readonly step: StepFn,
    private readonly lock: ServiceLock,
  ) {}

  /**
   * What the config alone decides about pushes, in memory (docs/architecture.md, "Webhook intake"):
   * each push is matched to the configured services and their tag rules; what deploys is planned with
   * the id its rollout will have, a signature push is planned as a look for the rollout it may complete,
   * and the rest is ignored with its reason.
   */
  plan(pushes: readonly ImagePush[]): { planned: PlannedPush[]; ignored: Ignored[] } {
    const planned: PlannedPush[] = [];
    const ignored: Ignored[] = [];
    const now = this.ctx.clock();
    for (const push of pushes) {
      const services = servicesForRepository(this.ctx.config, push.registry, push.repository);
      if (services.length === 0) {
        ignored.push({ reason: `no configured service deploys ${push.registry}/${push.repository}`, repository: push.repository, tag: push.tag, digest: push.digest });
        continue;
      }
      const signed = signedDigestOfTag(push.tag);
      for (const service of services) {
        if (signed) {
          planned.push({ kind: 'signature', service: service.name, digest: signed });
          continue;
        }
        const verdict = tagDeploys(service, push.tag);
        if (!verdict.deploys) ignored.push({ service: service.name, tag: push.tag, digest: push.digest, reason: verdict.reason });
        else planned.push({ kind: 'image', service: service.name, rolloutId: this.ctx.newId(now), push });
      }
    }
    return { planned, ignored };
  }

  /**
   * Does what a received delivery planned: what needs the registry, ECS or the store. Safe to run
   * again (after a crash, or twice at once): a planned rollout keeps its id, and the (service, digest)
   * claim lets one delivery of a digest start one rollout.
   */
  async process(delivery: ReceivedDelivery): Promise<IngestResult> {
    const result: IngestResult = { accepted: [], ignored: [...delivery.ignored] };
    for (const work of delivery.planned) {
      const service = this.ctx.config.services[work.service];
      if (!service) {
        // The config changed between the answer and the work.
        result.ignored.push({ service: work.service, reason: `service ${work.service} is no longer configured` });
        continue;
      }
      const outcome = work.kind === 'signature' ? await this.ingestSignature(service, work.digest) : await this.ingestImage(service, work.push, work.rolloutId);
      if ('status' in outcome) result.accepted.push(outcome);
      else result.ignored.push(outcome);
    }
    return result;
  }

  /**
   * Starts the image of a ROLLED_BACK rollout again, from stable, as a new rollout (its signature is
   * checked again: keys may have been rotated since).
   */
  async retry(id: string, by: string): Promise<Rollout> {
    const original = await this.writer.load(id);
    if (original.status !== RolloutStatus.RolledBack) {
      throw new InvalidTransitionError(`cannot retry rollout ${id}: it is ${original.status}, and only ROLLED_BACK rollouts can be`);
    }
    const service = this.ctx.service(original.service);
    const now = this.ctx.clock();
    const rollout = createRollout({ id: this.ctx.newId(now), service: service.name, image: original.image, source: `retry of rollout ${id} by ${by}`, ...planOf(service) }, now);
    // No delivery claim: the original keeps it, so repeated pushes of this digest still count as duplicates.
    await this.writer.create(rollout);
    return this.checkSignature(rollout);
  }

  /** Verifies the image against the service's policy, from the registry in the config only. */
  async checkSignature(rollout: Rollout): Promise<Rollout> {
    const service = this.ctx.service(rollout.service);
    let verdict: VerificationResult;
    try {
      verdict = await this.ctx.deps.verifier.verify(
        { registry: service.registry, repository: service.repository, digest: rollout.image.digest, keys: service.verify.keys, policy: service.verify },
        this.ctx.clock(),
      );
    } catch (e) {
      // An unreachable registry is no verdict: the rollout keeps waiting (until verify.waitFor) and looks again.
      this.ctx.log.warn('signature check failed', { rolloutId: rollout.id, error: e });
      verdict = { outcome: 'missing', detail: `could not check the registry: ${errorMessage(e)}` };
    }
    const input = signatureWaitInput(verdict, rollout, this.ctx.clock(), signatureWaitSeconds(service));
    // Verified: the lock is asked for first, and the signature recorded in the save of what it decides
    // (Started, Queued, StartFailed, Supersede): one save fewer. A crash in between leaves a record that
    // still waits for its signature (its clock, the watchdog or the delivery dispatched again looks
    // again and asks again: the lock is re-entrant), maybe holding the lock meanwhile; a rejection
    // found then gives the lock back (docs/architecture.md, "The service lock").
    if (input.type === 'SignatureVerified' && rollout.status === RolloutStatus.Pending && !rollout.signature) return this.lock.acquire(rollout, { verified: input });
    return this.step(rollout, input);
  }

  private async ingestImage(service: ServiceConfig, push: ImagePush, plannedId: string): Promise<Accepted | Ignored> {
    const { ecs, store } = this.ctx.deps;
    const about = { service: service.name, tag: push.tag, digest: push.digest };
    const unconfirmed = await this.unconfirmedTag(service, push);
    if (unconfirmed) return { ...about, reason: unconfirmed };
    const stable = await ecs.describe(target(service)).then((v) => v.primary?.digest ?? null, () => null);
    if (stable === push.digest) return { ...about, reason: `${push.digest} is already the stable image of ${service.name}` };
    let source = push.source;
    if (service.tagPolicy?.newerThanStable) {
      // Per service, here rather than at the route, so every source (the ECR Lambda too) is held to it
      // and one service's refusal does not hold back another built from the same image.
      const reader = { describeService: (name: string) => describeService(this.ctx, name), list: store.list.bind(store) };
      const stableTag = await findStableTag(reader, service.name).catch((e: unknown) => ({ digest: stable, tag: null, how: `reading it failed: ${errorMessage(e)}` }));
      const newer = newerThanStableVerdict(service, push.tag, stableTag);
      if (!newer.deploys) return { ...about, reason: newer.reason };
      if (newer.note) source = `${source}; ${newer.note}`;
    }

    const now = this.ctx.clock();
    const key = deliveryKey(service.name, push.digest);
    const ttl = this.ctx.opts.deliveryTtlSeconds;
    let id = plannedId;
    const claim = await store.claimDelivery(key, id, ttl);
    if (!claim.claimed) {
      const existing = await this.writer.find(claim.rolloutId);
      if (existing && existing.id === plannedId) {
        // This delivery's own rollout, from an earlier run of its work that did not finish.
        const latest = existing.status === RolloutStatus.Pending && !existing.signature ? await this.checkSignature(existing) : existing;
        return { rolloutId: id, service: service.name, status: latest.status };
      } else if (existing && existing.status === RolloutStatus.Rejected) {
        // A refused image may come back re-signed (or after a key was added): a new push is a new try.
        // A ROLLED_BACK one may not: redeploying a bad image takes an explicit retry.
        if (!(await store.takeOverDelivery(key, existing.id, id, ttl))) {
          return { ...about, rolloutId: existing.id, reason: `duplicate delivery: another delivery is retrying rejected rollout ${existing.id}` };
        }
      } else if (existing) {
        // A duplicate may be the nudge a rollout waiting for its signature needs (the registry had not linked the .sig tag yet).
        const latest = existing.status === RolloutStatus.Pending && !existing.signature ? await this.checkSignature(existing) : existing;
        return { ...about, rolloutId: existing.id, reason: `duplicate delivery: rollout ${existing.id} already deploys this digest (${latest.status})` };
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
      await this.writer.create(rollout);
    } catch (e) {
      if (e instanceof VersionConflictError && id === plannedId) {
        // Another run of this delivery's work created it first (a delivery dispatched twice).
        const created = await this.writer.find(id);
        return { rolloutId: id, service: service.name, status: created?.status ?? RolloutStatus.Pending };
      }
      if (e instanceof VersionConflictError) return { ...about, rolloutId: id, reason: `duplicate delivery: rollout ${id} already deploys this digest` };
      throw e;
    }
    this.ctx.log.info('rollout created', { rolloutId: id, service: service.name, digest: push.digest, tag: push.tag });
    const after = await this.checkSignature(rollout);
    return { rolloutId: id, service: service.name, status: after.status };
  }

  /**
   * A tag rule let this push through on the tag the sender claims: the registry must say the tag is
   * this digest, else nothing deploys. Answers why not, or null when confirmed (or nothing rests on it).
   */
  private async unconfirmedTag(service: ServiceConfig, push: ImagePush): Promise<string | null> {
    const restsOnTag = service.tags !== null || Boolean(service.tagPolicy?.semver || service.tagPolicy?.newerThanStable);
    if (!restsOnTag || push.tag === null || push.tagConfirmed) return null;
    const { tags } = this.ctx.deps;
    if (!tags) return null;
    const ref = `${service.registry}/${service.repository}:${push.tag}`;
    let answer: { digest: string | null } | { error: unknown } = { digest: null };
    // A registry may notify before it serves the tag, or fail for a moment right after a push: look
    // again a few times before deciding (the registry will not send this notification again).
    for (const delayMs of [0, ...RolloutPolicy.tagConfirmRetryMs]) {
      if (delayMs > 0) await sleep(delayMs);
      try {
        answer = { digest: await tags.resolve(service.registry, this.ctx.config.registries[service.registry] ?? { insecure: false }, service.repository, push.tag) };
      } catch (e) {
        answer = { error: e };
      }
      if ('digest' in answer && answer.digest === push.digest) return null;
    }
    if ('error' in answer) return `could not confirm with the registry that ${ref} is ${push.digest}, which the service's tag rules rest on: ${errorMessage(answer.error)}; push again`;
    return answer.digest === null
      ? `${ref} is not in the registry: the tag the sender claims cannot be confirmed, and the service's tag rules rest on it`
      : `${ref} is ${answer.digest} in the registry, not ${push.digest}: the tag the sender claims is not this image's, and the service's tag rules rest on it`;
  }

  private async ingestSignature(service: ServiceConfig, digest: string): Promise<Accepted | Ignored> {
    const about = { service: service.name, digest };
    const owner = await this.ctx.deps.store.deliveryOwner(deliveryKey(service.name, digest));
    const rollout = owner ? await this.writer.find(owner) : null;
    if (!rollout) return { ...about, reason: `signature for ${digest}, which no rollout of ${service.name} waits for` };
    if (rollout.status !== RolloutStatus.Pending || rollout.signature) {
      return { ...about, rolloutId: rollout.id, reason: `signature for rollout ${rollout.id}, which is ${rollout.status} and not waiting for one` };
    }
    // A registry may notify before the .sig tag resolves: look again a few times before waiting on.
    let after = await this.checkSignature(rollout);
    for (const delayMs of this.ctx.opts.signatureRecheckMs) {
      if (after.status !== RolloutStatus.Pending || after.signature) break;
      await sleep(delayMs);
      after = await this.checkSignature(after);
    }
    return { rolloutId: rollout.id, service: service.name, status: after.status };
  }
}

function signatureWaitSeconds(service: ServiceConfig): number {
  return service.verify.waitForSeconds ?? RolloutPolicy.signatureWaitSeconds;
}

/** The steps and rules a new rollout of the service follows. */
function planOf(service: ServiceConfig) {
  return {
    steps: service.steps,
    steadyTimeoutSeconds: service.policies.steadyTimeout,
    approvalDefaults: service.policies.approvals,
    signatureWaitSeconds: signatureWaitSeconds(service),
    ...(service.blueGreen
      ? {
          blueGreen: {
            previewListenerRule: service.blueGreen.previewListenerRule,
            autoPromote: service.blueGreen.autoPromote,
            scaleDownDelaySeconds: service.blueGreen.scaleDownDelay,
          },
        }
      : {}),
  };
}
