/**
 * `TrafficRouter` when traffic follows task counts (no `traffic` section): both task sets share the
 * service's one target group, so the scales ECS runs carry the weight and there is nothing to route.
 * The canary's share is its part of the running tasks.
 */
import { taskCountShare } from '../../core/traffic-split';
import type { TaskSetView, TrafficRouter } from '../../ports';

export class TaskCountTraffic implements TrafficRouter {
  readonly mode = 'taskCount' as const;

  async route(): Promise<void> {}

  async share(input: { readonly stable: TaskSetView | null; readonly canary: TaskSetView | null }): Promise<number> {
    return taskCountShare(input.canary?.runningCount ?? 0, input.stable?.runningCount ?? 0);
  }
}
