/**
 * Who clicked in Slack, as the orchestrator knows them (`access.slack` in the config): the workspace
 * must be the configured one, and the user is either listed under `users` (a person and a role) or, when
 * `defaultRole` is set, any member of the workspace. Every decision through Slack is recorded with the
 * credential `slack:<team>/<user>`; `by` is the person, so that one person counts once towards a quorum
 * whichever channel they approve through (API, OIDC, a named token or Slack).
 */
import type { AccessConfig, Role } from '../config/access-schema';

export interface SlackPerson {
  readonly person: string;
  readonly role: Role;
  readonly credential: string;
}

export type SlackIdentity = { readonly ok: true; readonly who: SlackPerson } | { readonly ok: false; readonly reason: string };

export const slackCredential = (team: string, user: string) => `slack:${team}/${user}`;

export function slackIdentity(access: AccessConfig['slack'] | undefined, team: string, user: string): SlackIdentity {
  if (!access) return { ok: false, reason: 'this orchestrator knows nobody in Slack (no access.slack in its config)' };
  if (team !== access.team) return { ok: false, reason: `this Slack workspace (${team}) is not the one this orchestrator answers` };
  const credential = slackCredential(team, user);
  const listed = Object.hasOwn(access.users, user) ? access.users[user] : undefined;
  if (listed) return { ok: true, who: { person: listed.person, role: listed.role, credential } };
  if (access.defaultRole) return { ok: true, who: { person: credential, role: access.defaultRole, credential } };
  return { ok: false, reason: `you are not known to this orchestrator: an admin can add your Slack user id ${user} under access.slack.users` };
}

/** Approving, rejecting and aborting need the operator role, as on the API. */
export function mayDecide(who: SlackPerson): boolean {
  return who.role === 'operator' || who.role === 'admin';
}
