/**
 * `GET /approvals/<token>` shows what the link would do; `POST /approvals/<token>` does it. The token is
 * the credential (no API token: the person clicked a link in Slack or an e-mail), so it must be valid,
 * unexpired and unused, and the rollout must still wait at the step the link was issued for.
 * Browsers get HTML pages; other clients get JSON and problem+json, like the rest of the API.
 *
 * Errors are answered here rather than by `app.onError`, whose log line for a 5xx would name the path,
 * and so the token; our own log lines carry a hash prefix of it instead.
 */
import { type Context, Hono } from 'hono';
import type { Logger } from '../observability/logger';
import type { AppOrchestrator } from '../http/deps';
import { identityKey } from '../core/identity';
import { RolloutStatus } from '../core/status';
import { InvalidTransitionError, RolloutError, SecretUnavailableError } from '../errors';
import { problemResponse } from '../http/problem';
import { type ApprovalLinks, type LinkClaims, tokenHash } from './approval-links';
import { ApprovalLinkError } from './errors';

export interface ApprovalRouteDeps {
  readonly orchestrator: AppOrchestrator;
  /** Null when no link secret is configured: every link is then refused with 404. */
  readonly links: ApprovalLinks | null;
  readonly logger: Logger;
}

const wantsHtml = (c: Context) => (c.req.header('accept') ?? '').includes('text/html');
/** The pages a browser is shown, loaded with the first of them (docs/architecture.md, "Lambda bundles"). */
const pages = () => import('./approval-pages');

export function approvalRoutes(deps: ApprovalRouteDeps) {
  const routes = new Hono();
  const { orchestrator } = deps;

  const links = () => {
    if (!deps.links) throw new ApprovalLinkError('approval links are not enabled on this orchestrator (no ROLLOUT_LINK_SECRET)', 404);
    return deps.links;
  };

  /** The rollout, when it still waits for the approval the link was issued for. */
  const waitingRollout = async (claims: LinkClaims) => {
    const rollout = await orchestrator.get(claims.rolloutId);
    if (rollout.status !== RolloutStatus.Paused || rollout.currentStep !== claims.step) {
      throw new InvalidTransitionError(`rollout ${rollout.id} no longer waits for this approval: it is ${rollout.status}${rollout.currentStep === null ? '' : ` at step ${rollout.currentStep + 1}`}`);
    }
    // Whoever holds a link is not known by name: approvals through links count once per step, whichever
    // notification target they were sent to, so that two links cannot make a quorum of two.
    if (claims.action === 'approve') {
      const earlier = rollout.approvals.find((a) => a.step === claims.step && (a.credential?.startsWith('link:') || identityKey(a.by) === identityKey(`link:${claims.target}`)));
      if (earlier) throw new InvalidTransitionError(`step ${claims.step + 1} of rollout ${rollout.id} was already approved through a link (${earlier.by}); the other approvals must come from people, through the API or the dashboard`);
    }
    return rollout;
  };

  const answer = (handle: (c: Context, token: string) => Promise<Response>) => async (c: Context) => {
    const token = c.req.param('token') ?? '';
    try {
      return await handle(c, token);
    } catch (e) {
      // A dependency down (the link secret cannot be read: 503) is said as such, not as a 500.
      const known = e instanceof RolloutError && (e.status < 500 || e instanceof SecretUnavailableError);
      const status = known ? e.status : 500;
      const detail = known ? e.message : 'an unexpected error occurred; it has been logged';
      if (!known) deps.logger.error('approval link failed', { link: tokenHash(token).slice(0, 12), method: c.req.method, error: e });
      if (wantsHtml(c)) {
        const { PAGE_HEADERS, errorPage } = await pages();
        return c.html(errorPage(status, detail), status as 400, PAGE_HEADERS);
      }
      const title = known ? e.title : 'Internal error';
      return problemResponse(c, { type: 'about:blank', title, status, detail, instance: '/approvals/{token}' });
    }
  };

  routes.get(
    '/:token',
    answer(async (c, token) => {
      const claims = await links().check(token);
      const rollout = await waitingRollout(claims);
      if (wantsHtml(c)) {
        const { PAGE_HEADERS, confirmPage } = await pages();
        return c.html(confirmPage(rollout, claims), 200, PAGE_HEADERS);
      }
      return c.json({ rolloutId: rollout.id, service: rollout.service, action: claims.action, step: claims.step, expiresAt: new Date(claims.expiresAt * 1000).toISOString() });
    }),
  );

  routes.post(
    '/:token',
    answer(async (c, token) => {
      const checked = await links().check(token);
      await waitingRollout(checked);
      const claims = await links().redeem(token);
      const by = `link:${claims.target}`;
      const rollout =
        claims.action === 'approve'
          ? await orchestrator.command(claims.rolloutId, { type: 'Approve', by, credential: by, comment: 'approved through a notification link' })
          : await orchestrator.command(claims.rolloutId, { type: 'Abort', by, credential: by, reason: 'aborted through a notification link' });
      deps.logger.info('approval link used', { rolloutId: rollout.id, action: claims.action, step: claims.step, by, link: tokenHash(token).slice(0, 12), status: rollout.status });
      if (wantsHtml(c)) {
        const { PAGE_HEADERS, donePage } = await pages();
        return c.html(donePage(rollout, claims), 200, PAGE_HEADERS);
      }
      return c.json({ rolloutId: rollout.id, action: claims.action, by, status: rollout.status });
    }),
  );

  return routes;
}
