/**
 * What Slack posts to the interactivity URL when someone clicks a button of an approval message: a
 * `block_actions` payload, form-encoded as `payload=<JSON>` (docs/api.md, "Slack interactions"). Only
 * the fields this orchestrator reads are checked; Slack sends many more, and adds some over time.
 *
 * A button's `action_id` says what to do (`rollout.approve`, `rollout.reject`, `rollout.abort`) and its
 * `value` which approval it answers: `<rollout id>:<step index>`.
 */
import * as z from 'zod/mini';
import { ROLLOUT_ID_PATTERN } from '../core/ids';
import { ValidationError } from '../errors';
import { parseOrThrow } from '../http/validation';

export const SLACK_ACTIONS = {
  'rollout.approve': 'approve',
  'rollout.reject': 'reject',
  'rollout.abort': 'abort',
} as const;
export type SlackActionId = keyof typeof SLACK_ACTIONS;
export type SlackDecision = (typeof SLACK_ACTIONS)[SlackActionId];

export const actionIdOf = (decision: SlackDecision): SlackActionId => `rollout.${decision}`;

/** A button's `value`: the approval it answers. */
export function actionValue(rolloutId: string, step: number): string {
  return `${rolloutId}:${step}`;
}

/** The rollout and step a button's value names, or null when it names none. */
export function parseActionValue(value: string | undefined): { readonly rolloutId: string; readonly step: number } | null {
  const m = /^([^:]{1,64}):(\d{1,4})$/.exec(value ?? '');
  if (!m || !ROLLOUT_ID_PATTERN.test(m[1]!)) return null;
  return { rolloutId: m[1]!, step: Number(m[2]) };
}

const id = (what: string) => z.string().check(z.regex(/^[A-Z0-9]{1,32}$/, { error: `must be a Slack ${what} id` }));
const text = (max: number) => z.string().check(z.maxLength(max));

export const blockActionsSchema = z.object({
  type: z.literal('block_actions', { error: 'must be block_actions: only button clicks of approval messages are answered here' }),
  team: z.object({ id: id('workspace') }, { error: 'must be the workspace ({id}) the click came from' }),
  user: z.object({ id: id('user'), username: z.optional(text(200)), name: z.optional(text(200)) }, { error: 'must be the user ({id}) who clicked' }),
  actions: z
    .array(z.object({ action_id: text(255), value: z.optional(text(2000)), type: text(64) }), { error: 'must be the list of actions' })
    .check(z.minLength(1, { error: 'must hold the clicked button' }), z.maxLength(10)),
  response_url: z.url({ protocol: /^https?$/, error: 'must be the URL Slack takes the answer at' }).check(z.maxLength(2048)),
  trigger_id: z.string().check(z.minLength(1), z.maxLength(256)),
});

export type BlockActions = z.output<typeof blockActionsSchema>;

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** The `payload` field of a form-encoded body, parsed and checked; ValidationError (400) otherwise. */
export function parseInteraction(body: string): BlockActions {
  const payload = new URLSearchParams(body).get('payload');
  if (payload === null) throw new ValidationError('payload: Slack sends the interaction as a form field named payload', ['payload: is required']);
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch (e) {
    throw new ValidationError(`payload is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseOrThrow(blockActionsSchema, json, 'Slack interaction payload');
}
