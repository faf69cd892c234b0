/**
 * Amazon ECR registry hosts: `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` and the dual-stack
 * `<account>.dkr-ecr[-fips].<region>.on.aws`. Such a host is read through the ECR API (IAM credentials)
 * rather than the registry's HTTP API (which needs a token from GetAuthorizationToken).
 */

export interface EcrHost {
  /** The AWS account id: ECR's `registryId`. */
  readonly registryId: string;
  readonly region: string;
  readonly fips: boolean;
}

const ECR_HOST = /^(\d{12})\.(?:dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|dkr-ecr(-fips)?\.([a-z0-9-]+)\.on\.aws)$/;

export function parseEcrHost(host: string): EcrHost | null {
  const match = ECR_HOST.exec(host.toLowerCase());
  if (!match) return null;
  return { registryId: match[1]!, region: (match[3] ?? match[5])!, fips: Boolean(match[2] ?? match[4]) };
}

export function isEcrHost(host: string): boolean {
  return parseEcrHost(host) !== null;
}
