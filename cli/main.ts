/**
 * `rollout …`: the operator CLI over the HTTP API. `main` takes its environment as arguments and
 * returns the exit code, so that tests run it in process; bin/rollout.mjs wires it to the real one.
 */
import { userInfo } from 'node:os';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsHome } from '../shared/config/ecs-location';
import { loadConfig } from '../shared/config/load-config';
import { ApiError, RolloutApi } from './api-client';
import { formatDiagnosis, runDoctor } from './doctor';
import { UsageError, helpText, parseCommandLine } from './args';
import { runCommand } from './commands';
import { ExitCode, exitCodeForStatus } from './exit-codes';
import { makeStyle, wantsColor } from './format';
import { terminalText } from './terminal';
import type { Output } from './watch';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

export interface CliEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly stderr: Output;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

function currentUser(env: CliEnvironment['env']): string | undefined {
  const fromEnv = env.USER || env.LOGNAME || env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

export async function main(argv: readonly string[], io: CliEnvironment): Promise<ExitCode> {
  const { env, stdout, stderr } = io;
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') {
      stdout.write(helpText(parsed.command));
      return ExitCode.Ok;
    }
    const { values } = parsed;
    const url = (typeof values.url === 'string' ? values.url : undefined) ?? env.ROLLOUT_URL ?? DEFAULT_URL;
    if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`the API URL must be http(s)://host[:port][/prefix], not "${url}"`);
    const token = (typeof values.token === 'string' ? values.token : undefined) ?? env.ROLLOUT_API_TOKEN;
    const json = values.json === true;
    if (parsed.command.name === 'doctor') return await doctor(values, io, new RolloutApi({ url, token, ...(io.fetch ? { fetch: io.fetch } : {}) }), json);
    return await runCommand(parsed.command, parsed.positionals, values, {
      api: new RolloutApi({ url, token, ...(io.fetch ? { fetch: io.fetch } : {}) }),
      json,
      style: makeStyle(!json && wantsColor(stdout.isTTY, env, values['no-color'] === true)),
      out: stdout,
      err: stderr,
      user: currentUser(env),
      now: io.now ?? (() => new Date()),
      ...(io.sleep ? { sleep: io.sleep } : {}),
    });
  } catch (e) {
    return report(e, io);
  }
}

/**
 * `rollout doctor`: loads the configuration, then checks every service against ECS in AWS (the SDK's
 * usual credentials, `--region`) or against local mode's ECS endpoint (`--local`, read from the API),
 * and a service with `traffic.alb` against its load balancer (ELBv2 in the load balancer's region, or
 * local mode's `elbv2` endpoint).
 */
async function doctor(values: Readonly<Record<string, unknown>>, io: CliEnvironment, api: RolloutApi, json: boolean): Promise<ExitCode> {
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

/** Every failure ends here: one `error:` line (plus the fields at fault), and its exit code. */
function report(e: unknown, { env, stderr }: CliEnvironment): ExitCode {
  // Messages quote the server's problem details and what was typed: escaped like everything printed.
  const message = (err: unknown) => terminalText(err instanceof Error ? err.message : String(err));
  if (e instanceof UsageError) {
    stderr.write(`error: ${message(e)}\n${e.command ? `run: rollout ${e.command.name} --help` : 'run: rollout --help'}\n`);
    return ExitCode.Usage;
  }
  if (e instanceof ApiError) {
    const fields = e.problem?.errors ?? [];
    const hint = e.status === 401 && !env.ROLLOUT_API_TOKEN ? ' (set ROLLOUT_API_TOKEN or pass --token)' : '';
    stderr.write(`error: ${message(e)}${hint}\n${fields.map((f) => `  - ${terminalText(String(f))}\n`).join('')}`);
    return exitCodeForStatus(e.status);
  }
  stderr.write(`error: ${message(e)}\n`);
  return ExitCode.Error;
}
