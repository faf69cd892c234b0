export { DynamoRolloutStore, type DynamoRolloutStoreOptions } from './dynamo-rollout-store';
export * from './table-design';
