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
import { type Context, Hono } from 'hono';
import type { Logger } from '../observability/logger';
import type { AppOrchestrator } from '../http/deps';
import type { RolloutStore } from '../ports';

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
  readonly orchestrator: AppOrchestrator;
  /** The store's delivery claims: they make a click act once, even across Lambda instances. Needed when `slack:` is configured. */
  readonly claims: Pick<RolloutStore, 'claimDelivery' | 'deliveryOwner'> | null;
  readonly logger: Logger;
  readonly options?: SlackInteractionOptions;
}

/** The route; what answers it (slack-interactions.ts) loads with the first request. */
export function slackRoutes(deps: SlackRouteDeps) {
  const routes = new Hono();
  let answer: Promise<(c: Context) => Promise<Response>> | undefined;
  routes.post('/interactions', async (c) => {
    answer ??= import('./slack-interactions').then(({ slackInteractionHandler }) => slackInteractionHandler(deps));
    return (await answer)(c);
  });
  return routes;
}
