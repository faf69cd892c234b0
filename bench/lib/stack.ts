/** Local mode for benchmarks: the real startLocalStack, quiet, with helpers to read rollouts. */
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/local-stack';
import { silentLogger } from '../../shared/observability/logger';
import type { Rollout } from '../../shared/core/rollout';
import { API_TOKEN, WEBHOOK_TOKEN } from './fixtures';

export async function localStack(options: Omit<LocalStackOptions, 'port' | 'logger' | 'webhookToken' | 'apiToken'>): Promise<LocalStack> {
  return startLocalStack({ port: 0, logger: silentLogger, webhookToken: WEBHOOK_TOKEN, apiToken: API_TOKEN, ...options });
}

/** Every rollout of a service, through the store's paged listing. */
export async function allRollouts(stack: LocalStack, service: string): Promise<Rollout[]> {
  const out: Rollout[] = [];
  let cursor: string | undefined;
  do {
    const page = await stack.orchestrator.list({ service, limit: 100, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}
