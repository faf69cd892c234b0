/**
 * What the orchestrator answers a click in Slack with, as Slack message payloads for the click's
 * `response_url`: the approval message replaced by where the rollout stands now (who decided, what
 * happens next, and the buttons again only while the rollout still waits at that step), or an ephemeral
 * reply, seen only by the person who clicked, saying why nothing happened. Pure functions of the rollout.
 */
import { identityKey } from '../core/identity';
import { pauseLabel } from '../core/messages';
import type { Rollout } from '../core/rollout';
import { RolloutStatus } from '../core/status';
import { describeStep } from '../core/steps';
import { escapeMrkdwn, slackDecisionButtons } from './messages';
import type { SlackDecision } from './slack-interaction';

/** A message for `response_url`: `replace_original` swaps the approval message, `ephemeral` goes to the clicker only. */
export interface SlackReply {
  readonly response_type?: 'ephemeral' | 'in_channel';
  readonly replace_original: boolean;
  readonly text: string;
  readonly blocks?: readonly unknown[];
}

export function ephemeralReply(text: string): SlackReply {
  return { response_type: 'ephemeral', replace_original: false, text: escapeMrkdwn(text) };
}

/** True when the rollout waits for approval at `step`: the only time a button of that step acts. */
export function waitsForApprovalAt(rollout: Rollout, step: number): boolean {
  return rollout.status === RolloutStatus.Paused && rollout.wait?.for === 'approval' && rollout.currentStep === step;
}

const PAST: Readonly<Record<SlackDecision, string>> = { approve: 'approved', reject: 'rejected', abort: 'aborted' };

/** `ann@example.com (slack:T1/U1) approved step 4/5`. */
export function decisionLine(decision: SlackDecision, by: string, credential: string, rollout: Rollout, step: number): string {
  return `${by} (${credential}) ${PAST[decision]} ${pauseLabel(rollout.steps, step)}`;
}

/** Where the rollout stands, seen from the approval request for `step`, and what happens next. */
export function rolloutState(rollout: Rollout, step: number): string {
  const label = pauseLabel(rollout.steps, step);
  const s = rollout.steps[step];
  const required = s && 'pause' in s ? (s.pause.approvals ?? 1) : 1;
  const approvers = rollout.approvals.filter((a) => a.step === step);
  const who = approvers.length > 0 ? ` Approved so far by ${approvers.map((a) => `${a.by}${a.credential ? ` (${a.credential})` : ''}`).join(', ')}.` : '';
  const reason = rollout.reason ? `: ${rollout.reason}` : '';
  if (waitsForApprovalAt(rollout, step)) {
    const missing = required - new Set(approvers.map((a) => identityKey(a.by))).size;
    return `Waits at ${label} with the canary at ${rollout.canaryWeight}%: ${Math.max(1, missing)} more approval${missing > 1 ? 's' : ''} needed (${required} distinct people).${who}`;
  }
  const next = rollout.currentStep !== null ? rollout.steps[rollout.currentStep] : undefined;
  switch (rollout.status) {
    case RolloutStatus.Progressing:
      return `${label} is done; the rollout goes on${next && rollout.currentStep !== null ? ` to ${pauseLabel(rollout.steps, rollout.currentStep)} (${describeStep(next)})` : ''}, canary at ${rollout.canaryWeight}%.${who}`;
    case RolloutStatus.Paused:
      return `The rollout is PAUSED at ${rollout.currentStep === null ? 'no step' : pauseLabel(rollout.steps, rollout.currentStep)}, no longer at ${label}.${who}`;
    case RolloutStatus.Promoting:
      return `Switched: production runs ${rollout.image.digest}; the old task set is kept for scaleDownDelay, and an abort switches back.${who}`;
    case RolloutStatus.RollingBack:
      return `Rolling back: the stable image takes all traffic again${reason}.`;
    case RolloutStatus.RolledBack:
      return `Rolled back: the stable image runs${reason}.`;
    case RolloutStatus.Succeeded:
      return `Rolled out: ${rollout.image.digest} is stable at 100%.${who}`;
    case RolloutStatus.Failed:
      return `The rollback FAILED, a human must look${reason}.`;
    default:
      return `The rollout is ${rollout.status}${reason}.`;
  }
}

/** The approval message as it stands now: replaces the original. `note` says what this click did. */
export function updatedApprovalMessage(rollout: Rollout, step: number, note: string | null): SlackReply {
  const image = rollout.image.tag ? `${rollout.image.tag} (${rollout.image.digest.replace(/^sha256:/, '').slice(0, 12)})` : rollout.image.digest;
  const title = `${rollout.service}: rollout of ${image}, ${pauseLabel(rollout.steps, step)}`;
  const state = rolloutState(rollout, step);
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(title) } },
    ...(note ? [{ type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(note) } }] : []),
    { type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(state) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `rollout \`${rollout.id}\` · ${rollout.status}` }] },
  ];
  if (waitsForApprovalAt(rollout, step)) blocks.push(slackDecisionButtons(rollout.id, step));
  return { replace_original: true, text: escapeMrkdwn([title, note, state].filter(Boolean).join(' · ')), blocks };
}
