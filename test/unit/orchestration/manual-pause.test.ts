/**
 * A pause by hand as the workflow's clock sees it: Advance answers an approval-style wait with no
 * deadline and moves nothing (not a steady ECS, not an elapsed bake), an alarm in ALARM still rolls it
 * back, and Resume answers the callback under the token AwaitApproval recorded.
 */
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../../shared/core/rollout';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import type { ClockState, Workflow } from '../../../shared/ports';
import { appConfig, digestOf, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeAlarms, FakeEcs, MemStore } from './fakes';

class TokenWorkflow implements Workflow {
  readonly woken: { id: string; status: string; taskToken: string | null }[] = [];
  private readonly started = new Set<string>();
  async start(id: string) {
    this.started.add(id);
  }
  async clockState(id: string): Promise<ClockState> {
    return this.started.has(id) ? 'RUNNING' : 'NONE';
  }
  async wake(r: Rollout, taskToken: string | null) {
    this.woken.push({ id: r.id, status: r.status, taskToken });
  }
}

function setup() {
  let now = new Date('2026-01-01T00:00:00.000Z');
  const config = appConfig([serviceConfig('web', { steps: [{ setWeight: 20 }, { pause: { duration: 60 } }, { setWeight: 100 }] })]);
  const store = new MemStore();
  const ecs = new FakeEcs();
  const workflow = new TokenWorkflow();
  const alarms = new FakeAlarms();
  const o = new Orchestrator({ config, store, ecs, verifier: new ScriptedVerifier(), workflow, alarms, clock: () => now, options: { rollbackBackoffMs: 1 } });
  const later = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));
  return { o, store, ecs, workflow, alarms, later, only: () => [...store.rollouts.keys()][0]! };
}

const push = { registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v2', digest: digestOf(7), source: 'test' };

describe('a rollout paused by hand, as the workflow sees it', () => {
  it('waits like an approval with no deadline, moves for nothing, and goes on from where it was on resume', async () => {
    const { o, store, ecs, workflow, later, only } = setup();
    await o.ingest([push]);
    const id = only();
    await o.advance(id); // canary at 20%, waiting for steady state
    await o.command(id, { type: 'Pause', by: 'ann', reason: 'a look first' });
    ecs.settle();
    later(3600);
    const directive = await o.advance(id);
    const paused = await store.get(id);
    // The wait carries the version it was decided from: the token is kept on that record unread.
    expect(directive).toEqual({ next: 'APPROVAL', version: paused.version });
    expect(paused).toMatchObject({ status: 'PAUSED', canaryWeight: 20, currentStep: 0, wait: { for: 'manual', by: 'ann' } });

    await o.registerApprovalWait(id, 'tok-1', paused.version);
    expect(await store.get(id)).toMatchObject({ status: 'PAUSED', taskToken: 'tok-1', version: paused.version + 1 });
    const resumed = await o.command(id, { type: 'Resume', by: 'bob' });
    expect(resumed.status).toBe('PROGRESSING');
    expect(workflow.woken).toEqual([{ id, status: 'PROGRESSING', taskToken: 'tok-1' }]);
    // The next Advance looks at ECS again: steady now, so the 20% step completes and the bake starts.
    expect(await o.advance(id)).toMatchObject({ next: 'WAIT', seconds: 60, for: 'bake' });
  });

  it('still rolls back on an alarm found in ALARM before the next step', async () => {
    const { o, store, alarms, only } = setup();
    await o.ingest([push]);
    const id = only();
    await o.advance(id);
    await o.command(id, { type: 'Pause', by: 'ann', reason: null });
    alarms.current['web-5xx'] = 'ALARM';
    expect((await o.advance(id)).next).toBe('DONE');
    expect(await store.get(id)).toMatchObject({ status: 'ROLLED_BACK', reason: 'alarm web-5xx fired: in ALARM when checked before the next step' });
  });
});
