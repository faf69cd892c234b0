/**
 * "Step Functions Execution Status Change" events, as EventBridge delivers them (source `aws.states`;
 * samples in the Step Functions developer guide, "EventBridge events for Step Functions execution status
 * changes", copied to test/fixtures/webhooks/aws/): the detail is what DescribeExecution says, with dates
 * in epoch milliseconds and `stopDate`/`output` null while they do not apply. One handler can then serve
 * the watchdog in AWS (an EventBridge rule) and in local mode (a listener on the stand-in).
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionStatus } from './persistence';

export const STATUS_CHANGE_DETAIL_TYPE = 'Step Functions Execution Status Change';

export interface ExecutionStatusChangeDetail {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: number;
  readonly stopDate: number | null;
  readonly input: string;
  readonly inputDetails: { readonly included: boolean };
  readonly output: string | null;
  readonly outputDetails: { readonly included: boolean } | null;
  /** Present for FAILED, TIMED_OUT and ABORTED when known, as DescribeExecution's error/cause. */
  readonly error?: string | null;
  readonly cause?: string | null;
}

export interface ExecutionStatusChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': typeof STATUS_CHANGE_DETAIL_TYPE;
  readonly source: 'aws.states';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: ExecutionStatusChangeDetail;
}

export type StatusChangeListener = (event: ExecutionStatusChangeEvent) => void | Promise<void>;

export function statusChangeEvent(detail: ExecutionStatusChangeDetail, region: string, account: string, at = Date.now()): ExecutionStatusChangeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': STATUS_CHANGE_DETAIL_TYPE,
    source: 'aws.states',
    account,
    // EventBridge's `time` has no fractional seconds.
    time: new Date(Math.floor(at / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    region,
    resources: [detail.executionArn],
    detail,
  };
}
