/**
 * ECS's steady-state events answer a rollout's steady wait (shared/orchestration/step-driver.ts
 * `ecsChanged`): ECS is looked at before the store, so an event no rollout can be waiting on reads
 * nothing; the answer writes nothing, and the workflow's next Advance forgets the token in its own save.
 */
import { describe, expect, it } from 'vitest';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import type { Rollout } from '../../../shared/core/rollout';
import type { ClockState, Workflow } from '../../../shared/ports';
import { appConfig, digestOf, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeAlarms, FakeEcs, MemStore, gate } from './fakes';

/** Counts what the orchestration asks of the store: reads of records and of the lock, and saves. */
class CountingStore extends MemStore {
  readonly counted: string[] = [];
  override async get(id: string) {
    this.counted.push('get');
    return super.get(id);
  }
  override async save(next: Rollout) {
    this.counted.push('save');
    return super.save(next);
  }
  override async lockHolder(service: string) {
    this.counted.push('lockHolder');
    return super.lockHolder(service);
  }
}

class AnsweringWorkflow implements Workflow {
  readonly answered: string[] = [];
  async start() {}
  async clockState(): Promise<ClockState> {
    return 'RUNNING';
  }
  async wake(_r: Rollout, taskToken: string | null) {
    if (taskToken) this.answered.push(taskToken);
  }
}

/** A rollout at its first weight, waiting for ECS under `tok-1`, with ECS not steady yet. */
async function waitingForEcs() {
  const store = new CountingStore();
  const ecs = new FakeEcs();
  const workflow = new AnsweringWorkflow();
  const config = appConfig([serviceConfig('web', { steps: [{ setWeight: 20 }, { pause: { duration: 60 } }, { setWeight: 100 }] })]);
  const o = new Orchestrator({ config, store, ecs, verifier: new ScriptedVerifier(), workflow, alarms: new FakeAlarms(), options: { rollbackBackoffMs: 1 } });
  await o.ingest([{ registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v2', digest: digestOf(3), source: 'test' }]);
  const id = [...store.rollouts.keys()][0]!;
  expect((await o.advance(id)).next).toBe('STEADY');
  await o.registerSteadyWait(id, 'tok-1');
  expect(workflow.answered).toEqual([]);
  store.counted.length = 0;
  return { o, store, ecs, workflow, id };
}

describe('ECS steady-state events', () => {
  it('read nothing from the store while no canary is steady, then wake the waiting rollout with one read and no write', async () => {
    const { o, store, ecs, workflow, id } = await waitingForEcs();
    expect(await o.ecsChanged('demo', 'web')).toEqual([]);
    expect(store.counted).toEqual([]);

    ecs.settle();
    expect(await o.ecsChanged('demo', 'web')).toEqual([id]);
    expect(workflow.answered).toEqual(['tok-1']);
    expect(store.counted).toEqual(['get']);
    expect((await store.get(id)).taskToken).toBe('tok-1');
  });

  it('leave the token to the Advance that follows, which forgets it in the one save that moves the steps on', async () => {
    const { o, store, ecs, id } = await waitingForEcs();
    ecs.settle();
    await o.ecsChanged('demo', 'web');
    const before = await store.get(id);
    store.counted.length = 0;
    const directive = await o.advance(id);
    expect(directive.next).toBe('WAIT');
    const after = await store.get(id);
    expect(after.taskToken).toBeNull();
    expect(after.wait?.for).toBe('bake');
    expect(after.version).toBe(before.version + 1);
    expect(store.counted.filter((c) => c === 'save')).toHaveLength(1);
  });

  it('that come while a look at the service runs are answered by one more look after it, not one each', async () => {
    const { o, ecs, workflow, id } = await waitingForEcs();
    const describes = gate();
    let looks = 0;
    ecs.describeGate = () => {
      looks += 1;
      return describes.wait();
    };
    const first = o.ecsChanged('demo', 'web');
    await describes.reached;
    // The look saw ECS before it settled; two more events arrive meanwhile.
    const later = [o.ecsChanged('demo', 'web'), o.ecsChanged('demo', 'web')];
    ecs.settle();
    describes.open();
    expect(await Promise.all(later)).toEqual([[], []]);
    expect(await first).toEqual([id]);
    expect(looks).toBe(2); // the first look (unsteady), and the one more look, whose view answers the wait
    expect(workflow.answered).toEqual(['tok-1']);
  });

  it('that come together join one look, which answers the wait from the view it read', async () => {
    const { o, store, ecs, workflow, id } = await waitingForEcs();
    ecs.settle();
    let looks = 0;
    ecs.describeGate = async () => {
      looks += 1;
    };
    // A task set's and the service's steady states, announced at once: neither look has asked ECS yet.
    const both = await Promise.all([o.ecsChanged('demo', 'web'), o.ecsChanged('demo', 'web')]);
    expect(both).toEqual([[id], []]);
    expect(looks).toBe(1);
    expect(store.counted).toEqual(['get']);
    expect(workflow.answered).toEqual(['tok-1']);
  });

  it('that come while a look answers the wait get one more look at ECS, which reads nothing when ECS is as it was answered at', async () => {
    const { o, store, ecs, workflow, id } = await waitingForEcs();
    ecs.settle();
    const sends = gate();
    const wake = workflow.wake.bind(workflow);
    workflow.wake = async (r, token) => {
      await sends.wait();
      return wake(r, token);
    };
    let looks = 0;
    ecs.describeGate = async () => {
      looks += 1;
    };
    const first = o.ecsChanged('demo', 'web');
    await sends.reached;
    const later = o.ecsChanged('demo', 'web');
    sends.open();
    expect(await first).toEqual([id]);
    expect(await later).toEqual([]);
    expect(looks).toBe(2); // the look, whose view answers the wait, and the one more look
    expect(store.counted).toEqual(['get']);
    expect(workflow.answered).toEqual(['tok-1']);
  });

  it('name no rollout for a service with nothing of ours in ECS, and ignore services not configured', async () => {
    const { o, store } = await waitingForEcs();
    expect(await o.ecsChanged('demo', 'other')).toEqual([]);
    expect(await o.ecsChanged('elsewhere', 'web')).toEqual([]);
    expect(store.counted).toEqual([]);
  });
});
