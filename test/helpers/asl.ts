/**
 * The synthesized state machine as plain ASL: CloudFormation intrinsics in DefinitionString resolved
 * with placeholder values (partition, region, account, each Lambda's ARN), ready for a local interpreter.
 */
import type { Template } from 'aws-cdk-lib/assertions';

type Cfn = string | { [k: string]: unknown } | unknown[];

const PSEUDO: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '000000000000', 'AWS::URLSuffix': 'amazonaws.com' };

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
    if (attr === 'Arn') return `arn:aws:lambda:us-east-1:000000000000:function:${logicalId}`;
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
