/**
 * The building blocks of the functions' composition roots. Each function names the ports it calls;
 * each port's adapter and AWS client are created the first time the function uses it, and a port the
 * function did not name fails loudly with the function's name (a missing permission would fail the
 * same way in AWS, only later and less clearly).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoRolloutStore } from '../../shared/adapters/dynamodb/dynamo-rollout-store';
import type { AppConfig } from '../../shared/config/types';
import type { Alarms, EcsDeployer, RolloutStore, SignatureVerifier, Workflow } from '../../shared/ports';
import type { TagResolver } from '../../shared/webhooks/resolve-tag';
import { ENV, requireEnv } from './environment';

export interface Ports {
  readonly store: RolloutStore;
  readonly ecs: EcsDeployer;
  readonly verifier: SignatureVerifier;
  readonly workflow: Workflow;
  readonly alarms: Alarms;
  readonly tags: TagResolver;
}

/** Ports an orchestrator may lack (it then does without): unlisted, they are absent rather than refused. */
const OPTIONAL: ReadonlySet<PortName> = new Set(['alarms', 'tags']);
export type PortName = keyof Ports;

/**
 * How each port is built in Lambda: the real adapter over a default AWS client. The store is what every
 * function calls first, so it is part of the entry; every other adapter and its client sit in a chunk
 * of their own, loaded by the port's first call (docs/architecture.md, "Lambda bundles").
 */
const FACTORIES: { readonly [K in PortName]: (config: AppConfig, env: NodeJS.ProcessEnv) => Ports[K] } = {
  store: (_config, env) => new DynamoRolloutStore({ client: new DynamoDBClient({}), tableName: requireEnv(ENV.table, env) }),
  ecs: () =>
    lazyPort(async () => {
      const [{ EcsTaskSetDeployer }, { ECSClient }] = await Promise.all([import('../../shared/adapters/ecs/ecs-task-set-deployer'), import('@aws-sdk/client-ecs')]);
      return new EcsTaskSetDeployer({ client: new ECSClient({}) });
    }),
  verifier: (config) =>
    lazyPort(async () => {
      const { CosignSignatureVerifier } = await import('../../shared/signature/cosign-signature-verifier');
      return new CosignSignatureVerifier({ registries: config.registries });
    }),
  workflow: (_config, env) => {
    const stateMachineArn = requireEnv(ENV.stateMachine, env);
    return lazyPort(async () => {
      const [{ StepFunctionsWorkflow }, { SFNClient }] = await Promise.all([import('../../shared/adapters/step-functions/step-functions-workflow'), import('@aws-sdk/client-sfn')]);
      return new StepFunctionsWorkflow({ client: new SFNClient({}), stateMachineArn });
    });
  },
  alarms: () =>
    lazyPort(async () => {
      const [{ CloudWatchAlarms }, { CloudWatchClient }] = await Promise.all([import('../../shared/adapters/cloudwatch/cloudwatch-alarms'), import('@aws-sdk/client-cloudwatch')]);
      return new CloudWatchAlarms({ client: new CloudWatchClient({}) });
    }),
  tags: () =>
    lazyPort(async () => {
      const { registryTagResolver } = await import('../../shared/webhooks/resolve-tag');
      return registryTagResolver();
    }),
};

/**
 * A port whose adapter is loaded by its first call: every method of a port returns a promise, so each
 * one waits for the adapter, then calls it. A failed load is not kept; the next call tries again.
 */
export function lazyPort<T extends object>(load: () => Promise<T>): T {
  let loading: Promise<T> | undefined;
  const instance = () => {
    loading ??= load();
    loading.catch(() => {
      loading = undefined;
    });
    return loading;
  };
  return new Proxy({} as T, {
    get(_target, name) {
      // Not a promise itself (`await port` must not call `then`), and no symbol-keyed methods.
      if (typeof name === 'symbol' || name === 'then') return undefined;
      return async (...args: unknown[]) => {
        const port = await instance();
        const method = (port as Record<string, unknown>)[name];
        if (typeof method !== 'function') throw new TypeError(`${name} is not a method of this port`);
        return (method as (...a: unknown[]) => unknown).apply(port, args);
      };
    },
  });
}

/**
 * The ports object a function hands to the orchestrator: a getter per port, building the named ones
 * on first use and refusing the others.
 */
export function portsFor(fn: string, uses: readonly PortName[], config: AppConfig, env: NodeJS.ProcessEnv = process.env): Ports {
  const built = new Map<PortName, unknown>();
  const ports = {} as Ports;
  for (const name of Object.keys(FACTORIES) as PortName[]) {
    Object.defineProperty(ports, name, {
      enumerable: true,
      get() {
        if (!uses.includes(name) && OPTIONAL.has(name)) return undefined;
        if (!uses.includes(name)) throw new Error(`the ${fn} function does not use the ${name} port (functions/${fn}.ts lists what it uses)`);
        if (!built.has(name)) built.set(name, FACTORIES[name](config, env));
        return built.get(name);
      },
    });
  }
  return ports;
}
