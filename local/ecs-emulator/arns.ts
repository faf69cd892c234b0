/** ARNs and ids shaped like the ones ECS hands out, so adapters parse nothing the real service would not send. */
import { randomInt } from 'node:crypto';

export interface Account {
  readonly region: string;
  readonly accountId: string;
}

const prefix = ({ region, accountId }: Account): string => `arn:aws:ecs:${region}:${accountId}`;

export const isArn = (ref: string): boolean => ref.startsWith('arn:');

/** The last `/`-separated parts of an ARN's resource, e.g. `service/<cluster>/<name>` → [cluster, name]. */
const resourceParts = (arn: string): string[] => (arn.split(':')[5] ?? '').split('/').slice(1);

export const clusterArn = (account: Account, name: string): string => `${prefix(account)}:cluster/${name}`;

/** A cluster reference (short name or ARN) as a name. */
export const clusterName = (ref: string): string => (isArn(ref) ? (resourceParts(ref).at(-1) ?? ref) : ref);

export const serviceArn = (account: Account, cluster: string, name: string): string =>
  `${prefix(account)}:service/${cluster}/${name}`;

/** A service reference (short name or ARN) as a name. */
export const serviceName = (ref: string): string => (isArn(ref) ? (resourceParts(ref).at(-1) ?? ref) : ref);

export const taskSetArn = (account: Account, cluster: string, service: string, id: string): string =>
  `${prefix(account)}:task-set/${cluster}/${service}/${id}`;

/** A task set reference (id or ARN) as an id (`ecs-svc/<digits>`). */
export const taskSetId = (ref: string): string => (isArn(ref) ? resourceParts(ref).slice(2).join('/') : ref);

export const taskDefinitionArn = (account: Account, family: string, revision: number): string =>
  `${prefix(account)}:task-definition/${family}:${revision}`;

/** `family` or `family:revision` from a task definition reference (short form or ARN). */
export const taskDefinitionRef = (ref: string): { family: string; revision: number | null } => {
  const short = isArn(ref) ? ref.slice(ref.indexOf(':task-definition/') + ':task-definition/'.length) : ref;
  const colon = short.lastIndexOf(':');
  if (colon < 0) return { family: short, revision: null };
  const revision = Number(short.slice(colon + 1));
  return { family: short.slice(0, colon), revision: Number.isInteger(revision) ? revision : Number.NaN };
};

/** 19 digits, as in `ecs-svc/1234567890123456789`. */
export const newTaskSetId = (): string => {
  let digits = String(randomInt(1, 10));
  while (digits.length < 19) digits += String(randomInt(0, 10));
  return `ecs-svc/${digits}`;
};

export const principalArn = ({ accountId }: Account): string => `arn:aws:iam::${accountId}:root`;
