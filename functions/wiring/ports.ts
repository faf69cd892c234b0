/**
 * The building blocks of the functions' composition roots. Each function names the ports it calls;
 * each port's adapter and AWS client are created the first time the function uses it, and a port the
 * function did not name fails loudly with the function's name (a missing permission would fail the
 * same way in AWS, only later and less clearly).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoRolloutStore } from '../../shared/adapters/dynamodb/dynamo-rollout-store';
import type { AppConfig, ServiceConfig } from '../../shared/config/types';
import type { Alarms, DeliveryQueue, EcsDeployer, RolloutStore, SignatureVerifier, TrafficRouter, Workflow } from '../../shared/ports';
import type { TagResolver } from '../../shared/webhooks/resolve-tag';
import { loadOnce } from '../../shared/load-once';
import { ENV, requireEnv } from './environment';
import { sdkClient } from '../../shared/adapters/sdk-client-defaults';

export interface Ports {
  readonly store: RolloutStore;
  readonly ecs: EcsDeployer;
  readonly verifier: SignatureVerifier;
  readonly workflow: Workflow;
  readonly alarms: Alarms;
  readonly tags: TagResolver;
  /** The ALB router of a service with `traffic.alb`; built whenever `ecs` is (moving a task set moves its traffic). */
  readonly traffic: (service: ServiceConfig) => TrafficRouter | null;
  /** Where a webhook delivery's work goes after its answer: the intake function, invoked asynchronously. */
  readonly deliveries: DeliveryQueue;
}

/** Ports an orchestrator may lack (it then does without): unlisted, they are absent rather than refused. */
const OPTIONAL: ReadonlySet<PortName> = new Set(['alarms', 'tags', 'traffic', 'deliveries']);
export type PortName = keyof Ports;

/**
 * How each port is built in Lambda: the real adapter over a default AWS client. The store is what every
 * function calls first, so it is part of the entry; every other adapter and its client sit in a chunk
 * of their own, loaded by the port's first call (docs/architecture.md, "Lambda bundles").
 */
const FACTORIES: { readonly [K in PortName]: (config: AppConfig, env: NodeJS.ProcessEnv) => Ports[K] } = {
  store: (_config, env) => new DynamoRolloutStore({ client: sdkClient(DynamoDBClient), tableName: requireEnv(ENV.table, env) }),
  ecs: () =>
    lazyPort(async () => {
      const [{ EcsTaskSetDeployer }, { ECSClient }] = await Promise.all([import('../../shared/adapters/ecs/ecs-task-set-deployer'), import('@aws-sdk/client-ecs')]);
      return new EcsTaskSetDeployer({ client: sdkClient(ECSClient) });
    }),
  verifier: (config) =>
    lazyPort(async () => {
      const { ImageSignatureVerifier } = await import('../../shared/signature/image-signature-verifier');
      // Only services trusting AWS Signer ask it about revocations (checkSignerRevocation grants the call).
      if (!Object.values(config.services).some((s) => s.verify.awsSigner)) return new ImageSignatureVerifier({ registries: config.registries });
      const [{ SignerRevocationChecker }, { SignerClient }] = await Promise.all([import('../../shared/adapters/aws-signer/signer-revocation-checker'), import('@aws-sdk/client-signer')]);
      return new ImageSignatureVerifier({ registries: config.registries, revocation: new SignerRevocationChecker({ client: sdkClient(SignerClient) }) });
    }),
  workflow: (_config, env) => {
    const stateMachineArn = requireEnv(ENV.stateMachine, env);
    return lazyPort(async () => {
      const [{ StepFunctionsWorkflow }, { SFNClient }] = await Promise.all([import('../../shared/adapters/step-functions/step-functions-workflow'), import('@aws-sdk/client-sfn')]);
      return new StepFunctionsWorkflow({ client: sdkClient(SFNClient), stateMachineArn });
    });
  },
  alarms: () =>
    lazyPort(async () => {
      const [{ CloudWatchAlarms }, { CloudWatchClient }] = await Promise.all([import('../../shared/adapters/cloudwatch/cloudwatch-alarms'), import('@aws-sdk/client-cloudwatch')]);
      return new CloudWatchAlarms({ client: sdkClient(CloudWatchClient) });
    }),
  tags: () =>
    lazyPort(async () => {
      const { registryTagResolver } = await import('../../shared/webhooks/resolve-tag');
      return registryTagResolver();
    }),
  traffic: () => {
    // One router per service with `traffic.alb`, its ELBv2 client in the load balancer's region (read
    // from the ARN), both loaded by the router's first call.
    const routers = new Map<string, TrafficRouter>();
    return (service) => {
      const alb = service.traffic?.alb;
      if (!alb) return null;
      let router = routers.get(service.name);
      if (!router) {
        const region = (alb.listenerRule ?? alb.listener ?? '').split(':')[3] ?? '';
        router = lazyPort<TrafficRouter>(
          async () => {
            const [{ AlbTrafficRouter }, { ElasticLoadBalancingV2Client }] = await Promise.all([
              import('../../shared/adapters/elbv2/alb-traffic-router'),
              import('@aws-sdk/client-elastic-load-balancing-v2'),
            ]);
            return new AlbTrafficRouter({ client: sdkClient(ElasticLoadBalancingV2Client, { region }), alb });
          },
          { mode: 'alb' },
        );
        routers.set(service.name, router);
      }
      return router;
    };
  },
  deliveries: (_config, env) => {
    const functionName = requireEnv(ENV.intakeFunction, env);
    // The work runs in another function: nothing here yields to this function's answers (no `answering`).
    return lazyPort<DeliveryQueue>(async () => {
      const [{ LambdaDeliveryQueue }, { LambdaClient }] = await Promise.all([import('../../shared/adapters/lambda/lambda-delivery-queue'), import('@aws-sdk/client-lambda')]);
      return new LambdaDeliveryQueue({ client: sdkClient(LambdaClient), functionName });
    }, { answering: undefined });
  },
};

/**
 * A port whose adapter is loaded by its first call: every method of a port returns a promise, so each
 * one waits for the adapter, then calls it; `fixed` answers the port's plain properties. A failed load is not kept; the next call tries again.
 */
export function lazyPort<T extends object>(load: () => Promise<T>, fixed: Partial<T> = {}): T {
  const instance = loadOnce(load);
  return new Proxy({} as T, {
    get(_target, name) {
      // Not a promise itself (`await port` must not call `then`), and no symbol-keyed methods.
      if (typeof name === 'symbol' || name === 'then') return undefined;
      // What the port says of itself without its adapter (a traffic router's mode).
      if (Object.hasOwn(fixed, name)) return (fixed as Record<string, unknown>)[name];
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
        const named = uses.includes(name) || (name === 'traffic' && uses.includes('ecs'));
        if (!named && OPTIONAL.has(name)) return undefined;
        if (!named) throw new Error(`the ${fn} function does not use the ${name} port (functions/${fn}.ts lists what it uses)`);
        if (!built.has(name)) built.set(name, FACTORIES[name](config, env));
        return built.get(name);
      },
    });
  }
  return ports;
}
