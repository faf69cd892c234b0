/**
 * One registry client per host, made on first use: ECR's API client for an ECR host, the OCI
 * distribution client otherwise, or the caller's own (`make`, tests). Shared by the signature
 * verifiers so that a host's client (and its token) is made once.
 */
import type { RegistryConfig } from '../config/types';
import { EcrRegistryClient } from '../adapters/ecr-registry/ecr-registry-client';
import { isEcrHost } from '../adapters/ecr-registry/ecr-host';
import { OciRegistryClient } from '../adapters/oci-registry/oci-registry-client';
import type { OciRegistryReader } from '../adapters/oci-registry/types';

export type RegistryClientFor = (host: string, config: RegistryConfig) => OciRegistryReader;

export function cachedRegistryClients(make?: RegistryClientFor): RegistryClientFor {
  const clients = new Map<string, OciRegistryReader>();
  return (host, config) => {
    let client = clients.get(host);
    if (!client) {
      client = make ? make(host, config) : isEcrHost(host) ? new EcrRegistryClient({ host }) : new OciRegistryClient({ host, config });
      clients.set(host, client);
    }
    return client;
  };
}
