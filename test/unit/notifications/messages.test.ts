import { describe, expect, it } from 'vitest';
import { transition } from '../../../shared/core/transition';
import { announcedStatus, headline, slackMessage, webhookBody, type Notice } from '../../../shared/notifications/messages';
import { rolloutStates } from '../observability/rollout-states';

const s = rolloutStates();
const links = { approveUrl: 'https://r.example/approvals/a.b', abortUrl: 'https://r.example/approvals/c.d', expiresAt: '2026-01-01T01:00:00.000Z' };

describe('notification messages', () => {
  it.each([
    ['PAUSED', s.paused, s.atWeight50],
    ['SUCCEEDED', s.succeeded, s.finalizing],
    ['ROLLED_BACK', s.rolledBack, s.rollingBack],
    ['REJECTED', s.rejected, s.pending],
    ['FAILED', s.failed, s.rollingBack],
  ])('announce entering %s', (status, after, before) => {
    expect(announcedStatus(after, before)).toBe(status);
  });

  it.each([
    ['a creation', s.pending, s.pending],
    ['a weight change', s.atWeight20, s.started],
    ['rolling back (the outcome comes next)', s.rollingBack, s.atWeight20],
    ['a queued rollout', s.queued, s.pending],
    ['a pause by hand (nobody is asked to approve)', transition(s.atWeight20, { type: 'Pause', by: 'ann', reason: null }, new Date()).rollout, s.atWeight20],
  ])('stay quiet on %s', (_what, after, before) => {
    expect(announcedStatus(after, before)).toBeNull();
  });

  it('write the approval request for a webhook: what, where, and the links', () => {
    const notice: Notice = { status: 'PAUSED', rollout: s.paused, previousStatus: 'PROGRESSING', links, dashboardUrl: 'https://r.example/' };
    expect(webhookBody(notice, { id: 'd1', timestamp: 1767225600 })).toEqual({
      type: 'rollout.approval_requested',
      id: 'd1',
      timestamp: 1767225600,
      summary: `web: rollout of v2 (222222222222) waits for approval at step 4 of 5 (pause until approved), canary at 50%`,
      rollout: expect.objectContaining({ id: 'r1', service: 'web', status: 'PAUSED', previousStatus: 'PROGRESSING', canaryWeight: 50, currentStep: 3, steps: 5 }),
      approval: { step: 3, ...links },
      dashboardUrl: 'https://r.example/',
    });
  });

  it('escape Slack markup in the top-level text as in the blocks: no link, mention or broadcast from outside text', () => {
    const hostile = '<https://evil.example/approve|Click to re-approve> <!here> <!channel> <@U123> & more';
    for (const [status, base] of [['ROLLED_BACK', s.rolledBack], ['REJECTED', s.rejected], ['FAILED', s.failed]] as const) {
      const message = slackMessage({ status, rollout: { ...base, reason: hostile }, previousStatus: 'X', links: null, dashboardUrl: null });
      const everything = JSON.stringify(message);
      expect(everything).not.toContain('<https://evil');
      expect(everything).not.toContain('<!here>');
      expect(everything).not.toContain('<!channel>');
      expect(everything).not.toContain('<@U123>');
      expect(message.text).toContain('&lt;!here&gt;');
    }
  });

  it('escape Slack markup in reasons, and add link buttons to approval requests only', () => {
    const rolledBack = { ...s.rolledBack, reason: 'alarm <web-5xx> fired: p99 > 2s & rising' };
    const message = slackMessage({ status: 'ROLLED_BACK', rollout: rolledBack, previousStatus: 'ROLLING_BACK', links: null, dashboardUrl: null });
    expect(message.text).toBe(
      headline({ status: 'ROLLED_BACK', rollout: rolledBack, previousStatus: 'ROLLING_BACK', links: null, dashboardUrl: null }).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
    );
    expect(JSON.stringify(message.blocks)).toContain('alarm &lt;web-5xx&gt; fired: p99 &gt; 2s &amp; rising');
    expect(message.blocks.some((b: any) => b.type === 'actions')).toBe(false);

    const request = slackMessage({ status: 'PAUSED', rollout: s.paused, previousStatus: 'PROGRESSING', links, dashboardUrl: 'https://r.example/' });
    const actions = request.blocks.find((b: any) => b.type === 'actions') as any;
    expect(actions.elements.map((e: any) => [e.text.text, e.url])).toEqual([['Approve…', links.approveUrl], ['Abort…', links.abortUrl]]);
    expect(JSON.stringify(request.blocks)).toContain('<https://r.example/|dashboard>');
  });
});
