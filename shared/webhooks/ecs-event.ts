/**
 * ECS service action events as EventBridge delivers them (`source: aws.ecs`, `detail-type: ECS Service
 * Action`). Amazon ECS developer guide, "Amazon ECS service action events" (ecs_service_events) and
 * its examples in "Amazon ECS events" (ecs_cwe_events): the detail carries `eventType` (INFO, WARN,
 * ERROR), `eventName` (SERVICE_STEADY_STATE, TASKSET_STEADY_STATE, SERVICE_TASK_START_IMPAIRED, …),
 * `clusterArn` and `createdAt`; the service is named only by its ARN in the envelope's `resources`.
 *
 * The shape is thinly documented (no published TASKSET_STEADY_STATE example; the docs say ECS may add
 * fields and event names, and that SERVICE_STEADY_STATE can arrive more than once), so this matches
 * on what is certain and leaves the rest to a look at ECS: an event is a nudge keyed by the service,
 * never a statement of its state. A task set is reported only when a task set ARN is among the
 * resources.
 */
import * as z from 'zod/mini';
import { parseOrThrow } from '../http/validation';

/** The documented names; others may come (ECS adds names), and are passed through as strings. */
export const ECS_SERVICE_ACTION_EVENT_NAMES = [
  'SERVICE_STEADY_STATE',
  'TASKSET_STEADY_STATE',
  'CAPACITY_PROVIDER_STEADY_STATE',
  'SERVICE_DESIRED_COUNT_UPDATED',
  'TASKS_STOPPED',
  'SERVICE_TASK_START_IMPAIRED',
  'SERVICE_DISCOVERY_INSTANCE_UNHEALTHY',
  'SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED',
  'ECS_OPERATION_THROTTLED',
  'SERVICE_DISCOVERY_OPERATION_THROTTLED',
  'SERVICE_TASK_PLACEMENT_FAILURE',
  'SERVICE_TASK_CONFIGURATION_FAILURE',
] as const;

/** Events after which a look at ECS may find a task set or the service steady. */
export const ECS_STEADY_STATE_EVENT_NAMES: readonly string[] = ['SERVICE_STEADY_STATE', 'TASKSET_STEADY_STATE'];

/**
 * Whether an event may answer a rollout's steady wait: the ones the stack's EventBridge rule delivers
 * (infra/rollout-event-rules.ts), checked again by whoever receives events without that rule (local mode).
 */
export const mayAnswerSteadyWait = (event: Pick<EcsServiceAction, 'eventName'>): boolean => ECS_STEADY_STATE_EVENT_NAMES.includes(event.eventName);

/** What every EventBridge event has, whatever its source: anything else is not an EventBridge event. */
export const eventBridgeEnvelopeSchema = z.object({
  version: z.optional(z.string()),
  id: z.optional(z.string()),
  'detail-type': z.string().check(z.minLength(1)),
  source: z.string().check(z.minLength(1)),
  account: z.string(),
  time: z.optional(z.string()),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()),
});

export type EventBridgeEnvelope = z.infer<typeof eventBridgeEnvelopeSchema>;

const detailSchema = z.object({
  eventName: z.string().check(z.minLength(1)),
  eventType: z.optional(z.string()),
  clusterArn: z.optional(z.string()),
  createdAt: z.optional(z.string()),
  reason: z.optional(z.string()),
});

export interface EcsServiceAction {
  /** `detail.eventName`, e.g. `TASKSET_STEADY_STATE`. */
  readonly eventName: string;
  /** `detail.eventType`: INFO, WARN or ERROR; null when absent. */
  readonly eventType: string | null;
  /** From the envelope. */
  readonly region: string;
  readonly account: string;
  /** The cluster's name and ARN (from `detail.clusterArn`, else from a new-format service ARN). */
  readonly cluster: string;
  readonly clusterArn: string;
  /** The service's name and ARN as found in `resources` (either ARN format). */
  readonly service: string;
  readonly serviceArn: string;
  /** A task set ARN among the resources (`task-set/<cluster>/<service>/<id>`), when there is one. */
  readonly taskSet: { readonly arn: string; readonly id: string } | null;
  /** The envelope's `id` and `time`, and `detail.createdAt` / `detail.reason`, when present. */
  readonly id: string | null;
  readonly time: string | null;
  readonly createdAt: string | null;
  readonly reason: string | null;
}

export type EcsServiceActionParse = { readonly event: EcsServiceAction } | { readonly ignored: string };

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
// arn:<partition>:ecs:<region>:<account>:<resource>
const ECS_ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):ecs:([a-z0-9-]+):(\d{12}):(.+)$/;
const NAME = /^[A-Za-z0-9_-]{1,255}$/;

interface ParsedArn {
  readonly arn: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly kind: string;
  /** The resource after `<kind>/`, split on `/`. */
  readonly parts: readonly string[];
}

const parseEcsArn = (arn: string): ParsedArn | null => {
  const match = ECS_ARN.exec(arn);
  if (!match) return null;
  const [, partition = '', region = '', account = '', resource = ''] = match;
  const [kind = '', ...parts] = resource.split('/');
  if (parts.some((part) => part === '')) return null;
  return { arn, partition, region, account, kind, parts };
};

const quoted = (value: unknown): string => JSON.stringify(value);

/** Checks an ECS ARN belongs to the envelope's region and account (cluster names are only unique there). */
const foreign = (where: string, arn: ParsedArn, envelope: EventBridgeEnvelope): string | null =>
  arn.region !== envelope.region || arn.account !== envelope.account
    ? `${where}: ${quoted(arn.arn)} is not in ${envelope.region}/${envelope.account}, the event's region and account`
    : null;

/** One ARN of a kind among the resources; two different ones are ambiguous. */
const oneOf = (
  resources: readonly ParsedArn[],
  kind: string,
): { readonly arn: ParsedArn | null } | { readonly ignored: string } => {
  const found = [...new Map(resources.filter((r) => r.kind === kind).map((r) => [r.arn, r])).values()];
  if (found.length > 1) return { ignored: `resources name ${found.length} ${kind} ARNs: ${found.map((r) => r.arn).join(', ')}` };
  return { arn: found[0] ?? null };
};

/**
 * Reads an EventBridge event. Throws a `ValidationError` only when the value is not an EventBridge
 * event at all; any other event (another source or detail-type, a detail or ARN it cannot read)
 * answers `{ ignored: reason }`.
 */
export function parseEcsServiceAction(body: unknown): EcsServiceActionParse {
  const envelope = parseOrThrow(eventBridgeEnvelopeSchema, body, 'EventBridge event');
  if (envelope.source !== 'aws.ecs') return { ignored: `source ${quoted(envelope.source)} is not aws.ecs` };
  if (envelope['detail-type'] !== 'ECS Service Action') {
    return { ignored: `detail-type ${quoted(envelope['detail-type'])} is not "ECS Service Action"` };
  }
  if (!ACCOUNT.test(envelope.account)) return { ignored: `account: ${quoted(envelope.account)} is not a 12-digit AWS account id` };
  if (!REGION.test(envelope.region)) return { ignored: `region: ${quoted(envelope.region)} is not an AWS region` };
  const detailResult = z.safeParse(detailSchema, envelope.detail);
  if (!detailResult.success) {
    const issue = detailResult.error.issues[0];
    return { ignored: `detail.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}` };
  }
  const detail = detailResult.data;

  // Only ECS ARNs are read; anything else in resources (none documented) is left alone.
  const ecsResources = envelope.resources.flatMap((resource) => parseEcsArn(resource) ?? []);
  const serviceFound = oneOf(ecsResources, 'service');
  if ('ignored' in serviceFound) return serviceFound;
  const taskSetFound = oneOf(ecsResources, 'task-set');
  if ('ignored' in taskSetFound) return taskSetFound;

  let clusterArn: ParsedArn | null = null;
  if (detail.clusterArn !== undefined) {
    clusterArn = parseEcsArn(detail.clusterArn);
    if (!clusterArn || clusterArn.kind !== 'cluster' || clusterArn.parts.length !== 1) {
      return { ignored: `detail.clusterArn: ${quoted(detail.clusterArn)} is not an ECS cluster ARN` };
    }
    const away = foreign('detail.clusterArn', clusterArn, envelope);
    if (away) return { ignored: away };
  }

  // service/<cluster>/<service> (the new format) or service/<service> (the old one).
  const service = serviceFound.arn;
  const taskSet = taskSetFound.arn;
  let serviceName: string;
  let serviceCluster: string | null;
  if (service) {
    const away = foreign('resources', service, envelope);
    if (away) return { ignored: away };
    if (service.parts.length > 2) {
      return { ignored: `resources: ${quoted(service.arn)} is not a service ARN (service/<cluster>/<name> or service/<name>)` };
    }
    serviceName = service.parts.at(-1) ?? '';
    serviceCluster = service.parts.length === 2 ? (service.parts[0] ?? null) : null;
  } else if (taskSet) {
    serviceCluster = taskSet.parts[0] ?? null;
    serviceName = taskSet.parts[1] ?? '';
  } else {
    return { ignored: `resources: no ECS service ARN among ${quoted(envelope.resources)}` };
  }
  if (!NAME.test(serviceName) || (serviceCluster !== null && !NAME.test(serviceCluster))) {
    return { ignored: `resources: ${quoted(service?.arn ?? taskSet?.arn)} does not name a service` };
  }

  let taskSetResult: EcsServiceAction['taskSet'] = null;
  if (taskSet) {
    const away = foreign('resources', taskSet, envelope);
    if (away) return { ignored: away };
    // task-set/<cluster>/<service>/<id>, and the id itself has a slash (`ecs-svc/1234…`).
    const [tsCluster, tsService, ...id] = taskSet.parts;
    if (id.length === 0) return { ignored: `resources: ${quoted(taskSet.arn)} is not a task set ARN (task-set/<cluster>/<service>/<id>)` };
    if (tsService !== serviceName || (serviceCluster !== null && tsCluster !== serviceCluster)) {
      return { ignored: `resources: task set ${quoted(taskSet.arn)} is not in service ${quoted(service?.arn)}` };
    }
    serviceCluster ??= tsCluster ?? null;
    taskSetResult = { arn: taskSet.arn, id: id.join('/') };
  }

  const clusterName = clusterArn?.parts[0] ?? serviceCluster;
  if (clusterName === null || clusterName === undefined) {
    return { ignored: `no cluster: detail.clusterArn is absent and ${quoted(service?.arn)} is an old-format service ARN` };
  }
  if (serviceCluster !== null && serviceCluster !== clusterName) {
    return { ignored: `detail.clusterArn ${quoted(detail.clusterArn)} and the service ARN ${quoted(service?.arn ?? taskSet?.arn)} name different clusters` };
  }
  const partition = (clusterArn ?? service ?? taskSet)?.partition ?? 'aws';
  return {
    event: {
      eventName: detail.eventName,
      eventType: detail.eventType ?? null,
      region: envelope.region,
      account: envelope.account,
      cluster: clusterName,
      clusterArn: clusterArn?.arn ?? `arn:${partition}:ecs:${envelope.region}:${envelope.account}:cluster/${clusterName}`,
      service: serviceName,
      serviceArn: service?.arn ?? `arn:${partition}:ecs:${envelope.region}:${envelope.account}:service/${clusterName}/${serviceName}`,
      taskSet: taskSetResult,
      id: envelope.id ?? null,
      time: envelope.time ?? null,
      createdAt: detail.createdAt ?? null,
      reason: detail.reason ?? null,
    },
  };
}
