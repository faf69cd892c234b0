/**
 * The synthesized template as IAM sees it after deployment: CloudFormation intrinsics resolved to
 * concrete names and ARNs (each resource named by its logical id, in the stack's account and region),
 * each function's role policies and environment, and the state machine's role. Every identity policy
 * attached to a role counts: its AWS::IAM::Policy resources, its inline policies and its managed
 * policies (a managed policy is refused: its document is not in the template).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { ROLLOUT_FUNCTION_NAMES, type RolloutFunctionName } from '../../../infra/rollout-functions';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}
export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: PolicyStatement[];
}

export interface SynthesizedRole {
  readonly roleArn: string;
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocument }[];
}

export interface SynthesizedStack {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** `api`, `advance`, ... and `stateMachine`. */
  readonly roles: Readonly<Record<string, SynthesizedRole>>;
  /** Each function's Lambda environment. */
  readonly environments: Readonly<Record<RolloutFunctionName, Readonly<Record<string, string>>>>;
  /** Each function's ARN. */
  readonly functionArns: Readonly<Record<RolloutFunctionName, string>>;
  readonly stateMachineArn: string;
  /** The state machine's definition, resolved. */
  readonly definition: Record<string, unknown>;
  /** The rollout table's name. */
  readonly tableName: string;
  /** Customer-managed KMS keys by the ARN of the table or secret they encrypt. */
  readonly customerKeys: Readonly<Record<string, string>>;
  /** Resolves any intrinsic of the template. */
  resolve(value: unknown): unknown;
}

/** The handler each function's Lambda names (`index.<export>`), from rollout-functions.ts. */
const HANDLERS: Readonly<Record<RolloutFunctionName, string>> = {
  api: 'index.handler',
  advance: 'index.advance',
  awaitApproval: 'index.awaitApproval',
  recover: 'index.recover',
  alarmStateChange: 'index.alarmStateChange',
  ecrPush: 'index.ecrPush',
  ecsEvent: 'index.ecsEvent',
  watchdog: 'index.watchdog',
};

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
}

export function synthesizedStack(template: Template, where: { partition?: string; region: string; account: string }): SynthesizedStack {
  const resources = template.toJSON()['Resources'] as Record<string, Resource>;
  const partition = where.partition ?? 'aws';
  const { region, account } = where;
  const pseudo: Record<string, string> = {
    'AWS::Partition': partition,
    'AWS::Region': region,
    'AWS::AccountId': account,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'Rollout',
    'AWS::NoValue': '',
  };
  const arn = (service: string, rest: string, inRegion = true) => `arn:${partition}:${service}:${inRegion ? region : ''}:${account}:${rest}`;

  const ref = (id: string): string => {
    if (id in pseudo) return pseudo[id]!;
    const resource = resources[id];
    if (!resource) throw new Error(`Ref to unknown ${id}`);
    switch (resource.Type) {
      case 'AWS::SecretsManager::Secret':
        return arn('secretsmanager', `secret:${id}-AbCdEf`);
      case 'AWS::SNS::Topic':
        return arn('sns', id);
      case 'AWS::StepFunctions::StateMachine':
        return arn('states', `stateMachine:${(resource.Properties?.['StateMachineName'] as string | undefined) ?? id}`);
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${id}`;
      case 'AWS::KMS::Key':
        return `key-${id}`;
      default:
        return id;
    }
  };
  const getAtt = (id: string, attribute: string): string => {
    const resource = resources[id];
    if (!resource) throw new Error(`Fn::GetAtt of unknown ${id}`);
    if (attribute === 'Arn') {
      switch (resource.Type) {
        case 'AWS::DynamoDB::Table':
          return arn('dynamodb', `table/${id}`);
        case 'AWS::Lambda::Function':
          return arn('lambda', `function:${id}`);
        case 'AWS::IAM::Role':
          return arn('iam', `role/${id}`, false);
        case 'AWS::Logs::LogGroup':
          return arn('logs', `log-group:${ref(id)}:*`);
        case 'AWS::SQS::Queue':
          return arn('sqs', id);
        case 'AWS::KMS::Key':
          return arn('kms', `key/${id}`);
        case 'AWS::Events::Rule':
          return arn('events', `rule/${id}`);
        default:
          throw new Error(`Fn::GetAtt ${id}.Arn of a ${resource.Type}: add it to synthesized-roles.ts`);
      }
    }
    if (attribute === 'QueueName') return id;
    if (attribute === 'TopicName') return id;
    if (attribute === 'Name') return ref(id);
    throw new Error(`Fn::GetAtt ${id}.${attribute}: add it to synthesized-roles.ts`);
  };

  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      switch (fn) {
        case 'Ref':
          return ref(arg as string);
        case 'Fn::GetAtt':
          return getAtt(...(arg as [string, string]));
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, items] = arg as [number, unknown];
          return (resolve(items) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, source] = arg as [string, unknown];
          return String(resolve(source)).split(separator);
        }
        default:
          if (fn.startsWith('Fn::')) throw new Error(`unsupported intrinsic ${fn}`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  };

  const policiesOfRole = (roleId: string) => {
    const role = resources[roleId];
    if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is not a role`);
    if ((role.Properties?.['ManagedPolicyArns'] ?? []).length > 0) throw new Error(`role ${roleId} has managed policies, whose documents are not in the template`);
    const attached = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && (r.Properties?.['Roles'] as { Ref: string }[]).some((x) => x.Ref === roleId))
      .map(([id, r]) => ({ name: id, document: resolve(r.Properties!['PolicyDocument']) as PolicyDocument }));
    const inline = ((role.Properties?.['Policies'] ?? []) as { PolicyName: string; PolicyDocument: unknown }[]).map((p) => ({
      name: p.PolicyName,
      document: resolve(p.PolicyDocument) as PolicyDocument,
    }));
    return { roleArn: getAtt(roleId, 'Arn'), policies: [...attached, ...inline] };
  };

  const roles: Record<string, SynthesizedRole> = {};
  const environments = {} as Record<RolloutFunctionName, Record<string, string>>;
  const functionArns = {} as Record<RolloutFunctionName, string>;
  for (const name of ROLLOUT_FUNCTION_NAMES) {
    const found = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.['Handler'] === HANDLERS[name]);
    if (found.length !== 1) throw new Error(`expected one function with handler ${HANDLERS[name]}, found ${found.length}`);
    const [id, fn] = found[0]!;
    roles[name] = policiesOfRole((fn.Properties!['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
    environments[name] = resolve(fn.Properties!['Environment']?.Variables ?? {}) as Record<string, string>;
    functionArns[name] = getAtt(id, 'Arn');
  }
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const [machineId, machine] = machines[0]!;
  roles['stateMachine'] = policiesOfRole((machine.Properties!['RoleArn'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
  const definition = JSON.parse(resolve(machine.Properties!['DefinitionString']) as string) as Record<string, unknown>;

  const tables = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
  if (tables.length !== 1) throw new Error(`expected one table, found ${tables.length}`);
  const customerKeys: Record<string, string> = {};
  for (const [id, r] of tables) {
    const key = r.Properties?.['SSESpecification']?.['KMSMasterKeyId'];
    if (key) customerKeys[getAtt(id, 'Arn')] = String(resolve(key));
  }
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::SecretsManager::Secret' && r.Properties?.['KmsKeyId']) customerKeys[ref(id)] = String(resolve(r.Properties['KmsKeyId']));
  }

  return {
    partition,
    region,
    account,
    roles,
    environments,
    functionArns,
    stateMachineArn: ref(machineId),
    definition,
    tableName: tables[0]![0],
    customerKeys,
    resolve,
  };
}
