/**
 * `POST /webhooks/slack/interactions`: the Slack app's interactivity URL (docs/api.md, "Slack
 * interactions"). A click on Approve, Reject or Abort in an approval message arrives here as Slack's
 * `block_actions` payload. In order, and nothing is written before the last step:
 *
 * 1. Slack's signature over the raw body and its timestamp (401 otherwise; slack-signature.ts);
 * 2. the form-encoded JSON `payload` and its shape (415, 400 naming the field);
 * 3. the button (`action_id`, and a `value` naming a rollout and its step), the person behind the Slack
 *    user (`access.slack`) and their role: an ephemeral reply says why when one does not fit;
 * 4. the rollout must still wait for approval at that step; otherwise the message is updated to say
 *    where the rollout stands;
 * 5. a durable claim on the request (keyed by a hash of the signed body, like a webhook delivery's), so
 *    that a replay within the timestamp's window is answered but acts once;
 * 6. the command, recorded as the person with the credential `slack:<team>/<user>`, then the original
 *    message is replaced through `response_url` by where the rollout stands now.
 *
 * The answer to Slack is always 200 once the request is Slack's and well formed (Slack shows an error
 * for anything else); what the person sees goes through `response_url`, and is also the body.
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import type { Logger } from '../observability/logger';
import type { Orchestrator } from '../orchestration/orchestrator';
import type { RolloutStore } from '../ports';
import { NotFoundError, RolloutError, UnauthorizedError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import { mediaType } from '../http/json-body';
import { quote } from '../http/limits';
import { FORM_MEDIA_TYPE, SLACK_ACTIONS, type BlockActions, type SlackActionId, parseActionValue, parseInteraction } from './slack-interaction';
import { mayDecide, slackIdentity } from './slack-people';
import { type SlackReply, decisionLine, ephemeralReply, updatedApprovalMessage, waitsForApprovalAt } from './slack-replies';
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, verifySlackRequest } from './slack-signature';

export const SLACK_RESPONSE_URL_PREFIX = 'https://hooks.slack.com/';

export interface SlackInteractionOptions {
  /**
   * Where a click's `response_url` may point: Slack's own. Tests and the demo point it at a Slack
   * stand-in, so nothing reaches Slack. Default `https://hooks.slack.com/`.
   */
  readonly responseUrlPrefix?: string;
  /** Posts to `response_url` (tests); default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Per post to `response_url`; Slack waits 3 s for the answer. Default 2000 ms. */
  readonly timeoutMs?: number;
  /** Milliseconds since the epoch, for the timestamp's window; default Date.now. */
  readonly now?: () => number;
}

export interface SlackRouteDeps {
  readonly orchestrator: Orchestrator;
  /** The store's delivery claims: they make a click act once, even across Lambda instances. Needed when `slack:` is configured. */
  readonly claims: Pick<RolloutStore, 'claimDelivery' | 'deliveryOwner'> | null;
  readonly logger: Logger;
  readonly options?: SlackInteractionOptions;
}

/** A replay is remembered past the five-minute window, after which its timestamp is refused anyway. */
const CLAIM_TTL_SECONDS = 15 * 60;

export function slackRoutes(deps: SlackRouteDeps) {
  const { orchestrator, logger } = deps;
  const options = deps.options ?? {};
  const now = options.now ?? Date.now;
  const prefix = options.responseUrlPrefix ?? SLACK_RESPONSE_URL_PREFIX;
  const post = options.fetch ?? fetch;
  const routes = new Hono();

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

  routes.post('/interactions', async (c) => {
    const slack = orchestrator.config.slack;
    if (!slack || !deps.claims) throw new NotFoundError('Slack interactions are not enabled on this orchestrator: set slack.signingSecretEnv and access.slack in the config');
    // The raw bytes, not the decoded text: the signature covers exactly what was sent.
    const rawBody = new Uint8Array(await c.req.arrayBuffer());
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
  });

  return routes;
}
