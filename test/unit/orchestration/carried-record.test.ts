/**
 * The record the workflow hands on to the next Advance (shared/core/carried-record.ts): carried only when
 * short, taken only when it is a record of the rollout asked about, and never trusted over the store —
 * an Advance given a record that has moved on since decides from what is stored.
 */
import { describe, expect, it } from 'vitest';
import { MAX_CARRIED_CHARS, carriedRecord, carry } from '../../../shared/core/carried-record';
import { type Rollout, clockName } from '../../../shared/core/rollout';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import type { ClockState, Workflow } from '../../../shared/ports';
import { parseAdvanceInput } from '../../../functions/wiring/inputs';
import { appConfig, digestOf, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeAlarms, FakeEcs, MemStore } from './fakes';

class CountingStore extends MemStore {
  reads = 0;
  override async get(id: string) {
    this.reads++;
    return super.get(id);
  }
}

class QuietWorkflow implements Workflow {
  private readonly started = new Set<string>();
  async start(id: string) {
    this.started.add(id);
  }
  async clockState(id: string): Promise<ClockState> {
    return this.started.has(id) ? 'RUNNING' : 'NONE';
  }
  async wake() {}
}

function setup() {
  let now = new Date('2026-01-01T00:00:00.000Z');
  const config = appConfig([serviceConfig('web', { steps: [{ setWeight: 20 }, { pause: { duration: 60 } }, { setWeight: 100 }] })]);
  const store = new CountingStore();
  const ecs = new FakeEcs();
  const o = new Orchestrator({ config, store, ecs, verifier: new ScriptedVerifier(), workflow: new QuietWorkflow(), alarms: new FakeAlarms(), clock: () => now, options: { rollbackBackoffMs: 1 } });
  const later = (seconds: number) => (now = new Date(now.getTime() + seconds * 1000));
  return { o, store, ecs, later, only: () => [...store.rollouts.keys()][0]! };
}

const push = { registry: '127.0.0.1:5000', repository: 'team/web', tag: 'v2', digest: digestOf(7), source: 'test' };

/** A rollout in its 60 s bake, and the WAIT directive that says so. */
async function baking() {
  const s = setup();
  await s.o.ingest([push]);
  const id = s.only();
  await s.o.advance(id); // canary at 20%, waiting for ECS
  s.ecs.settle();
  const directive = await s.o.advance(id);
  expect(directive).toMatchObject({ next: 'WAIT', seconds: 60, for: 'bake' });
  return { ...s, id, directive };
}

describe('the record handed on to the next Advance', () => {
  it('is carried with its rollout and status while short, and only the rollout and status once too long', async () => {
    const { store, id } = await baking();
    const record = await store.get(id);
    expect(carry(record)).toEqual({ rolloutId: id, status: 'PROGRESSING', record });
    const long: Rollout = { ...record, reason: 'x'.repeat(MAX_CARRIED_CHARS) };
    expect(carry(long)).toEqual({ rolloutId: id, status: 'PROGRESSING' });
    // As the state machine hands it on: through JSON, and taken back only for its own rollout.
    const handed = JSON.parse(JSON.stringify(carry(record))) as { record: unknown };
    expect(carriedRecord(handed.record, id)).toEqual(record);
    expect(carriedRecord(handed.record, `${id.slice(0, -1)}${id.endsWith('x') ? 'y' : 'x'}`)).toBeNull();
  });

  it('is taken only when shaped like a record: anything else means reading the store', async () => {
    const { store, id } = await baking();
    const record = JSON.parse(JSON.stringify(await store.get(id))) as Record<string, unknown>;
    for (const damaged of [
      undefined,
      null,
      'a string',
      [record],
      { ...record, version: 0 },
      { ...record, version: 2.5 },
      { ...record, version: '3' },
      { ...record, events: 'none' },
      { ...record, steps: undefined },
      { ...record, ecs: null },
      { ...record, status: 7 },
      { ...record, updatedAt: undefined },
    ]) {
      expect(carriedRecord(damaged, id), JSON.stringify(damaged)?.slice(0, 60)).toBeNull();
    }
  });

  it('is what Advance decides from after a Wait: no read of the store', async () => {
    const { o, store, ecs, later, id, directive } = await baking();
    const carried = directive.carried?.record;
    expect(carried).toEqual(await store.get(id));
    later(60);
    store.reads = 0;
    // As the workflow calls it: its execution is the record's clock (a weight call's look is left to the wait).
    const next = await o.advance(id, { execution: clockName(id, carried!.clock?.attempt ?? 0), turn: 2 }, carried);
    expect(store.reads).toBe(0);
    expect(next).toMatchObject({ next: 'STEADY' });
    expect(ecs.calls.at(-1)).toBe('setWeights(100)');
    expect(await store.get(id)).toMatchObject({ status: 'PROGRESSING', canaryWeight: 100 });
  });

  it('loses to the store when it has moved on: an abort recorded during the Wait is not overridden', async () => {
    const { o, store, ecs, later, id, directive } = await baking();
    await o.command(id, { type: 'Abort', by: 'ann', reason: 'bad canary' });
    const aborted = await store.get(id);
    expect(aborted.status).not.toBe('PROGRESSING');
    later(60);
    const weightCalls = ecs.calls.filter((c) => c.startsWith('setWeights')).length;
    await o.advance(id, undefined, directive.carried?.record);
    // No weight was applied from the stale record, and the rollback the abort started stands.
    expect(ecs.calls.filter((c) => c === 'setWeights(100)')).toEqual([]);
    expect(ecs.calls.filter((c) => c.startsWith('setWeights')).length).toBeGreaterThanOrEqual(weightCalls);
    expect((await store.get(id)).status).toMatch(/^(ROLLING_BACK|ROLLED_BACK)$/);
  });

  it('is confirmed by a read when the Advance saved nothing: a bake not over, aborted meanwhile, is not waited out', async () => {
    const { o, store, later, id, directive } = await baking();
    later(10);
    // Untouched: the bake goes on, and the read that confirmed the record is the only one.
    store.reads = 0;
    const still = await o.advance(id, undefined, directive.carried?.record);
    expect(still).toMatchObject({ next: 'WAIT', seconds: 50, for: 'bake' });
    expect(store.reads).toBe(1);
    // Aborted during the bake: the Tick on the handed-on record changes nothing, so only the read tells.
    await o.command(id, { type: 'Abort', by: 'ann', reason: 'bad canary' });
    later(10);
    const next = await o.advance(id, undefined, directive.carried?.record);
    expect(next).not.toMatchObject({ next: 'WAIT', for: 'bake' });
    expect((await store.get(id)).status).toMatch(/^(ROLLING_BACK|ROLLED_BACK)$/);
  });

  it('brings ECS to nothing before the store confirms it: a rollback begun meanwhile is not undone', async () => {
    const { o, store, ecs, only } = setup();
    await o.ingest([push]);
    const id = only();
    await o.advance(id); // weight 20, waiting for ECS
    const waiting = await store.get(id);
    expect(waiting).toMatchObject({ status: 'PROGRESSING', canaryWeight: 20, wait: { for: 'steady' } });
    // Another actor's rollback, under way: recorded, and the canary's scale already back to 0.
    store.rollouts.set(id, { ...waiting, status: 'ROLLING_BACK' as Rollout['status'], wait: null, version: waiting.version + 1 });
    ecs.sets.get('canary')!.scale = 0;
    ecs.sets.get('stable')!.scale = 100;
    const calls = ecs.calls.length;
    const next = await o.advance(id, { execution: clockName(id, waiting.clock?.attempt ?? 0), turn: 1 }, waiting);
    // The weight of the handed-on record is not applied again, and the rollback is left to its actor.
    expect(ecs.calls.slice(calls)).toEqual([]);
    expect(next).toMatchObject({ next: 'WAIT', for: 'steady' });
    expect(ecs.sets.get('canary')!.scale).toBe(0);
  });

  it('decides from the store when a save from it conflicts and changes nothing: no second rollback', async () => {
    const { o, store, ecs, later, id, directive } = await baking();
    const baked = directive.carried!.record!;
    later(60);
    // The bake is over, but another actor has begun a rollback a moment ago (not idle: it is its to finish).
    store.rollouts.set(id, { ...baked, status: 'ROLLING_BACK' as Rollout['status'], wait: null, version: baked.version + 1, updatedAt: new Date('2026-01-01T00:01:00.000Z').toISOString() });
    const calls = ecs.calls.length;
    const next = await o.advance(id, { execution: clockName(id, baked.clock?.attempt ?? 0), turn: 2 }, baked);
    expect(ecs.calls.slice(calls)).toEqual([]);
    expect(next).toMatchObject({ next: 'WAIT', for: 'steady' });
  });

  it('lets a lock go whose release was lost, though the Advance retried with it finds the end only on a conflict', async () => {
    const { o, store, later, id, directive } = await baking();
    const baked = directive.carried!.record!;
    // Ended elsewhere (an abort's rollback), and its release lost to a crash: the lock is still held.
    const stored = await store.get(id);
    await store.save({ ...stored, status: 'ROLLED_BACK' as Rollout['status'], wait: null, version: stored.version + 1 });
    expect(await store.lockHolder('web')).toBe(id);
    later(61);
    // A retried Advance is handed the same record: its save conflicts and it finds the end in the store.
    const next = await o.advance(id, { execution: clockName(id, baked.clock?.attempt ?? 0), turn: 3 }, baked);
    expect(next).toMatchObject({ next: 'DONE', status: 'ROLLED_BACK' });
    expect(await store.lockHolder('web')).toBeNull();
  });

  it('stops an execution that a record read from the store no longer names as its clock', async () => {
    const { o, store, ecs, later, id, directive } = await baking();
    const baked = directive.carried!.record!;
    // A newer clock took over meanwhile (say this Advance is a retry of one that handed over).
    const stored = await store.get(id);
    await store.save({ ...stored, clock: { attempt: (stored.clock?.attempt ?? 0) + 1, since: stored.updatedAt }, version: stored.version + 1 });
    later(60);
    const calls = ecs.calls.length;
    const next = await o.advance(id, { execution: clockName(id, baked.clock?.attempt ?? 0), turn: 3 }, baked);
    expect(next).toMatchObject({ next: 'DONE', status: 'PROGRESSING' });
    expect(ecs.calls.slice(calls)).toEqual([]);
  });

  it('is not carried for a rollback or a pending rollout, whose Advance acts before it saves', async () => {
    const { o, store, id } = await baking();
    await o.command(id, { type: 'Abort', by: 'ann', reason: 'bad canary' });
    const ended = await store.get(id);
    expect(carry(ended).record).toBeUndefined();
    const rollingBack: Rollout = { ...ended, status: 'ROLLING_BACK' as Rollout['status'] };
    expect(carry(rollingBack)).toEqual({ rolloutId: id, status: 'ROLLING_BACK' });
    expect(carriedRecord(JSON.parse(JSON.stringify(rollingBack)), id)).toBeNull();
    expect(carriedRecord({ ...rollingBack, status: 'PENDING' }, id)).toBeNull();
  });

  it('reaches Advance from the state machine input, and is ignored when absent or of another rollout', async () => {
    const { store, id } = await baking();
    const record = await store.get(id);
    const input = (carried: unknown) => ({ rolloutId: id, execution: `${id}-1`, turn: 3, directive: { next: 'WAIT', seconds: 0, for: 'bake', turn: 3, carried } });
    expect(parseAdvanceInput(input(JSON.parse(JSON.stringify(carry(record))))).carried).toEqual(record);
    expect(parseAdvanceInput(input({ rolloutId: id, status: 'PROGRESSING' })).carried).toBeNull();
    expect(parseAdvanceInput({ rolloutId: id, execution: `${id}-1`, turn: 0 }).carried).toBeNull();
    expect(parseAdvanceInput(input({ record: { ...record, id: 'another' } })).carried).toBeNull();
    // A hand-sent answer of any shape only means reading the record: never a failed Advance (a rollback).
    for (const answer of ['ok', null, 7, [record], { record: 'x' }]) expect(parseAdvanceInput(input(answer)).carried).toBeNull();
    for (const directive of ['ok', null, [1]]) expect(parseAdvanceInput({ rolloutId: id, execution: `${id}-1`, turn: 1, directive }).carried).toBeNull();
  });
});
