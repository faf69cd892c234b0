/**
 * Local mode seeds every configured service into the ECS stand-in at start: 500 services in one
 * cluster (it once walked the whole cluster per service, took 12 s, and the start failed; the start's
 * time is measured by bench/benchmarks/scale.ts).
 */
import { DescribeServicesCommand, DescribeTaskSetsCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEcsEmulator, type RunningEcsEmulator } from '../../../local/ecs-emulator';

const running: RunningEcsEmulator[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const inputs = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => ({ cluster: 'big', service: `svc-${offset + i}`, desiredCount: 2, containerName: 'app', image: `registry/app:${offset + i}` }));

describe('seeding the ECS stand-in', () => {
  it('seeds 500 services in one cluster, each steady and PRIMARY as ECS describes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ecs-seed-'));
    dirs.push(dir);
    const ecs = await startEcsEmulator({ taskStartMs: 10, stateFile: join(dir, 'ecs.json') });
    running.push(ecs);
    // How long it takes is a benchmark's business (bench/benchmarks/scale.ts, local start with 500
    // services); here: the second half, seeded into a cluster that holds 250 already, is seeded right.
    ecs.emulator.seedServices(inputs(250, 0));
    ecs.emulator.seedServices(inputs(250, 250));

    const client = new ECSClient({ endpoint: ecs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const { services } = await client.send(new DescribeServicesCommand({ cluster: 'big', services: ['svc-0', 'svc-499'] }));
      expect(services?.map((s) => [s.serviceName, s.desiredCount, s.deploymentController?.type])).toEqual([
        ['svc-0', 2, 'EXTERNAL'],
        ['svc-499', 2, 'EXTERNAL'],
      ]);
      const { taskSets } = await client.send(new DescribeTaskSetsCommand({ cluster: 'big', service: 'svc-499' }));
      expect(taskSets?.map((t) => [t.status, t.scale?.value, t.stabilityStatus, t.runningCount])).toEqual([['PRIMARY', 100, 'STEADY_STATE', 2]]);
    } finally {
      client.destroy();
    }
    // Seeding again leaves every service as it is; the state file holds all 500.
    ecs.emulator.seedServices(inputs(2));
    expect(ecs.emulator.taskDefinitions('svc-0')).toHaveLength(1);
    const { createEcsEmulator } = await import('../../../local/ecs-emulator');
    const restored = createEcsEmulator({ stateFile: join(dir, 'ecs.json') });
    expect(restored.describe('big', 'svc-499')?.taskSets.map((t) => t.status)).toEqual(['PRIMARY']);
  });
});
