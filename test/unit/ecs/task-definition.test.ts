import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { digestOf, reRegistration, targetContainer } from '../../../shared/adapters/ecs';
import { EcsError } from '../../../shared/errors';

const DIGEST = `sha256:${'c'.repeat(64)}`;

/** What DescribeTaskDefinition returns for a Fargate service with a sidecar: settings plus read-only fields. */
const described: TaskDefinition = {
  taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7',
  family: 'api',
  revision: 7,
  status: 'ACTIVE',
  containerDefinitions: [
    { name: 'app', image: 'registry/api:1', cpu: 0, portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }], essential: true, environment: [], mountPoints: [], volumesFrom: [] },
    { name: 'envoy', image: 'envoy:1', essential: true },
  ],
  taskRoleArn: 'arn:aws:iam::123456789012:role/task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
  networkMode: 'awsvpc',
  volumes: [{ name: 'data', efsVolumeConfiguration: { fileSystemId: 'fs-1' } }],
  requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.task-iam-role' }],
  placementConstraints: [],
  compatibilities: ['EC2', 'FARGATE'],
  runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  pidMode: 'task',
  ipcMode: 'none',
  proxyConfiguration: { type: 'APPMESH', containerName: 'envoy', properties: [] },
  inferenceAccelerators: [],
  ephemeralStorage: { sizeInGiB: 40 },
  enableFaultInjection: false,
  registeredAt: new Date('2026-01-01T00:00:00Z'),
  registeredBy: 'arn:aws:iam::123456789012:role/deployer',
  deregisteredAt: undefined,
};

describe('re-registering a task definition for a canary', () => {
  it('copies every registrable setting, drops read-only fields and replaces one image', () => {
    const input = reRegistration(described, [{ key: 'team', value: 'api' }], 'app', `registry/api@${DIGEST}`);
    const {
      taskDefinitionArn: _arn,
      revision: _revision,
      status: _status,
      requiresAttributes: _requires,
      compatibilities: _compat,
      registeredAt: _at,
      registeredBy: _by,
      deregisteredAt: _deregistered,
      containerDefinitions,
      ...settings
    } = described;
    expect(input).toEqual({
      ...settings,
      containerDefinitions: [{ ...containerDefinitions![0], image: `registry/api@${DIGEST}` }, containerDefinitions![1]],
      tags: [{ key: 'team', value: 'api' }],
    });
  });

  it('leaves out tags that only AWS may set', () => {
    const input = reRegistration(described, [{ key: 'aws:cloudformation:stack-name', value: 's' }], 'app', 'x');
    expect(input.tags).toBeUndefined();
  });

  it('does not change the described task definition', () => {
    const before = structuredClone(described);
    reRegistration(described, [], 'app', 'x');
    expect(described).toEqual(before);
  });
});

describe('choosing the target container', () => {
  it('takes the named container, or the only one', () => {
    expect(targetContainer({ cluster: 'c', service: 's', container: 'envoy' }, described).image).toBe('envoy:1');
    const single = { ...described, containerDefinitions: [{ name: 'app', image: 'a' }] };
    expect(targetContainer({ cluster: 'c', service: 's' }, single).name).toBe('app');
  });

  it('fails with the container names when it cannot choose', () => {
    expect(() => targetContainer({ cluster: 'c', service: 's' }, described)).toThrow(EcsError);
    expect(() => targetContainer({ cluster: 'c', service: 's' }, described)).toThrow(/api:7 has 2 containers \(app, envoy\)/);
    expect(() => targetContainer({ cluster: 'c', service: 's', container: 'db' }, described)).toThrow(
      /no container named db \(containers: app, envoy\)/,
    );
  });
});

describe('reading the digest of an image reference', () => {
  it.each([
    [`registry.local:5000/team/web@${DIGEST}`, DIGEST],
    [`registry.local/team/web:v1@${DIGEST}`, DIGEST],
    ['registry.local/team/web:v1', null],
    [`registry.local/team/web@sha256:${'c'.repeat(63)}`, null],
    [`registry.local/team/web@sha256:${'C'.repeat(64)}`, null],
  ])('%s → %s', (image, digest) => {
    expect(digestOf(image)).toBe(digest);
  });
});
