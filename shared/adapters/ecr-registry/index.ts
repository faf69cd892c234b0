export { EcrRegistryClient, type EcrRegistryClientOptions } from './ecr-registry-client';
export { isEcrHost, parseEcrHost, type EcrHost } from './ecr-host';
