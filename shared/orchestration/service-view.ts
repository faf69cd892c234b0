/** A configured service as operators see it: the digest ECS runs now and the rollout holding its lock. */
import type { OrchestrationContext } from './context';
import { errorMessage, target } from './context';

export async function describeService(ctx: OrchestrationContext, name: string) {
  const service = ctx.service(name);
  const [view, activeRollout] = await Promise.all([
    ctx.deps.ecs.describe(target(service)).then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, error: errorMessage(e) }),
    ),
    ctx.deps.store.lockHolder(name),
  ]);
  return {
    name,
    cluster: service.cluster,
    service: service.service,
    image: service.image,
    stable: view.ok ? (view.v.primary?.digest ?? null) : null,
    stableImage: view.ok ? (view.v.primary?.image ?? null) : null,
    activeRollout,
    steps: service.steps,
    alarms: service.alarms,
    ...(view.ok ? {} : { ecsError: view.error }),
  };
}
