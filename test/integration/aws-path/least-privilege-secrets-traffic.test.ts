/**
 * Every AWS call checked against the role that makes it (as least-privilege.test.ts), for the features
 * that read secrets and move load balancer weights: a service that notifies (a signed webhook and a Slack
 * incoming webhook, both received on loopback) and is approved once through its approval link, a service
 * with `traffic.alb` on the ELBv2 stand-in (attached to the ECS emulator as in local mode), a blue-green
 * service on the same stand-in (its preview rule, the approval, the switch, `scaleDownDelay`), and images on
 * a registry that requires a password (Debian's docker-registry with htpasswd), whose password is a secret
 * of the stack. Every secret is read from Secrets Manager under the id ROLLOUT_SECRETS gives the function
 * that reads it, and no function reads one it was not given.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seedTraffic, startElbV2StandIn, type RunningElbV2StandIn } from '../../../local/elbv2-stand-in';
import { generateCosignKeyPair, pushCosignSignature } from '../../../local/registry/cosign-signer';
import { startDockerRegistry, type RunningRegistry } from '../../../local/registry/docker-registry';
import { buildAndPushImage } from '../../../local/registry/oci-image';
import { verifyBodySignature } from '../../../shared/notifications/signing';
import { waitFor } from '../../helpers/http';
import { startAwsPath, type AwsPath } from '../../helpers/iam/aws-path-harness';
import { alarmEvent } from '../../helpers/lambda-events';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const keys = generateCosignKeyPair();
const WEBHOOK = 'iam-webhook-token';
const API = 'iam-api-token';
const REGISTRY_USER = 'ci';
const REGISTRY_PASSWORD = 'iam-registry-password';
/** bcrypt (cost 4, the lowest: distribution checks it on every request) of REGISTRY_PASSWORD. */
const REGISTRY_HTPASSWD = `${REGISTRY_USER}:$2b$04$09.c3wCrYfKIMPqtqS3jjuWbfQ7EF1Ka6xSIdlShKasBOEgQk45TO\n`;
const NOTIFY_SECRET = 'iam-notify-signing-key-0123456789';
const LINK_SECRET = 'iam-link-secret-0123456789abcdef0123456789abcdef';

const ELB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}`;
const hex = (n: number) => n.toString(16).padStart(16, '0');
const ALB = {
  listenerRule: `${ELB}:listener-rule/app/shop/${hex(1)}/${hex(2)}/${hex(3)}`,
  targetGroups: [`${ELB}:targetgroup/shop-blue/${hex(4)}`, `${ELB}:targetgroup/shop-green/${hex(5)}`] as [string, string],
};
/** Blue-green: production's rule and a test listener's preview rule, on one load balancer. */
const blueGreenOf = (name: string, n: number) => ({
  listenerRule: `${ELB}:listener-rule/app/${name}/${hex(n)}/${hex(n + 1)}/${hex(n + 2)}`,
  preview: `${ELB}:listener-rule/app/${name}/${hex(n)}/${hex(n + 3)}/${hex(n + 4)}`,
  targetGroups: [`${ELB}:targetgroup/${name}-blue/${hex(n + 5)}`, `${ELB}:targetgroup/${name}-green/${hex(n + 6)}`] as [string, string],
});
/** Promoted after a short scaleDownDelay. */
const BLUE_GREEN = blueGreenOf('promo', 16);
/** Kept PROMOTING for long: an alarm surely lands within its scaleDownDelay. */
const GUARDED = blueGreenOf('guard', 32);
/** Weights on a listener's default action instead of a rule. */
const ALB_LISTENER = {
  listener: `${ELB}:listener/app/cart/${hex(6)}/${hex(7)}`,
  targetGroups: [`${ELB}:targetgroup/cart-blue/${hex(8)}`, `${ELB}:targetgroup/cart-green/${hex(9)}`] as [string, string],
};

/**
 * Grants no scenario here uses, each with the reason it stays (least-privilege.test.ts keeps the same
 * list for its own stack, where most of these are exercised or explained alike).
 */
const UNUSED_GRANTS_JUSTIFIED: Readonly<Record<string, string>> = {
  '*:WriteOwnLogs:logs:CreateLogStream': 'The Lambda runtime writes the function\'s own log group with its role.',
  '*:WriteOwnLogs:logs:PutLogEvents': 'The Lambda runtime writes the function\'s own log group with its role.',
  '*:*:xray:PutTraceSegments': 'Active tracing (no resource-level permissions).',
  '*:*:xray:PutTelemetryRecords': 'Active tracing, as above.',
  'stateMachine:*:xray:GetSamplingRules': 'Active tracing of the workflow.',
  'stateMachine:*:xray:GetSamplingTargets': 'Active tracing of the workflow.',
  ...Object.fromEntries(
    ['CreateLogDelivery', 'DeleteLogDelivery', 'DescribeLogGroups', 'DescribeResourcePolicies', 'GetLogDelivery', 'ListLogDeliveries', 'PutResourcePolicy', 'UpdateLogDelivery'].map(
      (action) => [`stateMachine:*:logs:${action}`, 'Step Functions delivers the workflow\'s error logs with its role.'],
    ),
  ),
  ...Object.fromEntries(['SendMessage', 'GetQueueAttributes', 'GetQueueUrl'].map((action) => [`*:*:sqs:${action}`, 'EventBridge targets: failed events go to the dead-letter queue with the function\'s role.'])),
  '*:AnswerApprovalWaits:states:SendTaskSuccess': 'Every entry point can end or move a rollout that holds a callback wait (least-privilege.test.ts exercises them).',
  '*:AnswerApprovalWaits:states:SendTaskFailure': 'As SendTaskSuccess.',
  '*:StartRolloutExecution:states:StartExecution': 'Any step that ends a rollout hands the service lock on and starts the next clock.',
  '*:DescribeRolloutExecutions:states:DescribeExecution': 'Starting a clock looks at the current execution first.',
  '*:EcsServices:ecs:DescribeServices': 'Every function that shifts looks at the service first.',
  '*:EcsServices:ecs:UpdateServicePrimaryTaskSet': 'Shift access: a promotion converging after a race, or a rollback that finds the canary primary.',
  '*:EcsTaskSets:ecs:DescribeTaskSets': 'Shift access: every ECS action of a rollback or a steady look describes the task sets.',
  '*:EcsTaskSets:ecs:UpdateTaskSet': 'Shift access: re-applying a drifted weight or rolling back.',
  '*:EcsTaskSets:ecs:DeleteTaskSet': 'Shift access: rolling back deletes the canary task set.',
  '*:EcsDescribeTaskDefinitions:ecs:DescribeTaskDefinition': 'Describing a task set resolves its image through its task definition.',
  '*:RolloutTable:dynamodb:PutItem': 'Items access: every function that changes a rollout saves it.',
  '*:RolloutTable:dynamodb:BatchWriteItem': 'Items access: a long rollout log moves its oldest events to event items in batches; every role has the same item access.',
  '*:RolloutTable:dynamodb:DeleteItem': 'Items access: releasing a lock, dropping a queue entry or an active marker.',
  'awaitApproval:RolloutTable:dynamodb:GetItem': 'A callback wait keeps its token unread (one UpdateItem); it reads the record only when another writer saved since its directive (least-privilege.test.ts).',
  '*:RolloutTable:dynamodb:UpdateItem': 'Items access: a callback wait keeps its task token with one UpdateItem; every role has the same item access.',
  'watchdog:InvokeIntake:lambda:InvokeFunction': 'The sweep hands on a delivery never processed (test/integration/webhooks/webhook-intake.test.ts).',
  'advance:EcsTagNewTaskDefinitions:ecs:TagResource': 'A stable revision with tags: evaluated in least-privilege.test.ts (the emulator\'s revisions carry none).',
  // A listener's default action is moved as a rule is (the shop service's scenarios move it from every function that can); the cart service's from Advance.
  '*:ElbDescribe:elasticloadbalancing:DescribeListeners': 'As DescribeRules, for a service whose traffic.alb names a listener: every function that moves task sets moves its weights.',
  '*:ElbModifyListeners:elasticloadbalancing:ModifyListener': 'As ModifyRule, for a listener\'s default action.',
  // Recover and the watchdog's re-drive have their scenarios in least-privilege.test.ts; here they would act the same on these services.
  'recover:RolloutTable:dynamodb:GetItem': 'Recover loads the rollout it rolls back (least-privilege.test.ts: a crashed Advance).',
  'recover:RolloutTable:dynamodb:Query': 'Recover loads the rollout with its events (least-privilege.test.ts: a crashed Advance).',
  ...Object.fromEntries(
    ['advance', 'alarmStateChange', 'api'].map((fn) => [
      `${fn}:RolloutTable:dynamodb:Query`,
      'Ending a rollout reads the service\'s queue only when a rollout queued behind it (the lock is marked), which no scenario here does (least-privilege.test.ts queues one).',
    ]),
  ),
  'watchdog:RolloutTableSweepIndexes:dynamodb:Query': 'The sweep lists the active rollouts and the webhook deliveries not processed yet (least-privilege.test.ts); no sweep runs here.',
  'watchdog:RolloutTable:dynamodb:GetItem': 'The watchdog re-drives a rollout without a clock (least-privilege.test.ts); here it may read one on an execution\'s status change.',
  // With ALB weights the weight is routed once both task sets are steady: by whichever of AwaitSteady's look and the ECS event sees it first.
  'awaitApproval:ElbDescribe:elasticloadbalancing:DescribeRules': 'AwaitSteady\'s look routes the weight when it sees both sets steady before the ECS event does (a race: here either may).',
  'awaitApproval:ElbModifyRules:elasticloadbalancing:ModifyRule': 'As DescribeRules.',
  'ecsEvent:ElbDescribe:elasticloadbalancing:DescribeRules': 'The ECS event routes the weight when it sees both sets steady before AwaitSteady\'s look does (a race: here either may).',
  'ecsEvent:ElbModifyRules:elasticloadbalancing:ModifyRule': 'As DescribeRules.',
  'recover:ElbDescribe:elasticloadbalancing:DescribeRules': 'Recover rolls back, which moves the weight of a service with traffic.alb first.',
  'recover:ElbModifyRules:elasticloadbalancing:ModifyRule': 'As DescribeRules: Recover\'s rollback of a weighted service.',
  'watchdog:ElbDescribe:elasticloadbalancing:DescribeRules': 'The watchdog answers overdue waits (a steady wait timed out rolls back) and hands the lock on, which may supersede: both move weights.',
  'watchdog:ElbModifyRules:elasticloadbalancing:ModifyRule': 'As DescribeRules: a rollback or a supersede from the watchdog.',
  // Every function that runs a rollback may end the rollout itself (ROLLED_BACK when the stable set is
  // steady at once, FAILED when the rollback fails): both are notified with the notification credentials.
  'alarmStateChange:ReadSecrets:secretsmanager:GetSecretValue': 'Its rollback can end the rollout (ROLLED_BACK, FAILED: notified); here the stable set needed time and the workflow ended it.',
  'awaitApproval:ReadSecrets:secretsmanager:GetSecretValue': 'AwaitSteady rolls back a rollout whose canary disappeared, which can end it (ROLLED_BACK, FAILED: notified).',
  'ecsEvent:ReadSecrets:secretsmanager:GetSecretValue': 'As AwaitSteady: its look at ECS rolls back a rollout whose canary disappeared.',
  'recover:ReadSecrets:secretsmanager:GetSecretValue': 'Recover rolls back (ROLLED_BACK, FAILED: notified).',
  'watchdog:ReadSecrets:secretsmanager:GetSecretValue': 'The watchdog ends rollouts whose waits are overdue (a rollback, or an approval timeout that promotes: notified).',
  // The checks at a rollout's start (shared/orchestration/alb-preflight.ts) run in the function that starts it: the intake
  // function in these scenarios; any function that ends a rollout hands the service lock on and starts the next one.
  'advance:ElbDescribe:elasticloadbalancing:DescribeLoadBalancers': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'advance:ElbDescribe:elasticloadbalancing:DescribeTargetGroupAttributes': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'advance:ElbDescribe:elasticloadbalancing:DescribeTargetGroups': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'alarmStateChange:ElbDescribe:elasticloadbalancing:DescribeLoadBalancers': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'alarmStateChange:ElbDescribe:elasticloadbalancing:DescribeTargetGroupAttributes': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'alarmStateChange:ElbDescribe:elasticloadbalancing:DescribeTargetGroups': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'api:ElbDescribe:elasticloadbalancing:DescribeLoadBalancers': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'api:ElbDescribe:elasticloadbalancing:DescribeTargetGroupAttributes': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'api:ElbDescribe:elasticloadbalancing:DescribeTargetGroups': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'awaitApproval:ElbDescribe:elasticloadbalancing:DescribeLoadBalancers': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'awaitApproval:ElbDescribe:elasticloadbalancing:DescribeTargetGroupAttributes': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'awaitApproval:ElbDescribe:elasticloadbalancing:DescribeTargetGroups': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'ecsEvent:ElbDescribe:elasticloadbalancing:DescribeLoadBalancers': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'ecsEvent:ElbDescribe:elasticloadbalancing:DescribeTargetGroupAttributes': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'ecsEvent:ElbDescribe:elasticloadbalancing:DescribeTargetGroups': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'recover:ElbDescribe:elasticloadbalancing:DescribeLoadBalancers': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'recover:ElbDescribe:elasticloadbalancing:DescribeTargetGroupAttributes': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'recover:ElbDescribe:elasticloadbalancing:DescribeTargetGroups': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'watchdog:ElbDescribe:elasticloadbalancing:DescribeLoadBalancers': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'watchdog:ElbDescribe:elasticloadbalancing:DescribeTargetGroupAttributes': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'watchdog:ElbDescribe:elasticloadbalancing:DescribeTargetGroups': 'Reads the load balancer and the pair when this function starts a queued rollout (the lock handed on); here the intake function starts them.',
  'awaitApproval:RolloutTable:dynamodb:Query': 'Ending a rollout reads the service queue to hand the lock on, and a rollout with a long log reads its older events: neither happens from this function here.',
  'ecsEvent:RolloutTable:dynamodb:Query': 'Ending a rollout reads the service queue to hand the lock on, and a rollout with a long log reads its older events: neither happens from this function here.',
  'watchdog:RolloutTable:dynamodb:Query': 'Ending a rollout reads the service queue to hand the lock on, and a rollout with a long log reads its older events: neither happens from this function here.',
};

let dir: string;
let registry: RunningRegistry;
let elb: RunningElbV2StandIn;
let receiver: Server;
let receiverUrl: string;
const received: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
const alarmStates: Record<string, string> = { 'web-5xx': 'OK', 'shop-5xx': 'OK', 'guard-5xx': 'OK' };
let aws: AwsPath;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollout-iam-secrets-'));
  registry = await startDockerRegistry({ htpasswd: REGISTRY_HTPASSWD, logLevel: 'error' });
  elb = await startElbV2StandIn();
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  writeFileSync(join(dir, 'web.pub'), keys.publicKeyPem);
  writeFileSync(
    join(dir, 'rollout.config.yaml'),
    [
      'registries:',
      `  "${registry.host}": { insecure: true, username: ${REGISTRY_USER}, passwordEnv: REGISTRY_PASSWORD }`,
      'services:',
      '  web:',
      '    cluster: prod',
      '    service: web',
      `    image: ${registry.host}/team/web`,
      '    verify: { keys: [web.pub] }',
      '    steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }]',
      '    alarms: [web-5xx]',
      '    notify:',
      `      - webhook: { url: "${receiverUrl}/hooks", secretEnv: NOTIFY_SECRET, name: ops }`,
      '      - slack: { webhookUrlEnv: SLACK_WEBHOOK_URL }',
      '  shop:',
      '    cluster: prod',
      '    service: shop',
      `    image: ${registry.host}/team/shop`,
      '    verify: { keys: [web.pub] }',
      '    steps: [{ setWeight: 20 }, { setWeight: 60 }, { pause: {} }, { setWeight: 100 }]',
      '    alarms: [shop-5xx]',
      `    traffic: { alb: { listenerRule: "${ALB.listenerRule}", targetGroups: ["${ALB.targetGroups[0]}", "${ALB.targetGroups[1]}"] } }`,
      '  cart:',
      '    cluster: prod',
      '    service: cart',
      `    image: ${registry.host}/team/cart`,
      '    verify: { keys: [web.pub] }',
      '    steps: [{ setWeight: 50 }, { setWeight: 100 }]',
      `    traffic: { alb: { listener: "${ALB_LISTENER.listener}", targetGroups: ["${ALB_LISTENER.targetGroups[0]}", "${ALB_LISTENER.targetGroups[1]}"] } }`,
      ...[['promo', BLUE_GREEN, '3s'], ['guard', GUARDED, '1h']].flatMap(([name, bg, delay]) => {
        const { listenerRule, preview, targetGroups } = bg as typeof BLUE_GREEN;
        return [
          `  ${name as string}:`,
          '    cluster: prod',
          `    service: ${name as string}`,
          `    image: ${registry.host}/team/${name as string}`,
          '    verify: { keys: [web.pub] }',
          `    alarms: [${name as string}-5xx]`,
          `    traffic: { alb: { listenerRule: "${listenerRule}", targetGroups: ["${targetGroups[0]}", "${targetGroups[1]}"] } }`,
          `    blueGreen: { previewListenerRule: "${preview}", autoPromote: false, scaleDownDelay: ${delay as string} }`,
        ];
      }),
      '  vault:',
      '    cluster: prod',
      '    service: vault',
      `    image: ${registry.host}/team/vault`,
      '    verify: { keys: [web.pub], waitFor: 1h }',
      '    steps: [{ setWeight: 100 }]',
      '',
    ].join('\n'),
  );
  const slackUrl = `${receiverUrl}/slack`;
  aws = await startAwsPath({
    account: ACCOUNT,
    region: REGION,
    configFile: join(dir, 'rollout.config.yaml'),
    // The loader checks at synth that each named variable is set; the functions read none of them from their environment.
    configEnv: { REGISTRY_PASSWORD, NOTIFY_SECRET, SLACK_WEBHOOK_URL: slackUrl },
    secretValues: { ROLLOUT_WEBHOOK_TOKEN: WEBHOOK, ROLLOUT_API_TOKEN: API, ROLLOUT_LINK_SECRET: LINK_SECRET, REGISTRY_PASSWORD, NOTIFY_SECRET, SLACK_WEBHOOK_URL: slackUrl },
    alarmStates,
    environment: { AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: elb.endpoint },
    taskStartMs: 200,
    seed: (ecs, config) => {
      // As local mode does (local/local-stack.ts): the emulator's task sets register with the stand-in's target groups.
      ecs.emulator.attachLoadBalancers(elb.standIn);
      for (const service of Object.values(config.services)) {
        ecs.emulator.seedService({
          cluster: 'prod',
          service: service.name,
          desiredCount: 2,
          containerName: 'app',
          image: `${registry.host}/team/${service.name}:initial`,
          ...(service.traffic ? { targetGroupArn: service.traffic.alb.targetGroups[0] } : {}),
        });
        if (service.traffic) {
          const preview = service.blueGreen ? { previewListenerRule: service.blueGreen.previewListenerRule } : {};
          seedTraffic(elb.standIn, { service: service.name, alb: service.traffic.alb, ...preview }, { healthCheck: { intervalSeconds: 0.05, healthyThreshold: 2 }, deregistrationDelaySeconds: 0.2 });
        }
      }
    },
  });
}, 90_000);

afterAll(async () => {
  await aws?.close();
  await Promise.all([registry?.stop(), elb?.close(), new Promise((r) => (receiver ? receiver.close(r) : r(undefined)))]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await aws.expectEveryCallAllowed();
});

const get = async (id: string) => (await aws.call('GET', `/rollouts/${id}`, API)).body;
const until = (id: string, check: (r: any) => boolean, what: string) => waitFor(`${id} ${what}`, async () => ((r) => (check(r) ? r : undefined))(await get(id)), 20_000);
const atApproval = (id: string) => waitFor('the approval wait to hold its token', async () => aws.execution(id)?.states.at(-1) === 'AwaitApproval' || undefined);
/** The functions that read a secret, by the variable it stands for. */
const readersOf = (variable: string) =>
  [...new Set(aws.recorder.calls.filter((c) => c.operation === 'GetSecretValue' && c.input['SecretId'] === aws.secretIds[variable]).map((c) => c.fn))].sort();

let n = 0;
/** An image pushed with the registry's credentials (signed unless asked not to), announced through the API's registry webhook. */
async function deploy(service: string, options: { signed: boolean } = { signed: true }): Promise<{ id: string; digest: string }> {
  const repository = `team/${service}`;
  const image = await buildAndPushImage({ host: registry.host, repository, tag: `v${++n}`, label: `iam-secrets-${n}-${Date.now()}`, credentials: `${REGISTRY_USER}:${REGISTRY_PASSWORD}` });
  if (options.signed) await sign(repository, image.digest);
  const envelope = { events: [{ id: `e${n}`, action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.digest, repository, tag: `v${n}` }, request: { host: registry.host } }] };
  const res = await aws.call('POST', '/webhooks/registry', WEBHOOK, envelope, 'application/vnd.docker.distribution.events.v2+json');
  expect(res.status).toBe(202);
  expect(res.body.accepted).toHaveLength(1);
  return { id: res.body.accepted[0].rolloutId as string, digest: image.digest };
}
const sign = (repository: string, digest: string) =>
  pushCosignSignature({ host: registry.host, repository, digest, privateKeyPem: keys.privateKeyPem, username: REGISTRY_USER, password: REGISTRY_PASSWORD });

/** The notifications of one rollout, by path (`/hooks`, `/slack`). */
const notices = (path: string, id: string) => received.filter((r) => r.path === path && r.body.includes(id));
type Forward = { Type: string; ForwardConfig?: { TargetGroups: { TargetGroupArn: string; Weight: number }[] } };
const weightsOf = (actions: Forward[]) => Object.fromEntries(actions.find((a) => a.Type === 'forward')!.ForwardConfig!.TargetGroups.map((t) => [t.TargetGroupArn, t.Weight]));
/** Forward weights of the listener rule, as target group → weight, from what the stand-in holds. */
const ruleWeights = async (rule = ALB.listenerRule) => weightsOf((elb.standIn.invoke('DescribeRules', { RuleArns: [rule] }) as { Rules: { Actions: Forward[] }[] }).Rules[0]!.Actions);
/** The functions that called `operation` on listener rule `rule`. */
const callersOn = (operation: string, rule: string) =>
  [...new Set(aws.recorder.calls.filter((c) => c.operation === operation && (c.input['RuleArn'] === rule || (c.input['RuleArns'] as string[] | undefined)?.includes(rule))).map((c) => c.fn))].sort();
/** The same for the listener's default action. */
const listenerWeights = () =>
  weightsOf((elb.standIn.invoke('DescribeListeners', { ListenerArns: [ALB_LISTENER.listener] }) as { Listeners: { DefaultActions: Forward[] }[] }).Listeners[0]!.DefaultActions);

describe('notifications, approval links, ALB weights and a registry password in AWS, every call evaluated against its role', () => {
  it('the registry refuses anonymous requests', async () => {
    expect((await fetch(`${registry.url}/v2/team/web/tags/list`)).status).toBe(401);
  });

  it('notifies through a signed webhook and Slack, and is approved once through its approval link', async () => {
    const { id } = await deploy('web');
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    await atApproval(id);
    const paused = await waitFor('the approval request', async () => notices('/hooks', id).find((r) => JSON.parse(r.body).rollout?.status === 'PAUSED'));
    expect(verifyBodySignature(NOTIFY_SECRET, paused.body, paused.headers['x-rollout-signature'] as string)).toBe(true);
    await waitFor('the Slack message', async () => notices('/slack', id).length > 0 || undefined);
    const approveUrl = new URL(JSON.parse(paused.body).approval.approveUrl as string);
    expect(approveUrl.pathname).toMatch(/^\/approvals\/[^/]+$/);

    const approved = await aws.call('POST', approveUrl.pathname, null);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ rolloutId: id, action: 'approve', by: 'link:ops' });
    // Single use: the same link again is refused (a 4xx) and changes nothing.
    const again = await aws.call('POST', approveUrl.pathname, null);
    expect(again.status).toBeGreaterThanOrEqual(400);
    expect(again.status).toBeLessThan(500);
    expect((await aws.ended(id)).status).toBe('SUCCEEDED');
    await waitFor('the success notice', async () => notices('/hooks', id).some((r) => JSON.parse(r.body).rollout?.status === 'SUCCEEDED') || undefined);

    // The link key is read where links are signed (Advance reaches the approval wait) and where one is redeemed (the API).
    expect(readersOf('ROLLOUT_LINK_SECRET')).toEqual(['advance', 'api']);
    expect(readersOf('NOTIFY_SECRET')).toContain('advance');
    expect(readersOf('SLACK_WEBHOOK_URL')).toContain('advance');
  });

  it('an alarm during the approval wait rolls back, and the rollback is notified, signed', async () => {
    const { id } = await deploy('web');
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    await atApproval(id);
    alarmStates['web-5xx'] = 'ALARM';
    try {
      expect((await aws.fns.alarmStateChange(alarmEvent('web-5xx'))).rolledBack).toEqual([id]);
    } finally {
      alarmStates['web-5xx'] = 'OK';
    }
    await aws.ended(id);
    expect((await get(id)).status).toBe('ROLLED_BACK');
    const notice = await waitFor('the rollback notice', async () => notices('/hooks', id).find((r) => JSON.parse(r.body).rollout?.status === 'ROLLED_BACK'));
    expect(verifyBodySignature(NOTIFY_SECRET, notice.body, notice.headers['x-rollout-signature'] as string)).toBe(true);
  });

  it('moves the listener rule weights step by step to SUCCEEDED', async () => {
    const { id } = await deploy('shop');
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    expect(await ruleWeights()).toEqual({ [ALB.targetGroups[0]]: 40, [ALB.targetGroups[1]]: 60 });
    await atApproval(id);
    expect((await aws.call('POST', `/rollouts/${id}/approve`, API, { by: 'ann' })).status).toBe(200);
    expect((await aws.ended(id)).status).toBe('SUCCEEDED');
    // The canary took the second group of the pair and all the traffic.
    expect(await ruleWeights()).toEqual({ [ALB.targetGroups[1]]: 100, [ALB.targetGroups[0]]: 0 });
    expect(aws.calledBy('advance', 'ModifyRule')).toBe(true);
    expect(aws.calledBy('advance', 'DescribeRules')).toBe(true);
    expect((await aws.call('GET', '/rollouts?service=shop&limit=5', API)).body.items[0].id).toBe(id);
  });

  it('a push that supersedes a weighted rollout moves its weight back from the intake function; an abort from the API', async () => {
    const first = await deploy('shop');
    await until(first.id, (r) => r.status === 'PAUSED', 'paused');
    await atApproval(first.id);
    const second = await deploy('shop');
    await until(first.id, (r) => r.status === 'ROLLED_BACK', 'superseded');
    expect(aws.calledBy('ecrPush', 'ModifyRule')).toBe(true);
    await until(second.id, (r) => r.status === 'PAUSED', 'paused');
    await atApproval(second.id);
    expect((await aws.call('POST', `/rollouts/${second.id}/abort`, API, { by: 'test' })).status).toBe(200);
    await aws.ended(second.id);
    expect((await get(second.id)).status).toBe('ROLLED_BACK');
    expect(aws.calledBy('api', 'ModifyRule')).toBe(true);
  });

  it('an alarm during the approval wait moves the weight back and rolls back', async () => {
    const { id } = await deploy('shop');
    await until(id, (r) => r.status === 'PAUSED', 'paused');
    expect(await ruleWeights()).toEqual({ [ALB.targetGroups[1]]: 40, [ALB.targetGroups[0]]: 60 });
    expect((await aws.fns.alarmStateChange(alarmEvent('shop-5xx'))).rolledBack).toEqual([id]);
    await aws.ended(id);
    expect((await get(id)).status).toBe('ROLLED_BACK');
    const weights = await ruleWeights();
    // The stable set, in the second group since the first promotion, serves all traffic again.
    expect(weights).toEqual({ [ALB.targetGroups[1]]: 100, [ALB.targetGroups[0]]: 0 });
    expect(aws.calledBy('alarmStateChange', 'ModifyRule')).toBe(true);
  });

  it("moves a listener's default action to SUCCEEDED", async () => {
    const { id } = await deploy('cart');
    expect((await aws.ended(id)).status).toBe('SUCCEEDED');
    expect(listenerWeights()).toEqual({ [ALB_LISTENER.targetGroups[1]]: 100, [ALB_LISTENER.targetGroups[0]]: 0 });
    expect(aws.calledBy('advance', 'DescribeListeners')).toBe(true);
    expect(aws.calledBy('advance', 'ModifyListener')).toBe(true);
  });

  it('blue-green: the preview rule shows the new set, an approval switches production in one call, and the old set goes after scaleDownDelay', async () => {
    const [blue, green] = BLUE_GREEN.targetGroups;
    const { id } = await deploy('promo');
    await until(id, (r) => r.status === 'PAUSED', 'paused for the preview');
    await atApproval(id);
    // The new set, in the other group of the pair, behind the preview rule only.
    expect(await ruleWeights(BLUE_GREEN.preview)).toEqual({ [blue]: 0, [green]: 100 });
    expect(await ruleWeights(BLUE_GREEN.listenerRule)).toEqual({ [blue]: 100, [green]: 0 });
    expect(callersOn('ModifyRule', BLUE_GREEN.preview)).toEqual(['advance']);
    expect((await aws.call('POST', `/rollouts/${id}/approve`, API, { by: 'ann' })).status).toBe(200);
    const promoting = await until(id, (r) => r.status === 'PROMOTING', 'promoting');
    expect(promoting.canaryWeight).toBe(100);
    expect(await ruleWeights(BLUE_GREEN.listenerRule)).toEqual({ [blue]: 0, [green]: 100 });
    expect((await aws.ended(id)).status).toBe('SUCCEEDED');
    expect(await ruleWeights(BLUE_GREEN.listenerRule)).toEqual({ [blue]: 0, [green]: 100 });
    expect(callersOn('ModifyRule', BLUE_GREEN.listenerRule)).toContain('advance');
  });

  it('blue-green: an alarm while PROMOTING switches production back in one call from the alarm function, and rolls back', async () => {
    const [blue, green] = GUARDED.targetGroups;
    const { id } = await deploy('guard');
    await until(id, (r) => r.status === 'PAUSED', 'paused for the preview');
    await atApproval(id);
    expect(await ruleWeights(GUARDED.preview)).toEqual({ [blue]: 0, [green]: 100 });
    expect((await aws.call('POST', `/rollouts/${id}/approve`, API, { by: 'ann' })).status).toBe(200);
    await until(id, (r) => r.status === 'PROMOTING' && r.events.some((e: { type: string }) => e.type === 'SWITCHED'), 'switched');
    // Quiet: the workflow waits out scaleDownDelay, so the alarm function alone acts on the alarm.
    await waitFor('the scaleDownDelay wait', async () => aws.execution(id)?.states.at(-1) === 'Wait' || undefined);
    expect(await ruleWeights(GUARDED.listenerRule)).toEqual({ [blue]: 0, [green]: 100 });
    // The alarm's event alone: PROMOTING watches the alarms as a bake does, so an alarm CloudWatch also
    // showed would race the workflow's own look (which rolls back from Advance, as least-privilege.test.ts
    // evaluates); the alarm function acts on the event without reading CloudWatch.
    expect((await aws.fns.alarmStateChange(alarmEvent('guard-5xx'))).rolledBack).toEqual([id]);
    expect(await ruleWeights(GUARDED.listenerRule)).toEqual({ [blue]: 100, [green]: 0 });
    await aws.ended(id);
    expect((await get(id)).status).toBe('ROLLED_BACK');
    expect(callersOn('ModifyRule', GUARDED.listenerRule)).toContain('alarmStateChange');
    expect(callersOn('ModifyRule', GUARDED.preview)).toEqual(['advance']);
  });

  it("the workflow's own look finds a signature pushed after its image on the registry with a password", async () => {
    const late = await deploy('vault', { signed: false });
    await until(late.id, (r) => r.status === 'PENDING' && r.wait?.for === 'signature', 'waiting for its signature');
    await sign('team/vault', late.digest);
    // No event for the signature: only Advance's look can find it, with the password it reads itself.
    expect((await aws.ended(late.id)).status).toBe('SUCCEEDED');
    expect((await get(late.id)).signature).toBeTruthy();
    expect(readersOf('REGISTRY_PASSWORD')).toContain('advance');
  });

  it('uses every grant, or the grant is justified', async () => {
    await aws.sfn.emulator.idle();
    await aws.expectEveryCallAllowed();
    const { unused, stale, exercised } = aws.grantsReport(UNUSED_GRANTS_JUSTIFIED);
    expect(unused, 'grants no recorded call used and UNUSED_GRANTS_JUSTIFIED does not explain').toEqual([]);
    expect(stale, 'UNUSED_GRANTS_JUSTIFIED entries for grants the stack no longer has: remove them').toEqual([]);
    // Races: which of AwaitSteady's look and the ECS event routes a weight first; whether the watchdog's look at an
    // execution's status change finds its rollout still to read.
    const raced = [
      ...['awaitApproval', 'ecsEvent'].flatMap((fn) => [`${fn}:ElbDescribe:elasticloadbalancing:DescribeRules`, `${fn}:ElbModifyRules:elasticloadbalancing:ModifyRule`]),
      'watchdog:RolloutTable:dynamodb:GetItem',
    ];
    expect(exercised.filter((key) => !raced.includes(key)), 'UNUSED_GRANTS_JUSTIFIED entries the scenarios now exercise: remove them').toEqual([]);
  });
});
