/**
 * The composition root every function builds with its own list of ports (compose.ts): the config (the JSON the
 * stack resolved at synth, shipped inside the bundle and read without a YAML parser or schemas), an
 * orchestrator whose ports are built on first use, and what operators see around it (rollout event
 * logs, EMF metrics, notifications). Built once per execution environment and reused by
 * every invocation; a failed build is not kept, so the next invocation tries again.
 */
import { arnLocation } from '../../shared/config/ecs-location';
import { readBundledConfig } from '../../shared/config/bundled-config';
import { Secret } from '../../shared/config/secret';
import { LINK_SECRET_ENV } from '../../shared/notifications/link-secret';
import type { AppConfig } from '../../shared/config/types';
import { RolloutPolicy } from '../../shared/core/policy';
import { loadOnce } from '../../shared/load-once';
import type { OperatorDeps } from '../../shared/http/dashboard';
import { LambdaLogger, type InvocationContext } from '../../shared/observability/lambda-logger';
import { jsonLogger } from '../../shared/observability/logger';
import { wireOperatorFeatures } from '../../shared/observability/operator-wiring';
import type { Orchestrator, OrchestratorDeps } from '../../shared/orchestration/orchestrator';
import type { SecretSource } from '../../shared/ports';
import { ENV, LINK_SECRET_READERS, requireEnv } from './environment';
import { lambdaSecrets, secretIdsFrom } from './secrets';
import { type PortName, portsFor } from './ports';

export interface Composed<O = Orchestrator> {
  /** Where this function reads its secrets (Secrets Manager). */
  readonly secrets: SecretSource;
  readonly config: AppConfig;
  readonly orchestrator: O;
  /** What createApp needs beyond the orchestrator and tokens (approval links). */
  readonly operatorDeps: OperatorDeps;
}

export interface FunctionRoot<O = Orchestrator> {
  readonly logger: LambdaLogger;
  /** The composed function, built on the first call. */
  get(env?: NodeJS.ProcessEnv): Promise<Composed<O>>;
  /** Binds the logger to this invocation; call first in the handler. */
  begin(context: InvocationContext | undefined, keys?: Record<string, unknown>): void;
}

/** Builds the function's orchestrator from its deps (compose.ts: at once; the API: on first use, lazy-orchestrator.ts). */
export type OrchestratorFactory<O> = (deps: OrchestratorDeps) => O;

export function composedRoot<O extends Pick<Orchestrator, 'subscribe'>>(fn: string, uses: readonly PortName[], orchestrate: OrchestratorFactory<O>): FunctionRoot<O> {
  const logger = new LambdaLogger(jsonLogger());
  const compose = loadOnce(async (env: NodeJS.ProcessEnv): Promise<Composed<O>> => {
    const secrets = lambdaSecrets(env, logger);
    const linkSecret = secretIdsFrom(env)[LINK_SECRET_ENV] ? { linkSecret: new Secret(LINK_SECRET_ENV, secrets) } : {};
    const config = await readBundledConfig(requireEnv(ENV.config, env), env, secrets);
    const ports = portsFor(fn, uses, config, env);
    // Assigned onto the ports object, not spread: spreading would call every getter now.
    // The state machine is the stack's own: its ARN says the region and account the orchestrator runs in.
    const home = arnLocation(env[ENV.stateMachine] ?? '');
    const deps: OrchestratorDeps = Object.assign(ports, {
      config,
      logger,
      options: { steadyPollSeconds: RolloutPolicy.lambdaSteadyPollSeconds },
      ...(home ? { home: { region: home.region, account: home.account } } : {}),
    });
    const orchestrator = orchestrate(deps);
    const handlesApprovalLinks = (LINK_SECRET_READERS as readonly string[]).includes(fn);
    const operatorDeps = wireOperatorFeatures({ mode: 'lambda', orchestrator, store: ports.store, config, logger, env, handlesApprovalLinks, ...linkSecret }).appDeps;
    return { secrets, config, orchestrator, operatorDeps };
  });
  return {
    logger,
    get: (env = process.env) => compose(env),
    begin(context, keys) {
      logger.addContext(context);
      if (keys) logger.appendKeys(keys);
    },
  };
}
