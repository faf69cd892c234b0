import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { Orchestrator } from '../../../shared/orchestration/orchestrator';
import { createApp } from '../../../shared/http/app';
import { MetricsRegistry } from '../../../shared/observability/metrics-registry';
import { appConfig, serviceConfig } from '../../helpers/local-config';
import { rolloutStates } from '../observability/rollout-states';

const TOKEN = 'api-token-for-unit-tests';
const app = (extra: Parameters<typeof createApp>[0] extends infer D ? Partial<D> : never = {}) =>
  createApp({ orchestrator: { config: appConfig([serviceConfig('web')]) } as unknown as Orchestrator, webhookToken: 'hook', apiToken: TOKEN, ...extra });
const bearer = { authorization: `Bearer ${TOKEN}` };

describe('the operator routes', () => {
  it('serve the dashboard shell without a token, and nothing in it is data', async () => {
    const res = await app().request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await res.text()).toContain('id="signin-form"');
  });

  it('serve a script that parses and never writes API data as HTML', async () => {
    const js = await (await app().request('/dashboard/app.js')).text();
    expect(() => new Script(js)).not.toThrow();
    expect(js).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    // The token goes in the Authorization header, never in a URL.
    expect(js).toContain('authorization: `Bearer ${token()}`');
    // One strict IIFE bundled from the TypeScript sources: nothing leaks into the page's global scope.
    expect(js).toMatch(/^"use strict";\n\(\(\) => \{/);
    expect(js).not.toMatch(/^\s*(import|export)\s/m);
    expect(js).not.toMatch(/[?&]token=/);
  });

  it('ask for the API token on /events and /metrics, and say when they are off', async () => {
    for (const path of ['/events', '/metrics']) expect((await app().request(path)).status).toBe(401);
    const events = await app().request('/events', { headers: bearer });
    expect(events.status).toBe(404);
    expect(((await events.json()) as { detail: string }).detail).toMatch(/local mode only/);
    expect((await app().request('/metrics', { headers: bearer })).status).toBe(404);
  });

  it('serve the metrics snapshot with every metric, counted or not', async () => {
    const metrics = new MetricsRegistry(new Date('2026-01-01T00:00:00Z'));
    const s = rolloutStates();
    await metrics.listener(s.started, s.pending);
    const res = await app({ metrics }).request('/metrics', { headers: bearer });
    expect(await res.json()).toEqual({
      namespace: 'RolloutOrchestrator',
      since: '2026-01-01T00:00:00.000Z',
      metrics: {
        RolloutsStarted: { unit: 'Count', total: 1, byService: { web: 1 } },
        RolloutsSucceeded: { unit: 'Count', total: 0, byService: {} },
        RolloutsRolledBack: { unit: 'Count', total: 0, byService: {} },
        RolloutsRejected: { unit: 'Count', total: 0, byService: {} },
        RolloutsFailed: { unit: 'Count', total: 0, byService: {} },
        TimeToRollback: { unit: 'Milliseconds', total: 0, byService: {}, summary: { count: 0, sum: 0, min: null, max: null, last: null, avg: null } },
      },
    });
  });

  it('refuse approval links when no link secret is configured, without echoing the token', async () => {
    const res = await app().request('/approvals/abc.def', { method: 'POST' });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { detail: string; instance: string };
    expect(body.detail).toMatch(/ROLLOUT_LINK_SECRET/);
    expect(body.instance).toBe('/approvals/{token}');
  });
});
