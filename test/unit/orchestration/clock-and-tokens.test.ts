/**
 * The record owns the clock (shared/orchestration/clock.ts) and keeps a callback wait's token until the
 * answer went through and the workflow went on from it (effect-runner.ts, shared/core/transition.ts),
 * with the watchdog sending what is owed.
 */
import { describe, expect, it, vi } from 'vitest';
import { RolloutPolicy } from '../../../shared/core/policy';
import { ClockNameTakenError, WorkflowError } from '../../../shared/errors';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import type { ClockState, EcsTarget, TaskSetView, TrafficRouter, Workflow } from '../../../shared/ports';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AlbTrafficRouter } from '../../../shared/adapters/elbv2/alb-traffic-router';
import type { Rollout } from '../../../shared/core/rollout';
import { appConfig, digestOf, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeAlarms, FakeEcs, MemStore } from './fakes';

/** Executions by name, as Step Functions keeps them: a closed name is never started again. */
class ExecutionsWorkflow implements Workflow {
  readonly executions = new Map<string, 'RUNNING' | 'ENDED'>();
  readonly answered: string[] = [];
  /** Sends to fail before one goes through. */
  failWakes = 0;
  async start(id: string, attempt: number) {
    const name = `${id}-${attempt}`;
    if (this.executions.get(name) === 'ENDED') throw new ClockNameTakenError(name);
    this.executions.set(name, 'RUNNING');
  }
  async clockState(id: string, attempt: number): Promise<ClockState> {
    return this.executions.get(`${id}-${attempt}`) ?? 'NONE';
  }
  async wake(_r: Rollout, taskToken: string | null) {
    if (this.failWakes > 0) {
      this.failWakes -= 1;
      throw new WorkflowError('SendTaskSuccess: throttled');
    }
    if (taskToken) this.answered.push(taskToken);
  }
  end(name: string) {
    this.executions.set(name, 'ENDED');
  }
  runningNames() {
    return [...this.executions].filter(([, s]) => s === 'RUNNING').map(([n]) => n);
  }
}

function setup(steps = [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }] as const) {
  let now = new Date('2026-01-01T00:00:00.000Z');
  const store = new MemStore();
  const ecs = new FakeEcs();
  const workflow = new ExecutionsWorkflow();
  const config = appConfig([serviceConfig('web', { steps: [...steps] })]);
  const o = new Orchestrator({ config, store, ecs, verifier: new ScriptedVerifier(), workflow, alarms: new FakeAlarms(), clock: () => now, options: { rollbackBackoffMs: 1 } });
  const later = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));
  return { o, store, ecs, workflow, later, only: () => [...store.rollouts.keys()][0]! };
}
const push = { registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v2', digest: digestOf(9), source: 'test' };

describe('the rollout clock', () => {
  it('starts attempt 1 when the rollout starts, and no second clock while it runs', async () => {
    const { o, store, workflow, only } = setup();
    await o.ingest([push]);
    const id = only();
    expect(workflow.runningNames()).toEqual([`${id}-1`]);
    expect((await store.get(id)).clock?.attempt).toBe(1);
    expect((await o.sweep()).redriven).toEqual([]);
    expect(workflow.runningNames()).toEqual([`${id}-1`]);
  });

  it('takes attempt 1 in the save that starts the rollout, and the next one when that name was spent', async () => {
    const { o, store, workflow, only } = setup();
    const start = workflow.start.bind(workflow);
    // A crash between the Started save and its StartExecution, then a late start: the name is spent.
    workflow.start = async (id: string, attempt: number) => {
      if (attempt === 1) workflow.end(`${id}-1`);
      return start(id, attempt);
    };
    await o.ingest([push]);
    const id = only();
    expect(workflow.runningNames()).toEqual([`${id}-2`]);
    expect((await store.get(id)).clock?.attempt).toBe(2);
  });

  it('is started again by the watchdog when its execution ended while the rollout is active, under the next attempt', async () => {
    const { o, workflow, only } = setup();
    await o.ingest([push]);
    const id = only();
    workflow.end(`${id}-1`);
    expect(await o.executionEnded(`${id}-1`)).toBe(id);
    expect(workflow.runningNames()).toEqual([`${id}-2`]);
    // The watchdog's sweep and the status-change event at once: one new clock only.
    workflow.end(`${id}-2`);
    await Promise.all([o.sweep(), o.executionEnded(`${id}-2`), o.sweep()]);
    expect(workflow.runningNames()).toEqual([`${id}-3`]);
  });

  it("goes by each record, not by the active index's lag: one listed after it ended is left alone, one missing is found at the next sweep", async () => {
    const { o, store, workflow, only } = setup();
    await o.ingest([push]);
    const id = only();
    const listActive = store.listActive.bind(store);
    // The index still names the rollout a moment after an abort ended it, and its clock has ended too.
    expect(await listActive()).toEqual([id]);
    await o.command(id, { type: 'Abort', by: 'ann', reason: null });
    expect((await store.get(id)).status).toBe('ROLLED_BACK');
    workflow.end(`${id}-1`);
    store.listActive = async () => [id];
    expect(await o.sweep()).toMatchObject({ redriven: [], failed: [] });
    expect(workflow.runningNames()).toEqual([]);

    // A rollout whose clock ended while the index does not list it yet: the next sweep re-drives it.
    await o.ingest([{ ...push, tag: 'v3', digest: digestOf(10) }]);
    const next = [...store.rollouts.keys()].find((k) => k !== id)!;
    workflow.end(`${next}-1`);
    store.listActive = async () => [];
    expect((await o.sweep()).redriven).toEqual([]);
    store.listActive = listActive;
    expect((await o.sweep()).redriven).toEqual([next]);
    expect(workflow.runningNames()).toEqual([`${next}-2`]);
  });

  it('takes the next attempt when the name it took was already spent', async () => {
    const { o, store, workflow, only } = setup();
    await o.ingest([push]);
    const id = only();
    workflow.end(`${id}-1`);
    workflow.end(`${id}-2`); // a start whose record write was lost, say
    await o.sweep();
    expect(workflow.runningNames()).toEqual([`${id}-3`]);
    expect((await store.get(id)).clock?.attempt).toBe(3);
  });

  it('stops an execution that is no longer the clock the record names', async () => {
    const { o, workflow, only } = setup();
    await o.ingest([push]);
    const id = only();
    workflow.end(`${id}-1`);
    await o.sweep();
    expect(await o.advance(id, { execution: `${id}-1`, turn: 3 })).toEqual({ next: 'DONE', status: 'PROGRESSING' });
    expect((await o.advance(id, { execution: `${id}-2`, turn: 3 })).turn).toBe(4);
  });

  it('hands over to a fresh execution once it has turned long enough', async () => {
    const { o, workflow, only } = setup();
    await o.ingest([push]);
    const id = only();
    const directive = await o.advance(id, { execution: `${id}-1`, turn: RolloutPolicy.handoverTurns - 1 });
    expect(directive.next).toBe('DONE');
    expect(workflow.executions.get(`${id}-2`)).toBe('RUNNING');
  });

  it('reads nothing for an execution whose output says its last Advance found the rollout ended for good', async () => {
    const { o, store, workflow, only } = setup();
    await o.ingest([push]);
    const id = only();
    let reads = 0;
    const get = store.get.bind(store);
    store.get = async (key: string) => {
      reads += 1;
      return get(key);
    };
    const output = (status: string, rolloutId = id) => JSON.stringify({ rolloutId, directive: { next: 'DONE', status } });
    expect(await o.executionEnded(`${id}-1`, output('SUCCEEDED'))).toBeNull();
    expect(await o.executionEnded(`${id}-1`, output('ROLLED_BACK'))).toBeNull();
    expect(reads).toBe(0);
    // Anything else is looked up: FAILED may be aborted again, a stale clock's DONE names an active rollout.
    workflow.end(`${id}-1`);
    expect(await o.executionEnded(`${id}-1`, output('FAILED'))).toBe(id);
    expect(reads).toBeGreaterThan(0);
    reads = 0;
    workflow.end(`${id}-2`);
    expect(await o.executionEnded(`${id}-2`, output('SUCCEEDED', 'someotherrollout'))).toBe(id);
    expect(reads).toBeGreaterThan(0);
  });

  it('ignores an execution that ended for a rollout that does not exist', async () => {
    const { o } = setup();
    expect(await o.executionEnded('0000000000000000000000000a-4')).toBeNull();
    expect(await o.executionEnded('not a rollout!')).toBeNull();
  });
});

describe('callback tokens', () => {
  async function paused() {
    const s = setup();
    await s.o.ingest([push]);
    const id = s.only();
    s.ecs.settle();
    await s.o.advance(id);
    s.ecs.settle();
    await s.o.advance(id);
    expect((await s.store.get(id)).status).toBe('PAUSED');
    await s.o.registerApprovalWait(id, 'tok-1');
    return { ...s, id };
  }

  it('are kept until the workflow goes on from the answer: one failed send is retried, and the next Advance forgets the token in its own save', async () => {
    const { o, store, workflow, id } = await paused();
    workflow.failWakes = 1;
    const after = await o.command(id, { type: 'Approve', by: 'ann', comment: null });
    expect(after.status).toBe('PROGRESSING');
    expect(workflow.answered).toEqual(['tok-1']);
    // No save of its own for the answer: the Advance the workflow goes on to writes the next step anyway.
    expect(await store.get(id)).toMatchObject({ taskToken: 'tok-1', version: after.version });
    await o.advance(id);
    const next = await store.get(id);
    expect(next).toMatchObject({ taskToken: null, version: after.version + 1, canaryWeight: 100 });
  });

  it('are kept without a read on the record version the wait was decided from', async () => {
    const { o, store, workflow, only } = setup();
    await o.ingest([push]);
    const id = only();
    const directive = await o.advance(id);
    const waiting = await store.get(id);
    expect(directive).toMatchObject({ next: 'STEADY', version: waiting.version });
    const get = vi.spyOn(store, 'get');
    await o.registerSteadyWait(id, 'tok-1', directive.version);
    expect(get).not.toHaveBeenCalled();
    expect(await store.get(id)).toEqual({ ...waiting, taskToken: 'tok-1', version: waiting.version + 1, updatedAt: expect.any(String) });
    expect(workflow.answered).toEqual([]);
  });

  it('are decided from the stored record when it moved on since the wait was decided (answered at once when it no longer waits)', async () => {
    const { o, store, workflow, only } = setup();
    await o.ingest([push]);
    const id = only();
    const directive = await o.advance(id);
    await o.command(id, { type: 'Pause', by: 'ann', reason: null });
    const pausedVersion = (await store.get(id)).version;
    await o.registerSteadyWait(id, 'tok-1', directive.version);
    expect(workflow.answered).toEqual(['tok-1']);
    expect(await store.get(id)).toMatchObject({ status: 'PAUSED', taskToken: null, version: pausedVersion });
  });

  it('leave the look after the workflow\'s weight call to the steady wait that follows: no read after the call, the keep of the token is the look', async () => {
    const { o, store, ecs, workflow, only } = setup();
    await o.ingest([push]);
    const id = only();
    const get = vi.spyOn(store, 'get');
    const directive = await o.advance(id, { execution: `${id}-1` });
    expect(get).toHaveBeenCalledTimes(1);
    expect(ecs.sets.get('canary')?.scale).toBe(20);
    const waiting = await store.get(id);
    expect(directive).toMatchObject({ next: 'STEADY', converge: true, version: waiting.version });
    await o.registerSteadyWait(id, 'tok-1', directive.version, true);
    expect(get).toHaveBeenCalledTimes(2);
    expect(await store.get(id)).toMatchObject({ taskToken: 'tok-1', version: waiting.version + 1 });
    expect(workflow.answered).toEqual([]);
  });

  it('take ECS steady at once after the workflow\'s weight call without a look: the Steady save over the call\'s record is the look', async () => {
    const { o, store, ecs, only } = setup();
    // ECS steady the moment it is asked for a weight (a traffic-only change, or tasks already there).
    const setWeights = ecs.setWeights.bind(ecs);
    ecs.setWeights = async (t, input) => {
      await setWeights(t, input);
      ecs.settle();
    };
    await o.ingest([push]);
    const id = only();
    const get = vi.spyOn(store, 'get');
    const directive = await o.advance(id, { execution: `${id}-1` });
    expect(directive).toMatchObject({ next: 'APPROVAL' });
    expect(await store.get(id)).toMatchObject({ status: 'PAUSED', canaryWeight: 20 });
    // The Advance's own read of the record and this test's read above, none after the weight call; ECS
    // is asked for 20% once.
    expect(get).toHaveBeenCalledTimes(2);
    expect(ecs.calls.filter((c) => c.startsWith('setWeights'))).toEqual(['setWeights(20)']);
  });

  /**
   * An abort recorded and rolled back while the Advance's 20% is on its way; the 20% lands after it (ECS
   * steady at once). `look`: the Advance looks, and finds the canary back at 20% and the stable set at
   * 80%. `dies`: the 20% landed between the rollback's stable 100% and its canary delete, so the canary
   * is gone and the stable set left at 80%, and the Advance's Lambda dies before its look (its Steady save).
   */
  function lateWeightAfterAbort(s: ReturnType<typeof setup>, id: string, then: 'look' | 'dies') {
    const { o, store, ecs } = s;
    const setWeights = ecs.setWeights.bind(ecs);
    let aborted = false;
    ecs.setWeights = async (t, input) => {
      if (aborted) return setWeights(t, input);
      aborted = true;
      await o.command(id, { type: 'Abort', by: 'ann', reason: null });
      if (then === 'look') ecs.sets.set('canary', { scale: 20, steady: true, primary: false, digest: null, externalId: id });
      ecs.sets.get('stable')!.scale = 80;
      if (then === 'dies') {
        vi.spyOn(store, 'save').mockImplementationOnce(async () => {
          throw new Error('Sandbox.Timedout: the Advance Lambda timed out');
        });
      }
    };
  }

  it('converge when a rollback is recorded during the workflow\'s weight call and ECS is steady at once: the Steady save fails, and the look runs the rollback again', async () => {
    const s = setup();
    const { o, store, ecs, only } = s;
    await o.ingest([push]);
    const id = only();
    lateWeightAfterAbort(s, id, 'look');
    await o.advance(id, { execution: `${id}-1` });
    expect((await store.get(id)).status).toBe('ROLLED_BACK');
    expect(ecs.sets.has('canary')).toBe(false);
    expect(ecs.sets.get('stable')).toMatchObject({ scale: 100, primary: true });
  });

  /** The Advance that made a late weight call (lateWeightAfterAbort) has died before its look. */
  async function afterDeadAdvance() {
    const s = setup();
    const { o, store, ecs, only } = s;
    await o.ingest([push]);
    const id = only();
    lateWeightAfterAbort(s, id, 'dies');
    await expect(o.advance(id, { execution: `${id}-1` })).rejects.toThrow(/Sandbox.Timedout/);
    expect((await store.get(id)).status).toBe('ROLLED_BACK');
    expect(ecs.sets.get('stable')).toMatchObject({ scale: 80 });
    return { ...s, id };
  }

  it('undo a weight call that landed after a rollback when the Advance died before its look: the retried Advance runs the rollback again', async () => {
    const { o, ecs, id } = await afterDeadAdvance();
    // Step Functions retries the Advance with the same input.
    expect(await o.advance(id, { execution: `${id}-1` })).toMatchObject({ next: 'DONE', status: 'ROLLED_BACK' });
    expect(ecs.sets.has('canary')).toBe(false);
    expect(ecs.sets.get('stable')).toMatchObject({ scale: 100, primary: true });
  });

  it('undo such a late weight call from Recover too, when the Advance failed for good', async () => {
    const { o, store, ecs, id } = await afterDeadAdvance();
    expect(await o.recover(id, 'Sandbox.Timedout', { execution: `${id}-1` })).toMatchObject({ next: 'DONE' });
    expect(ecs.sets.has('canary')).toBe(false);
    expect(ecs.sets.get('stable')).toMatchObject({ scale: 100, primary: true });
    expect((await store.get(id)).status).toBe('ROLLED_BACK');
  });

  it('undo such a late weight call when the execution ended without succeeding (no retry left, or a local process that died), and not when it succeeded', async () => {
    const { o, ecs, id } = await afterDeadAdvance();
    const before = ecs.calls.length;
    expect(await o.executionEnded(`${id}-1`, '{}', 'SUCCEEDED')).toBeNull();
    expect(ecs.calls.length).toBe(before);
    // Not the record's clock: left alone too.
    expect(await o.executionEnded(`${id}-2`, null, 'ABORTED')).toBeNull();
    expect(ecs.sets.get('stable')).toMatchObject({ scale: 80 });
    expect(await o.executionEnded(`${id}-1`, null, 'ABORTED')).toBeNull();
    expect(ecs.sets.has('canary')).toBe(false);
    expect(ecs.sets.get('stable')).toMatchObject({ scale: 100, primary: true });
  });

  it('leave ECS alone when a newer rollout has run and ended by the time the dead Advance is retried (the service moved on)', async () => {
    const { o, ecs, id } = await afterDeadAdvance();
    // Another rollout's task set is PRIMARY now and the old stable set on its way out: no lock is held.
    ecs.sets.get('stable')!.primary = false;
    ecs.sets.set('newer', { scale: 100, steady: true, primary: true, digest: digestOf(10), externalId: 'newer-rollout' });
    expect(await o.describeService('web')).toMatchObject({ activeRollout: null });
    const before = ecs.calls.length;
    await o.advance(id, { execution: `${id}-1` });
    expect(await o.executionEnded(`${id}-1`, null, 'FAILED')).toBeNull();
    expect(ecs.calls.slice(before)).toEqual([]);
  });

  it('look at ECS only, and change nothing, when the Advance after a wait finds its rollout rolled back by another actor as it should be', async () => {
    const { o, store, ecs, only } = setup();
    await o.ingest([push]);
    const id = only();
    await o.advance(id, { execution: `${id}-1` });
    await o.command(id, { type: 'Abort', by: 'ann', reason: null });
    expect((await store.get(id)).status).toBe('ROLLED_BACK');
    const before = ecs.calls.length;
    const saves = vi.spyOn(store, 'save');
    const lockReads = vi.spyOn(store, 'lockHolder');
    expect(await o.advance(id, { execution: `${id}-1` })).toMatchObject({ next: 'DONE', status: 'ROLLED_BACK' });
    expect(ecs.calls.slice(before)).toEqual([]);
    expect(saves).not.toHaveBeenCalled();
    // One read of the lock serves both the look and the check that the rollout let it go.
    expect(lockReads).toHaveBeenCalledTimes(1);
  });

  it('leave a FAILED rollback to a human: the workflow does not run it again', async () => {
    const { o, store, ecs, only } = setup();
    await o.ingest([push]);
    const id = only();
    await o.advance(id, { execution: `${id}-1` });
    ecs.rollback = async () => {
      ecs.calls.push('rollback');
      throw new Error('ECS is unavailable');
    };
    await o.command(id, { type: 'Abort', by: 'ann', reason: null });
    expect((await store.get(id)).status).toBe('FAILED');
    const before = ecs.calls.length;
    await o.advance(id, { execution: `${id}-1` });
    await o.recover(id, 'Sandbox.Timedout', { execution: `${id}-1` });
    await o.executionEnded(`${id}-1`, null, 'FAILED');
    expect(ecs.calls.slice(before)).toEqual([]);
  });

  it('leave ECS alone when a newer rollout holds the service by the time the dead Advance is retried', async () => {
    const { o, store, ecs, id } = await afterDeadAdvance();
    await o.ingest([{ ...push, tag: 'v3', digest: digestOf(10) }]);
    const newer = [...store.rollouts.keys()].find((k) => k !== id)!;
    expect(await o.describeService('web')).toMatchObject({ activeRollout: newer });
    const before = ecs.calls.length;
    await o.advance(id, { execution: `${id}-1` });
    expect(ecs.calls.slice(before)).toEqual([]);
  });

  it('converge on an intent recorded after the workflow\'s unchecked weight call: a rollback is run again, as the call may have landed after it', async () => {
    const { o, store, ecs, workflow, only } = setup();
    await o.ingest([push]);
    const id = only();
    const directive = await o.advance(id, { execution: `${id}-1` });
    await o.command(id, { type: 'Abort', by: 'ann', reason: null });
    expect((await store.get(id)).status).toBe('ROLLED_BACK');
    // The Advance's weight call landing after the rollback: the canary back at 20%, the stable set at 80%.
    ecs.sets.set('canary', { scale: 20, steady: false, primary: false, digest: null, externalId: id });
    ecs.sets.get('stable')!.scale = 80;
    await o.registerSteadyWait(id, 'tok-1', directive.version, directive.converge);
    expect(ecs.sets.has('canary')).toBe(false);
    expect(ecs.sets.get('stable')).toMatchObject({ scale: 100, primary: true });
    // The rollout ended: the wait is answered at once, and the token never kept.
    expect(workflow.answered).toEqual(['tok-1']);
    expect((await store.get(id)).taskToken).toBeNull();
  });

  it('converge on a weight recorded after the workflow\'s unchecked weight call: the newer weight is applied', async () => {
    const { o, store, ecs, only } = setup();
    await o.ingest([push]);
    const id = only();
    const directive = await o.advance(id, { execution: `${id}-1` });
    await o.command(id, { type: 'Promote', by: 'ann' });
    // The Advance's 20% landing after the promotion's 100%.
    ecs.sets.get('canary')!.scale = 20;
    await o.registerSteadyWait(id, 'tok-1', directive.version, directive.converge);
    expect(ecs.sets.get('canary')?.scale).toBe(100);
    expect(await store.get(id)).toMatchObject({ canaryWeight: 100, taskToken: 'tok-1' });
  });

  it('are forgotten at once when the answer ends the wait in failure (a rollback goes to Recover, not to Advance)', async () => {
    const { o, store, workflow, id } = await paused();
    const after = await o.command(id, { type: 'Abort', by: 'ann', reason: null });
    expect(['ROLLING_BACK', 'ROLLED_BACK']).toContain(after.status);
    expect(workflow.answered).toEqual(['tok-1']);
    expect((await store.get(id)).taskToken).toBeNull();
  });

  it('are sent again by the watchdog when every send failed; the decision stands meanwhile', async () => {
    const { o, store, workflow, id } = await paused();
    workflow.failWakes = RolloutPolicy.wakeAttempts;
    const after = await o.command(id, { type: 'Approve', by: 'ann', comment: null });
    expect(after.status).toBe('PROGRESSING');
    expect((await store.get(id)).taskToken).toBe('tok-1');
    expect((await o.sweep()).woken).toEqual([id]);
    expect(workflow.answered).toEqual(['tok-1']);
    expect((await store.get(id)).taskToken).toBeNull();
  });
});

describe('a late weight call with ALB weights', () => {
  /** The stable set registers with tg-a, the canary with tg-b; the rule's weights as an ELB client stub keeps them. */
  class AlbEcs extends FakeEcs {
    override async describe(t: EcsTarget) {
      const view = await super.describe(t);
      const withGroup = (s: TaskSetView) => ({ ...s, targetGroupArn: s.id === 'stable' ? 'tg-a' : 'tg-b' });
      return { ...view, taskSets: view.taskSets.map(withGroup), primary: view.primary ? withGroup(view.primary) : null };
    }
  }

  it('is undone when the rule was left sending traffic to the canary group after the rollback removed the canary', async () => {
    const weights = { a: 100, b: 0 };
    const modified: number[] = [];
    const client = {
      send: async (command: { constructor: { name: string }; input: { Actions?: { Type: string; ForwardConfig: { TargetGroups: { TargetGroupArn: string; Weight: number }[] } }[] } }) => {
        const forward = (arn: string, weight: number) => ({ TargetGroupArn: arn, Weight: weight });
        if (command.constructor.name === 'DescribeRulesCommand') return { Rules: [{ Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [forward('tg-a', weights.a), forward('tg-b', weights.b)] } }] }] };
        if (command.constructor.name !== 'ModifyRuleCommand') throw new Error(`unexpected ${command.constructor.name}`);
        const groups = command.input.Actions!.find((a) => a.Type === 'forward')!.ForwardConfig.TargetGroups;
        weights.a = groups.find((g) => g.TargetGroupArn === 'tg-a')!.Weight;
        weights.b = groups.find((g) => g.TargetGroupArn === 'tg-b')!.Weight;
        modified.push(weights.b);
        return {};
      },
    } as unknown as ElasticLoadBalancingV2Client;
    const alb = { listenerRule: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/1/2/3', targetGroups: ['tg-a', 'tg-b'] as const };
    const store = new MemStore();
    const ecs = new AlbEcs();
    const config = appConfig([serviceConfig('web', { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 100 }], traffic: { alb } })]);
    // The real router's weights over the stub; the checks at a rollout's start (inspect) are not this test's.
    const real = new AlbTrafficRouter({ client, alb });
    const router: TrafficRouter = { mode: 'alb', route: (input) => real.route(input), share: (input) => real.share(input) };
    const o = new Orchestrator({ config, store, ecs, verifier: new ScriptedVerifier(), workflow: new ExecutionsWorkflow(), alarms: new FakeAlarms(), traffic: () => router, options: { rollbackBackoffMs: 1 } });
    await o.ingest([push]);
    const id = [...store.rollouts.keys()][0]!;
    await o.advance(id, { execution: `${id}-1` });
    ecs.settle();
    await o.advance(id, { execution: `${id}-1` });
    await o.command(id, { type: 'Abort', by: 'ann', reason: null });
    expect((await store.get(id)).status).toBe('ROLLED_BACK');
    expect(weights).toEqual({ a: 100, b: 0 });
    // Nothing late yet: the Advance after the wait only looks.
    const before = modified.length;
    await o.advance(id, { execution: `${id}-1` });
    expect(modified.length).toBe(before);
    // A dead Advance's 20% reached the rule after the rollback's 0%: a fifth of production to a group the
    // removed canary no longer serves.
    weights.a = 80;
    weights.b = 20;
    await o.executionEnded(`${id}-1`, null, 'FAILED');
    expect(weights).toEqual({ a: 100, b: 0 });
    expect(modified.slice(before)).toEqual([0]);
  });
});
