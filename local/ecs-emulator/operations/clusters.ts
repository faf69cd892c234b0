/** CreateCluster and DescribeClusters. */
import type { Tag } from '@aws-sdk/client-ecs';
import * as arns from '../arns';
import { invalidParameter } from '../errors';
import type { StoredCluster } from '../types';
import { clusterView } from '../views';
import { optionalString, optionalStrings, passthrough, type Operation } from './context';

const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

export const createCluster: Operation = ({ store, now }, input) => {
  const name = optionalString(input, 'clusterName') ?? 'default';
  if (!CLUSTER_NAME.test(name)) throw invalidParameter('Cluster name can only contain letters, numbers, hyphens and underscores.');
  const arn = arns.clusterArn(store.config, name);
  // ECS answers an existing cluster's CreateCluster with that cluster, unchanged.
  let cluster = store.data.clusters[arn];
  if (!cluster) {
    cluster = { arn, name, createdAt: now, tags: passthrough<Tag[]>(input, 'tags') ?? [] } satisfies StoredCluster;
    store.data.clusters[arn] = cluster;
  }
  return { cluster: clusterView(store, cluster, now) };
};

export const describeClusters: Operation = ({ store, now }, input) => {
  const refs = optionalStrings(input, 'clusters') ?? ['default'];
  const clusters = [];
  const failures = [];
  for (const ref of refs) {
    const arn = arns.clusterArn(store.config, arns.clusterName(ref));
    const cluster = store.data.clusters[arn];
    if (cluster) clusters.push(clusterView(store, cluster, now));
    else failures.push({ arn, reason: 'MISSING' });
  }
  return { clusters, failures };
};
