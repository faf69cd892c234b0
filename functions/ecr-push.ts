/** EventBridge target for ECR pushes: the same intake as the registry webhooks (verify, then start or queue). */
import { parseOrThrow } from '../shared/http/validation';
import { ecrImageActionSchema, parseEcrImageAction } from '../shared/webhooks/ecr-event';
import type { IngestResult } from '../shared/webhooks/image-push';
import { functionRoot } from './wiring/compose';
import type { InvocationContext } from './wiring/inputs';

const root = functionRoot('ecr-push', ['store', 'ecs', 'verifier', 'workflow']);

export async function ecrPush(event: unknown, context?: InvocationContext): Promise<IngestResult> {
  root.begin(context);
  const parsed = parseEcrImageAction(parseOrThrow(ecrImageActionSchema, event, 'ECR Image Action event'));
  if ('ignored' in parsed) return { accepted: [], ignored: [parsed.ignored] };
  const result = await (await root.get()).orchestrator.ingest([parsed.push]);
  root.logger.info('ECR push', { repository: parsed.push.repository, digest: parsed.push.digest, accepted: result.accepted, ignored: result.ignored });
  return result;
}
