import { describe, expect, it } from 'vitest';
import { lazyOrchestrator } from '../../../functions/wiring/lazy-orchestrator';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import type { Rollout } from '../../../shared/core/rollout';
import { RolloutNotFoundError } from '../../../shared/errors';
import { REGISTRY, appConfig, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeEcs, MemStore, RecordingWorkflow } from '../orchestration/fakes';

function deps() {
  return { config: appConfig([serviceConfig('web')]), store: new MemStore(), ecs: new FakeEcs(), verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow() };
}

describe("the API's orchestrator, built on first use", () => {
  it('answers the reads as the orchestrator does, from the store', async () => {
    const d = deps();
    const lazy = lazyOrchestrator(d);
    const full = new Orchestrator(d);
    const { deliveryId, accepted } = await full.ingest([{ registry: REGISTRY, repository: 'team/web', tag: 'v1', source: 'test', digest: `sha256:${'a'.repeat(64)}` }]);
    const id = accepted[0]!.rolloutId;
    expect(await lazy.get(id)).toEqual(await full.get(id));
    expect(await lazy.list({ service: 'web' })).toEqual(await full.list({ service: 'web' }));
    expect(await lazy.delivery(deliveryId)).toEqual(await full.delivery(deliveryId));
    for (const bad of ['NOT-AN-ID', 'x'.repeat(3000)]) await expect(lazy.get(bad)).rejects.toBeInstanceOf(RolloutNotFoundError);
  });

  it('hands the listeners subscribed before it was built to the orchestrator, and an unsubscribed one hears nothing', async () => {
    const d = deps();
    const lazy = lazyOrchestrator(d);
    const heard: string[] = [];
    lazy.subscribe((r: Rollout) => void heard.push(`kept ${r.status}`));
    const off = lazy.subscribe(() => void heard.push('dropped'));
    off();
    const result = await lazy.accept({ source: 'test', pushes: [{ registry: REGISTRY, repository: 'team/web', tag: 'v1', source: 'test', digest: `sha256:${'b'.repeat(64)}` }] });
    expect(result.accepted).toHaveLength(1);
    // The delivery's work runs after the answer; it saves the rollout, which the listener hears.
    const rolloutId = result.accepted[0]!.rolloutId;
    for (let i = 0; i < 50 && !heard.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(heard.length).toBeGreaterThan(0);
    expect(heard.every((h) => h.startsWith('kept '))).toBe(true);
    expect((await lazy.get(rolloutId)).id).toBe(rolloutId);
  });
});
