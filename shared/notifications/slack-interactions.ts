/**
 * How `POST /webhooks/slack/interactions` answers a click (slack-routes.ts says what it checks, in
 * order). Loaded with the first interaction, not at the API function's start (docs/architecture.md,
 * "Lambda bundles").
 */
import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { NotFoundError, RolloutError, UnauthorizedError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import { mediaType } from '../http/json-body';
import { quote } from '../http/limits';
import { requestBytes } from '../http/request-body';
import { FORM_MEDIA_TYPE, SLACK_ACTIONS, type BlockActions, type SlackActionId, parseActionValue, parseInteraction } from './slack-interaction';
import { mayDecide, slackIdentity } from './slack-people';
import { type SlackReply, decisionLine, ephemeralReply, updatedApprovalMessage, waitsForApprovalAt } from './slack-replies';
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, verifySlackRequest } from './slack-signature';
import { SLACK_RESPONSE_URL_PREFIX, type SlackRouteDeps } from './slack-routes';

/** A replay is remembered past the five-minute window, after which its timestamp is refused anyway. */
const CLAIM_TTL_SECONDS = 15 * 60;

/** Answers one interaction request; built once per app, loaded with the first request. */
export function slackInteractionHandler(deps: SlackRouteDeps): (c: Context) => Promise<Response> {
  const { orchestrator, logger } = deps;
  const options = deps.options ?? {};
  const now = options.now ?? Date.now;
  const prefix = options.responseUrlPrefix ?? SLACK_RESPONSE_URL_PREFIX;
  const post = options.fetch ?? fetch;

  /** Posts the reply where Slack said; a failure is logged and never changes the decision. */
  async function respond(url: string, reply: SlackReply, rolloutId: string | null): Promise<void> {
    try {
      const res = await post(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(reply),
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
      });
      await res.body?.cancel().catch(() => undefined);
      if (!res.ok) logger.warn('slack response refused', { rolloutId, status: res.status });
    } catch (e) {
      // The URL is a credential for 30 minutes: never logged.
      logger.warn('slack response failed', { rolloutId, error: e instanceof Error ? e.name : 'error' });
    }
  }

  async function decide(claims: NonNullable<SlackRouteDeps['claims']>, payload: BlockActions, rawBody: Uint8Array): Promise<{ reply: SlackReply; rolloutId: string | null; post: boolean }> {
    const refuse = (text: string, rolloutId: string | null = null) => ({ reply: ephemeralReply(text), rolloutId, post: true });
    const action = payload.actions[0]!;
    if (!Object.hasOwn(SLACK_ACTIONS, action.action_id)) {
      return refuse(`Nothing done: the button ${quote(action.action_id, 60)} is not one this orchestrator answers (rollout.approve, rollout.reject, rollout.abort).`);
    }
    const decision = SLACK_ACTIONS[action.action_id as SlackActionId];
    const target = parseActionValue(action.value);
    if (!target) return refuse(`Nothing done: the button's value ${quote(action.value ?? null, 60)} names no rollout (it must be <rollout id>:<step>).`);
    const identity = slackIdentity(orchestrator.config.access?.slack, payload.team.id, payload.user.id);
    if (!identity.ok) return refuse(`Nothing done: ${identity.reason}.`, target.rolloutId);
    const { who } = identity;
    if (!mayDecide(who)) return refuse(`Nothing done: ${who.person} (${who.credential}) is a ${who.role}; to ${decision} a rollout needs the operator role.`, target.rolloutId);

    // The same signed request again (Slack retrying, or a replay): answered with where the rollout stands, never acted on twice.
    const claimKey = `slack#${createHash('sha256').update(rawBody).digest('hex')}`;
    const replayed = async (rolloutId: string) => {
      const current = await orchestrator.get(rolloutId);
      return { reply: updatedApprovalMessage(current, target.step, 'This click was already handled.'), rolloutId, post: false };
    };
    if ((await claims.deliveryOwner(claimKey)) !== null) return replayed(target.rolloutId);

    let rollout;
    try {
      rollout = await orchestrator.get(target.rolloutId);
    } catch (e) {
      if (e instanceof NotFoundError) return refuse(`Nothing done: rollout ${target.rolloutId} does not exist.`);
      throw e;
    }
    if (target.step >= rollout.steps.length) return refuse(`Nothing done: rollout ${rollout.id} has no step ${target.step + 1}.`, rollout.id);
    if (!waitsForApprovalAt(rollout, target.step)) {
      // The rollout moved on (approved, rolled back, another step): the message says where it stands.
      return { reply: updatedApprovalMessage(rollout, target.step, `Nothing done: this approval request is over.`), rolloutId: rollout.id, post: true };
    }

    // Two copies of one request at once: exactly one takes the claim and acts.
    if (!(await claims.claimDelivery(claimKey, rollout.id, CLAIM_TTL_SECONDS)).claimed) return replayed(rollout.id);

    const actor = { by: who.person, credential: who.credential };
    let after;
    try {
      after =
        decision === 'approve'
          ? await orchestrator.command(rollout.id, { type: 'Approve', ...actor, comment: null })
          : decision === 'reject'
            ? await orchestrator.command(rollout.id, { type: 'Reject', ...actor, comment: 'rejected in Slack' })
            : await orchestrator.command(rollout.id, { type: 'Abort', ...actor, reason: 'aborted in Slack' });
    } catch (e) {
      // Refused by the rollout (the same person twice, a race with another decision): said to the clicker only.
      if (e instanceof RolloutError && e.status < 500) return refuse(`Nothing done: ${e.message}.`, rollout.id);
      throw e;
    }
    logger.info('slack decision', { rolloutId: after.id, decision, step: target.step, by: who.person, credential: who.credential, status: after.status });
    return { reply: updatedApprovalMessage(after, target.step, decisionLine(decision, who.person, who.credential, after, target.step)), rolloutId: after.id, post: true };
  }

  return async (c) => {
    const slack = orchestrator.config.slack;
    if (!slack || !deps.claims) throw new NotFoundError('Slack interactions are not enabled on this orchestrator: set slack.signingSecretEnv and access.slack in the config');
    // The raw bytes, not the decoded text: the signature covers exactly what was sent.
    const rawBody = await requestBytes(c);
    const verdict = verifySlackRequest(
      await slack.signingSecret.value(),
      { signature: c.req.header(SLACK_SIGNATURE_HEADER), timestamp: c.req.header(SLACK_TIMESTAMP_HEADER) },
      rawBody,
      Math.floor(now() / 1000),
    );
    if (!verdict.ok) throw new UnauthorizedError(verdict.reason);
    const type = mediaType(c);
    if (type !== FORM_MEDIA_TYPE) throw new UnsupportedMediaTypeError(`content type ${type ? `"${type}"` : '(none)'} is not what Slack sends: ${FORM_MEDIA_TYPE} with a payload field`);
    const payload = parseInteraction(Buffer.from(rawBody).toString('utf8'));
    if (!payload.response_url.startsWith(prefix)) throw new ValidationError(`response_url: must be a Slack response URL (${prefix}…)`, [`response_url: must start with ${prefix}`]);

    const outcome = await decide(deps.claims, payload, rawBody);
    if (outcome.post) await respond(payload.response_url, outcome.reply, outcome.rolloutId);
    return c.json(outcome.reply, 200);
  };
}
