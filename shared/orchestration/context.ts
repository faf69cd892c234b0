/**
 * What every orchestration module shares: the config, the ports, the clock, the logger and the
 * options with their defaults from the policy module (docs/architecture.md, "Retries and limits").
 *
 * Ports are read through `deps` at the moment they are used, never copied at construction: a Lambda's
 * composition root may hand over getters that create each AWS client on first use, so a function that
 * never calls ECS never builds an ECS client.
 */
import type { AwsHome } from '../config/ecs-location';
import type { AppConfig, ServiceConfig } from '../config/types';
import { newRolloutId } from '../core/ids';
import { RolloutPolicy } from '../core/policy';
import type { Rollout } from '../core/rollout';
import { NotFoundError } from '../errors';
import { type Logger, silentLogger } from '../observability/logger';
import { TaskCountTraffic } from '../adapters/ecs/task-count-traffic';
import type { Alarms, DeliveryQueue, EcsDeployer, EcsTarget, RolloutStore, SignatureVerifier, TrafficRouter, Workflow } from '../ports';
import type { TagResolver } from '../webhooks/resolve-tag';

export interface OrchestratorOptions {
  /** Seconds between looks at ECS while waiting for steady state (the workflow's Wait). Default `RolloutPolicy.steadyPollSeconds`. */
  readonly steadyPollSeconds?: number;
  /** How long a (service, digest) delivery is remembered, in seconds. Default 7 days. */
  readonly deliveryTtlSeconds?: number;
  /** Attempts at an ECS rollback before the rollout is FAILED. Default 3. */
  readonly rollbackAttempts?: number;
  /** Pause between rollback attempts, in ms (times the attempt number). Default 500. */
  readonly rollbackBackoffMs?: number;
  /** A ROLLING_BACK record untouched this long is taken to have lost its actor, and the workflow re-drives it. Default 30 s. */
  readonly staleRollbackSeconds?: number;
  /** Pauses before looking again for a signature that a .sig push announced but the registry did not serve yet. Default 250, 500, 1000 ms. */
  readonly signatureRecheckMs?: readonly number[];
  /** A delivery received this long ago and not processed is dispatched again by the watchdog. Default 60 s. */
  readonly deliveryRedispatchSeconds?: number;
  /** Identified deliveries remembered to answer a repeat without the store (0: none, every repeat reads the store). Default 1,000, for 300 s. */
  readonly recentDeliveries?: number;
  /**
   * How a `traffic.alb` service's steady timeout is computed from its target groups when it sets none
   * (shared/core/steady-timeout.ts: task start 120 s, margin 2). Tests scale it down.
   */
  readonly steadyTimeoutAllowance?: { readonly taskStartSeconds?: number; readonly margin?: number };
}

export interface OrchestratorDeps {
  readonly config: AppConfig;
  readonly store: RolloutStore;
  readonly ecs: EcsDeployer;
  readonly verifier: SignatureVerifier;
  readonly workflow: Workflow;
  /** Read before each step; alarm events act at once whether or not this is wired. */
  readonly alarms?: Alarms;
  /**
   * Confirms with the registry the tag a sender claims, when a tag rule decides whether it deploys
   * (docs/api.md, "Webhook senders"). Unwired, the sender's tag is taken as given.
   */
  readonly tags?: TagResolver;
  /**
   * How a service's traffic is moved: the ALB router for a service with `traffic.alb`. Unwired, or
   * answering null, traffic follows task counts (`TaskCountTraffic`).
   */
  readonly traffic?: (service: ServiceConfig) => TrafficRouter | null;
  /**
   * Where the work of a received webhook delivery goes after its answer (an asynchronous Lambda
   * invocation in AWS). Unwired, an in-process queue of the orchestrator does it.
   */
  readonly deliveries?: DeliveryQueue;
  readonly clock?: () => Date;
  /**
   * The region and account the orchestrator runs in: a rollout of a service whose cluster is named by
   * ARN elsewhere is refused at its start (shared/config/ecs-location.ts). Unset: not checked.
   */
  readonly home?: AwsHome;
  readonly newId?: (now: Date) => string;
  readonly logger?: Logger;
  readonly options?: OrchestratorOptions;
}

export interface OrchestrationContext {
  readonly config: AppConfig;
  /** The ports, read at the moment of use (see the file comment). */
  readonly deps: OrchestratorDeps;
  readonly clock: () => Date;
  readonly newId: (now: Date) => string;
  readonly log: Logger;
  readonly opts: Required<OrchestratorOptions>;
  /** The configured service, or NotFoundError (404). */
  service(name: string): ServiceConfig;
  /** The ECS service a rollout deploys to. */
  targetOf(rollout: Rollout): EcsTarget;
  /** How the rollout's traffic moves (docs/configuration.md#traffic). */
  trafficOf(rollout: Rollout): TrafficRouter;
  /**
   * Blue-green: the router of the rollout's preview rule (its `blueGreen.previewListenerRule` over the
   * pair of `traffic.alb`); null for a canary, or when no ALB router is wired.
   */
  previewOf(rollout: Rollout): TrafficRouter | null;
}

const taskCounts = new TaskCountTraffic();

export function createContext(deps: OrchestratorDeps): OrchestrationContext {
  const service = (name: string): ServiceConfig => {
    const found = deps.config.services[name];
    if (!found) throw new NotFoundError(`service ${name} is not configured`);
    return found;
  };
  return {
    config: deps.config,
    deps,
    clock: deps.clock ?? (() => new Date()),
    newId: deps.newId ?? newRolloutId,
    log: deps.logger ?? silentLogger,
    opts: {
      steadyPollSeconds: RolloutPolicy.steadyPollSeconds,
      deliveryTtlSeconds: RolloutPolicy.deliveryTtlSeconds,
      rollbackAttempts: RolloutPolicy.rollbackAttempts,
      rollbackBackoffMs: RolloutPolicy.rollbackBackoffMs,
      staleRollbackSeconds: RolloutPolicy.staleRollbackSeconds,
      signatureRecheckMs: RolloutPolicy.signatureRecheckMs,
      deliveryRedispatchSeconds: RolloutPolicy.deliveryRedispatchSeconds,
      recentDeliveries: RolloutPolicy.recentDeliveries,
      steadyTimeoutAllowance: {},
      ...deps.options,
    },
    service,
    targetOf: (rollout) => target(service(rollout.service)),
    trafficOf: (rollout) => deps.traffic?.(service(rollout.service)) ?? taskCounts,
    previewOf: (rollout) => {
      const preview = rollout.blueGreen?.previewListenerRule;
      const configured = service(rollout.service);
      const alb = configured.traffic?.alb;
      if (!preview || !alb) return null;
      // The router factory builds one router per service name: the preview rule is named as its own.
      const previewed: ServiceConfig = { ...configured, name: `${configured.name} (preview)`, traffic: { alb: { listenerRule: preview, targetGroups: alb.targetGroups } } };
      return deps.traffic?.(previewed) ?? null;
    },
  };
}

export function target(service: ServiceConfig): EcsTarget {
  return { cluster: service.cluster, service: service.service, ...(service.container ? { container: service.container } : {}) };
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
