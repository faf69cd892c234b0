export { OciRegistryClient, type OciRegistryClientOptions } from './oci-registry-client';
export { RegistryAuth, parseChallenge, type Challenge, type RegistryAuthOptions } from './registry-auth';
export { digestOf } from './http-body';
export * from './types';
export { descriptorsOfIndex, nextLink, referrersTag } from './referrers';
