/**
 * Local mode with load balancers, for the ALB and blue-green tests: the ARNs of a service's rule and
 * target group pair, and a stack with health checks and deregistration delays scaled down, with the
 * few things every such test does (push a new digest, wait for a status).
 */
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/local-stack';
import { silentLogger } from '../../shared/observability/logger';
import { type ApiClient, apiClient, waitFor } from './http';
import { digestOf, pushEnvelope } from './local-config';
import { ScriptedVerifier } from './scripted-verifier';

const P = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
const hex = (n: number) => n.toString(16).padStart(16, '0');

/** Service `n`'s production rule (listener 2 of load balancer 1) and its pair `<prefix><n>-blue|green`. */
export const albArns = (n: number, prefix = 'svc') => ({
  listenerRule: `${P}:listener-rule/app/local/${hex(1)}/${hex(2)}/${hex(100 + n)}`,
  targetGroups: [`${P}:targetgroup/${prefix}${n}-blue/${hex(200 + n)}`, `${P}:targetgroup/${prefix}${n}-green/${hex(300 + n)}`] as [string, string],
});

/** Service `n`'s preview rule, on the test listener 3 of the same load balancer. */
export const previewRuleArn = (n: number) => `${P}:listener-rule/app/local/${hex(1)}/${hex(3)}/${hex(400 + n)}`;

export interface AlbStack {
  readonly stack: LocalStack;
  readonly api: ApiClient;
  /** Pushes a new digest of `team/<service>` through the registry webhook; answers the rollout id. */
  push(service: string): Promise<string>;
  /** The rollout once it has `status` (20 s at most). */
  untilStatus(id: string, status: string): Promise<any>;
}

/** Health checks 100 ms apart, `healthyThreshold` of them, and `drainSeconds` of deregistration delay. */
export async function startAlbStack(
  options: Pick<LocalStackOptions, 'config'> & Partial<LocalStackOptions> & { readonly healthyThreshold?: number; readonly drainSeconds?: number; readonly firstDigest?: number },
): Promise<AlbStack> {
  const { healthyThreshold = 2, drainSeconds = 0.2, firstDigest = 500, ...rest } = options;
  const stack = await startLocalStack({
    port: 0,
    taskStartMs: 15,
    steadyPollMs: 15,
    targetGroups: { healthCheck: { intervalSeconds: 0.1, healthyThreshold }, deregistrationDelaySeconds: drainSeconds },
    verifier: new ScriptedVerifier(),
    logger: silentLogger,
    webhookToken: 'hook-token',
    apiToken: 'api-token',
    ...rest,
  });
  const api = apiClient(stack.url, stack.apiToken);
  const hook = apiClient(stack.url, stack.webhookToken);
  let nextDigest = firstDigest;
  return {
    stack,
    api,
    async push(service) {
      const res = await hook('POST', '/webhooks/registry', pushEnvelope(`team/${service}`, 'v2', digestOf(nextDigest++)), { 'content-type': 'application/vnd.docker.distribution.events.v1+json' });
      if (res.status !== 202) throw new Error(`push of ${service} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.accepted[0].rolloutId as string;
    },
    untilStatus: (id, status) =>
      waitFor(
        `rollout ${id} to be ${status}`,
        async () => {
          const r = (await api('GET', `/rollouts/${id}`)).body;
          return r.status === status ? r : undefined;
        },
        20_000,
      ),
  };
}
