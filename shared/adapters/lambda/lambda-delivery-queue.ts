/**
 * `DeliveryQueue` in AWS: the work of a received webhook delivery is an asynchronous invocation
 * (`InvocationType: Event`) of the intake function (functions/ecr-push.ts), with `{deliveryId}` as its
 * event. Lambda queues the event durably and retries a failed invocation; a hand-over that fails
 * leaves the delivery RECEIVED, and the watchdog dispatches it again (docs/architecture.md,
 * "Webhook intake").
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { DeliveryQueue } from '../../ports';

export interface LambdaDeliveryQueueOptions {
  readonly client: LambdaClient;
  /** The intake function's name or ARN. */
  readonly functionName: string;
}

/** The event the intake function receives for a delivery's work. */
export interface DeliveryJob {
  readonly deliveryId: string;
}

export class LambdaDeliveryQueue implements DeliveryQueue {
  constructor(private readonly options: LambdaDeliveryQueueOptions) {}

  async dispatch(deliveryId: string): Promise<void> {
    const job: DeliveryJob = { deliveryId };
    const out = await this.options.client.send(
      new InvokeCommand({ FunctionName: this.options.functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(job)) }),
    );
    // An asynchronous invocation that Lambda queued answers 202.
    if (out.StatusCode !== 202) throw new Error(`the intake function did not take delivery ${deliveryId} (status ${out.StatusCode})`);
  }
}
