/**
 * The emulator's stored records. Everything is plain JSON (times in epoch milliseconds) so the whole
 * state can be written to a file and read back by a restarted process.
 */
import type {
  CapacityProviderStrategyItem,
  LaunchType,
  LoadBalancer,
  NetworkConfiguration,
  RegisterTaskDefinitionRequest,
  ServiceRegistry,
  Tag,
} from '@aws-sdk/client-ecs';

/**
 * Where a task set's tasks stood at its last change (`since`) and where they are heading. The
 * running count at any later time is derived from this, so no timer is needed and a restart loses
 * nothing.
 */
export interface Fleet {
  /** Running tasks at `since`. */
  readonly running: number;
  /** The computed desired count the tasks move toward. */
  readonly target: number;
  readonly since: number;
  /** When the stability status last changed, as known at `since`. */
  readonly statusAt: number;
}

export interface StoredCluster {
  readonly arn: string;
  readonly name: string;
  readonly createdAt: number;
  readonly tags: readonly Tag[];
}

export type TaskDefinitionBody = Omit<RegisterTaskDefinitionRequest, 'family' | 'tags'>;

export interface StoredTaskDefinition {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  readonly status: 'ACTIVE' | 'INACTIVE';
  readonly registeredAt: number;
  readonly body: TaskDefinitionBody;
  readonly tags: readonly Tag[];
}

/** Placement fields a service and its task sets share. */
export interface Placement {
  readonly launchType?: LaunchType;
  readonly capacityProviderStrategy?: CapacityProviderStrategyItem[];
  readonly platformVersion?: string;
  readonly networkConfiguration?: NetworkConfiguration;
  readonly loadBalancers?: LoadBalancer[];
  readonly serviceRegistries?: ServiceRegistry[];
}

export type DeploymentControllerType = 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';

export interface StoredService extends Placement {
  readonly arn: string;
  readonly name: string;
  readonly clusterArn: string;
  readonly deploymentController: DeploymentControllerType;
  desiredCount: number;
  /** For EXTERNAL services, the primary task set's task definition. */
  taskDefinition?: string;
  readonly createdAt: number;
  readonly tags: readonly Tag[];
  /** CreateTaskSet idempotency: token → the task set it created and a fingerprint of the request. */
  readonly clientTokens: Record<string, { readonly taskSetArn: string; readonly fingerprint: string }>;
}

export type TaskSetStatus = 'PRIMARY' | 'ACTIVE' | 'DRAINING';

export interface StoredTaskSet extends Placement {
  readonly arn: string;
  readonly id: string;
  readonly serviceArn: string;
  readonly clusterArn: string;
  readonly externalId?: string;
  readonly taskDefinition: string;
  status: TaskSetStatus;
  /** Percent of the service's desired count. */
  scale: number;
  readonly createdAt: number;
  updatedAt: number;
  readonly tags: readonly Tag[];
  fleet: Fleet;
}

export interface EcsStateData {
  readonly version: 1;
  readonly clusters: Record<string, StoredCluster>;
  readonly taskDefinitions: Record<string, StoredTaskDefinition>;
  readonly services: Record<string, StoredService>;
  readonly taskSets: Record<string, StoredTaskSet>;
}

/** An SDK shape as it travels on the wire: timestamps are epoch seconds. */
export type Wire<T> = T extends Date
  ? number
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;
