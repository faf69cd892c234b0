import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RolloutTable } from '../../infra/rollout-table';
import { createTableInput, TTL_ATTRIBUTE } from '../../shared/adapters/dynamodb/table-design';
import { testApp } from './infra-fixtures';

function tableOf(props: ConstructorParameters<typeof RolloutTable>[2] = {}) {
  const stack = new Stack(testApp(), 'Table');
  new RolloutTable(stack, 'Rollouts', props);
  const template = Template.fromStack(stack);
  const [table] = Object.values(template.findResources('AWS::DynamoDB::Table'));
  return table as { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
}

describe('RolloutTable', () => {
  it('has the key schema, indexes and attributes the adapter creates in dynalite', () => {
    const expected = createTableInput('rollouts');
    const { Properties } = tableOf();
    expect(Properties.KeySchema).toEqual(expected.KeySchema);
    expect(Properties.GlobalSecondaryIndexes).toEqual(expected.GlobalSecondaryIndexes);
    expect(Properties.AttributeDefinitions).toEqual(expected.AttributeDefinitions);
  });

  it('projects every attribute into both list indexes, and only the keys into the active index', () => {
    const indexes = tableOf().Properties.GlobalSecondaryIndexes as { IndexName: string; Projection: unknown }[];
    expect(indexes.map((i) => [i.IndexName, i.Projection])).toEqual([
      ['byService', { ProjectionType: 'ALL' }],
      ['byCreated', { ProjectionType: 'ALL' }],
      ['byActive', { ProjectionType: 'KEYS_ONLY' }],
    ]);
  });

  it('expires delivery claims by the TTL attribute', () => {
    expect(tableOf().Properties.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
  });

  it('bills on demand, keeps point-in-time recovery and encrypts with the AWS managed key', () => {
    const { Properties } = tableOf();
    expect(Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(Properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(Properties).not.toHaveProperty('ProvisionedThroughput');
  });

  it('is retained when it leaves the stack, unless told otherwise', () => {
    expect(tableOf()).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(tableOf({ removalPolicy: RemovalPolicy.DESTROY })).toMatchObject({ DeletionPolicy: 'Delete' });
  });

  it('is protected from deletion by default, and takes a fixed name', () => {
    expect(tableOf().Properties.DeletionProtectionEnabled).toBe(true);
    expect(tableOf({ deletionProtection: false }).Properties.DeletionProtectionEnabled).toBe(false);
    expect(tableOf({ tableName: 'rollouts' }).Properties).toMatchObject({ TableName: 'rollouts', DeletionProtectionEnabled: true });
  });
});
