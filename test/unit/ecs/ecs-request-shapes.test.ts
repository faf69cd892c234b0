/**
 * The ECS emulator checks RegisterTaskDefinition against the ECS API model's request shape (read from
 * the SDK's schemas), not against the fields the adapter sends: unknown members are refused at any
 * depth, required ones enforced, and every member the model has is kept.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerDefinition$ } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { createEcsEmulator, ECS_TARGET_PREFIX, handleWire } from '../../../local/ecs-emulator';
import { REGISTER_TASK_DEFINITION_REQUEST, structureShape } from '../../../local/ecs-emulator/request-shapes';

const APP = { name: 'app', image: 'registry.local/web:1' };

function register(input: Record<string, unknown>) {
  const answer = handleWire(createEcsEmulator(), {
    method: 'POST',
    path: '/',
    target: `${ECS_TARGET_PREFIX}RegisterTaskDefinition`,
    body: JSON.stringify(input),
  });
  return { status: answer.status, body: JSON.parse(answer.body) as Record<string, any> };
}

describe('RegisterTaskDefinition in the ECS emulator', () => {
  it('takes its members from the SDK model: family and containerDefinitions required', () => {
    expect(REGISTER_TASK_DEFINITION_REQUEST.name).toBe('RegisterTaskDefinitionRequest');
    expect(REGISTER_TASK_DEFINITION_REQUEST.required).toEqual(['family', 'containerDefinitions']);
    expect(REGISTER_TASK_DEFINITION_REQUEST.members).toEqual(expect.arrayContaining(['family', 'containerDefinitions', 'tags', 'taskRoleArn', 'runtimePlatform']));
  });

  it('refuses a member the model does not have, as an invalid parameter', () => {
    // What DescribeTaskDefinition answers but RegisterTaskDefinition does not take.
    const res = register({ family: 'web', containerDefinitions: [APP], revision: 3, status: 'ACTIVE' });
    expect(res.status).toBe(400);
    expect(res.body.__type).toBe('InvalidParameterException');
    expect(res.body.message).toMatch(/^Unknown parameters revision, status in RegisterTaskDefinitionRequest: must be one of family, containerDefinitions, /);
  });

  it('refuses unknown members inside the request too', () => {
    const res = register({ family: 'web', containerDefinitions: [{ ...APP, portMappings: [{ containerPort: 80, colour: 'blue' }] }] });
    expect(res.body.__type).toBe('InvalidParameterException');
    expect(res.body.message).toMatch(/^Unknown parameter containerDefinitions\[0\]\.portMappings\[0\]\.colour in PortMapping/);
  });

  it.each([
    ['family', { containerDefinitions: [APP] }],
    ['containerDefinitions', { family: 'web' }],
  ])('refuses a request without %s', (member, input) => {
    const res = register(input);
    expect(res.body).toMatchObject({ __type: 'InvalidParameterException', message: `${member} must be specified.` });
  });

  it('keeps every member the model has, whether or not the adapter sends it', () => {
    const res = register({
      family: 'web',
      containerDefinitions: [{ ...APP, essential: true, environment: [{ name: 'A', value: '1' }] }],
      pidMode: 'task',
      ipcMode: 'none',
      enableFaultInjection: true,
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      tags: [{ key: 'team', value: 'platform' }],
    });
    expect(res.status).toBe(200);
    expect(res.body.taskDefinition).toMatchObject({ family: 'web', pidMode: 'task', ipcMode: 'none', enableFaultInjection: true, runtimePlatform: { cpuArchitecture: 'ARM64' } });
    expect(res.body.tags).toEqual([{ key: 'team', value: 'platform' }]);
  });
});

/** Debian's python3-botocore carries the ECS model as JSON; optional (the tests do not need it installed). */
const BOTOCORE_ECS = '/usr/lib/python3/dist-packages/botocore/data/ecs';
const botocoreModel = existsSync(BOTOCORE_ECS)
  ? (JSON.parse(readFileSync(join(BOTOCORE_ECS, readdirSync(BOTOCORE_ECS).sort().at(-1)!, 'service-2.json'), 'utf8')) as {
      shapes: Record<string, { members?: Record<string, unknown>; required?: string[] }>;
      operations: Record<string, { errors?: { shape: string }[] }>;
    })
  : null;

describe.skipIf(!botocoreModel)("the SDK's model against botocore's (python3-botocore)", () => {
  // botocore's model may be older than the SDK's: it may lack members added since, never have others.
  it.each([
    ['RegisterTaskDefinitionRequest', REGISTER_TASK_DEFINITION_REQUEST],
    ['ContainerDefinition', structureShape(ContainerDefinition$)],
  ])('%s: every botocore member is in the SDK model, and the same ones are required', (shape, sdk) => {
    const model = botocoreModel!.shapes[shape]!;
    expect(sdk.members).toEqual(expect.arrayContaining(Object.keys(model.members ?? {})));
    expect([...sdk.required].sort()).toEqual([...(model.required ?? [])].sort());
  });

  it('lists InvalidParameterException among the errors RegisterTaskDefinition answers', () => {
    expect(botocoreModel!.operations.RegisterTaskDefinition!.errors!.map((e) => e.shape)).toContain('InvalidParameterException');
  });
});
