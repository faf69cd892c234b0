/**
 * Where an ECS service lives, read from the ARNs its configuration names, against where the
 * orchestrator runs. A cluster (or service) named by ARN in another region or account is reachable by
 * neither the orchestrator's one ECS client nor its EventBridge rules (regional, and its own account's),
 * so a rollout there is refused at its start, and `rollout doctor` says so.
 */

/** The region and account the orchestrator runs in (its ECS client's, its event rules'). */
export interface AwsHome {
  readonly region: string;
  /** Null when unknown: then only the region is compared. */
  readonly account: string | null;
}

export interface ArnLocation {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

const ARN = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}):/;

/** The partition, region and account of an ARN; null for a plain name. */
export function arnLocation(nameOrArn: string): ArnLocation | null {
  const match = ARN.exec(nameOrArn);
  return match ? { partition: match[1]!, region: match[3]!, account: match[4]! } : null;
}

/**
 * Why the service's cluster (or service) ARN is out of the orchestrator's reach, naming the field and
 * the fix; null when it is in the same region and account, or named without an ARN.
 */
export function outsideHome(service: { readonly name: string; readonly cluster: string; readonly service: string }, home: AwsHome): string | null {
  for (const [field, value] of [['cluster', service.cluster], ['service', service.service]] as const) {
    const where = arnLocation(value);
    if (!where) continue;
    const otherRegion = where.region !== home.region;
    const otherAccount = home.account !== null && where.account !== home.account;
    if (!otherRegion && !otherAccount) continue;
    const what = [otherRegion ? `region ${where.region}` : null, otherAccount ? `account ${where.account}` : null].filter(Boolean).join(' and ');
    const ours = `region ${home.region}${home.account !== null ? `, account ${home.account}` : ''}`;
    return (
      `services.${service.name}.${field} ${value} is in ${what}, but the orchestrator runs in ${ours}: ` +
      `its ECS calls and ECS events do not reach there. Deploy an orchestrator in that ${otherRegion ? 'region' : 'account'} for this service, ` +
      `or name a cluster of ${ours}`
    );
  }
  return null;
}
