/**
 * Webhook intake (docs/architecture.md, "Webhook intake"): a delivery is answered after constant work,
 * what the config alone decides (intake.ts `plan`) and one durable write, the received delivery; the
 * rest (the registry, ECS, the store) is done after the answer, by whoever the `DeliveryQueue` hands it
 * to, and its outcome is recorded for `GET /deliveries/{id}`. A delivery whose work was lost stays
 * RECEIVED and is dispatched again by the watchdog (or by local mode at start).
 */
import { notificationDeliveryId } from '../core/ids';
import { RolloutPolicy } from '../core/policy';
import { RolloutStatus } from '../core/status';
import { DeliveryNotReceivedError } from '../errors';
import type { DeliveryQueue, DeliveryRecord, ProcessedDelivery, ReceivedDelivery } from '../ports';
import type { Accepted, Ignored, ImagePush, IngestResult } from '../webhooks/image-push';
import { type OrchestrationContext, errorMessage } from './context';
import type { Intake } from './intake';
import { RecentDeliveries } from './recent-deliveries';

/** What a webhook is answered: the delivery's id, the rollouts it plans (with the ids they will have), what is ignored already. */
export interface DeliveryReceipt {
  readonly deliveryId: string;
  readonly accepted: Accepted[];
  readonly ignored: Ignored[];
}

export interface DeliveryInput {
  /** The route or event it came in by. */
  readonly source: string;
  readonly pushes: readonly ImagePush[];
  /** What parsing the delivery ignored already. */
  readonly ignored?: readonly Ignored[];
  /**
   * What identifies the notification when its sender does (its event ids, and its body): the delivery
   * id is derived from it, so a repeat is answered from the delivery recorded first, with no work.
   * Without it, each delivery is new.
   */
  readonly identity?: readonly string[];
}

/** A delivery as received: recorded now, or a repeat of the one recorded first under its id. */
type Received = { readonly delivery: ReceivedDelivery } | { readonly repeatOf: DeliveryRecord };

export class DeliveryIntake {
  private readonly recent: RecentDeliveries;

  constructor(
    private readonly ctx: OrchestrationContext,
    private readonly intake: Intake,
    private readonly queue: DeliveryQueue,
  ) {
    this.recent = new RecentDeliveries(RolloutPolicy.recentDeliverySeconds * 1000, ctx.opts.recentDeliveries);
  }

  /** Records the delivery (the one store call) and hands its work on; the answer promises no more than that. */
  async accept(input: DeliveryInput): Promise<DeliveryReceipt> {
    // A delivery with work to hand on tells the queue it is being answered (from its plan to its answer):
    // work in this process waits meanwhile. One with nothing planned does not reach the queue at all.
    let answered: (() => void) | undefined;
    try {
      return await this.answer(input, () => (answered = this.queue.answering?.()));
    } finally {
      answered?.();
    }
  }

  private async answer(input: DeliveryInput, planned: () => void): Promise<DeliveryReceipt> {
    const received = await this.receive(input, planned);
    // A repeat (a sender retrying): its work was handed on with the first (the watchdog sees to it if lost).
    if ('repeatOf' in received) {
      const { repeatOf } = received;
      return repeatOf.status === 'RECEIVED' ? receiptOf(repeatOf) : { deliveryId: repeatOf.id, accepted: [...repeatOf.accepted], ignored: [...repeatOf.ignored] };
    }
    const { delivery } = received;
    if (delivery.planned.length > 0) {
      // A lost hand-over loses nothing: the delivery stays RECEIVED and the watchdog dispatches it again.
      await this.queue.dispatch(delivery.id, delivery).catch((e: unknown) => this.ctx.log.warn('delivery not handed over; the watchdog will', { deliveryId: delivery.id, error: errorMessage(e) }));
    }
    return receiptOf(delivery);
  }

  /** Records the delivery and does its work now (the ECR event, whose function is itself asynchronous). */
  async ingest(input: DeliveryInput): Promise<IngestResult & { deliveryId: string }> {
    const received = await this.receive(input);
    let delivery: ReceivedDelivery;
    if ('repeatOf' in received) {
      const { repeatOf } = received;
      if (repeatOf.status === 'PROCESSED') return { deliveryId: repeatOf.id, accepted: [...repeatOf.accepted], ignored: [...repeatOf.ignored] };
      delivery = withoutStatus(repeatOf);
    } else {
      delivery = received.delivery;
    }
    if (delivery.planned.length === 0) return { deliveryId: delivery.id, accepted: [], ignored: [...delivery.ignored] };
    const done = await this.complete(delivery);
    return { deliveryId: done.id, accepted: [...done.accepted], ignored: [...done.ignored] };
  }

  /**
   * Does the work of a received delivery, once (a processed one answers its outcome). Null when unknown.
   * `received`: the record this process has just written (handed over with the delivery), not read back.
   */
  async process(id: string, received?: ReceivedDelivery): Promise<ProcessedDelivery | null> {
    if (received?.id === id) return this.complete(received);
    const record = await this.ctx.deps.store.delivery(id);
    if (record === null) return null;
    if (record.status === 'PROCESSED') return withoutStatus(record);
    return this.complete(withoutStatus(record));
  }

  get(id: string): Promise<DeliveryRecord | null> {
    return this.ctx.deps.store.delivery(id);
  }

  /**
   * Dispatches again every delivery received at least `olderThanSeconds` ago and still not processed
   * (0: all of them, as local mode does at start, when no work of a previous process can be running).
   */
  async redispatch(olderThanSeconds: number): Promise<string[]> {
    const before = this.ctx.clock().getTime() - olderThanSeconds * 1000;
    const due = (await this.ctx.deps.store.receivedDeliveries()).filter((d) => Date.parse(d.receivedAt) <= before);
    for (const d of due) await this.queue.dispatch(d.id);
    if (due.length > 0) this.ctx.log.info('deliveries dispatched again', { deliveries: due.map((d) => d.id) });
    return due.map((d) => d.id);
  }

  /** Records the delivery (one conditional write); `repeatOf` is the delivery recorded first under its id, if any. */
  private async receive(input: DeliveryInput, onPlanned?: () => void): Promise<Received> {
    const now = this.ctx.clock();
    const id = input.identity ? notificationDeliveryId(input.identity) : this.ctx.newId(now);
    // A repeat this process recorded or read lately: answered without the store, and without a plan.
    const remembered = input.identity ? this.recent.get(id, now) : null;
    if (remembered) return { repeatOf: remembered };
    const { planned, ignored } = this.intake.plan(input.pushes);
    const delivery: ReceivedDelivery = { id, source: input.source, receivedAt: now.toISOString(), planned, ignored: [...(input.ignored ?? []), ...ignored] };
    if (planned.length > 0) onPlanned?.();
    try {
      // Nothing left to do: the outcome is known now, and written as such (still one call).
      const written = planned.length === 0 ? processedOf(delivery, { accepted: [], ignored: [...delivery.ignored] }, now) : delivery;
      const repeatOf = await this.ctx.deps.store.receiveDelivery(written);
      if (input.identity) this.recent.remember(repeatOf ?? ('processedAt' in written ? { status: 'PROCESSED', ...written } : { status: 'RECEIVED', ...written }), now);
      return repeatOf ? { repeatOf } : { delivery };
    } catch (e) {
      this.ctx.log.warn('delivery not recorded', { deliveryId: delivery.id, error: errorMessage(e) });
      throw new DeliveryNotReceivedError(`the delivery could not be recorded (${errorMessage(e)}); nothing was done, send it again`, { cause: e });
    }
  }

  private async complete(delivery: ReceivedDelivery): Promise<ProcessedDelivery> {
    const result = await this.intake.process(delivery);
    const done = processedOf(delivery, result, this.ctx.clock());
    if (!(await this.ctx.deps.store.completeDelivery(done))) {
      // Another run of this work recorded the outcome first (a duplicate invocation, a dispatch again): it stands.
      const recorded = await this.ctx.deps.store.delivery(delivery.id);
      this.ctx.log.info('delivery already processed by another run', { deliveryId: delivery.id });
      if (recorded?.status === 'PROCESSED') return withoutStatus(recorded);
      return done;
    }
    this.recent.processed({ status: 'PROCESSED', ...done }, this.ctx.clock());
    this.ctx.log.info('delivery processed', { deliveryId: delivery.id, source: delivery.source, accepted: done.accepted.map((a) => a.rolloutId), ignored: done.ignored.length });
    return done;
  }
}

function receiptOf(delivery: ReceivedDelivery): DeliveryReceipt {
  const accepted = delivery.planned.flatMap((p): Accepted[] => (p.kind === 'image' ? [{ rolloutId: p.rolloutId, service: p.service, status: RolloutStatus.Pending }] : []));
  return { deliveryId: delivery.id, accepted, ignored: [...delivery.ignored] };
}

function processedOf(delivery: ReceivedDelivery, result: IngestResult, now: Date): ProcessedDelivery {
  return { id: delivery.id, source: delivery.source, receivedAt: delivery.receivedAt, processedAt: now.toISOString(), accepted: result.accepted, ignored: result.ignored };
}

function withoutStatus<T extends { status: string }>(record: T): Omit<T, 'status'> {
  const { status: _status, ...rest } = record;
  return rest;
}
