/**
 * In-memory stand-ins for the ports, with gates that pause a call mid-way, so that orchestrator tests
 * can interleave two actors exactly where a race would hurt. (Adapters have their own tests against
 * dynalite and the ECS emulator; these test the orchestration logic alone.)
 */
import type { Rollout } from '../../../shared/core/rollout';
import { isTerminal } from '../../../shared/core/status';
import { RolloutNotFoundError, VersionConflictError } from '../../../shared/errors';
import type { AlarmState, Alarms, ClockState, DeliveryClaim, DeliveryRecord, ProcessedDelivery, ReceivedDelivery, EcsDeployer, EcsTarget, ListRolloutsQuery, RolloutPage, RolloutStore, ServiceView, Workflow } from '../../../shared/ports';

export class MemStore implements RolloutStore {
  readonly rollouts = new Map<string, Rollout>();
  readonly locks = new Map<string, string>();
  /** The services whose lock is marked: someone queued behind its holder (`markQueued`). */
  readonly marked = new Set<string>();
  readonly claims = new Map<string, string>();
  /** Per service, the queued rollout ids (kept sorted: ids sort by creation time). */
  readonly queues = new Map<string, string[]>();
  /**
   * Entries of the active index written apart from their records (an earlier version's markers, which
   * DynamoRolloutStore still lists and forgets); the records themselves say which rollouts are active.
   */
  readonly legacyActive = new Set<string>();
  /** Webhook deliveries by id, received or processed. */
  readonly deliveries = new Map<string, DeliveryRecord>();
  beforeAcquire: () => Promise<void> = async () => {};

  async create(r: Rollout) {
    if (this.rollouts.has(r.id)) throw new VersionConflictError(r.id, 0);
    this.rollouts.set(r.id, structuredClone(r));
  }
  async get(id: string) {
    const r = this.rollouts.get(id);
    if (!r) throw new RolloutNotFoundError(id);
    return structuredClone(r);
  }
  async save(next: Rollout) {
    const current = this.rollouts.get(next.id);
    if (!current) throw new RolloutNotFoundError(next.id);
    if (current.version !== next.version - 1) throw new VersionConflictError(next.id, next.version - 1);
    this.rollouts.set(next.id, structuredClone(next));
  }
  async keepToken(id: string, version: number, taskToken: string, at: string) {
    const current = this.rollouts.get(id);
    if (!current || current.version !== version) return null;
    const next = { ...current, taskToken, updatedAt: at, version: version + 1 };
    this.rollouts.set(id, next);
    return structuredClone(next);
  }
  async list(q: ListRolloutsQuery): Promise<RolloutPage> {
    const items = [...this.rollouts.values()]
      .filter((r) => (!q.service || r.service === q.service) && (!q.status || r.status === q.status))
      .sort((a, b) => (a.createdAt + a.id < b.createdAt + b.id ? 1 : -1));
    return { items: items.map((r) => structuredClone(r)), nextCursor: null };
  }
  async acquireLock(service: string, id: string, queued = false) {
    await this.beforeAcquire();
    const holder = this.locks.get(service);
    if (holder && holder !== id) return false;
    // Taking it again keeps its mark; a lock taken anew starts unmarked unless asked.
    if (holder !== id) this.marked.delete(service);
    if (queued) this.marked.add(service);
    this.locks.set(service, id);
    return true;
  }
  async releaseLock(service: string, id: string) {
    if (this.locks.get(service) !== id) return { released: false, queued: false };
    this.locks.delete(service);
    const queued = this.marked.delete(service);
    return { released: true, queued };
  }
  async markQueued(service: string) {
    if (!this.locks.has(service)) return false;
    this.marked.add(service);
    return true;
  }
  async lockHolder(service: string) {
    return this.locks.get(service) ?? null;
  }
  async enqueue(service: string, id: string) {
    const queue = this.queues.get(service) ?? [];
    if (!queue.includes(id)) this.queues.set(service, [...queue, id].sort());
  }
  async dequeue(service: string, id: string) {
    const queue = (this.queues.get(service) ?? []).filter((q) => q !== id);
    if (queue.length > 0) this.queues.set(service, queue);
    else this.queues.delete(service);
  }
  async queued(service: string) {
    return [...(this.queues.get(service) ?? [])];
  }
  async listActive() {
    const active = [...this.rollouts.values()].filter((r) => !isTerminal(r.status)).map((r) => r.id);
    return [...new Set([...active, ...this.legacyActive])].sort();
  }
  async forgetActive(id: string) {
    const r = this.rollouts.get(id);
    if (r && !isTerminal(r.status)) return false;
    return this.legacyActive.delete(id);
  }
  async claimDelivery(key: string, id: string): Promise<DeliveryClaim> {
    const owner = this.claims.get(key);
    if (owner) return { claimed: false, rolloutId: owner };
    this.claims.set(key, id);
    return { claimed: true };
  }
  async takeOverDelivery(key: string, from: string, to: string) {
    if (this.claims.get(key) !== from) return false;
    this.claims.set(key, to);
    return true;
  }
  async deliveryOwner(key: string) {
    return this.claims.get(key) ?? null;
  }
  async receiveDelivery(d: ReceivedDelivery | ProcessedDelivery): Promise<DeliveryRecord | null> {
    const existing = this.deliveries.get(d.id);
    if (existing) return structuredClone(existing);
    this.deliveries.set(d.id, structuredClone('processedAt' in d ? { status: 'PROCESSED' as const, ...d } : { status: 'RECEIVED' as const, ...d }));
    return null;
  }
  async completeDelivery(d: ProcessedDelivery) {
    if (this.deliveries.get(d.id)?.status !== 'RECEIVED') return false;
    this.deliveries.set(d.id, structuredClone({ status: 'PROCESSED', ...d }));
    return true;
  }
  async delivery(id: string) {
    const d = this.deliveries.get(id);
    return d ? structuredClone(d) : null;
  }
  async receivedDeliveries() {
    return [...this.deliveries.values()].filter((d): d is Extract<DeliveryRecord, { status: 'RECEIVED' }> => d.status === 'RECEIVED').sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : 1)).map(({ status: _, ...d }) => structuredClone(d));
  }
}

interface FakeTaskSet {
  scale: number;
  steady: boolean;
  primary: boolean;
  digest: string | null;
  /** The rollout that created it (CreateTaskSet's externalId); null for the seeded stable set. */
  externalId?: string | null;
}

/** One service with a stable and maybe a canary task set; tasks become steady only on settle(). */
export class FakeEcs implements EcsDeployer {
  readonly sets = new Map<string, FakeTaskSet>([['stable', { scale: 100, steady: true, primary: true, digest: `sha256:${'0'.repeat(64)}` }]]);
  readonly calls: string[] = [];
  describeGate: (() => Promise<void>) | null = null;
  createGate: (() => Promise<void>) | null = null;

  async describe(_t: EcsTarget): Promise<ServiceView> {
    const snapshot = [...this.sets.entries()].map(([id, s]) => ({
      id, status: s.primary ? 'PRIMARY' : 'ACTIVE', taskDefinitionArn: 'td', image: 'img', digest: s.digest, scale: s.scale, runningCount: 1, steady: s.steady, externalId: s.externalId ?? null,
    }));
    const gate = this.describeGate;
    if (gate) await gate();
    return { primary: snapshot.find((s) => s.status === 'PRIMARY') ?? null, taskSets: snapshot, desiredCount: 10 };
  }
  async createCanary(_t: EcsTarget, input: { rolloutId: string }) {
    this.calls.push('createCanary');
    if (this.createGate) await this.createGate();
    if (!this.sets.has('canary')) this.sets.set('canary', { scale: 0, steady: true, primary: false, digest: null, externalId: input.rolloutId });
    return { taskSetId: 'canary', taskDefinitionArn: 'td2' };
  }
  async setWeights(_t: EcsTarget, input: { canaryWeight: number; canaryTaskSetId: string }) {
    if (!input.canaryTaskSetId) throw new Error('InvalidParameterException: taskSets must not be null');
    this.calls.push(`setWeights(${input.canaryWeight})`);
    const canary = this.sets.get('canary');
    if (!canary) throw new Error('TaskSetNotFoundException');
    if (canary.scale !== input.canaryWeight) {
      canary.scale = input.canaryWeight;
      canary.steady = false;
    }
    this.sets.get('stable')!.scale = 100 - input.canaryWeight;
  }
  async promote() {
    const canary = this.sets.get('canary')!;
    this.calls.push(`promote(canary at ${canary.scale}%, steady=${canary.steady})`);
    canary.scale = 100;
    canary.primary = true;
    this.sets.delete('stable');
  }
  async rollback(_t: EcsTarget, input: { canaryTaskSetId: string | null }) {
    this.calls.push(`rollback(canary=${input.canaryTaskSetId})`);
    if (input.canaryTaskSetId !== null) this.sets.delete(input.canaryTaskSetId);
    const stable = this.sets.get('stable')!;
    stable.scale = 100;
    stable.primary = true;
    return { done: true } as const;
  }
  settle() {
    for (const s of this.sets.values()) s.steady = true;
  }
}

export class RecordingWorkflow implements Workflow {
  readonly started: string[] = [];
  readonly woken: string[] = [];
  async start(id: string, _attempt: number) {
    this.started.push(id);
  }
  /** A started clock runs for ever here: nothing ends it. */
  async clockState(id: string): Promise<ClockState> {
    return this.started.includes(id) ? 'RUNNING' : 'NONE';
  }
  async wake(r: Rollout) {
    this.woken.push(r.id);
  }
}

export class FakeAlarms implements Alarms {
  readonly current: Record<string, AlarmState> = {};
  async states(names: readonly string[]) {
    return Object.fromEntries(names.filter((n) => n in this.current).map((n) => [n, this.current[n]!]));
  }
}

/**
 * A promise the test opens when it wants the paused call to go on. `reached` resolves once a call is
 * waiting at the gate, `reachedTimes(n)` once n calls have: the test waits for that, not for time to pass.
 */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let arrivals = 0;
  const watchers: { n: number; resolve: () => void }[] = [];
  const reachedTimes = (n: number) =>
    new Promise<void>((resolve) => {
      if (arrivals >= n) resolve();
      else watchers.push({ n, resolve });
    });
  const wait = () => {
    arrivals += 1;
    for (const w of watchers.filter((x) => x.n <= arrivals)) w.resolve();
    return opened;
  };
  return { wait, open, reached: reachedTimes(1), reachedTimes };
}
