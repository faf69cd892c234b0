/**
 * The event the intake function (functions/ecr-push.ts) receives for a delivery's work, as
 * `LambdaDeliveryQueue` sends it; apart from it, so that reading one loads no Lambda client.
 */
import { ROLLOUT_ID_PATTERN } from '../../core/ids';
import type { ReceivedDelivery } from '../../ports';
import { isPlainObject } from '../../plain-object';

export interface DeliveryJob {
  readonly deliveryId: string;
  /** The delivery as received, when handed on (the work then does not read it). */
  readonly received?: ReceivedDelivery;
}

/**
 * The delivery job in an event (its id shaped like a delivery's, as rollout ids are), or null when the
 * event is none; its `received` only when shaped like this delivery's record (anything else: the work
 * reads the delivery by id).
 */
export function deliveryJobOf(event: unknown): DeliveryJob | null {
  if (!isPlainObject(event)) return null;
  const { deliveryId, received } = event;
  if (typeof deliveryId !== 'string' || !ROLLOUT_ID_PATTERN.test(deliveryId)) return null;
  return isReceivedDelivery(received, deliveryId) ? { deliveryId, received } : { deliveryId };
}

function isReceivedDelivery(value: unknown, id: string): value is ReceivedDelivery {
  return (
    isPlainObject(value) &&
    value['id'] === id &&
    typeof value['source'] === 'string' &&
    typeof value['receivedAt'] === 'string' &&
    Array.isArray(value['planned']) &&
    Array.isArray(value['ignored'])
  );
}
