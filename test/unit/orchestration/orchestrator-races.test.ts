/**
 * Two actors on one rollout, interleaved where it hurts: the workflow's Advance against operators,
 * alarms and late signatures. Each case was a real bug found in review; each now converges.
 */
import { describe, expect, it } from 'vitest';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import type { StepSpec } from '../../../shared/core/steps';
import { appConfig, digestOf, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeAlarms, FakeEcs, MemStore, RecordingWorkflow, gate } from './fakes';

function setup(steps?: readonly StepSpec[]) {
  const config = appConfig([serviceConfig('web', steps ? { steps } : {})]);
  const store = new MemStore();
  const ecs = new FakeEcs();
  const workflow = new RecordingWorkflow();
  const verifier = new ScriptedVerifier();
  const alarms = new FakeAlarms();
  const o = new Orchestrator({ config, store, ecs, verifier, workflow, alarms, options: { rollbackBackoffMs: 1, signatureRecheckMs: [1, 1] } });
  const push = (n: number, tag: string | null = `v${n}`) => ({ registry: '127.0.0.1:5000', repository: 'team/web', tag, digest: digestOf(n), source: 'test' });
  const only = () => [...store.rollouts.keys()][0]!;
  return { o, store, ecs, workflow, verifier, alarms, push, only };
}

describe('the orchestrator under races', () => {
  it('gives the lock back when a PENDING rollout is aborted just before it takes the lock', async () => {
    const { o, store, push, only } = setup();
    const g = gate();
    let first = true;
    store.beforeAcquire = async () => {
      if (first) {
        first = false;
        await g.wait();
      }
    };
    const ingesting = o.ingest([push(1)]);
    await g.reached;
    await o.command(only(), { type: 'Abort', by: 'ann', reason: null });
    g.open();
    await ingesting;
    expect((await store.get(only())).status).toBe('ROLLED_BACK');
    expect(await store.lockHolder('web')).toBeNull();
    const next = await o.ingest([push(2)]);
    expect(next.accepted[0]!.status).toBe('PROGRESSING');
  });

  it('takes what another actor recorded when the rollout it starts ended meanwhile and a newer image is deployed: no refused Supersede, the lock given back', async () => {
    const { o, store, ecs, push, only } = setup();
    const g = gate();
    // The lock's start reads ECS after the record is written (the intake's own look comes before).
    ecs.describeGate = async () => {
      if (store.rollouts.size > 0 && (await store.lockHolder('web'))) await g.wait();
    };
    // ECS names a newer rollout's task set as PRIMARY: the lock's start supersedes this older image.
    ecs.sets.get('stable')!.externalId = 'z'.repeat(26);
    const ingesting = o.ingest([push(1)]);
    await g.reached;
    ecs.describeGate = null;
    const id = only();
    // While that start reads ECS, another actor ends the rollout.
    await o.command(id, { type: 'Abort', by: 'ann', reason: null });
    g.open();
    const result = await ingesting;
    expect(result.accepted[0]).toMatchObject({ rolloutId: id, status: 'ROLLED_BACK' });
    expect((await store.get(id)).reason).toMatch(/aborted by ann/);
    expect(await store.lockHolder('web')).toBeNull();
  });

  it('does not finalize a promotion on a steady state seen at the previous weight', async () => {
    const { o, store, ecs, push, only } = setup([{ setWeight: 20 }, { pause: {} }]);
    await o.ingest([push(1)]);
    await o.advance(only());
    ecs.settle();
    const g = gate();
    ecs.describeGate = g.wait;
    const advancing = o.advance(only());
    await g.reached;
    ecs.describeGate = null;
    await o.command(only(), { type: 'Promote', by: 'pat' });
    g.open();
    await advancing;
    expect(ecs.calls.filter((c) => c.startsWith('promote'))).toEqual([]);
    ecs.settle();
    await o.advance(only());
    expect(ecs.calls.filter((c) => c.startsWith('promote'))).toEqual(['promote(canary at 100%, steady=true)']);
    expect((await store.get(only())).status).toBe('SUCCEEDED');
  });

  it('keeps the lock of a FAILED rollout across a restart', async () => {
    const { o, store, ecs, push, only } = setup();
    await o.ingest([push(1)]);
    const first = only();
    await o.advance(first);
    ecs.rollback = async () => {
      throw new Error('ECS down');
    };
    await o.command(first, { type: 'Abort', by: 'ann', reason: null });
    expect((await store.get(first)).status).toBe('FAILED');
    await o.ingest([push(2)]);
    await o.resume();
    expect(await store.lockHolder('web')).toBe(first);
    const second = [...store.rollouts.values()].find((r) => r.id !== first)!;
    expect(second.status).toBe('PENDING');
  });

  it('removes a canary that ECS finished creating after the rollout was aborted', async () => {
    const { o, store, ecs, push, only } = setup();
    await o.ingest([push(1)]);
    const g = gate();
    ecs.createGate = g.wait;
    const advancing = o.advance(only());
    await g.reached;
    await o.command(only(), { type: 'Abort', by: 'ann', reason: null });
    g.open();
    await advancing;
    const r = await store.get(only());
    expect(r.status).toBe('ROLLED_BACK');
    expect(r.ecs.canaryTaskSetId).toBe('canary');
    expect(ecs.sets.has('canary')).toBe(false);
    expect(r.events.at(-1)!.message).toMatch(/created after the rollout ended: removing it/);
  });

  it('promotes a rollout whose promote came before the canary existed', async () => {
    const { o, store, ecs, push, only } = setup();
    await o.ingest([push(1)]);
    const promoted = await o.command(only(), { type: 'Promote', by: 'pat' });
    expect(promoted.status).toBe('PROGRESSING');
    await o.advance(only());
    ecs.settle();
    await o.advance(only());
    const r = await store.get(only());
    expect(r.status).toBe('SUCCEEDED');
    expect(ecs.calls).toEqual(['createCanary', 'setWeights(100)', 'promote(canary at 100%, steady=true)']);
  });

  it('does not call a store failure after ECS created the canary an ECS failure, and reuses the canary later', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const config = appConfig([serviceConfig('web')]);
    const store = new MemStore();
    const ecs = new FakeEcs();
    const o = new Orchestrator({ config, store, ecs, verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow(), clock: () => now });
    const id = (await o.ingest([{ registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v1', digest: digestOf(1), source: 'test' }])).accepted[0]!.rolloutId;
    const save = store.save.bind(store);
    let saves = 0;
    store.save = async (r) => {
      // The claim's save goes through; the save of CanaryCreated, after ECS made the canary, fails.
      if (++saves === 2) throw Object.assign(new Error('ProvisionedThroughputExceededException'), { name: 'ProvisionedThroughputExceededException' });
      return save(r);
    };
    await expect(o.advance(id)).rejects.toThrow('ProvisionedThroughputExceededException');
    expect((await store.get(id)).status).toBe('PROGRESSING');
    await o.advance(id); // within the claim's two minutes: left to the writer that claimed it
    expect(ecs.calls.filter((c) => c === 'createCanary')).toHaveLength(1);
    now = new Date('2026-01-01T00:02:01Z');
    await o.advance(id); // the claim went stale with its writer: claimed again, and the canary is reused
    expect(ecs.calls.filter((c) => c === 'createCanary')).toHaveLength(2);
    expect(ecs.sets.size).toBe(2);
    expect((await store.get(id)).canaryWeight).toBe(20);
  });

  it('lets only one of two writers advancing the same rollout create the canary', async () => {
    const { o, store, ecs, push, only } = setup();
    await o.ingest([push(1)]);
    const g = gate();
    ecs.createGate = g.wait;
    const first = o.advance(only());
    await g.reached;
    const second = o.advance(only()); // finds the claim and leaves the call to the first
    // Until the second is done, or (the bug) waits at the gate to create a canary of its own.
    await Promise.race([second.catch(() => undefined), g.reachedTimes(2)]);
    g.open();
    await Promise.all([first, second]);
    expect(ecs.calls.filter((c) => c === 'createCanary')).toHaveLength(1);
    expect((await store.get(only())).ecs.canaryTaskSetId).toBe('canary');
  });

  it('holds a rollout whose alarm is already in ALARM before the canary exists, and starts it when OK', async () => {
    const { o, store, ecs, alarms, push, only } = setup();
    alarms.current['web-5xx'] = 'ALARM';
    await o.ingest([push(1)]);
    expect(await o.advance(only())).toMatchObject({ next: 'WAIT', seconds: 5, for: 'hold' });
    expect((await store.get(only())).wait).toMatchObject({ for: 'hold', reason: 'alarm web-5xx is in ALARM; the canary starts once it is OK' });
    expect(ecs.calls).toEqual([]);
    alarms.current['web-5xx'] = 'OK';
    await o.advance(only());
    expect(ecs.calls).toEqual(['createCanary', 'setWeights(20)']);
  });

  it('rolls a live canary back when its alarm is found in ALARM before the next step', async () => {
    const { o, store, ecs, alarms, push, only } = setup();
    await o.ingest([push(1)]);
    await o.advance(only());
    alarms.current['web-5xx'] = 'ALARM';
    ecs.settle();
    expect(await o.advance(only())).toEqual({ next: 'DONE', status: 'ROLLED_BACK' });
    expect((await store.get(only())).reason).toBe('alarm web-5xx fired: in ALARM when checked before the next step');
  });

  it('counts INSUFFICIENT_DATA as the service says: ok goes on, hold waits, fail rolls back', async () => {
    for (const [policy, expected] of [['ok', 'PROGRESSING'], ['hold', 'HELD'], ['fail', 'ROLLED_BACK']] as const) {
      const config = appConfig([serviceConfig('web', { policies: { ...serviceConfig('web').policies, insufficientData: policy } })]);
      const store = new MemStore();
      const alarms = new FakeAlarms();
      alarms.current['web-5xx'] = 'INSUFFICIENT_DATA';
      const o = new Orchestrator({ config, store, ecs: new FakeEcs(), verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow(), alarms, options: { rollbackBackoffMs: 1 } });
      await o.ingest([{ registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v1', digest: digestOf(1), source: 'test' }]);
      const id = [...store.rollouts.keys()][0]!;
      await o.advance(id);
      const r = await store.get(id);
      expect(r.wait?.for === 'hold' ? 'HELD' : r.status, policy).toBe(expected);
    }
  });

  it('supersedes the active rollout with a newer push, and the newer one starts from stable', async () => {
    const { o, store, ecs, push } = setup();
    const first = (await o.ingest([push(1)])).accepted[0]!.rolloutId;
    await o.advance(first);
    const second = (await o.ingest([push(2)])).accepted[0]!.rolloutId;
    const old = await store.get(first);
    expect(old.status).toBe('ROLLED_BACK');
    expect(old.reason).toBe(`superseded by rollout ${second} (a newer image; onNewImage: supersede)`);
    const now = await store.get(second);
    expect(now.status).toBe('PROGRESSING');
    expect(now.events.map((e) => e.type)).toContain('QUEUED');
    expect(ecs.sets.has('canary')).toBe(false);
  });

  it('queues or rejects a newer push as the service policy says', async () => {
    for (const [policy, expected] of [['queue', 'PENDING'], ['reject', 'REJECTED']] as const) {
      const config = appConfig([serviceConfig('web', { policies: { ...serviceConfig('web').policies, onNewImage: policy } })]);
      const store = new MemStore();
      const o = new Orchestrator({ config, store, ecs: new FakeEcs(), verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow(), options: { rollbackBackoffMs: 1 } });
      const push = (n: number) => ({ registry: '127.0.0.1:5000', repository: 'team/web', tag: `v${n}`, digest: digestOf(n), source: 'test' });
      const first = (await o.ingest([push(1)])).accepted[0]!.rolloutId;
      const second = (await o.ingest([push(2)])).accepted[0]!;
      expect(second.status, policy).toBe(expected);
      expect((await store.get(first)).status).toBe('PROGRESSING');
      if (policy === 'reject') expect((await store.get(second.rolloutId)).reason).toMatch(/onNewImage policy is reject/);
    }
  });

  it('looks again for a signature that a .sig push announced before the registry served it', async () => {
    const { o, verifier, push, only } = setup();
    verifier.set(digestOf(1), 'missing');
    await o.ingest([push(1)]);
    let checks = 0;
    const verify = verifier.verify.bind(verifier);
    verifier.verify = async (req, now) => {
      if (++checks === 2) verifier.set(digestOf(1), 'verified');
      return verify(req, now);
    };
    const res = await o.ingest([{ ...push(99), tag: `sha256-${digestOf(1).slice(7)}.sig` }]);
    expect(res.accepted).toEqual([{ rolloutId: only(), service: 'web', status: 'PROGRESSING' }]);
  });

  it('starts a new rollout for a rejected digest pushed again, but not for a rolled-back one', async () => {
    const { o, store, verifier, push } = setup();
    verifier.set(digestOf(1), 'rejected');
    const first = await o.ingest([push(1)]);
    expect(first.accepted[0]!.status).toBe('REJECTED');
    verifier.set(digestOf(1), 'verified');
    const again = await o.ingest([push(1)]);
    expect(again.accepted[0]!.status).toBe('PROGRESSING');
    expect(again.accepted[0]!.rolloutId).not.toBe(first.accepted[0]!.rolloutId);
    await o.command(again.accepted[0]!.rolloutId, { type: 'Abort', by: 'a', reason: null });
    const third = await o.ingest([push(1)]);
    expect(third.accepted).toEqual([]);
    expect(third.ignored[0]!.reason).toMatch(/duplicate delivery: rollout .* \(ROLLED_BACK\)/);
    expect(store.rollouts.size).toBe(2);
  });

  it('lets an ended rollout that still holds the lock (a crash before release) go on the next Advance', async () => {
    const { o, store, push, only } = setup();
    await o.ingest([push(1)]);
    await o.command(only(), { type: 'Abort', by: 'a', reason: null });
    store.locks.set('web', only()); // as if the release had been lost
    expect(await o.advance(only())).toEqual({ next: 'DONE', status: 'ROLLED_BACK' });
    expect(await store.lockHolder('web')).toBeNull();
  });

  it('answers unknown id shapes as not found without reaching the store', async () => {
    const { o } = setup();
    await expect(o.get('x'.repeat(3000))).rejects.toMatchObject({ name: 'RolloutNotFoundError', status: 404 });
  });
});

describe('change listeners', () => {
  it('hear every saved change in order, with the record before it, and cannot break a change', async () => {
    const { o, push, only } = setup();
    const seen: string[] = [];
    o.subscribe((r, previous) => {
      seen.push(`${previous.version}->${r.version} ${r.status}`);
    });
    o.subscribe(() => {
      throw new Error('a broken listener');
    });
    await o.ingest([push(1)]);
    await o.command(only(), { type: 'Abort', by: 'a', reason: null });
    // The verified signature and the clock's first attempt are recorded in the Started save itself
    // (version 2): neither has a save of its own.
    expect(seen).toEqual(['1->1 PENDING', '1->2 PROGRESSING', '2->3 ROLLING_BACK', '3->4 ROLLED_BACK']);
  });
});

describe('late signatures', () => {
  it('are looked for by the workflow until verify.waitFor, then the rollout is rejected', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const config = appConfig([serviceConfig('web', { verify: { ...serviceConfig('web').verify, waitForSeconds: 60 } })]);
    const store = new MemStore();
    const verifier = new ScriptedVerifier();
    const workflow = new RecordingWorkflow();
    verifier.set(digestOf(1), 'missing');
    const o = new Orchestrator({ config, store, ecs: new FakeEcs(), verifier, workflow, clock: () => now, options: { steadyPollSeconds: 10 } });
    const id = (await o.ingest([{ registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v1', digest: digestOf(1), source: 'test' }])).accepted[0]!.rolloutId;
    expect(workflow.started).toEqual([id]);
    expect(await o.advance(id)).toMatchObject({ next: 'WAIT', seconds: 10, for: 'signature' });
    now = new Date('2026-01-01T00:00:55Z');
    expect(await o.advance(id)).toMatchObject({ next: 'WAIT', seconds: 5, for: 'signature' });
    now = new Date('2026-01-01T00:01:00Z');
    expect(await o.advance(id)).toEqual({ next: 'DONE', status: 'REJECTED' });
    expect((await store.get(id)).reason).toMatch(/^no valid signature within verify.waitFor \(1m\): no signature for/);
  });
});

describe('approval deadlines through advance', () => {
  it('roll a paused rollout back when the workflow looks after the deadline', async () => {
    let now = new Date('2026-01-01T00:00:00Z');
    const config = appConfig([serviceConfig('web', { steps: [{ setWeight: 10 }, { pause: { timeout: 60 } }, { setWeight: 100 }] })]);
    const store = new MemStore();
    const ecs = new FakeEcs();
    const o = new Orchestrator({ config, store, ecs, verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow(), clock: () => now, options: { rollbackBackoffMs: 1 } });
    const id = (await o.ingest([{ registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v1', digest: digestOf(1), source: 'test' }])).accepted[0]!.rolloutId;
    await o.advance(id);
    ecs.settle();
    expect(await o.advance(id)).toEqual({ next: 'APPROVAL', seconds: 60, version: expect.any(Number) });
    now = new Date('2026-01-01T00:01:01Z');
    expect(await o.advance(id)).toEqual({ next: 'DONE', status: 'ROLLED_BACK' });
    expect((await store.get(id)).reason).toBe('no approval of step 2/3 within 60s');
  });
  it('ends an older push before it starts when a newer push is deployed already (its delivery came late), ECS untouched', async () => {
    const { o, store, ecs, push, only } = setup();
    // The PRIMARY task set was made by a rollout of a later push (ids sort by receipt).
    const newer = '7zzzzzzzzzzzzzzzzzzzzzzzzz';
    ecs.sets.get('stable')!.externalId = newer;
    const result = await o.ingest([push(1)]);
    expect(result.accepted[0]!.status).toBe('ROLLED_BACK');
    const r = await store.get(only());
    expect(r.reason).toBe(`superseded by rollout ${newer} before it started; ECS untouched`);
    expect(ecs.calls).toEqual([]);
    expect(await store.lockHolder('web')).toBeNull();

    // A PRIMARY made by an older rollout (or by none) is replaced as usual.
    ecs.sets.get('stable')!.externalId = r.id;
    expect((await o.ingest([push(2)])).accepted[0]!.status).toBe('PROGRESSING');
  });
  it('in supersede mode, an older push whose work runs after a newer one holds the lock gives way; it never supersedes the newer image', async () => {
    const config = appConfig([serviceConfig('web', { steps: [{ setWeight: 20 }, { pause: {} }] })]);
    const store = new MemStore();
    const ecs = new FakeEcs();
    // The deliveries' work waits here, to be run in the other order (parallel intake invocations).
    const dispatched: string[] = [];
    const o = new Orchestrator({ config, store, ecs, verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow(), alarms: new FakeAlarms(), deliveries: { dispatch: async (id) => void dispatched.push(id) }, options: { rollbackBackoffMs: 1, signatureRecheckMs: [1, 1] } });
    const push = (n: number) => ({ registry: '127.0.0.1:5000', repository: 'team/web', tag: `v${n}`, digest: digestOf(n), source: 'test' });
    const older = (await o.accept({ source: 'test', pushes: [push(1)] })).accepted[0]!.rolloutId;
    const newer = (await o.accept({ source: 'test', pushes: [push(2)] })).accepted[0]!.rolloutId;
    expect(older < newer).toBe(true);
    await o.processDelivery(dispatched[1]!);
    expect((await store.get(newer)).status).toBe('PROGRESSING');
    await o.processDelivery(dispatched[0]!);
    expect(await store.get(older)).toMatchObject({ status: 'ROLLED_BACK', reason: `superseded by rollout ${newer} before it started; ECS untouched` });
    expect((await store.get(newer)).status).toBe('PROGRESSING');
    expect(await store.lockHolder('web')).toBe(newer);
    expect(ecs.calls.filter((c) => c.includes(older))).toEqual([]);
  });
});
