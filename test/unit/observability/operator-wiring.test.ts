import { describe, expect, it } from 'vitest';
import type { RolloutListener } from '../../../shared/orchestration/orchestrator';
import { jsonLogger } from '../../../shared/observability/logger';
import { wireOperatorFeatures } from '../../../shared/observability/operator-wiring';
import { appConfig, serviceConfig } from '../../helpers/local-config';
import { MemoryClaims } from '../notifications/memory-claims';
import { rolloutStates } from './rollout-states';
import { Secret } from '../../../shared/config/secret';

function wire(mode: 'local' | 'lambda', env: Record<string, string>, more: { handlesApprovalLinks?: boolean } = {}) {
  const listeners: RolloutListener[] = [];
  const logs: string[] = [];
  const metrics: string[] = [];
  const notify = [{ kind: 'webhook' as const, name: 'ops', url: 'https://hooks.example.com/x', secretEnv: 'S', secret: new Secret('hmac-secret-0123456789'), on: ['FAILED' as const], linkTtlSeconds: 3600 }];
  const features = wireOperatorFeatures({
    mode,
    orchestrator: { subscribe: (l) => (listeners.push(l), () => undefined) },
    store: new MemoryClaims(),
    config: appConfig([serviceConfig('web', { notify })]),
    logger: jsonLogger((l) => logs.push(l), 'info'),
    env,
    writeMetrics: (line) => metrics.push(line),
    ...more,
  });
  return { features, listeners, logs, metrics };
}

describe('operator wiring', () => {
  it('in Lambda: logs rollout events, writes EMF lines, and needs ROLLOUT_LINK_SECRET and ROLLOUT_PUBLIC_URL for links', async () => {
    const { features, listeners, logs, metrics } = wire('lambda', {});
    // The store's claims are handed on: they make a Slack click act once.
    expect(features.appDeps).toEqual({ approvalLinks: null, interactionClaims: expect.objectContaining({ claimDelivery: expect.any(Function) }) });
    expect(features.live).toBeNull();
    expect(JSON.parse(logs[0]!)).toMatchObject({ level: 'warn', message: 'approval requests will carry no approve/abort links', missing: 'ROLLOUT_LINK_SECRET' });
    expect(listeners).toHaveLength(3);
    const s = rolloutStates();
    for (const listener of listeners.slice(0, 2)) await listener(s.started, s.pending);
    expect(metrics.map((m) => JSON.parse(m))).toMatchObject([{ Service: 'web', RolloutsStarted: 1 }]);
    expect(logs.slice(1).map((l) => JSON.parse(l).event)).toEqual(['SIGNATURE_VERIFIED', 'STARTED']);

    const withSecret = wire('lambda', { ROLLOUT_LINK_SECRET: 'a-long-enough-link-secret' });
    expect(withSecret.features.appDeps.approvalLinks).not.toBeNull();
    expect(JSON.parse(withSecret.logs[0]!)).toMatchObject({ missing: 'ROLLOUT_PUBLIC_URL' });
    expect(wire('lambda', { ROLLOUT_LINK_SECRET: 'a-long-enough-link-secret', ROLLOUT_PUBLIC_URL: 'https://r.example' }).logs).toEqual([]);
    expect(() => wire('lambda', { ROLLOUT_LINK_SECRET: 'short' })).toThrow(/at least 16/);
  });

  it('in a Lambda function that neither signs nor redeems approval links: no link secret, and none missing', () => {
    const { features, logs } = wire('lambda', { ROLLOUT_PUBLIC_URL: 'https://r.example' }, { handlesApprovalLinks: false });
    expect(features.appDeps.approvalLinks).toBeNull();
    expect(logs).toEqual([]);
  });

  it('in local mode: counts in memory, streams live updates and generates a link secret', () => {
    const { features, metrics } = wire('local', {});
    expect(features.appDeps.approvalLinks).not.toBeNull();
    expect(features.metrics).not.toBeNull();
    expect(features.live).not.toBeNull();
    expect(metrics).toEqual([]);
  });
});
