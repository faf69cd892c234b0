import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signSlackRequest } from '../../../shared/notifications/slack-signature';
import { Secret } from '../../../shared/config/webhooks-schema';
import { createApp } from '../../../shared/http/app';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import { appConfig, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeAlarms, FakeEcs, MemStore, RecordingWorkflow } from '../orchestration/fakes';

const orchestrator = (slack: boolean) =>
  new Orchestrator({
    config: {
      ...appConfig([serviceConfig('web')]),
      ...(slack ? { slack: { signingSecretEnv: 'SLACK_SIGNING_SECRET', signingSecret: new Secret('slack-signing-secret-0123') }, access: { tokens: [], slack: { team: 'T1', users: {} } } } : {}),
    },
    store: new MemStore(),
    ecs: new FakeEcs(),
    verifier: new ScriptedVerifier(),
    workflow: new RecordingWorkflow(),
    alarms: new FakeAlarms(),
  });

describe('the Slack interactions route', () => {
  it('answers 404 with the reason until the config has slack:', async () => {
    const app = createApp({ orchestrator: orchestrator(false), webhookToken: 'hook', apiToken: 'api' });
    const res = await app.request('/webhooks/slack/interactions', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'payload=%7B%7D' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/set slack\.signingSecretEnv and access\.slack/);
  });

  it('is not served without the store claims that make a click act once', () => {
    expect(() => createApp({ orchestrator: orchestrator(true), webhookToken: 'hook', apiToken: 'api' })).toThrow(/delivery claims/);
    expect(() => createApp({ orchestrator: orchestrator(true), webhookToken: 'hook', apiToken: 'api', interactionClaims: new MemStore() })).not.toThrow();
  });

  it('answers any signed body with 200, 400, 413 or 415, never a 5xx, and writes nothing without a known operator', async () => {
    const store = new MemStore();
    const o = new Orchestrator({
      config: {
        ...appConfig([serviceConfig('web')]),
        slack: { signingSecretEnv: 'SLACK_SIGNING_SECRET', signingSecret: new Secret('slack-signing-secret-0123') },
        access: { tokens: [], slack: { team: 'T1', users: { U2: { person: 'viv', role: 'viewer' } } } },
      },
      store,
      ecs: new FakeEcs(),
      verifier: new ScriptedVerifier(),
      workflow: new RecordingWorkflow(),
      alarms: new FakeAlarms(),
    });
    const posted: string[] = [];
    const app = createApp({
      orchestrator: o,
      webhookToken: 'hook',
      apiToken: 'api',
      interactionClaims: store,
      slack: { fetch: async (url) => (posted.push(String(url)), new Response('ok')) },
    });
    // Mostly what Slack sends, each field now and then replaced by anything.
    const often = <T,>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: fc.anything() });
    const plausible = fc.record({
      type: often(fc.constantFrom('block_actions', 'view_submission')),
      team: often(fc.record({ id: fc.constantFrom('T1', 'T2', 't1', '') })),
      user: often(fc.record({ id: fc.constantFrom('U1', 'U2', 'CONSTRUCTOR', '') })),
      actions: often(
        fc.array(
          fc.record({
            action_id: fc.constantFrom('rollout.approve', 'rollout.abort', 'rollout.promote', 'toString', '__proto__'),
            value: fc.oneof(fc.string(), fc.constant('0000000000zzzzzzzzzzzzzzzz:1')),
            type: fc.constant('button'),
          }),
          { maxLength: 3 },
        ),
      ),
      response_url: often(fc.constantFrom('https://hooks.slack.com/actions/T1/1/x', 'http://169.254.169.254/latest', 'not a url')),
      trigger_id: often(fc.string({ minLength: 1 })),
    });
    const bodies = fc.oneof(
      plausible.map((p) => new URLSearchParams({ payload: JSON.stringify(p) }).toString()),
      fc.anything().map((v) => new URLSearchParams({ payload: JSON.stringify(v) ?? 'undefined' }).toString()),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(bodies, fc.constantFrom('application/x-www-form-urlencoded', 'application/json', ''), async (body, type) => {
        const ts = String(Math.floor(Date.now() / 1000));
        const res = await app.request('/webhooks/slack/interactions', {
          method: 'POST',
          headers: { ...(type ? { 'content-type': type } : {}), 'x-slack-request-timestamp': ts, 'x-slack-signature': signSlackRequest('slack-signing-secret-0123', ts, body) },
          body,
        });
        expect([200, 400, 413, 415]).toContain(res.status);
      }),
      { numRuns: 300 },
    );
    // And one click that surely gets as far as a reply: a well-formed click by a user nobody mapped.
    const click = new URLSearchParams({
      payload: JSON.stringify({
        type: 'block_actions', team: { id: 'T1' }, user: { id: 'U1' }, trigger_id: 't',
        actions: [{ action_id: 'rollout.approve', value: '0000000000zzzzzzzzzzzzzzzz:1', type: 'button' }],
        response_url: 'https://hooks.slack.com/actions/T1/1/x',
      }),
    }).toString();
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await app.request('/webhooks/slack/interactions', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': signSlackRequest('slack-signing-secret-0123', ts, click) },
      body: click,
    });
    expect(res.status).toBe(200);
    expect(store.rollouts.size).toBe(0);
    expect(store.claims.size).toBe(0);
    // Some clicks got as far as a reply (unknown user, viewer, unknown button), and only ever to Slack.
    expect(posted.length).toBeGreaterThan(0);
    expect(posted.every((url) => url.startsWith('https://hooks.slack.com/'))).toBe(true);
  });
});
