/** EventBridge targets: CloudWatch alarm state changes and ECR pushes. */
import type { IngestResult } from '../shared/webhooks/image-push';
import { parseOrThrow } from '../shared/http/validation';
import { alarmStateChangeSchema } from '../shared/webhooks/alarm-event';
import { ecrImageActionSchema, parseEcrImageAction } from '../shared/webhooks/ecr-event';
import { getOrchestrator, logger } from './runtime';

/** Rolls back, at once, every active rollout that watches the alarm. */
export async function alarmStateChange(event: unknown): Promise<{ alarm: string; state: string; rolledBack: string[] }> {
  const { detail } = parseOrThrow(alarmStateChangeSchema, event, 'alarm state change event');
  const rolledBack = await (await getOrchestrator()).alarmChanged(detail.alarmName, detail.state.value, detail.state.reason ?? null);
  logger.info('alarm state change', { alarm: detail.alarmName, state: detail.state.value, rolledBack });
  return { alarm: detail.alarmName, state: detail.state.value, rolledBack };
}

export async function ecrPush(event: unknown): Promise<IngestResult> {
  const parsed = parseEcrImageAction(parseOrThrow(ecrImageActionSchema, event, 'ECR Image Action event'));
  if ('ignored' in parsed) return { accepted: [], ignored: [parsed.ignored] };
  const result = await (await getOrchestrator()).ingest([parsed.push]);
  logger.info('ECR push', { repository: parsed.push.repository, digest: parsed.push.digest, accepted: result.accepted, ignored: result.ignored });
  return result;
}
