/**
 * What a notification says, as data: which state change deserves one, the generic webhook's JSON body
 * and the Slack message. Pure functions of the rollout, so they are tested without any HTTP.
 */
import type { NotifyStatus } from '../config/notify-targets';
import type { Rollout } from '../core/rollout';
import { describeStep } from '../core/steps';
import type { IssuedLinks } from './approval-links';
import { actionIdOf, actionValue } from './slack-interaction';
import { NOTICE_TYPES } from './announced-status';

export { NOTICE_TYPES, announcedStatus } from './announced-status';

export interface Notice {
  readonly status: NotifyStatus;
  readonly rollout: Rollout;
  readonly previousStatus: string;
  /** The approve/abort links (PAUSED only, when links are configured). */
  readonly links: IssuedLinks | null;
  /** Where the dashboard is, when the public URL is known. */
  readonly dashboardUrl: string | null;
  /**
   * The orchestrator answers Slack's interactive buttons (config `slack:`): a Slack approval request
   * carries Approve / Reject / Abort buttons instead of links. Default false.
   */
  readonly interactive?: boolean;
}

const shortDigest = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);
const imageLabel = (r: Rollout) => (r.image.tag ? `${r.image.tag} (${shortDigest(r.image.digest)})` : shortDigest(r.image.digest));

function stepLabel(r: Rollout): string {
  const step = r.currentStep === null ? undefined : r.steps[r.currentStep];
  return step && r.currentStep !== null ? `step ${r.currentStep + 1} of ${r.steps.length} (${describeStep(step)})` : 'a pause';
}

/** One line a person reads first, in plain text. */
export function headline(n: Notice): string {
  const r = n.rollout;
  switch (n.status) {
    case 'PAUSED':
      return r.blueGreen
        ? `${r.service}: rollout of ${imageLabel(r)} waits for approval at ${stepLabel(r)}, the new task set at full size behind the preview rule, production on the stable set`
        : `${r.service}: rollout of ${imageLabel(r)} waits for approval at ${stepLabel(r)}, canary at ${r.canaryWeight}%`;
    case 'SUCCEEDED':
      return `${r.service}: ${imageLabel(r)} rolled out, now stable at 100%`;
    case 'ROLLED_BACK':
      return `${r.service}: rollout of ${imageLabel(r)} rolled back${r.reason ? `: ${r.reason}` : ''}`;
    case 'REJECTED':
      return `${r.service}: image ${imageLabel(r)} rejected, ECS untouched${r.reason ? `: ${r.reason}` : ''}`;
    case 'FAILED':
      return `${r.service}: rollback of ${imageLabel(r)} FAILED, a human must look${r.reason ? `: ${r.reason}` : ''}`;
  }
}

/** The generic webhook's body. `timestamp` (unix seconds) is repeated in a header, and signed here. */
export function webhookBody(n: Notice, delivery: { readonly id: string; readonly timestamp: number }) {
  const r = n.rollout;
  return {
    type: NOTICE_TYPES[n.status],
    id: delivery.id,
    timestamp: delivery.timestamp,
    summary: headline(n),
    rollout: {
      id: r.id,
      service: r.service,
      status: r.status,
      previousStatus: n.previousStatus,
      image: r.image,
      previousDigest: r.previousDigest,
      canaryWeight: r.canaryWeight,
      currentStep: r.currentStep,
      steps: r.steps.length,
      reason: r.reason,
      updatedAt: r.updatedAt,
    },
    approval:
      n.status === 'PAUSED'
        ? { step: r.currentStep, ...(n.links ? { approveUrl: n.links.approveUrl, abortUrl: n.links.abortUrl, expiresAt: n.links.expiresAt } : {}) }
        : null,
    dashboardUrl: n.dashboardUrl,
  };
}

/** Slack's mrkdwn treats only these three as markup; everything else is text. */
export const escapeMrkdwn = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const EMOJI: Readonly<Record<NotifyStatus, string>> = {
  PAUSED: ':double_vertical_bar:',
  SUCCEEDED: ':white_check_mark:',
  ROLLED_BACK: ':rewind:',
  REJECTED: ':no_entry:',
  FAILED: ':rotating_light:',
};

/** An incoming-webhook message: `text` for notifications and old clients, blocks for the rest. */
export function slackMessage(n: Notice) {
  const r = n.rollout;
  const context = [`rollout \`${r.id}\``, `digest \`${escapeMrkdwn(r.image.digest)}\``];
  if (n.dashboardUrl) context.push(`<${n.dashboardUrl}|dashboard>`);
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${EMOJI[n.status]} ${escapeMrkdwn(headline(n))}` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] },
  ];
  if (n.status === 'PAUSED' && n.interactive && r.currentStep !== null) {
    blocks.push(slackDecisionButtons(r.id, r.currentStep));
  } else if (n.status === 'PAUSED' && n.links) {
    // URL buttons only open the link: the confirm page there does the approving, so a preview cannot.
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', style: 'primary', text: { type: 'plain_text', text: 'Approve…' }, url: n.links.approveUrl },
        { type: 'button', style: 'danger', text: { type: 'plain_text', text: 'Abort…' }, url: n.links.abortUrl },
      ],
    });
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `links work once, until ${n.links.expiresAt}` }] });
  }
  // The top-level text is mrkdwn too (notifications, old clients): escaped as the blocks are.
  return { text: escapeMrkdwn(headline(n)), blocks };
}

const plain = (text: string) => ({ type: 'plain_text', text });

/**
 * The Approve / Reject / Abort buttons of an approval request: Slack posts a click to the interactivity
 * URL (`POST /webhooks/slack/interactions`) as the user who clicked; `value` names the rollout and the
 * pause step, so a click acts only while the rollout still waits there. Reject and Abort ask first.
 */
export function slackDecisionButtons(rolloutId: string, step: number) {
  const value = actionValue(rolloutId, step);
  const confirm = (title: string, text: string, yes: string) => ({ title: plain(title), text: plain(text), confirm: plain(yes), deny: plain('Cancel'), style: 'danger' });
  return {
    type: 'actions',
    block_id: 'rollout.decision',
    elements: [
      { type: 'button', action_id: actionIdOf('approve'), style: 'primary', text: plain('Approve'), value },
      { type: 'button', action_id: actionIdOf('reject'), text: plain('Reject'), value, confirm: confirm('Reject this rollout?', 'The canary is removed and the stable image takes all traffic again.', 'Reject') },
      { type: 'button', action_id: actionIdOf('abort'), style: 'danger', text: plain('Abort'), value, confirm: confirm('Abort this rollout?', 'The rollout rolls back to the stable image at once.', 'Abort') },
    ],
  };
}
