/**
 * `DeliveryQueue` in AWS: the work of a received webhook delivery is an asynchronous invocation
 * (`InvocationType: Event`) of the intake function (functions/ecr-push.ts), with `{deliveryId, received?}`
 * as its event: `received` is the record the API has just written, so that the work does not read it
 * back (omitted when over `MAX_HANDED_BYTES`, and by the watchdog, which dispatches by id). Lambda
 * queues the event durably and retries a failed invocation, and may deliver it twice: the outcome is
 * recorded only over a delivery still received (`RolloutStore.completeDelivery`), so a second run's
 * never replaces the first's. A hand-over that fails leaves the delivery RECEIVED, and the watchdog
 * dispatches it again (docs/architecture.md, "Webhook intake").
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { DeliveryQueue, ReceivedDelivery } from '../../ports';

export type { DeliveryJob } from './delivery-job';

export interface LambdaDeliveryQueueOptions {
  readonly client: LambdaClient;
  /** The intake function's name or ARN. */
  readonly functionName: string;
}

/** Lambda takes up to 256 KB for an asynchronous invocation; a delivery handed on stays well below. */
export const MAX_HANDED_BYTES = 128 * 1024;

export class LambdaDeliveryQueue implements DeliveryQueue {
  constructor(private readonly options: LambdaDeliveryQueueOptions) {}

  async dispatch(deliveryId: string, received?: ReceivedDelivery): Promise<void> {
    const handed = received?.id === deliveryId ? JSON.stringify({ deliveryId, received }) : null;
    const payload = handed !== null && Buffer.byteLength(handed) <= MAX_HANDED_BYTES ? handed : JSON.stringify({ deliveryId });
    const out = await this.options.client.send(
      new InvokeCommand({ FunctionName: this.options.functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(payload) }),
    );
    // An asynchronous invocation that Lambda queued answers 202.
    if (out.StatusCode !== 202) throw new Error(`the intake function did not take delivery ${deliveryId} (status ${out.StatusCode})`);
  }
}
