/**
 * Event logs that local mode and the Step Functions run must both produce for the same scenario:
 * the steps `setWeight 20, pause 1s, setWeight 50, pause {}, setWeight 100`, approved once.
 */
export const APPROVED_ROLLOUT_EVENTS = [
  'CREATED', 'SIGNATURE_VERIFIED', 'STARTED', 'CANARY_CREATED', 'WEIGHT_SET', 'STEP_COMPLETED', 'STEP_STARTED', 'STEP_COMPLETED', 'WEIGHT_SET',
  'STEP_COMPLETED', 'PAUSED', 'APPROVED', 'WEIGHT_SET', 'STEP_COMPLETED', 'PROMOTING', 'WEIGHT_SET', 'PROMOTING', 'SUCCEEDED',
] as const;
