/**
 * The intake function's delivery job (shared/adapters/lambda): the API hands the delivery it has just
 * written on in the asynchronous invocation's payload, when it is small enough, and the intake function
 * takes it only when it is this delivery's record.
 */
import type { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { deliveryJobOf } from '../../../shared/adapters/lambda/delivery-job';
import { LambdaDeliveryQueue, MAX_HANDED_BYTES } from '../../../shared/adapters/lambda/lambda-delivery-queue';
import { ROLLOUT_ID_PATTERN } from '../../../shared/core/ids';
import type { ReceivedDelivery } from '../../../shared/ports';

const ID = '01jda3y4zq8k5m2n6p7r9s0t1v';

function capturingQueue() {
  const payloads: unknown[] = [];
  const client = {
    send: async (command: InvokeCommand) => {
      expect(command.input.InvocationType).toBe('Event');
      payloads.push(JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array)));
      return { StatusCode: 202 };
    },
  } as unknown as LambdaClient;
  return { queue: new LambdaDeliveryQueue({ client, functionName: 'intake' }), payloads };
}

const received = (extra: Partial<ReceivedDelivery> = {}): ReceivedDelivery => ({ id: ID, source: 'registry', receivedAt: '2026-12-03T10:00:00.000Z', planned: [], ignored: [], ...extra });

describe('the delivery job', () => {
  it('carries the delivery just written, unless it is too big or of another id', async () => {
    expect(ROLLOUT_ID_PATTERN.test(ID)).toBe(true);
    const { queue, payloads } = capturingQueue();
    await queue.dispatch(ID, received());
    await queue.dispatch(ID);
    await queue.dispatch(ID, received({ id: 'another' }));
    await queue.dispatch(ID, received({ source: 'x'.repeat(MAX_HANDED_BYTES) }));
    expect(payloads).toEqual([{ deliveryId: ID, received: received() }, { deliveryId: ID }, { deliveryId: ID }, { deliveryId: ID }]);
  });

  it('is read back with its delivery only when that is this delivery’s record', () => {
    expect(deliveryJobOf({ deliveryId: ID, received: received() })).toEqual({ deliveryId: ID, received: received() });
    expect(deliveryJobOf({ deliveryId: ID })).toEqual({ deliveryId: ID });
    for (const other of [received({ id: 'another' }), { ...received(), planned: 'none' }, { ...received(), receivedAt: 1 }, 'x', null, [received()]]) {
      expect(deliveryJobOf({ deliveryId: ID, received: other })).toEqual({ deliveryId: ID });
    }
    for (const notAJob of [null, 'job', { deliveryId: 7 }, { deliveryId: 'not an id' }, { 'detail-type': 'ECR Image Action' }]) {
      expect(deliveryJobOf(notAJob)).toBeNull();
    }
  });
});
