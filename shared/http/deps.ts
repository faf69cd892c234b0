import type { Logger } from '../observability/logger';
import type { Orchestrator } from '../orchestration/orchestrator';
import type { Rollout } from '../core/rollout';
import type { SlackInteractionOptions } from '../notifications/slack-routes';
import type { Credential } from './auth';
import type { FailureLimiter } from './rate-limit';

/** Local mode's emulated alarms; absent in AWS, where alarms arrive through EventBridge. */
export interface LocalAlarmControl {
  set(name: string, state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA', reason: string | null): Promise<{ rolledBack: string[] }>;
  list(): Promise<Record<string, { state: string; reason: string | null; updatedAt: string }>>;
}

/** What the HTTP API calls on the orchestrator (the API function builds it on first use: functions/wiring/lazy-orchestrator.ts). */
export type AppOrchestrator = Pick<Orchestrator, 'config' | 'get' | 'list' | 'delivery' | 'describeService' | 'accept' | 'command' | 'retry'>;

export interface AppDeps {
  readonly orchestrator: AppOrchestrator;
  /** ROLLOUT_WEBHOOK_TOKEN: the value, or how to read it at each request (in AWS, through the SecretSource). */
  readonly webhookToken: Credential;
  /** ROLLOUT_API_TOKEN, likewise. */
  readonly apiToken: Credential;
  readonly localAlarms?: LocalAlarmControl;
  /** Local mode's stand-ins on AWS wire endpoints, keyed by the AWS CLI's service names; absent in AWS. */
  readonly localEndpoints?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Slows down repeated failed authentications (429); default one per app, 10 failures a minute per address and route class. */
  readonly authFailures?: FailureLimiter;
  /** Fetches the OIDC discovery document and key set (tests); default the global fetch. */
  readonly oidcFetch?: typeof fetch;
  /** Slack interactions: where `response_url` may point (a Slack stand-in in tests and the demo). */
  readonly slack?: SlackInteractionOptions;
}

/** The API's view of a rollout: the record without the workflow's task token. */
export function presentRollout(rollout: Rollout) {
  // The wait's token and the clock's attempt are the workflow's bookkeeping, not the API's.
  const { taskToken: _taskToken, clock: _clock, ...recorded } = rollout;
  // Records from before trafficShare: the weight is the best known share.
  const visible = { ...recorded, trafficShare: recorded.trafficShare ?? recorded.canaryWeight };
  return visible;
}
