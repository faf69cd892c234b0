/**
 * Which state change deserves a notification, and its webhook `type`: what every function's notifier
 * looks at on each change, apart from the messages themselves (messages.ts), which load with the first
 * notification to send.
 */
import type { NotifyStatus } from '../config/notify-targets';
import { NOTIFY_STATUSES } from '../config/notify-targets';
import type { Rollout } from '../core/rollout';

/** The webhook `type` of each announced status. */
export const NOTICE_TYPES: Readonly<Record<NotifyStatus, string>> = {
  PAUSED: 'rollout.approval_requested',
  SUCCEEDED: 'rollout.succeeded',
  ROLLED_BACK: 'rollout.rolled_back',
  REJECTED: 'rollout.rejected',
  FAILED: 'rollout.failed',
};

/** The announced status the rollout has just entered, or null when this change is not announced. */
export function announcedStatus(rollout: Rollout, previous: Rollout): NotifyStatus | null {
  // Only entering a status is news (a creation is told with itself as `previous`: never news).
  if (rollout.status === previous.status) return null;
  // PAUSED announces an approval wait, with links to approve; a pause by hand asks nobody for anything.
  if (rollout.wait?.for === 'manual') return null;
  return (NOTIFY_STATUSES as readonly string[]).includes(rollout.status) ? (rollout.status as NotifyStatus) : null;
}
