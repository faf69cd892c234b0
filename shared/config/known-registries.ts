/**
 * Registries a service may use without listing them under `registries:`.
 *
 * Listing a host is how the config says "this registry may be spoken to, and how" (plain HTTP, credentials).
 * An unlisted host must therefore be one where the only sensible answer is "HTTPS, anonymously or with AWS
 * credentials": a host typo must not silently become a new registry. These are:
 * - Amazon ECR private registries (`<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`): the ECR adapter
 *   authenticates with the AWS credentials of the function, never with config credentials;
 * - public registries run by their vendor over HTTPS only: Docker Hub, GitHub, Quay, GitLab.com, Amazon ECR
 *   Public, Microsoft, Kubernetes, Google (gcr.io and Artifact Registry's `<region>-docker.pkg.dev`), and
 *   Azure Container Registry's `<name>.azurecr.io` hosts.
 * A listed entry always wins, e.g. to give Docker Hub credentials against its pull rate limit.
 */

const PUBLIC_HOSTS: ReadonlySet<string> = new Set([
  'docker.io',
  'ghcr.io',
  'quay.io',
  'registry.gitlab.com',
  'public.ecr.aws',
  'mcr.microsoft.com',
  'registry.k8s.io',
  'gcr.io',
  'us.gcr.io',
  'eu.gcr.io',
  'asia.gcr.io',
]);

const PUBLIC_HOST_PATTERNS: readonly RegExp[] = [/^[a-z0-9-]+-docker\.pkg\.dev$/, /^[a-z0-9]+\.azurecr\.io$/];

const ECR_HOST = /^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/;

export function isEcrHost(host: string): boolean {
  return ECR_HOST.test(host);
}

/** True when `host` may be used by a service without a `registries:` entry. */
export function isImplicitRegistry(host: string): boolean {
  return isEcrHost(host) || PUBLIC_HOSTS.has(host) || PUBLIC_HOST_PATTERNS.some((p) => p.test(host));
}
