/**
 * The building blocks of the functions' composition roots. Each function names the ports it calls;
 * each port's adapter and AWS client are created the first time the function uses it, and a port the
 * function did not name fails loudly with the function's name (a missing permission would fail the
 * same way in AWS, only later and less clearly).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SignerClient } from '@aws-sdk/client-signer';
import { SignerRevocationChecker } from '../../shared/adapters/aws-signer/signer-revocation-checker';
import { CloudWatchAlarms } from '../../shared/adapters/cloudwatch/cloudwatch-alarms';
import { DynamoRolloutStore } from '../../shared/adapters/dynamodb/dynamo-rollout-store';
import { EcsTaskSetDeployer } from '../../shared/adapters/ecs/ecs-task-set-deployer';
import { AlbTrafficRouter } from '../../shared/adapters/elbv2/alb-traffic-router';
import { LambdaDeliveryQueue } from '../../shared/adapters/lambda/lambda-delivery-queue';
import { StepFunctionsWorkflow } from '../../shared/adapters/step-functions/step-functions-workflow';
import type { AppConfig, ServiceConfig } from '../../shared/config/types';
import type { Alarms, DeliveryQueue, EcsDeployer, RolloutStore, SignatureVerifier, TrafficRouter, Workflow } from '../../shared/ports';
import { ImageSignatureVerifier } from '../../shared/signature/image-signature-verifier';
import { type TagResolver, registryTagResolver } from '../../shared/webhooks/resolve-tag';
import { ENV, requireEnv } from './environment';

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

/** How each port is built in Lambda: the real adapter over a default AWS client. */
const FACTORIES: { readonly [K in PortName]: (config: AppConfig, env: NodeJS.ProcessEnv) => Ports[K] } = {
  store: (_config, env) => new DynamoRolloutStore({ client: new DynamoDBClient({}), tableName: requireEnv(ENV.table, env) }),
  ecs: () => new EcsTaskSetDeployer({ client: new ECSClient({}) }),
  verifier: (config) =>
    new ImageSignatureVerifier({
      registries: config.registries,
      // Only services trusting AWS Signer ask it about revocations (checkSignerRevocation grants the call).
      ...(Object.values(config.services).some((s) => s.verify.awsSigner) ? { revocation: new SignerRevocationChecker({ client: new SignerClient({}) }) } : {}),
    }),
  workflow: (_config, env) => new StepFunctionsWorkflow({ client: new SFNClient({}), stateMachineArn: requireEnv(ENV.stateMachine, env) }),
  alarms: () => new CloudWatchAlarms({ client: new CloudWatchClient({}) }),
  tags: () => registryTagResolver(),
  traffic: () => {
    // One client per load balancer region (read from the ARN), one router per service, each made on first use.
    const clients = new Map<string, ElasticLoadBalancingV2Client>();
    const routers = new Map<string, TrafficRouter>();
    return (service) => {
      const alb = service.traffic?.alb;
      if (!alb) return null;
      let router = routers.get(service.name);
      if (!router) {
        const region = (alb.listenerRule ?? alb.listener ?? '').split(':')[3] ?? '';
        let client = clients.get(region);
        if (!client) clients.set(region, (client = new ElasticLoadBalancingV2Client({ region })));
        routers.set(service.name, (router = new AlbTrafficRouter({ client, alb })));
      }
      return router;
    };
  },
  deliveries: (_config, env) => new LambdaDeliveryQueue({ client: new LambdaClient({}), functionName: requireEnv(ENV.intakeFunction, env) }),
};

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
