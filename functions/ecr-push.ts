/**
 * The intake function (docs/architecture.md, "Webhook intake"): EventBridge sends it ECR pushes, and
 * the API and the watchdog invoke it asynchronously with `{deliveryId, received?}` for the work of a webhook
 * delivery they answered. Both take the same path: the delivery is recorded, then its work is done
 * (verify, then start or queue).
 */
import { parseOrThrow } from '../shared/http/validation';
import type { ProcessedDelivery } from '../shared/ports';
import { ecrImageActionSchema, parseEcrImageAction } from '../shared/webhooks/ecr-event';
import type { IngestResult } from '../shared/webhooks/image-push';
import { deliveryJobOf } from '../shared/adapters/lambda/delivery-job';
import { functionRoot } from './wiring/compose';
import type { InvocationContext } from './wiring/inputs';

const root = functionRoot('ecr-push', ['store', 'ecs', 'verifier', 'workflow', 'tags']);

export async function ecrPush(event: unknown, context?: InvocationContext): Promise<IngestResult | ProcessedDelivery | null> {
  root.begin(context);
  const job = deliveryJobOf(event);
  if (job) {
    const outcome = await (await root.get()).orchestrator.processDelivery(job.deliveryId, job.received);
    root.logger.info('delivery processed', { deliveryId: job.deliveryId, found: outcome !== null, handed: job.received !== undefined });
    return outcome;
  }
  const parsed = parseEcrImageAction(parseOrThrow(ecrImageActionSchema, event, 'ECR Image Action event'));
  if ('ignored' in parsed) return { accepted: [], ignored: [parsed.ignored] };
  const result = await (await root.get()).orchestrator.ingest([parsed.push], 'ecr-event');
  root.logger.info('ECR push', { deliveryId: result.deliveryId, repository: parsed.push.repository, digest: parsed.push.digest, accepted: result.accepted, ignored: result.ignored });
  return result;
}
