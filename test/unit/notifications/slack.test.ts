import { describe, expect, it } from 'vitest';
import { transition } from '../../../shared/core/transition';
import { slackMessage, type Notice } from '../../../shared/notifications/messages';
import { actionValue, parseActionValue } from '../../../shared/notifications/slack-interaction';
import { mayDecide, slackIdentity } from '../../../shared/notifications/slack-people';
import { ephemeralReply, updatedApprovalMessage } from '../../../shared/notifications/slack-replies';
import { signSlackRequest, verifySlackRequest } from '../../../shared/notifications/slack-signature';
import { rolloutStates } from '../observability/rollout-states';

// The example of Slack's "Verifying requests from Slack" documentation: secret, timestamp, body, signature.
const DOC_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const DOC_TIMESTAMP = '1531420618';
const DOC_BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const DOC_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

describe("Slack's request signing", () => {
  it("signs as Slack's documentation shows", () => {
    expect(signSlackRequest(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY)).toBe(DOC_SIGNATURE);
    expect(signSlackRequest(DOC_SECRET, DOC_TIMESTAMP, Buffer.from(DOC_BODY))).toBe(DOC_SIGNATURE);
  });

  it('accepts the documented request within five minutes of its timestamp, and nothing else', () => {
    const at = Number(DOC_TIMESTAMP);
    const verify = (headers: { signature?: string; timestamp?: string }, body = DOC_BODY, now = at) =>
      verifySlackRequest(DOC_SECRET, { signature: headers.signature, timestamp: headers.timestamp }, body, now);
    const good = { signature: DOC_SIGNATURE, timestamp: DOC_TIMESTAMP };
    expect(verify(good)).toEqual({ ok: true });
    expect(verify(good, DOC_BODY, at + 300)).toEqual({ ok: true });
    expect(verify(good, DOC_BODY, at - 300)).toEqual({ ok: true });
    expect(verify(good, DOC_BODY, at + 301)).toMatchObject({ ok: false, reason: expect.stringMatching(/more than 5 minutes/) });
    expect(verify(good, DOC_BODY, at - 301)).toMatchObject({ ok: false, reason: expect.stringMatching(/more than 5 minutes/) });
    expect(verify(good, `${DOC_BODY}&x=1`)).toMatchObject({ ok: false, reason: expect.stringMatching(/invalid X-Slack-Signature/) });
    expect(verify({ ...good, timestamp: String(at + 1) }, DOC_BODY, at)).toMatchObject({ ok: false, reason: expect.stringMatching(/invalid/) });
    expect(verify({ ...good, signature: DOC_SIGNATURE.toUpperCase() })).toMatchObject({ ok: false });
    expect(verify({ ...good, signature: DOC_SIGNATURE.replace('v0=', 'v1=') })).toMatchObject({ ok: false });
    expect(verify({ ...good, signature: DOC_SIGNATURE.slice(3) })).toMatchObject({ ok: false });
    expect(verify({ timestamp: DOC_TIMESTAMP })).toMatchObject({ ok: false, reason: expect.stringMatching(/missing X-Slack-Signature/) });
    expect(verify({ signature: DOC_SIGNATURE })).toMatchObject({ ok: false, reason: expect.stringMatching(/X-Slack-Request-Timestamp/) });
    expect(verify({ ...good, timestamp: '1531420618.5' })).toMatchObject({ ok: false });
    // A reason never quotes what was sent.
    const refused = verify({ ...good, signature: 'v0=deadbeef' });
    expect(refused.ok ? '' : refused.reason).not.toContain('deadbeef');
  });
});

describe('Slack buttons and people', () => {
  it('name a rollout and its step in a button value, and nothing else parses', () => {
    const id = '01jd7m8x9q0c1v2b3n4m5k6j7h';
    expect(parseActionValue(actionValue(id, 3))).toEqual({ rolloutId: id, step: 3 });
    for (const bad of [undefined, '', id, `${id}:`, `${id}:x`, `${id}:-1`, `${id}:1:2`, `${id.toUpperCase()}:1`, 'constructor:1', `${id}:99999`]) expect(parseActionValue(bad)).toBeNull();
  });

  it('know a listed user, a member of the workspace with the default role, and nobody else', () => {
    const access = { team: 'T1', users: { U1: { person: 'ann@example.com', role: 'operator' as const }, U2: { person: 'viv', role: 'viewer' as const } } };
    expect(slackIdentity(access, 'T1', 'U1')).toEqual({ ok: true, who: { person: 'ann@example.com', role: 'operator', credential: 'slack:T1/U1' } });
    expect(slackIdentity(access, 'T1', 'U3')).toMatchObject({ ok: false, reason: expect.stringMatching(/not known.*U3 under access\.slack\.users/) });
    expect(slackIdentity(access, 'T2', 'U1')).toMatchObject({ ok: false, reason: expect.stringMatching(/workspace \(T2\)/) });
    expect(slackIdentity(undefined, 'T1', 'U1')).toMatchObject({ ok: false });
    expect(slackIdentity(access, 'T1', 'constructor')).toMatchObject({ ok: false });
    const everyone = { ...access, defaultRole: 'operator' as const };
    expect(slackIdentity(everyone, 'T1', 'U3')).toEqual({ ok: true, who: { person: 'slack:T1/U3', role: 'operator', credential: 'slack:T1/U3' } });
    expect(slackIdentity(everyone, 'T2', 'U3')).toMatchObject({ ok: false });
    const viewer = slackIdentity(everyone, 'T1', 'U2');
    expect(viewer.ok && mayDecide(viewer.who)).toBe(false);
  });
});

describe('Slack messages', () => {
  const s = rolloutStates();
  const links = { approveUrl: 'https://r.example/approvals/a.b', abortUrl: 'https://r.example/approvals/c.d', expiresAt: '2026-01-01T01:00:00.000Z' };

  it('ask for approval with Approve, Reject and Abort buttons when the orchestrator answers clicks, and with links otherwise', () => {
    const notice: Notice = { status: 'PAUSED', rollout: s.paused, previousStatus: 'PROGRESSING', links: null, dashboardUrl: null, interactive: true };
    const actions = slackMessage(notice).blocks.find((b: any) => b.type === 'actions') as any;
    expect(actions.elements.map((e: any) => [e.action_id, e.value, e.text.text, e.style ?? null, e.confirm ? 'asks' : null])).toEqual([
      ['rollout.approve', 'r1:3', 'Approve', 'primary', null],
      ['rollout.reject', 'r1:3', 'Reject', null, 'asks'],
      ['rollout.abort', 'r1:3', 'Abort', 'danger', 'asks'],
    ]);
    const withLinks = slackMessage({ ...notice, links, interactive: false }).blocks.find((b: any) => b.type === 'actions') as any;
    expect(withLinks.elements.map((e: any) => e.url)).toEqual([links.approveUrl, links.abortUrl]);
  });

  it('replace the request with who decided and what happens next, keeping the buttons only while the rollout waits there', () => {
    const approved = transition(s.paused, { type: 'Approve', by: 'ann@example.com', credential: 'slack:T1/U1', comment: null }, new Date()).rollout;
    const reply = updatedApprovalMessage(approved, 3, 'ann@example.com (slack:T1/U1) approved step 4/5');
    expect(reply.replace_original).toBe(true);
    expect(reply.text).toMatch(/approved step 4\/5 · step 4\/5 is done; the rollout goes on to step 5\/5 \(setWeight 100%\)/);
    expect(JSON.stringify(reply.blocks)).not.toContain('rollout.approve');
    const waiting = updatedApprovalMessage(s.paused, 3, null);
    expect(waiting.text).toMatch(/Waits at step 4\/5 with the canary at 50%: 1 more approval needed/);
    expect(JSON.stringify(waiting.blocks)).toContain('rollout.approve');
    expect(updatedApprovalMessage(s.rolledBack, 3, null).text).toMatch(/Rolled back: the stable image runs/);
    // Text from outside is mrkdwn-escaped: no live link, no broadcast.
    expect(ephemeralReply('<!here> <https://x|y>').text).toBe('&lt;!here&gt; &lt;https://x|y&gt;');
  });
});
