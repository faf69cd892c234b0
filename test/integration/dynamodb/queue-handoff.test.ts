/**
 * The service queue end to end: the real orchestrator over the real DynamoRolloutStore on dynalite
 * (ECS, the verifier and the workflow are the in-memory fakes). With `onNewImage: queue`, rollouts
 * queued behind a holder start one after another in push order, and what a queued push costs in
 * DynamoDB calls depends neither on the service's history nor on the queue's length.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { toPolicies } from '../../../shared/config/policy-schema';
import type { OnNewImage } from '../../../shared/config/policy-schema';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import { useDynalite } from '../../helpers/dynamodb';
import { appConfig, digestOf, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeEcs, RecordingWorkflow } from '../../unit/orchestration/fakes';

const dynamo = useDynalite();

/** Counts the commands a client sends, by name (what bench/lib/sdk-calls.ts counts, for one client). */
function countCalls(client: DynamoDBClient) {
  const counts: Record<string, number> = {};
  const send = client.send.bind(client) as (command: object) => Promise<unknown>;
  (client as unknown as { send: (command: object) => Promise<unknown> }).send = (command) => {
    const name = command.constructor.name.replace(/Command$/, '');
    counts[name] = (counts[name] ?? 0) + 1;
    return send(command);
  };
  return {
    counts,
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => Object.keys(counts).forEach((k) => delete counts[k]),
  };
}

async function setup(onNewImage: OnNewImage = 'queue') {
  const client = dynamo.newClient();
  const calls = countCalls(client);
  const store = new DynamoRolloutStore({ client, tableName: await dynamo.newTable() });
  const config = appConfig([serviceConfig('web', { policies: toPolicies({ onNewImage }) })]);
  const ecs = new FakeEcs();
  const o = new Orchestrator({ config, store, ecs, verifier: new ScriptedVerifier(), workflow: new RecordingWorkflow(), options: { rollbackBackoffMs: 1, signatureRecheckMs: [] } });
  let n = 0;
  /** Pushes a new digest; answers the rollout id and its status after the push. */
  const push = async () => {
    n++;
    const result = await o.ingest([{ registry: '127.0.0.1:5000', repository: 'team/web', tag: `v${n}`, digest: digestOf(n), source: 'test' }]);
    const accepted = result.accepted[0];
    if (!accepted) throw new Error(`push ${n} was not accepted: ${JSON.stringify(result.ignored)}`);
    return { id: accepted.rolloutId, status: accepted.status };
  };
  const abort = (id: string) => o.command(id, { type: 'Abort', by: 'ops', reason: null });
  return { o, store, calls, push, abort };
}

describe('the service queue on DynamoDB', () => {
  it('starts three rollouts queued behind a holder one after another, in push order, as each one ends', async () => {
    const { store, push, abort } = await setup();
    const holder = await push();
    expect(holder.status).toBe('PROGRESSING');
    const queued = [await push(), await push(), await push()];
    expect(queued.map((q) => q.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect(await store.queued('web')).toEqual(queued.map((q) => q.id));

    const startedOrder: string[] = [];
    let ending = holder.id;
    for (const next of queued) {
      expect((await abort(ending)).status).toBe('ROLLED_BACK');
      expect(await store.lockHolder('web')).toBe(next.id);
      expect((await store.get(next.id)).status).toBe('PROGRESSING');
      startedOrder.push(next.id);
      // Those behind it still wait, and only they are in the queue.
      const behind = queued.slice(queued.indexOf(next) + 1).map((q) => q.id);
      expect(await store.queued('web')).toEqual(behind);
      for (const id of behind) expect((await store.get(id)).status).toBe('PENDING');
      ending = next.id;
    }
    expect(startedOrder).toEqual(queued.map((q) => q.id));
    await abort(ending);
    expect(await store.lockHolder('web')).toBeNull();
    expect(await store.queued('web')).toEqual([]);
    expect(await store.listActive()).toEqual([]);
  });

  it('hands over past entries a crash left behind, and drops them', async () => {
    const { store, push, abort } = await setup();
    const holder = await push();
    const ended = await push();
    const waiting = await push();
    // `ended` is aborted while queued; its dequeue is lost (as if the process died before it).
    const dequeue = store.dequeue.bind(store);
    store.dequeue = async () => undefined;
    await abort(ended.id);
    store.dequeue = dequeue;
    expect(await store.queued('web')).toEqual([ended.id, waiting.id]);

    await abort(holder.id);

    expect(await store.lockHolder('web')).toBe(waiting.id);
    expect(await store.queued('web')).toEqual([]);
  });

  it('queues behind the oldest waiting rollout a push that finds the lock free during a hand-over', async () => {
    const { store, push, abort } = await setup();
    const holder = await push();
    const second = await push();
    // The holder lets go, but its hand-over has not run yet (the process died after the release).
    const startNext = store.queued.bind(store);
    let skipped = false;
    store.queued = async (service) => {
      if (!skipped && (await store.lockHolder(service)) === null) {
        skipped = true;
        return [];
      }
      return startNext(service);
    };
    await abort(holder.id);
    store.queued = startNext;
    expect(await store.lockHolder('web')).toBeNull();

    const third = await push();

    expect(await store.lockHolder('web')).toBe(second.id);
    expect(third.status).toBe('PENDING');
    expect(await store.queued('web')).toEqual([third.id]);
  });

  it('supersedes the queued rollouts and the holder for the newest push, reading the queue only', async () => {
    const { store, push, abort } = await setup('supersede');
    const holder = await push();
    const newest = await push();
    expect(newest.status).toBe('PENDING');
    expect((await store.get(holder.id)).status).toBe('ROLLED_BACK');
    expect(await store.lockHolder('web')).toBe(newest.id);
    expect((await store.get(newest.id)).status).toBe('PROGRESSING');
    expect(await store.queued('web')).toEqual([]);
    await abort(newest.id);
  });

  it('reads the queue at a release only when someone queued behind the holder (the lock is marked)', async () => {
    const { store, calls, push, abort } = await setup();
    const alone = await push();
    calls.reset();
    await abort(alone.id);
    expect(calls.counts.Query).toBeUndefined();
    expect(await store.lockHolder('web')).toBeNull();

    const holder = await push();
    const waiting = await push();
    calls.reset();
    await abort(holder.id);
    // A release that skipped the queue read here would leave `waiting` PENDING behind a free lock.
    expect(calls.counts.Query).toBe(1);
    expect(await store.lockHolder('web')).toBe(waiting.id);
    expect((await store.get(waiting.id)).status).toBe('PROGRESSING');
    expect(await store.queued('web')).toEqual([]);
  });

  it('hands the lock to a queuer whose holder let go between its entry and its mark', async () => {
    const { store, push, abort } = await setup();
    const holder = await push();
    const markQueued = store.markQueued.bind(store);
    let releasedFirst: { holder: string | null; status: string } | null = null;
    store.markQueued = async (service) => {
      if (releasedFirst === null) {
        // The holder ends now: its lock is not marked yet, so its release reads no queue.
        await abort(holder.id);
        const waiting = (await store.queued(service))[0]!;
        releasedFirst = { holder: await store.lockHolder(service), status: (await store.get(waiting)).status };
      }
      return markQueued(service);
    };
    const queuer = await push();
    store.markQueued = markQueued;

    expect(releasedFirst).toEqual({ holder: null, status: 'PENDING' });
    // Its mark found the lock free: the queuer handed it over itself, to itself (the oldest waiting).
    expect(await store.lockHolder('web')).toBe(queuer.id);
    expect((await store.get(queuer.id)).status).toBe('PROGRESSING');
    expect(await store.queued('web')).toEqual([]);
  });

  it('marks the lock of whoever took it between the release of the old holder and the mark of the queuer', async () => {
    const { store, push, abort } = await setup();
    const holder = await push();
    const markQueued = store.markQueued.bind(store);
    const queued = store.queued.bind(store);
    let taker: { id: string } | null = null;
    store.markQueued = async (service) => {
      if (taker === null) {
        await abort(holder.id);
        // A push whose look for older queued rollouts ran before the queuer's entry was written.
        store.queued = async () => [];
        taker = { id: '' };
        taker = await push();
        store.queued = queued;
      }
      return markQueued(service);
    };
    const queuer = await push();
    store.markQueued = markQueued;

    expect(await store.lockHolder('web')).toBe(taker!.id);
    expect((await store.get(queuer.id)).status).toBe('PENDING');
    await abort(taker!.id);
    expect(await store.lockHolder('web')).toBe(queuer.id);
    expect((await store.get(queuer.id)).status).toBe('PROGRESSING');
  });

  it('takes the lock marked at a hand-off that leaves others waiting, so the next release reads the queue again', async () => {
    const { store, push, abort } = await setup();
    const holder = await push();
    const first = await push();
    const second = await push();
    await abort(holder.id);
    expect(await store.lockHolder('web')).toBe(first.id);
    // Neither queuer marked this lock: the hand-off did.
    expect(await store.releaseLock('web', first.id)).toEqual({ released: true, queued: true });
    expect(await store.acquireLock('web', first.id, true)).toBe(true);

    await abort(first.id);
    expect(await store.lockHolder('web')).toBe(second.id);
    // The last one in line starts unmarked: its release reads no queue.
    expect(await store.releaseLock('web', second.id)).toEqual({ released: true, queued: false });
  });

  it('hands over from an ended holder whose release was lost, when its next Advance lets its marked lock go', async () => {
    const { o, store, push, abort } = await setup();
    const holder = await push();
    const waiting = await push();
    const releaseLock = store.releaseLock.bind(store);
    store.releaseLock = async () => ({ released: false, queued: false }); // the process died before it
    await abort(holder.id);
    store.releaseLock = releaseLock;
    expect(await store.lockHolder('web')).toBe(holder.id);
    expect((await store.get(waiting.id)).status).toBe('PENDING');

    await o.advance(holder.id);

    expect(await store.lockHolder('web')).toBe(waiting.id);
    expect((await store.get(waiting.id)).status).toBe('PROGRESSING');
    expect(await store.queued('web')).toEqual([]);
  });

  describe('an entry no mark of the lock covers (a crash between entry and mark, or one written before locks were marked)', () => {
    /** A holder and a rollout queued behind it, the lock then taken again without its mark. */
    async function unmarkedEntry() {
      const ctx = await setup();
      const holder = await ctx.push();
      const waiting = await ctx.push();
      await ctx.store.releaseLock('web', holder.id);
      await ctx.store.acquireLock('web', holder.id);
      expect(await ctx.store.queued('web')).toEqual([waiting.id]);
      return { ...ctx, holder, waiting };
    }

    it('is left by the release, and the sweep of the watchdog starts its rollout', async () => {
      const { o, store, abort, holder, waiting } = await unmarkedEntry();
      await abort(holder.id);
      expect(await store.lockHolder('web')).toBeNull();
      expect((await store.get(waiting.id)).status).toBe('PENDING');

      await o.sweep();

      expect(await store.lockHolder('web')).toBe(waiting.id);
      expect((await store.get(waiting.id)).status).toBe('PROGRESSING');
      expect(await store.queued('web')).toEqual([]);
    });

    it('is marked by the sweep while the holder runs, so that the release hands over', async () => {
      const { o, store, abort, holder, waiting } = await unmarkedEntry();
      await o.sweep();
      await abort(holder.id);
      expect(await store.lockHolder('web')).toBe(waiting.id);
    });

    it('is picked up at restart, the lock free or held', async () => {
      const free = await unmarkedEntry();
      await free.abort(free.holder.id);
      await free.o.resume();
      expect(await free.store.lockHolder('web')).toBe(free.waiting.id);

      const held = await unmarkedEntry();
      await held.o.resume();
      await held.abort(held.holder.id);
      expect(await held.store.lockHolder('web')).toBe(held.waiting.id);
    });
  });

  it('costs the same DynamoDB calls for the 20th queued push as for the 1st, after 20 earlier rollouts of the service', async () => {
    const { calls, push, abort, store } = await setup();
    for (let i = 0; i < 20; i++) await abort((await push()).id);
    await push(); // the holder

    const perPush: Record<string, number>[] = [];
    for (let i = 0; i < 20; i++) {
      calls.reset();
      const q = await push();
      expect(q.status).toBe('PENDING');
      perPush.push({ ...calls.counts });
    }
    const totals = perPush.map((c) => Object.values(c).reduce((a, b) => a + b, 0));
    console.info(`DynamoDB calls per queued push: 1st ${JSON.stringify(perPush[0])} = ${totals[0]}, 2nd ${JSON.stringify(perPush[1])} = ${totals[1]}, 20th ${JSON.stringify(perPush[19])} = ${totals[19]}`);

    // The 1st queued push finds the lock held; the later ones find older rollouts queued first.
    expect(new Set(totals.slice(1)).size).toBe(1);
    expect(perPush[19]).toEqual(perPush[1]);
    expect(Math.abs(totals[19]! - totals[0]!)).toBeLessThanOrEqual(2);
    expect(perPush[19]!.Query).toBeLessThanOrEqual(3);
    expect((await store.queued('web')).length).toBe(20);
  });
});
