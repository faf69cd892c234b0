/**
 * Approving from Slack as a known person: a local stack (dynalite, the ECS emulator, the Step Functions
 * stand-in) sends its approval messages to a Slack stand-in, which posts clicks back the way Slack
 * does, signed with the app's signing secret. Decisions count with API, named-token and OIDC approvals
 * as distinct people; everything else is refused with nothing changed.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/local-stack';
import { type Click, type SlackStandIn, startSlackStandIn } from '../../../local/slack-stand-in';
import type { NotifyTarget } from '../../../shared/config/notifications-schema';
import type { AppConfig } from '../../../shared/config/types';
import { Secret } from '../../../shared/config/webhooks-schema';
import { type ApiClient, apiClient, expectProblem, waitFor } from '../../helpers/http';
import { appConfig, digestOf, pushEnvelope, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import * as slackSigning from '../../../shared/notifications/slack-signature';

const SIGNING_SECRET = 'e3b0c44298fc1c149afbf4c8996fb924';
const TEAM = 'T0ACME';
const ANN = 'U0ANN';
const VIV = 'U0VIV';
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

let slack: SlackStandIn;
let jwks: Server;
let issuer: string;
let stack: LocalStack;
let api: ApiClient;
let nextDigest = 0x9100;

function jwt(claims: Record<string, unknown>) {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${enc(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), privateKey).toString('base64url')}`;
}

const SERVICES = ['quorum', 'channels', 'refusals', 'malformed', 'reject', 'abort', 'race'];

beforeAll(async () => {
  slack = await startSlackStandIn();
  jwks = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jwks_uri: `${issuer}/jwks` }));
    if (req.url === '/jwks') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' }] }));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;

  const notify: NotifyTarget[] = [
    { kind: 'slack', name: 'deploys', webhookUrlEnv: 'SLACK_WEBHOOK_URL', webhookUrl: new Secret(slack.webhookUrl), on: ['PAUSED', 'ROLLED_BACK'], linkTtlSeconds: 3600 },
    { kind: 'webhook', name: 'ops', url: `${slack.url}/ops`, secretEnv: 'OPS_SECRET', secret: new Secret('hmac-secret-for-the-ops-webhook'), on: ['PAUSED'], linkTtlSeconds: 3600 },
  ];
  const steps = [{ setWeight: 10 }, { pause: { approvals: 2 } }, { setWeight: 100 }];
  const config: AppConfig = {
    ...appConfig(SERVICES.map((name) => serviceConfig(name, { steps, notify }))),
    access: {
      tokens: [{ name: 'bob-cli', sha256: sha('bob-secret'), role: 'operator', person: 'bob@example.com' }],
      oidc: { issuer, audience: 'rollouts', claim: 'email', role: 'operator' },
      slack: { team: TEAM, users: { [ANN]: { person: 'ann@example.com', role: 'operator' }, [VIV]: { person: 'viv@example.com', role: 'viewer' } } },
    },
    slack: { signingSecretEnv: 'SLACK_SIGNING_SECRET', signingSecret: new Secret(SIGNING_SECRET) },
  };
  stack = await startLocalStack({
    config,
    port: 0,
    taskStartMs: 15,
    steadyPollMs: 15,
    verifier: new ScriptedVerifier(),
    webhookToken: 'hook-token-slack',
    apiToken: 'api-token-slack',
    operator: { linkSecret: 'link-secret-of-this-orchestrator', notifyTimeoutMs: 2000, env: {} },
    slack: { responseUrlPrefix: slack.responsePrefix },
  });
  api = apiClient(stack.url, stack.apiToken);
}, 30_000);
afterAll(async () => {
  await stack?.stop();
  await slack?.close();
  await new Promise<void>((r) => (jwks ? jwks.close(() => r()) : r()));
});

/** A rollout of `service` waiting at its approval pause (step index 1), and the Slack message asking for it. */
async function pausedRollout(service: string) {
  const res = await apiClient(stack.url, stack.webhookToken)('POST', '/webhooks/registry', pushEnvelope(`team/${service}`, 'v1', digestOf(nextDigest++)));
  const id = res.body.accepted[0].rolloutId as string;
  await waitFor('PAUSED', async () => (await api('GET', `/rollouts/${id}`)).body.status === 'PAUSED' || undefined);
  const message = await waitFor('the Slack approval request', async () => slack.message(id));
  const actions = message.json.blocks.find((b: any) => b.type === 'actions');
  return { id, actions, value: actions.elements[0].value as string };
}

async function post(request: { body: string; headers: Record<string, string> }) {
  const res = await fetch(`${stack.url}/webhooks/slack/interactions`, { method: 'POST', headers: request.headers, body: request.body });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: res.status, body, contentType: res.headers.get('content-type') };
}

const click = (c: Partial<Click> & { value: string | undefined }, secret = SIGNING_SECRET, timestamp?: number) =>
  slack.click({ team: TEAM, user: ANN, actionId: 'rollout.approve', ...c }, secret, timestamp);

const jwtFor = (email: string) => jwt({ iss: issuer, aud: 'rollouts', sub: email, email, exp: Math.floor(Date.now() / 1000) + 300 });
const rollout = async (id: string) => (await api('GET', `/rollouts/${id}`)).body;
/** What a person sees of a rollout: the record without its save counter (the workflow's own bookkeeping moves it). */
const seen = async (id: string) => {
  const { version: _version, updatedAt: _updatedAt, ...visible } = await rollout(id);
  return visible;
};

describe('Slack interactive approvals', () => {
  it('sends Approve, Reject and Abort buttons naming the rollout and its step; links stay for the other channels', async () => {
    const { id, actions, value } = await pausedRollout('quorum');
    expect(actions.elements.map((e: any) => [e.action_id, e.value, e.url])).toEqual([
      ['rollout.approve', `${id}:1`, undefined],
      ['rollout.reject', `${id}:1`, undefined],
      ['rollout.abort', `${id}:1`, undefined],
    ]);
    expect(slack.message(id)!.raw).not.toContain('/approvals/');
    const hook = await waitFor('the webhook approval request', async () => slack.received.find((r) => r.path === '/ops' && r.raw.includes(id)));
    expect(hook.json.approval.approveUrl).toMatch(/\/approvals\//);

    // A signed click by a mapped operator: recorded as the person, with the Slack credential.
    const first = click({ value });
    const approved = await post(first);
    expect(approved.status).toBe(200);
    let r = await rollout(id);
    expect(r.status).toBe('PAUSED');
    expect(r.approvals).toEqual([expect.objectContaining({ by: 'ann@example.com', credential: `slack:${TEAM}/${ANN}`, step: 1 })]);
    const update = slack.responses(first.responseUrl);
    expect(update).toHaveLength(1);
    expect(update[0]).toMatchObject({ replace_original: true });
    expect((update[0] as any).text).toContain(`ann@example.com (slack:${TEAM}/${ANN}) approved step 2/3`);
    expect((update[0] as any).text).toContain('1 more approval needed');
    // Still waiting for a second person: the buttons stay.
    expect((update[0] as any).blocks.at(-1).elements.map((e: any) => e.action_id)).toEqual(['rollout.approve', 'rollout.reject', 'rollout.abort']);

    // The same request again (a replay, or Slack retrying): answered, acts once, posts nothing more.
    const replay = await post(first);
    expect(replay.status).toBe(200);
    expect(replay.body.text).toContain('already handled');
    expect((await rollout(id)).approvals).toHaveLength(1);
    expect(slack.responses(first.responseUrl)).toHaveLength(1);

    // A second person through the API: a quorum of two.
    const bob = await apiClient(stack.url, 'bob-secret')('POST', `/rollouts/${id}/approve`, {});
    expect(bob.status).toBe(200);
    r = bob.body;
    expect(r.status).toBe('PROGRESSING');
    expect(r.approvals.map((a: any) => [a.by, a.credential])).toEqual([
      ['ann@example.com', `slack:${TEAM}/${ANN}`],
      ['bob@example.com', 'token:bob-cli'],
    ]);

    // A click on the message after the rollout moved on answers with where it stands, and changes nothing.
    const late = click({ value, user: ANN });
    const lateAnswer = await post(late);
    expect(lateAnswer.status).toBe(200);
    expect(slack.responses(late.responseUrl)[0]).toMatchObject({ replace_original: true });
    expect(lateAnswer.body.text).toMatch(/this approval request is over/);
    expect(lateAnswer.body.text).toMatch(/step 2\/3 is done|Rolled out/);
    expect(JSON.stringify(lateAnswer.body.blocks)).not.toContain('rollout.approve');
    await waitFor('SUCCEEDED', async () => (await rollout(id)).status === 'SUCCEEDED' || undefined);
    expect((await rollout(id)).approvals).toHaveLength(2);
  });

  it('counts one person once through Slack and OIDC, in either order', async () => {
    const { id, value } = await pausedRollout('channels');
    expect((await post(click({ value }))).status).toBe(200);
    const viaOidc = await apiClient(stack.url, jwtFor('Ann@Example.com'))('POST', `/rollouts/${id}/approve`, {});
    expectProblem(viaOidc, 409, /ann@example.com already approved/);
    expect((await rollout(id)).approvals).toHaveLength(1);

    // Now someone else through OIDC completes the quorum; then a fresh rollout, OIDC first, then Slack.
    expect((await apiClient(stack.url, jwtFor('carol@example.com'))('POST', `/rollouts/${id}/approve`, {})).body.status).toBe('PROGRESSING');
    await waitFor('SUCCEEDED', async () => (await rollout(id)).status === 'SUCCEEDED' || undefined);

    const next = await pausedRollout('channels');
    expect((await apiClient(stack.url, jwtFor('ann@example.com'))('POST', `/rollouts/${next.id}/approve`, {})).status).toBe(200);
    const second = click({ value: next.value });
    const refused = await post(second);
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(refused.body.text).toMatch(/ann@example.com already approved/);
    expect(slack.responses(second.responseUrl)).toEqual([refused.body]);
    const r = await rollout(next.id);
    expect(r.status).toBe('PAUSED');
    expect(r.approvals.map((a: any) => a.credential)).toEqual([`oidc:${issuer}`]);
  });

  it('refuses an unmapped user, a viewer, another workspace, a stale or future timestamp, a wrong or missing signature, an altered body and another step, changing nothing', async () => {
    const { id, value } = await pausedRollout('refusals');
    const before = await seen(id);

    const ephemeral = async (request: ReturnType<typeof click>, why: RegExp) => {
      const res = await post(request);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
      expect(res.body.text).toMatch(why);
      expect(slack.responses(request.responseUrl)).toEqual([res.body]);
    };
    await ephemeral(click({ value, user: 'U0NOBODY' }), /not known to this orchestrator: an admin can add your Slack user id U0NOBODY under access\.slack\.users/);
    await ephemeral(click({ value, user: VIV }), /viv@example\.com \(slack:T0ACME\/U0VIV\) is a viewer; to approve a rollout needs the operator role/);
    await ephemeral(click({ value, user: VIV, actionId: 'rollout.abort' }), /is a viewer; to abort/);
    await ephemeral(click({ value, team: 'T0OTHER' }), /workspace \(T0OTHER\) is not the one this orchestrator answers/);

    const unauthorized = async (request: { body: string; headers: Record<string, string>; responseUrl?: string }, why: RegExp) => {
      expectProblem(await post(request), 401, why);
      if (request.responseUrl) expect(slack.responses(request.responseUrl)).toEqual([]);
    };
    const now = Math.floor(Date.now() / 1000);
    await unauthorized(click({ value }, SIGNING_SECRET, now - 301), /more than 5 minutes from now/);
    await unauthorized(click({ value }, SIGNING_SECRET, now + 301), /more than 5 minutes from now/);
    await unauthorized(click({ value }, 'not-the-signing-secret-of-the-app'), /invalid X-Slack-Signature/);
    const good = click({ value });
    const { 'x-slack-signature': _signature, ...unsigned } = good.headers;
    await unauthorized({ ...good, headers: unsigned }, /missing X-Slack-Signature/);
    await unauthorized({ ...good, headers: { ...good.headers, 'x-slack-request-timestamp': 'soon' } }, /X-Slack-Request-Timestamp/);
    // The body altered after signing: another user, another action.
    await unauthorized({ ...good, body: good.body.replace(ANN, 'U0MALLORY') }, /invalid X-Slack-Signature/);
    await unauthorized({ ...good, body: good.body.replace('rollout.approve', 'rollout.abort') }, /invalid X-Slack-Signature/);
    await unauthorized({ ...good, body: `${good.body}&extra=1` }, /invalid X-Slack-Signature/);
    // The timestamp moved, the signature kept.
    await unauthorized({ ...good, headers: { ...good.headers, 'x-slack-request-timestamp': String(now - 1) } }, /invalid X-Slack-Signature/);

    // A click for another step of this rollout, or for this step of another rollout.
    const otherStep = click({ value: `${id}:2` });
    expect((await post(otherStep)).body.text).toMatch(/this approval request is over/);
    const other = await pausedRollout('reject');
    const crossed = click({ value: `${other.id}:0` });
    expect((await post(crossed)).body.text).toMatch(/this approval request is over/);
    expect((await rollout(other.id)).approvals).toEqual([]);

    expect(await seen(id)).toEqual(before);
    // The good click was never sent: it still acts, once.
    expect((await post(good)).status).toBe(200);
    expect((await rollout(id)).approvals).toEqual([expect.objectContaining({ by: 'ann@example.com' })]);
  });

  it('answers bad input with a 4xx or an ephemeral reason, never a 5xx, and writes nothing', async () => {
    const { id, value } = await pausedRollout('malformed');
    const before = await seen(id);
    const signed = (body: string, contentType = 'application/x-www-form-urlencoded') => {
      const request = click({ value });
      const ts = request.headers['x-slack-request-timestamp']!;
      const { signSlackRequest } = slackSigning;
      return { body, headers: { ...request.headers, 'content-type': contentType, 'x-slack-signature': signSlackRequest(SIGNING_SECRET, ts, body) } };
    };
    const good = click({ value });
    const payloadOf = (body: string) => JSON.parse(new URLSearchParams(body).get('payload')!);
    const withPayload = (p: unknown) => new URLSearchParams({ payload: JSON.stringify(p) }).toString();

    expectProblem(await post(signed(JSON.stringify(payloadOf(good.body)), 'application/json')), 415, /application\/x-www-form-urlencoded/);
    expectProblem(await post(signed('text=hello')), 400, /payload/);
    expectProblem(await post(signed('payload=%7Bnot%20json')), 400, /payload is not valid JSON/);
    expectProblem(await post(signed(withPayload({ ...payloadOf(good.body), type: 'view_submission' }))), 400, /type: must be block_actions/);
    expectProblem(await post(signed(withPayload({ ...payloadOf(good.body), user: undefined }))), 400, /user: must be the user/);
    expectProblem(await post(signed(withPayload({ ...payloadOf(good.body), actions: [] }))), 400, /actions: must hold the clicked button/);
    expectProblem(await post(signed(withPayload({ ...payloadOf(good.body), response_url: 'https://attacker.example/collect' }))), 400, /response_url: must be a Slack response URL/);
    // Over 1 MiB: refused before it is read (through the app itself: a server that answers before reading
    // the whole body closes the connection under the sender).
    const huge = signed(`payload=${'x'.repeat(1024 * 1024 + 10)}`);
    const tooLarge = await stack.app.request('/webhooks/slack/interactions', { method: 'POST', headers: huge.headers, body: huge.body });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('content-type')).toMatch(/problem\+json/);

    const reply = async (request: ReturnType<typeof click>, why: RegExp) => {
      const res = await post(request);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ response_type: 'ephemeral' });
      expect(res.body.text).toMatch(why);
    };
    await reply(click({ value, actionId: 'rollout.promote' }), /the button "rollout.promote" is not one this orchestrator answers/);
    await reply(click({ value, actionId: 'constructor' }), /is not one this orchestrator answers/);
    await reply(click({ value: 'not-a-rollout' }), /names no rollout/);
    await reply(click({ value: undefined }), /names no rollout/);
    await reply(click({ value: `${'0'.repeat(26)}:1` }), /rollout 0{26} does not exist/);
    await reply(click({ value: `${id}:99` }), /has no step 100/);

    expect(await seen(id)).toEqual(before);
  });

  it('rejects and aborts as the person, and the message says what happens next', async () => {
    const rejected = await pausedRollout('abort');
    const rejecting = click({ value: rejected.value, actionId: 'rollout.reject' });
    const res = await post(rejecting);
    expect(res.status).toBe(200);
    const r = await rollout(rejected.id);
    expect(['ROLLING_BACK', 'ROLLED_BACK']).toContain(r.status);
    expect(r.reason).toBe(`rejected by ann@example.com (slack:${TEAM}/${ANN}): rejected in Slack`);
    const update = slack.responses(rejecting.responseUrl)[0] as any;
    expect(update.replace_original).toBe(true);
    expect(update.text).toMatch(/rejected step 2\/3 · Roll(ing|ed) back/);
    expect(JSON.stringify(update.blocks)).not.toContain('rollout.approve');
    await waitFor('ROLLED_BACK', async () => (await rollout(rejected.id)).status === 'ROLLED_BACK' || undefined);

    const aborted = await pausedRollout('abort');
    const aborting = click({ value: aborted.value, actionId: 'rollout.abort' });
    expect((await post(aborting)).status).toBe(200);
    expect((await rollout(aborted.id)).reason).toBe(`aborted by ann@example.com (slack:${TEAM}/${ANN}): aborted in Slack`);
    // Replayed: answered, nothing more.
    expect((await post(aborting)).body.text).toContain('already handled');
    expect(slack.responses(aborting.responseUrl)).toHaveLength(1);
  });

  it('acts once when two copies of one click arrive at the same moment', async () => {
    const { id, value } = await pausedRollout('race');
    const request = click({ value });
    const answers = await Promise.all([post(request), post(request), post(request)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.filter((a) => a.body.text.includes('already handled'))).toHaveLength(2);
    expect((await rollout(id)).approvals).toEqual([expect.objectContaining({ by: 'ann@example.com', credential: `slack:${TEAM}/${ANN}` })]);
    expect(slack.responses(request.responseUrl)).toHaveLength(1);
  });
});
