import { describe, expect, it } from 'vitest';
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
});
