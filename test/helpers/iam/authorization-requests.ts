/**
 * What IAM authorizes for one recorded SDK call: the action (service prefix + operation, or the action
 * the Service Authorization Reference names for it), the resource ARN built from the call's input, and
 * the condition keys our policies use or could use. A call also implies the permissions AWS checks on
 * the caller alongside it: `iam:PassRole` for each role a task definition names (with
 * `iam:PassedToService`), `ecs:TagResource` for tags on a create (with `ecs:CreateAction`), and
 * `kms:Decrypt` on the customer key of an encrypted table or secret.
 *
 * An operation without a mapping throws: a new AWS call must say what it acts on before it is evaluated.
 */
import type { AwsCall } from './aws-call-recorder';

export interface AuthorizationRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string | string[]>>;
  /** What made it: `DescribeServices`, or `RegisterTaskDefinition (implied)`. */
  readonly because: string;
}

export interface AuthorizationEnvironment {
  readonly partition: string;
  readonly account: string;
  /** The state machine that issues the task tokens the functions answer. */
  readonly stateMachineArn: string;
  /** Customer-managed KMS keys by the ARN of what they encrypt (table, secret). */
  readonly customerKeys?: Readonly<Record<string, string>>;
}

type Input = Readonly<Record<string, unknown>>;
const str = (input: Input, key: string): string => {
  const value = input[key];
  if (typeof value !== 'string' || value === '') throw new Error(`recorded call has no ${key}: ${JSON.stringify(input)}`);
  return value;
};
const list = (input: Input, key: string): string[] => (Array.isArray(input[key]) ? (input[key] as string[]) : []);
const last = (value: string, separator: string): string => value.slice(value.lastIndexOf(separator) + 1);

export function authorizationRequests(call: AwsCall, env: AuthorizationEnvironment): AuthorizationRequest[] {
  const map = MAPPINGS[call.service];
  if (!map) throw new Error(`no IAM mapping for ${call.service} (${call.operation}), called by ${call.fn}: add it to authorization-requests.ts`);
  const at = { ...env, region: call.region };
  const requests = map(call, at);
  const keyed = requests.flatMap((r) => {
    const key = env.customerKeys?.[r.resource] ?? env.customerKeys?.[r.resource.replace(/\/index\/.*$/, '')];
    if (!key) return [r];
    const viaService = `${r.action.split(':')[0]}.${call.region}.amazonaws.com`;
    return [r, { action: 'kms:Decrypt', resource: key, context: { 'kms:ViaService': viaService }, because: `${r.because} (implied: customer key)` }];
  });
  return keyed;
}

type Env = AuthorizationEnvironment & { readonly region: string };
type Mapping = (call: AwsCall, env: Env) => AuthorizationRequest[];

const request = (action: string, resource: string, because: string, context: Record<string, string | string[]> = {}): AuthorizationRequest => ({
  action,
  resource,
  context,
  because,
});

const dynamodb: Mapping = ({ operation, input }, env) => {
  const tableArn = (name: string) => `arn:${env.partition}:dynamodb:${env.region}:${env.account}:table/${name}`;
  if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
    // IAM authorizes a batch as its parts: a write's puts as PutItem and deletes as DeleteItem, per table.
    const items = (input['RequestItems'] ?? {}) as Record<string, readonly Record<string, unknown>[] | Record<string, unknown>>;
    return Object.entries(items).flatMap(([name, entries]) => {
      if (operation === 'BatchGetItem') return [request('dynamodb:BatchGetItem', tableArn(name), operation)];
      const kinds = new Set((entries as readonly Record<string, unknown>[]).flatMap((e) => [...('PutRequest' in e ? ['PutItem'] : []), ...('DeleteRequest' in e ? ['DeleteItem'] : [])]));
      return [request('dynamodb:BatchWriteItem', tableArn(name), operation), ...[...kinds].map((k) => request(`dynamodb:${k}`, tableArn(name), `${operation} (implied: ${k})`))];
    });
  }
  const table = `arn:${env.partition}:dynamodb:${env.region}:${env.account}:table/${str(input, 'TableName')}`;
  const index = typeof input['IndexName'] === 'string' ? `${table}/index/${input['IndexName']}` : table;
  if (!['GetItem', 'PutItem', 'DeleteItem', 'UpdateItem', 'Query', 'Scan'].includes(operation)) throw new Error(`no IAM mapping for DynamoDB ${operation}`);
  return [request(`dynamodb:${operation}`, index, operation)];
};

/** An ECS cluster or service given by name or ARN; the service ARN is `service/<cluster>/<name>`. */
function ecsTarget(input: Input, env: Env): { cluster: string; clusterArn: string; service?: string; serviceArn?: string } {
  const prefix = `arn:${env.partition}:ecs:${env.region}:${env.account}`;
  const rawCluster = typeof input['cluster'] === 'string' ? input['cluster'] : 'default';
  const cluster = rawCluster.startsWith('arn:') ? last(rawCluster, '/') : rawCluster;
  const clusterArn = `${prefix}:cluster/${cluster}`;
  const rawService = typeof input['service'] === 'string' ? input['service'] : undefined;
  if (rawService === undefined) return { cluster, clusterArn };
  const service = last(rawService, '/');
  return { cluster, clusterArn, service, serviceArn: `${prefix}:service/${cluster}/${service}` };
}

const ecs: Mapping = ({ operation, input, output }, env) => {
  const prefix = `arn:${env.partition}:ecs:${env.region}:${env.account}`;
  const target = ecsTarget(input, env);
  const clusterKey = { 'ecs:cluster': target.clusterArn };
  const taskSetArn = (id: string) => `${prefix}:task-set/${target.cluster}/${target.service}/${last(id, '/')}`;
  const serviceKeys = () => ({ ...clusterKey, 'ecs:service': target.serviceArn! });
  switch (operation) {
    case 'DescribeServices':
      return list(input, 'services').map((s) => request('ecs:DescribeServices', `${prefix}:service/${target.cluster}/${last(s, '/')}`, operation, clusterKey));
    case 'UpdateServicePrimaryTaskSet':
      return [request('ecs:UpdateServicePrimaryTaskSet', target.serviceArn!, operation, clusterKey)];
    case 'DescribeTaskSets': {
      const ids = list(input, 'taskSets');
      return (ids.length ? ids : ['*']).map((id) => request('ecs:DescribeTaskSets', taskSetArn(id), operation, serviceKeys()));
    }
    case 'UpdateTaskSet':
    case 'DeleteTaskSet':
      return [request(`ecs:${operation}`, taskSetArn(str(input, 'taskSet')), operation, serviceKeys())];
    case 'CreateTaskSet': {
      // The id is made by ECS: the one it answered, or a placeholder when the call failed.
      const id = ((output?.['taskSet'] as { id?: string } | undefined)?.id ?? 'ecs-svc/new') as string;
      const taskDefinition = str(input, 'taskDefinition');
      const created = request('ecs:CreateTaskSet', taskSetArn(id), operation, { ...serviceKeys(), 'ecs:task-definition': taskDefinition });
      const tags = list(input, 'tags');
      return tags.length === 0 ? [created] : [created, request('ecs:TagResource', created.resource, `${operation} (implied: tags on create)`, { 'ecs:CreateAction': 'CreateTaskSet' })];
    }
    case 'DescribeTaskDefinition':
      return [request('ecs:DescribeTaskDefinition', '*', operation)];
    case 'RegisterTaskDefinition': {
      const revision = (output?.['taskDefinition'] as { revision?: number } | undefined)?.revision ?? 0;
      const arn = `${prefix}:task-definition/${str(input, 'family')}:${revision}`;
      const roles = [input['taskRoleArn'], input['executionRoleArn']].filter((r): r is string => typeof r === 'string' && r !== '');
      return [
        request('ecs:RegisterTaskDefinition', arn, operation),
        ...(list(input, 'tags').length ? [request('ecs:TagResource', arn, `${operation} (implied: tags on create)`, { 'ecs:CreateAction': 'RegisterTaskDefinition' })] : []),
        ...[...new Set(roles)].map((role) => request('iam:PassRole', role, `${operation} (implied: the task definition names the role)`, { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' })),
      ];
    }
    default:
      throw new Error(`no IAM mapping for ECS ${operation}`);
  }
};

const states: Mapping = ({ operation, input }, env) => {
  switch (operation) {
    case 'StartExecution':
      return [request('states:StartExecution', str(input, 'stateMachineArn'), operation)];
    case 'DescribeExecution':
    case 'StopExecution':
      return [request(`states:${operation}`, str(input, 'executionArn'), operation)];
    case 'SendTaskSuccess':
    case 'SendTaskFailure':
    case 'SendTaskHeartbeat':
      // Authorized against the state machine whose execution issued the token (CDK's grantTaskResponse).
      return [request(`states:${operation}`, env.stateMachineArn, operation)];
    default:
      throw new Error(`no IAM mapping for Step Functions ${operation}`);
  }
};

const cloudwatch: Mapping = ({ operation, input }, env) => {
  if (operation !== 'DescribeAlarms') throw new Error(`no IAM mapping for CloudWatch ${operation}`);
  const names = list(input, 'AlarmNames');
  if (names.length === 0) return [request('cloudwatch:DescribeAlarms', '*', operation)];
  return names.map((n) => request('cloudwatch:DescribeAlarms', `arn:${env.partition}:cloudwatch:${env.region}:${env.account}:alarm:${n}`, operation));
};

const ecr: Mapping = ({ operation, input }, env) => {
  if (operation === 'GetAuthorizationToken') return [request('ecr:GetAuthorizationToken', '*', operation)];
  const account = typeof input['registryId'] === 'string' ? input['registryId'] : env.account;
  const repository = `arn:${env.partition}:ecr:${env.region}:${account}:repository/${str(input, 'repositoryName')}`;
  switch (operation) {
    case 'BatchGetImage':
    case 'GetDownloadUrlForLayer':
      return [request(`ecr:${operation}`, repository, operation)];
    case 'ListImageReferrers':
      // The ECR API reference: "must have the ecr:BatchGetImage permission".
      return [request('ecr:BatchGetImage', repository, operation)];
    default:
      throw new Error(`no IAM mapping for ECR ${operation}`);
  }
};

const secretsManager: Mapping = ({ operation, input }, env) => {
  if (operation !== 'GetSecretValue') throw new Error(`no IAM mapping for Secrets Manager ${operation}`);
  const id = str(input, 'SecretId');
  // A name resolves to the secret's ARN, which ends in `-` and six random characters.
  const arn = id.startsWith('arn:') ? id : `arn:${env.partition}:secretsmanager:${env.region}:${env.account}:secret:${id}-AbCdEf`;
  return [request('secretsmanager:GetSecretValue', arn, operation, { 'secretsmanager:SecretId': arn })];
};

const lambda: Mapping = ({ operation, input }, env) => {
  if (operation !== 'Invoke') throw new Error(`no IAM mapping for Lambda ${operation}`);
  // A function named by its name is the function of that name in the caller's account and region.
  const name = str(input, 'FunctionName');
  const arn = name.startsWith('arn:') ? name : `arn:${env.partition}:lambda:${env.region}:${env.account}:function:${name}`;
  return [request('lambda:InvokeFunction', arn, operation)];
};

const signer: Mapping = ({ operation, input }) => {
  if (operation !== 'GetRevocationStatus') throw new Error(`no IAM mapping for AWS Signer ${operation}`);
  // The Service Authorization Reference requires both resource types: the signing job and the profile (here its version).
  return [request('signer:GetRevocationStatus', str(input, 'jobArn'), operation), request('signer:GetRevocationStatus', str(input, 'profileVersionArn'), operation)];
};

const elbv2: Mapping = ({ operation, input }) => {
  switch (operation) {
    case 'DescribeListeners':
    case 'DescribeLoadBalancers':
    case 'DescribeRules':
    case 'DescribeTargetGroupAttributes':
    case 'DescribeTargetGroups':
    case 'DescribeTargetHealth':
      // The Service Authorization Reference lists no resource type for the Describe actions.
      return [request(`elasticloadbalancing:${operation}`, '*', operation)];
    case 'ModifyRule':
      return [request('elasticloadbalancing:ModifyRule', str(input, 'RuleArn'), operation)];
    case 'ModifyListener':
      return [request('elasticloadbalancing:ModifyListener', str(input, 'ListenerArn'), operation)];
    default:
      throw new Error(`no IAM mapping for Elastic Load Balancing ${operation}`);
  }
};

const MAPPINGS: Readonly<Record<string, Mapping>> = {
  DynamoDB: dynamodb,
  ECS: ecs,
  SFN: states,
  CloudWatch: cloudwatch,
  ECR: ecr,
  'Secrets Manager': secretsManager,
  Lambda: lambda,
  signer,
  'Elastic Load Balancing v2': elbv2,
};
