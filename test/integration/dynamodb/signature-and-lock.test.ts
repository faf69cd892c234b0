/**
 * A verified signature is recorded in the save of what the service lock decides (Started, Queued,
 * StartFailed, Supersede), not in a save of its own before the lock: the real orchestrator over the real
 * DynamoRolloutStore on dynalite (ECS, the verifier and the workflow are the in-memory fakes). A crash
 * between the lock and that save leaves a record that still waits for its signature, maybe holding the
 * lock: its clock (started by the watchdog) looks again and takes the lock again, or gives it back when
 * the signature no longer verifies.
 */
import { describe, expect, it } from 'vitest';
import { DynamoRolloutStore } from '../../../shared/adapters/dynamodb/dynamo-rollout-store';
import { toPolicies } from '../../../shared/config/policy-schema';
import type { OnNewImage } from '../../../shared/config/policy-schema';
import type { Rollout } from '../../../shared/core/rollout';
import { Orchestrator } from '../../../shared/orchestration/orchestrator';
import { useDynalite } from '../../helpers/dynamodb';
import { appConfig, digestOf, serviceConfig } from '../../helpers/local-config';
import { ScriptedVerifier } from '../../helpers/scripted-verifier';
import { FakeEcs, RecordingWorkflow } from '../../unit/orchestration/fakes';

const dynamo = useDynalite();

async function setup(onNewImage: OnNewImage = 'queue') {
  const client = dynamo.newClient();
  const store = new DynamoRolloutStore({ client, tableName: await dynamo.newTable() });
  const config = appConfig([serviceConfig('web', { policies: toPolicies({ onNewImage }) })]);
  const verifier = new ScriptedVerifier();
  const workflow = new RecordingWorkflow();
  const o = new Orchestrator({ config, store, ecs: new FakeEcs(), verifier, workflow, options: { rollbackBackoffMs: 1, signatureRecheckMs: [] } });
  let n = 0;
  /** Pushes a new digest; answers the rollout id (the push's work may have failed: a crash). */
  const push = async () => {
    n++;
    const planned = o.ingest([{ registry: '127.0.0.1:5000', repository: 'team/web', tag: `v${n}`, digest: digestOf(n), source: 'test' }]);
    const result = await planned.catch(() => null);
    const rollouts = await store.list({ service: 'web', limit: 100 });
    return { id: result?.accepted[0]?.rolloutId ?? rollouts.items[0]!.id, digest: digestOf(n) };
  };
  const abort = (id: string) => o.command(id, { type: 'Abort', by: 'ops', reason: null });
  /** The next save that would record a verified signature fails, as if the process died before it. */
  const crashBeforeVerifiedSave = () => {
    const save = store.save.bind(store);
    store.save = async (next: Rollout, previous?: Rollout) => {
      if (next.signature !== null && previous?.signature === null) {
        store.save = save;
        throw new Error('simulated crash');
      }
      return save(next, previous);
    };
  };
  return { o, store, verifier, workflow, push, abort, crashBeforeVerifiedSave };
}

describe('a verified signature recorded with what the lock decides', () => {
  it('goes from created to PROGRESSING in one save, with the signature and the start recorded together', async () => {
    const { o, store, push } = await setup();
    const versions: string[] = [];
    o.subscribe((r, previous) => {
      versions.push(`${previous.version}->${r.version} ${r.status}`);
    });
    const { id } = await push();
    expect(versions).toEqual(['1->1 PENDING', '1->2 PROGRESSING']);
    const stored = await store.get(id);
    expect(stored.signature).not.toBeNull();
    expect(stored.events.map((e) => e.type).slice(0, 3)).toEqual(['CREATED', 'SIGNATURE_VERIFIED', 'STARTED']);
  });

  it('records a queued rollout as waiting for the lock before its queue entry is written', async () => {
    const { store, push } = await setup();
    await push();
    const enqueue = store.enqueue.bind(store);
    const atEnqueue: (string | boolean | null)[] = [];
    store.enqueue = async (service, id) => {
      const r = await store.get(id);
      atEnqueue.push(r.status, r.signature !== null, r.wait?.for ?? null);
      return enqueue(service, id);
    };
    const queued = await push();
    expect(atEnqueue).toEqual(['PENDING', true, 'lock']);
    expect(await store.queued('web')).toEqual([queued.id]);
  });

  it('after a crash between the lock and the save, the clock the watchdog starts looks again and starts the rollout', async () => {
    const { o, store, workflow, push, crashBeforeVerifiedSave } = await setup();
    crashBeforeVerifiedSave();
    const { id } = await push();
    // The lock was taken; the record still waits for its signature.
    expect(await store.lockHolder('web')).toBe(id);
    expect((await store.get(id)).signature).toBeNull();
    expect((await store.get(id)).wait?.for).toBe('signature');

    const report = await o.sweep();
    expect(report.redriven).toEqual([id]);
    expect(workflow.started).toContain(id);
    await o.advance(id);

    const after = await store.get(id);
    expect(after.status).toBe('PROGRESSING');
    expect(after.signature).not.toBeNull();
    expect(await store.lockHolder('web')).toBe(id);
  });

  it('after such a crash, a push meanwhile queues behind the half-started rollout and starts after it', async () => {
    const { o, store, push, abort, crashBeforeVerifiedSave } = await setup();
    crashBeforeVerifiedSave();
    const first = await push();
    const second = await push();
    expect((await store.get(second.id)).status).toBe('PENDING');
    expect(await store.queued('web')).toEqual([second.id]);

    await o.sweep();
    await o.advance(first.id);
    expect((await store.get(first.id)).status).toBe('PROGRESSING');
    await abort(first.id);

    expect(await store.lockHolder('web')).toBe(second.id);
    expect((await store.get(second.id)).status).toBe('PROGRESSING');
  });

  it('after such a crash, the half-started rollout goes on though an older one queued behind it meanwhile', async () => {
    const { o, store, verifier, push, abort, crashBeforeVerifiedSave } = await setup();
    // The older push waits for its signature; the newer one takes the lock and dies before its save.
    verifier.set(digestOf(1), 'missing');
    const older = await push();
    crashBeforeVerifiedSave();
    const newer = await push();
    expect(await store.lockHolder('web')).toBe(newer.id);
    // The older one's signature comes: it queues behind the holder.
    verifier.set(digestOf(1), 'verified');
    await o.advance(older.id);
    expect(await store.queued('web')).toEqual([older.id]);
    // The holder looks again: it holds the lock, so it starts (queued behind itself, it would wait for ever).
    await o.sweep();
    await o.advance(newer.id);
    expect((await store.get(newer.id)).status).toBe('PROGRESSING');
    expect(await store.queued('web')).toEqual([older.id]);
    await abort(newer.id);
    expect(await store.lockHolder('web')).toBe(older.id);
    expect((await store.get(older.id)).status).toBe('PROGRESSING');
  });

  it('a holder that ended with its release lost lets go at the next sweep, and the rollout queued behind it starts', async () => {
    const { o, store, push } = await setup();
    const first = await push();
    const second = await push();
    expect(await store.queued('web')).toEqual([second.id]);
    // Ended, and the release lost (nothing is left to run it again: the active index no longer lists it).
    const ending = await store.get(first.id);
    await store.save({ ...ending, status: 'ROLLED_BACK' as Rollout['status'], wait: null, version: ending.version + 1 }, ending);
    expect(await store.lockHolder('web')).toBe(first.id);
    await o.sweep();
    expect(await store.lockHolder('web')).toBe(second.id);
    expect((await store.get(second.id)).status).toBe('PROGRESSING');
  });

  it('after such a crash, gives the lock back when the signature no longer verifies', async () => {
    const { o, store, verifier, push, crashBeforeVerifiedSave } = await setup();
    crashBeforeVerifiedSave();
    const { id, digest } = await push();
    expect(await store.lockHolder('web')).toBe(id);

    verifier.set(digest, 'rejected');
    await o.sweep();
    await o.advance(id);

    expect((await store.get(id)).status).toBe('REJECTED');
    expect(await store.lockHolder('web')).toBeNull();
  });

  it('after a crash between the Queued save and the entry, the watchdog puts the rollout back in line', async () => {
    const { o, store, push, abort } = await setup();
    const holder = await push();
    const enqueue = store.enqueue.bind(store);
    store.enqueue = async () => {
      store.enqueue = enqueue;
      throw new Error('simulated crash');
    };
    const queued = await push();
    expect((await store.get(queued.id)).wait).toEqual({ for: 'lock', behind: holder.id });
    expect(await store.queued('web')).toEqual([]);

    await o.sweep();
    expect(await store.queued('web')).toEqual([queued.id]);
    await abort(holder.id);

    expect(await store.lockHolder('web')).toBe(queued.id);
    expect((await store.get(queued.id)).status).toBe('PROGRESSING');
  });

  it('records the signature with a refusal too: reject policy, one save', async () => {
    const { o, store, push } = await setup('reject');
    await push();
    const versions: string[] = [];
    o.subscribe((r, previous) => {
      versions.push(`${previous.version}->${r.version} ${r.status}`);
    });
    const refused = await push();
    expect(versions).toEqual(['1->1 PENDING', '1->2 REJECTED']);
    const stored = await store.get(refused.id);
    expect(stored.signature).not.toBeNull();
    expect(stored.events.map((e) => e.type).slice(0, 3)).toEqual(['CREATED', 'SIGNATURE_VERIFIED', 'START_FAILED']);
  });
});
