/**
 * The event the intake function (functions/ecr-push.ts) receives for a delivery's work, as
 * `LambdaDeliveryQueue` sends it; apart from it, so that reading one loads no Lambda client.
 */
import type { ReceivedDelivery } from '../../ports';

export interface DeliveryJob {
  readonly deliveryId: string;
  /** The delivery as received, when handed on (the work then does not read it). */
  readonly received?: ReceivedDelivery;
}

/**
 * The delivery job in an event, or null when the event is none; its `received` only when shaped like
 * this delivery's record (anything else: the work reads the delivery by id).
 */
export function deliveryJobOf(event: unknown, idPattern: RegExp): DeliveryJob | null {
  if (typeof event !== 'object' || event === null || !('deliveryId' in event)) return null;
  const { deliveryId, received } = event as { deliveryId: unknown; received?: unknown };
  if (typeof deliveryId !== 'string' || !idPattern.test(deliveryId)) return null;
  return isReceivedDelivery(received, deliveryId) ? { deliveryId, received } : { deliveryId };
}

function isReceivedDelivery(value: unknown, id: string): value is ReceivedDelivery {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const d = value as Record<string, unknown>;
  return d['id'] === id && typeof d['source'] === 'string' && typeof d['receivedAt'] === 'string' && Array.isArray(d['planned']) && Array.isArray(d['ignored']);
}
