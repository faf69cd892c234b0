/**
 * The synthesized state machine as plain ASL: CloudFormation intrinsics in DefinitionString resolved
 * with placeholder values (partition, region, account, each Lambda's ARN), ready for a local interpreter.
 * No CDK import here (types only): local mode loads the committed definition without synthesizing.
 */
import type { Template } from 'aws-cdk-lib/assertions';

type Cfn = string | { [k: string]: unknown } | unknown[];

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': LOCAL_REGION, 'AWS::AccountId': LOCAL_ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };

/** The placeholder ARN of a Lambda function named by its logical name (stable across runs). */
export const placeholderFunctionArn = (name: string): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;

function resolve(value: Cfn): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) throw new Error(`cannot resolve a bare list: ${JSON.stringify(value)}`);
  const [fn, arg] = Object.entries(value)[0] ?? [];
  if (fn === 'Fn::Join') {
    const [sep, parts] = arg as [string, Cfn[]];
    return parts.map(resolve).join(sep);
  }
  if (fn === 'Ref') return PSEUDO[arg as string] ?? `ref-${String(arg)}`;
  if (fn === 'Fn::GetAtt') {
    const [logicalId, attr] = arg as [string, string];
    if (attr === 'Arn') return placeholderFunctionArn(logicalId);
    return `${logicalId}.${attr}`;
  }
  throw new Error(`unsupported intrinsic ${String(fn)} in DefinitionString`);
}

/** The one state machine of the template, resolved. */
export function aslOf(template: Template): Record<string, unknown> {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const props = (machines[0] as { Properties: { DefinitionString: Cfn } }).Properties;
  return JSON.parse(resolve(props.DefinitionString)) as Record<string, unknown>;
}
