/** Documentation of the Slack app's interactivity URL (shared/notifications/slack-routes.ts). */
import { z } from 'zod';
import { documentRoute } from './route-docs';

const interactionForm = z.strictObject({
  payload: z
    .string()
    .describe(
      'the `block_actions` payload Slack sends for a click, as JSON: `type`, `team.id`, `user.id`, `actions[0].action_id` (`rollout.approve`, `rollout.reject` or `rollout.abort`) and `actions[0].value` (`<rollout id>:<step>`), `response_url`, `trigger_id`; other fields are ignored',
    ),
});

const slackReplySchema = z
  .strictObject({
    response_type: z.enum(['ephemeral', 'in_channel']).optional().describe('`ephemeral`: seen only by the person who clicked'),
    replace_original: z.boolean().describe('true: the approval message is replaced by this one'),
    text: z.string(),
    blocks: z.array(z.unknown()).optional(),
  })
  .describe('the message also posted to the click\'s `response_url`: the approval message as it stands now, or an ephemeral reply saying why nothing was done');

documentRoute({
  method: 'post',
  path: '/webhooks/slack/interactions',
  operationId: 'slackInteraction',
  summary: 'A click on Approve, Reject or Abort in a Slack approval message',
  description: [
    "The Slack app's interactivity URL. Served when the configuration has `slack.signingSecretEnv` (404 otherwise).",
    "Slack signs each request: `X-Slack-Signature: v0=<hex HMAC-SHA256 of v0:<X-Slack-Request-Timestamp>:<raw body>>` with the app's signing secret; a wrong or missing signature, or a timestamp more than 5 minutes from now, is a 401 and changes nothing. A replay of a signed request is answered and acts once.",
    'The clicking user (`team.id`, `user.id`) is mapped to a person and a role by `access.slack`; the decision is recorded as that person with the credential `slack:<team>/<user>`. An unknown user, a viewer, an unknown button or a rollout that no longer waits at that step get a 200 whose message says why, and nothing changes.',
  ].join('\n\n'),
  tags: ['approvals'],
  security: {
    hmac: {
      header: 'X-Slack-Signature',
      description: "`v0=<hex>`: the HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>` keyed with the Slack app's signing secret (`slack.signingSecretEnv`), as Slack sends it.",
    },
  },
  body: { schema: interactionForm, contentTypes: ['application/x-www-form-urlencoded'] },
  responses: { 200: { description: 'what the person sees: the updated approval message, or an ephemeral reason', schema: slackReplySchema } },
  problems: {
    400: 'the payload is not JSON, not a `block_actions` payload, or its `response_url` is not Slack\'s',
    401: 'a missing or wrong `X-Slack-Signature`, or an `X-Slack-Request-Timestamp` more than 5 minutes from now',
    404: 'Slack interactions are not configured (`slack:` in the configuration)',
  },
});
