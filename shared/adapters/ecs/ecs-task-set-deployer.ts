/**
 * `EcsDeployer` over ECS task sets: the service uses the EXTERNAL deployment controller, a rollout
 * adds a canary task set and moves `scale` percent between it and the stable set.
 */
import { createHash } from 'node:crypto';
import {
  CreateTaskSetCommand,
  DeleteTaskSetCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTaskSetsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  UpdateServicePrimaryTaskSetCommand,
  UpdateTaskSetCommand,
  type ECSClient,
  type Service,
  type TaskDefinition,
  type TaskSet,
} from '@aws-sdk/client-ecs';
import { EcsError } from '../../errors';
import type { EcsDeployer, EcsTarget, RollbackProgress, ServiceView, TaskSetView } from '../../ports';
import { ecsFailure, isTaskSetNotFound } from './ecs-failure';
import { digestOf, reRegistration, targetContainer, targetImage } from './task-definition';

export interface EcsTaskSetDeployerOptions {
  /** A client for the services' account and region, or one pointed at the ECS emulator. */
  readonly client: ECSClient;
}

const DRAINING = 'DRAINING';
const PRIMARY = 'PRIMARY';

/** Matches a task set by id (`ecs-svc/…`) or ARN, as ECS accepts either. */
const named = (ref: string) => (taskSet: TaskSet) => taskSet.id === ref || taskSet.taskSetArn === ref;

const live = (taskSets: readonly TaskSet[], ref: string): TaskSet | undefined =>
  taskSets.find((taskSet) => named(ref)(taskSet) && taskSet.status !== DRAINING);

/**
 * STEADY_STATE alone can lag an update by a moment in ECS; the counts say whether the tasks asked
 * for are actually running.
 */
const isSteady = (taskSet: TaskSet): boolean =>
  taskSet.stabilityStatus === 'STEADY_STATE' &&
  (taskSet.pendingCount ?? 0) === 0 &&
  taskSet.runningCount === taskSet.computedDesiredCount;

/**
 * ECS allows 36 characters; a hash keeps any rollout id within that. It depends on the rollout alone, so
 * every retry of the create, whoever makes it, sends the same token (and, with the revision reused, the
 * same request): ECS answers the task set the first call created instead of a second canary.
 */
const clientTokenFor = (rolloutId: string): string =>
  createHash('sha256').update(`canary\n${rolloutId}`).digest('hex').slice(0, 32);

/** Key order aside, the same JSON value. */
const sameJson = (a: unknown, b: unknown): boolean => {
  const canonical = (value: unknown): string =>
    JSON.stringify(value, (_key, inner: unknown) =>
      inner && typeof inner === 'object' && !Array.isArray(inner)
        ? Object.fromEntries(Object.entries(inner).sort(([x], [y]) => x.localeCompare(y)))
        : inner,
    );
  return canonical(a) === canonical(b);
};

export class EcsTaskSetDeployer implements EcsDeployer {
  private readonly client: ECSClient;
  /** Task definition revisions never change, so one describe per ARN is enough. */
  private readonly taskDefinitions = new Map<string, Promise<TaskDefinition>>();

  constructor(options: EcsTaskSetDeployerOptions) {
    this.client = options.client;
  }

  async describe(target: EcsTarget): Promise<ServiceView> {
    const service = await this.service(target);
    const taskSets = await Promise.all((service.taskSets ?? []).map((taskSet) => this.view(target, taskSet)));
    return {
      primary: taskSets.find((taskSet) => taskSet.status === PRIMARY) ?? null,
      taskSets,
      desiredCount: service.desiredCount ?? 0,
    };
  }

  async createCanary(
    target: EcsTarget,
    input: { readonly rolloutId: string; readonly image: string; readonly stableTaskSetId: string; readonly targetGroupArn?: string },
  ): Promise<{ readonly taskSetId: string; readonly taskDefinitionArn: string }> {
    if (digestOf(input.image) === null) {
      throw new EcsError(`refusing to deploy ${input.image} to ${target.service}: rollouts deploy images pinned by digest`);
    }
    const service = await this.service(target);
    const controller = service.deploymentController?.type ?? 'ECS';
    if (controller !== 'EXTERNAL') {
      throw new EcsError(
        `ECS service ${target.service} in cluster ${target.cluster} uses the ${controller} deployment controller; ` +
          'task set rollouts need EXTERNAL',
      );
    }
    const taskSets = service.taskSets ?? [];
    const existing = taskSets.find((taskSet) => taskSet.externalId === input.rolloutId && taskSet.status !== DRAINING);
    if (existing?.id && existing.taskDefinition) {
      return { taskSetId: existing.id, taskDefinitionArn: existing.taskDefinition };
    }
    const stable = live(taskSets, input.stableTaskSetId);
    if (!stable?.taskDefinition) {
      throw new EcsError(
        `stable task set ${input.stableTaskSetId} does not exist in service ${target.service} in cluster ${target.cluster}`,
      );
    }
    const { taskDefinition: stableDefinition, tags } = await this.call(target, 'DescribeTaskDefinition', () =>
      this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: stable.taskDefinition, include: ['TAGS'] })),
    );
    if (!stableDefinition) throw new EcsError(`ECS returned no task definition for ${stable.taskDefinition}`);
    const container = targetContainer(target, stableDefinition);
    const registration = reRegistration(stableDefinition, tags, container.name ?? '', input.image);
    const canaryDefinition = await this.registered(target, registration, container.name ?? '', input.image);
    const taskDefinitionArn = canaryDefinition.taskDefinitionArn!;
    this.taskDefinitions.set(taskDefinitionArn, Promise.resolve(canaryDefinition));

    // With ALB weights the canary registers with its own target group of the pair (one per task set).
    let loadBalancers = stable.loadBalancers;
    if (input.targetGroupArn !== undefined) {
      const [first] = stable.loadBalancers ?? [];
      if (!first) throw new EcsError(`stable task set ${input.stableTaskSetId} has no load balancer: traffic.alb needs its tasks in a target group`);
      loadBalancers = [{ ...first, targetGroupArn: input.targetGroupArn }];
    }
    const placement = stable.capacityProviderStrategy?.length
      ? { capacityProviderStrategy: stable.capacityProviderStrategy }
      : { launchType: stable.launchType };
    const { taskSet } = await this.call(target, 'CreateTaskSet', () =>
      this.client.send(
        new CreateTaskSetCommand({
          cluster: target.cluster,
          service: target.service,
          taskDefinition: taskDefinitionArn,
          externalId: input.rolloutId,
          ...placement,
          platformVersion: stable.platformVersion,
          networkConfiguration: stable.networkConfiguration,
          loadBalancers,
          serviceRegistries: stable.serviceRegistries,
          scale: { value: 0, unit: 'PERCENT' },
          clientToken: clientTokenFor(input.rolloutId),
        }),
      ),
    );
    if (!taskSet?.id) throw new EcsError('ECS CreateTaskSet returned no task set id');
    return { taskSetId: taskSet.id, taskDefinitionArn };
  }

  async setWeights(
    target: EcsTarget,
    input: { readonly stableTaskSetId: string; readonly canaryTaskSetId: string; readonly canaryWeight: number; readonly stableScale?: number },
  ): Promise<void> {
    const weight = input.canaryWeight;
    const stableScale = input.stableScale ?? 100 - weight;
    if (!(weight >= 0 && weight <= 100)) throw new EcsError(`canary weight ${weight} is not between 0 and 100`);
    if (!(stableScale >= 0 && stableScale <= 100)) throw new EcsError(`stable scale ${stableScale} is not between 0 and 100`);
    const [stable, canary] = await this.taskSets(target, [input.stableTaskSetId, input.canaryTaskSetId]);
    if (!stable || !canary) throw new EcsError('DescribeTaskSets answered fewer task sets than asked');
    const scaleOf = (taskSet: TaskSet): number => taskSet.scale?.value ?? 0;
    const moves = [
      { taskSet: canary, to: weight },
      { taskSet: stable, to: stableScale },
    ];
    // Raising one set before lowering the other keeps the service's capacity from dipping.
    const ups = moves.filter(({ taskSet, to }) => to > scaleOf(taskSet));
    const downs = moves.filter(({ taskSet, to }) => to < scaleOf(taskSet));
    for (const { taskSet, to } of [...ups, ...downs]) await this.scale(target, taskSet, to);
  }

  async promote(target: EcsTarget, input: { readonly stableTaskSetId: string; readonly canaryTaskSetId: string }): Promise<void> {
    const taskSets = (await this.service(target)).taskSets ?? [];
    const canary = live(taskSets, input.canaryTaskSetId);
    if (!canary) {
      throw new EcsError(
        `cannot promote: canary task set ${input.canaryTaskSetId} does not exist in service ${target.service} in cluster ${target.cluster}`,
      );
    }
    if (canary.scale?.value !== 100) await this.scale(target, canary, 100);
    if (canary.status !== PRIMARY) await this.makePrimary(target, canary);
    const stable = live(taskSets, input.stableTaskSetId);
    if (stable && !named(input.canaryTaskSetId)(stable)) await this.delete(target, stable);
  }

  async rollback(
    target: EcsTarget,
    input: { readonly stableTaskSetId: string; readonly canaryTaskSetId: string | null },
  ): Promise<RollbackProgress> {
    const taskSets = (await this.service(target)).taskSets ?? [];
    let stable = live(taskSets, input.stableTaskSetId);
    if (!stable) {
      throw new EcsError(
        `cannot roll back: stable task set ${input.stableTaskSetId} does not exist in service ${target.service} in cluster ${target.cluster}`,
      );
    }
    const canary = input.canaryTaskSetId === null ? undefined : live(taskSets, input.canaryTaskSetId);
    const scaled = stable.scale?.value !== 100;
    if (scaled) await this.scale(target, stable, 100);
    if (stable.status !== PRIMARY) await this.makePrimary(target, stable);
    if (!canary || canary === stable) return { done: true };
    // The canary carries its share of traffic until the stable set runs at full size: removing it
    // earlier would leave the service short of tasks while the stable set's new ones start.
    if (scaled) [stable] = await this.taskSets(target, [input.stableTaskSetId]);
    if (!stable || !isSteady(stable) || stable.scale?.value !== 100) {
      const running = `${stable?.runningCount ?? 0} of ${stable?.computedDesiredCount ?? '?'} tasks running`;
      return { done: false, waitingFor: `the stable task set ${input.stableTaskSetId} to be steady at 100% (${running}) before the canary ${canary.id ?? ''} is removed` };
    }
    await this.delete(target, canary);
    return { done: true };
  }

  /**
   * The revision to deploy: the family's latest when it is already exactly `registration` (an earlier
   * try of this create registered it, and its CreateTaskSet answer was lost or its task set is not
   * described yet), else a new one. Reusing it keeps a retried CreateTaskSet identical to the first,
   * so its client token finds the task set the first created.
   */
  private async registered(
    target: EcsTarget,
    registration: RegisterTaskDefinitionCommandInput,
    containerName: string,
    image: string,
  ): Promise<TaskDefinition> {
    const latest = await this.call(target, 'DescribeTaskDefinition', () =>
      this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: registration.family, include: ['TAGS'] })),
    );
    const definition = latest.taskDefinition;
    if (
      definition?.taskDefinitionArn &&
      definition.status === 'ACTIVE' &&
      definition.containerDefinitions?.find((container) => container.name === containerName)?.image === image &&
      sameJson(reRegistration(definition, latest.tags, containerName, image), registration)
    ) {
      return definition;
    }
    const { taskDefinition: created } = await this.call(target, 'RegisterTaskDefinition', () =>
      this.client.send(new RegisterTaskDefinitionCommand(registration)),
    );
    if (!created?.taskDefinitionArn) throw new EcsError('ECS RegisterTaskDefinition returned no task definition ARN');
    return created;
  }

  private async service(target: EcsTarget): Promise<Service> {
    const { services } = await this.call(target, 'DescribeServices', () =>
      this.client.send(new DescribeServicesCommand({ cluster: target.cluster, services: [target.service] })),
    );
    const service = services?.[0];
    if (!service || service.status !== 'ACTIVE') {
      const state = service ? `is ${service.status ?? 'not active'}` : 'does not exist';
      throw new EcsError(`ECS service ${target.service} in cluster ${target.cluster} ${state}`);
    }
    return service;
  }

  /** The named task sets, in the order asked; a missing one is an error. */
  private async taskSets(target: EcsTarget, refs: readonly string[]): Promise<TaskSet[]> {
    const { taskSets = [] } = await this.call(target, 'DescribeTaskSets', () =>
      this.client.send(
        new DescribeTaskSetsCommand({ cluster: target.cluster, service: target.service, taskSets: [...refs] }),
      ),
    );
    return refs.map((ref) => {
      const taskSet = taskSets.find(named(ref));
      if (!taskSet) {
        throw new EcsError(`task set ${ref} does not exist in service ${target.service} in cluster ${target.cluster}`);
      }
      return taskSet;
    });
  }

  private async view(target: EcsTarget, taskSet: TaskSet): Promise<TaskSetView> {
    const taskDefinitionArn = taskSet.taskDefinition ?? '';
    const image = targetImage(target, await this.taskDefinition(target, taskDefinitionArn));
    return {
      id: taskSet.id ?? '',
      status: taskSet.status ?? 'UNKNOWN',
      taskDefinitionArn,
      image,
      digest: digestOf(image),
      scale: taskSet.scale?.value ?? 0,
      runningCount: taskSet.runningCount ?? 0,
      ...(taskSet.computedDesiredCount === undefined ? {} : { desiredCount: taskSet.computedDesiredCount }),
      ...(taskSet.pendingCount === undefined ? {} : { pendingCount: taskSet.pendingCount }),
      steady: isSteady(taskSet),
      externalId: taskSet.externalId ?? null,
      targetGroupArn: taskSet.loadBalancers?.find((lb) => lb.targetGroupArn)?.targetGroupArn ?? null,
    };
  }

  private taskDefinition(target: EcsTarget, arn: string): Promise<TaskDefinition> {
    let cached = this.taskDefinitions.get(arn);
    if (!cached) {
      cached = this.call(target, 'DescribeTaskDefinition', () =>
        this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })),
      ).then(({ taskDefinition }) => {
        if (!taskDefinition) throw new EcsError(`ECS returned no task definition for ${arn}`);
        return taskDefinition;
      });
      // A failure is not a fact about the revision: forget it so the next call asks again.
      cached.catch(() => this.taskDefinitions.delete(arn));
      this.taskDefinitions.set(arn, cached);
    }
    return cached;
  }

  private async scale(target: EcsTarget, taskSet: TaskSet, value: number): Promise<void> {
    await this.call(target, 'UpdateTaskSet', () =>
      this.client.send(
        new UpdateTaskSetCommand({
          cluster: target.cluster,
          service: target.service,
          taskSet: taskSet.id,
          scale: { value, unit: 'PERCENT' },
        }),
      ),
    );
  }

  private async makePrimary(target: EcsTarget, taskSet: TaskSet): Promise<void> {
    await this.call(target, 'UpdateServicePrimaryTaskSet', () =>
      this.client.send(
        new UpdateServicePrimaryTaskSetCommand({
          cluster: target.cluster,
          service: target.service,
          primaryTaskSet: taskSet.id,
        }),
      ),
    );
  }

  /** Deletes even a set that still has tasks (`force`); one already gone counts as deleted. */
  private async delete(target: EcsTarget, taskSet: TaskSet): Promise<void> {
    try {
      await this.client.send(
        new DeleteTaskSetCommand({ cluster: target.cluster, service: target.service, taskSet: taskSet.id, force: true }),
      );
    } catch (error) {
      if (!isTaskSetNotFound(error)) throw ecsFailure('DeleteTaskSet', target, error);
    }
  }

  private async call<T>(target: EcsTarget, operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof EcsError) throw error;
      throw ecsFailure(operation, target, error);
    }
  }
}
