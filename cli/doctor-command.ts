/**
 * `rollout doctor`, loaded by cli/main.ts for that command alone: the other commands need neither the
 * config loader nor the ECS and ELBv2 clients.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsHome } from '../shared/config/ecs-location';
import { loadConfig } from '../shared/config/load-config';
import type { RolloutApi } from './api-client';
import { UsageError } from './args';
import { formatDiagnosis, runDoctor } from './doctor';
import { ExitCode } from './exit-codes';
import type { CliEnvironment } from './main';

/**
 * `rollout doctor`: loads the configuration, then checks every service against ECS in AWS (the SDK's
 * usual credentials, `--region`) or against local mode's ECS endpoint (`--local`, read from the API),
 * and a service with `traffic.alb` against its load balancer (ELBv2 in the load balancer's region, or
 * local mode's `elbv2` endpoint).
 */
export async function doctor(values: Readonly<Record<string, unknown>>, io: CliEnvironment, api: RolloutApi, json: boolean): Promise<ExitCode> {
  const { env, stdout } = io;
  const option = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const config = await loadConfig(option('config') ?? env.ROLLOUT_CONFIG ?? 'rollout.config.yaml', env);
  let client: ECSClient;
  let home: AwsHome;
  let where: string;
  // The load balancer checks of `traffic.alb`: one ELBv2 client per region (local mode: its endpoint).
  const elbClients = new Map<string, ElasticLoadBalancingV2Client>();
  let elbv2 = (region: string) => {
    if (!elbClients.has(region)) elbClients.set(region, new ElasticLoadBalancingV2Client({ region }));
    return elbClients.get(region)!;
  };
  if (values.local === true) {
    const endpoints = await api.localEndpoints();
    const endpoint = endpoints.ecs;
    if (!endpoint) throw new Error('the API answered no local ecs endpoint (GET /local/endpoints): is it local mode?');
    client = new ECSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 2 });
    home = { region: 'us-east-1', account: '000000000000' };
    where = `local mode's ECS at ${endpoint}`;
    const elbEndpoint = endpoints.elbv2;
    elbv2 = () => {
      if (!elbEndpoint) throw new Error('the API answered no local elbv2 endpoint (GET /local/endpoints)');
      if (!elbClients.has('local')) elbClients.set('local', new ElasticLoadBalancingV2Client({ endpoint: elbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 2 }));
      return elbClients.get('local')!;
    };
  } else {
    const region = option('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError('doctor needs the region the orchestrator runs in: pass --region or set AWS_REGION');
    client = new ECSClient({ region });
    home = { region, account: option('account') ?? env.ROLLOUT_ACCOUNT_ID ?? null };
    where = `ECS in ${region}${home.account ? ` (account ${home.account})` : ' (account not checked: pass --account)'}`;
  }
  try {
    const report = await runDoctor(config, client, home, elbv2);
    stdout.write(json ? `${JSON.stringify(report)}\n` : formatDiagnosis(report, where));
    return report.every((service) => service.ok) ? ExitCode.Ok : ExitCode.Error;
  } finally {
    client.destroy();
    for (const elb of elbClients.values()) elb.destroy();
  }
}
