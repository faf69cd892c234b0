/**
 * cdk-nag 3 acknowledgements (CDK's `Validations.of().acknowledge()`). IAM5 reports one finding per
 * wildcard resource, named as cdk-nag flattens it (`Resource::arn:<AWS::Partition>:…/*`), and an
 * acknowledgement must name that finding exactly: these helpers derive the name the same way, so a
 * reason sits next to the statement it explains.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

export function acknowledgeRule(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledges AwsSolutions-IAM5 for each of `resources` that holds a wildcard, on `scope` and below. */
export function acknowledgeWildcards(scope: IConstruct, resources: readonly string[], reason: string): void {
  for (const resource of resources) {
    const flat = flattenCfnReference(Stack.of(scope).resolve(resource));
    if (flat.includes('*')) acknowledgeRule(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
  }
}
