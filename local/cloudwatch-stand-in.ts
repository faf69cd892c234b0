/**
 * Local mode's alarms on CloudWatch's own wire (AWS JSON 1.0, `X-Amz-Target:
 * GraniteServiceVersion20100801.<Operation>`, as @aws-sdk/client-cloudwatch speaks it), so that the AWS
 * CLI and SDKs reach them like the other local AWS endpoints: `DescribeAlarms` reads the states the
 * orchestrator reads before each step, and `SetAlarmState` changes one and acts like the EventBridge
 * alarm state change in AWS (the rollouts watching it roll back). Checked against the CloudWatch API
 * model: `SetAlarmState` requires `AlarmName`, `StateValue` (OK, ALARM, INSUFFICIENT_DATA) and
 * `StateReason` (at most 1,023 characters), `StateReasonData` must be JSON (`InvalidFormat`), and an
 * alarm that does not exist is `ResourceNotFound`.
 */
import { randomUUID } from 'node:crypto';
import type { LocalAlarms } from './local-alarms';
import { AlarmState } from '../shared/ports';
import { serveWire } from './sdk/loopback-server';

const TARGET_PREFIX = 'GraniteServiceVersion20100801.';
const STATES: ReadonlySet<string> = new Set(Object.values(AlarmState));

class CloudWatchError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface CloudWatchStandInOptions {
  readonly alarms: LocalAlarms;
  /** The alarms that exist: the ones the configured services watch (plus any set since). */
  readonly known: readonly string[];
}

export interface RunningCloudWatchStandIn {
  readonly endpoint: string;
  close(): Promise<void>;
}

export async function startCloudWatchStandIn(options: CloudWatchStandInOptions): Promise<RunningCloudWatchStandIn> {
  const { alarms } = options;
  const exists = async (name: string) => options.known.includes(name) || name in (await alarms.list());

  const operations: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    async DescribeAlarms(input) {
      const names = input['AlarmNames'];
      if (names !== undefined && (!Array.isArray(names) || names.length > 100 || !names.every((n) => typeof n === 'string'))) {
        throw new CloudWatchError('InvalidParameterValue', 'AlarmNames must be a list of at most 100 alarm names');
      }
      const stored = await alarms.list();
      const wanted = (names as string[] | undefined) ?? [...new Set([...options.known, ...Object.keys(stored)])];
      const metricAlarms = [];
      for (const name of wanted) {
        if (!(await exists(name))) continue;
        const s = stored[name];
        metricAlarms.push({
          AlarmName: name,
          StateValue: s?.state ?? AlarmState.Ok,
          StateReason: s?.reason ?? 'no state set yet',
          ...(s ? { StateUpdatedTimestamp: Date.parse(s.updatedAt) / 1000 } : {}),
        });
      }
      return { MetricAlarms: metricAlarms, CompositeAlarms: [] };
    },
    async SetAlarmState(input) {
      const name = input['AlarmName'];
      const state = input['StateValue'];
      const reason = input['StateReason'];
      const missing = [!name && 'AlarmName', !state && 'StateValue', reason === undefined && 'StateReason'].filter(Boolean);
      if (missing.length > 0) throw new CloudWatchError('ValidationError', `${missing.length} validation error(s) detected: ${missing.map((m) => `'${m}' must not be null`).join('; ')}`);
      if (typeof name !== 'string' || name.length > 255) throw new CloudWatchError('ValidationError', 'AlarmName must be a string of 1 to 255 characters');
      if (typeof state !== 'string' || !STATES.has(state)) throw new CloudWatchError('ValidationError', `StateValue must be one of ${[...STATES].join(', ')}`);
      if (typeof reason !== 'string' || reason.length > 1023) throw new CloudWatchError('ValidationError', 'StateReason must be a string of at most 1023 characters');
      const data = input['StateReasonData'];
      if (data !== undefined && (typeof data !== 'string' || data.length > 4000 || !isJson(data))) throw new CloudWatchError('InvalidFormat', 'StateReasonData must be JSON of at most 4000 characters');
      if (!(await exists(name))) throw new CloudWatchError('ResourceNotFound', `Alarm ${name} does not exist`, 404);
      await alarms.set(name, state as AlarmState, reason);
      return {};
    },
  };

  return serveWire(async (request) => {
    const send = (status: number, payload: unknown, type?: string) => ({
      status,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID(), ...(type ? { 'x-amzn-query-error': `${type};Sender` } : {}) },
      body: JSON.stringify(payload),
    });
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? operations[target.slice(TARGET_PREFIX.length)] : undefined;
    if (!operation) return send(400, { __type: 'UnknownOperationException', message: `operation ${target} is not served here` }, 'UnknownOperationException');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(request.body || '{}') as Record<string, unknown>;
    } catch {
      return send(400, { __type: 'SerializationException', message: 'the body is not JSON' }, 'SerializationException');
    }
    try {
      return send(200, await operation(input));
    } catch (e) {
      const error = e instanceof CloudWatchError ? e : new CloudWatchError('InternalServiceError', e instanceof Error ? e.message : String(e), 500);
      return send(error.status, { __type: error.type, message: error.message }, error.type);
    }
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
