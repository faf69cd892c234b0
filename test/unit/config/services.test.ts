import { describe, expect, it } from 'vitest';
import { configWith, load, problems, PUBLIC_PEM, validService } from './config-fixtures';

const DIGEST = `sha256:${'0'.repeat(64)}`;

describe('a service', () => {
  it('loads with its defaults and the image split into registry and repository', async () => {
    const config = await load(configWith());
    expect(config.services.web).toMatchObject({
      name: 'web',
      cluster: 'demo',
      service: 'web',
      image: '127.0.0.1:5000/team/web',
      registry: '127.0.0.1:5000',
      repository: 'team/web',
      tags: null,
      alarms: [],
      local: { desiredCount: 4, image: null },
    });
    expect(config.services.web).not.toHaveProperty('container');
  });

  it('treats optional fields left empty in YAML as absent', async () => {
    const web = (await load(configWith({ container: null, tags: null, alarms: null, local: null }))).services.web;
    expect(web).toMatchObject({ tags: null, alarms: [], local: { desiredCount: 4, image: null } });
    expect(web).not.toHaveProperty('container');
  });

  it('accepts ECS ARNs for the cluster and the service', async () => {
    const cluster = 'arn:aws:ecs:eu-west-1:123456789012:cluster/demo';
    const service = 'arn:aws:ecs:eu-west-1:123456789012:service/demo/web';
    expect((await load(configWith({ cluster, service }))).services.web).toMatchObject({ cluster, service });
  });

  it.each(['web', 'api-2', 'a', 'my_service', '0day', 'x'.repeat(63)])('accepts the name %s', async (name) => {
    const config = await load({ services: { [name]: validService() }, registries: { '127.0.0.1:5000': {} } });
    expect(config.services[name]?.name).toBe(name);
  });

  it.each([
    ['Web', 'services.Web: service name must be lower-case letters'],
    ['-web', 'services["-web"]: service name must be lower-case letters'],
    ['my.web', 'services["my.web"]: service name must be lower-case letters'],
    ['x'.repeat(64), `services.${'x'.repeat(64)}: service name must be at most 63 characters`],
  ])('refuses the name %s', async (name, problem) => {
    const found = await problems({ services: { [name]: validService() }, registries: { '127.0.0.1:5000': {} } });
    expect(found).toHaveLength(1);
    expect(found[0]?.startsWith(problem), found[0]).toBe(true);
  });

  it.each([
    [{ cluster: undefined }, 'services.web.cluster: is required'],
    [{ cluster: '' }, 'services.web.cluster: must not be empty'],
    [{ cluster: 42 }, 'services.web.cluster: must be a string, not a number'],
    [{ cluster: 'demo cluster' }, "services.web.cluster: must be an ECS cluster name (up to 255 letters, digits, '-' and '_') or its ARN"],
    [{ service: 'arn:aws:ecs:eu-west-1:123456789012:cluster/demo' }, 'services.web.service: must be an ECS service name'],
    [{ container: 'app/main' }, "services.web.container: must be a container name (up to 255 letters, digits, '-' and '_')"],
    [{ image: undefined }, 'services.web.image: is required'],
    [{ image: '127.0.0.1:5000/team/web:latest' }, "services.web.image: must not include a tag (':latest'): images are chosen by pushes, not by config; write '127.0.0.1:5000/team/web'"],
    [{ image: `127.0.0.1:5000/team/web@${DIGEST}` }, `services.web.image: must not include a digest ('@${DIGEST}'): images are chosen by pushes, not by config`],
    [{ image: 'team/web' }, 'services.web.image: must start with a registry host'],
    [{ tags: '^v[0-9' }, 'services.web.tags: is not a valid regular expression: Unterminated character class'],
    [{ tags: '' }, 'services.web.tags: must not be empty: omit tags to deploy every tag'],
    [{ verify: undefined }, 'services.web.verify: is required'],
    [{ verify: { keys: [PUBLIC_PEM], keyles: [] } }, "services.web.verify: unknown key 'keyles' (did you mean 'keyless'?)"],
    [{ alarms: 'web-5xx' }, 'services.web.alarms: must be a list, not a string'],
    [{ alarms: [''] }, 'services.web.alarms[0]: must not be empty'],
    [{ alarms: ['a'.repeat(256)] }, 'services.web.alarms[0]: must be at most 255 characters long'],
    [{ alarms: ['a', 'b', 'a'] }, "services.web.alarms[2]: repeats alarm 'a'"],
    [{ alarms: ['bad\u0007name'] }, 'services.web.alarms[0]: must not contain control characters'],
    [{ local: { desiredCount: 0 } }, 'services.web.local.desiredCount: must be between 1 and 100'],
    [{ local: { desiredCount: 101 } }, 'services.web.local.desiredCount: must be between 1 and 100'],
    [{ local: { image: '127.0.0.1:5000/team/web' } }, 'services.web.local.image: must name a tag or a digest'],
    [{ local: { desiredcount: 3 } }, "services.web.local: unknown key 'desiredcount' (did you mean 'desiredCount'?)"],
    [{ stepz: [] }, "services.web: unknown key 'stepz' (did you mean 'steps'?)"],
  ])('refuses %j', async (patch, problem) => {
    const found = await problems(configWith(patch));
    expect(found).toHaveLength(1);
    expect(found[0]?.startsWith(problem), found[0]).toBe(true);
  });

  it('compiles tags into a RegExp', async () => {
    const tags = (await load(configWith({ tags: '^v[0-9]+' }))).services.web?.tags;
    expect(tags).toBeInstanceOf(RegExp);
    expect(tags?.test('v12')).toBe(true);
    expect(tags?.test('latest')).toBe(false);
  });

  it('reads alarms and the local section', async () => {
    const local = { desiredCount: 10, image: `127.0.0.1:5000/team/web:v0@${DIGEST}` };
    const web = (await load(configWith({ alarms: ['web-5xx', 'web-p99-latency'], container: 'app', local }))).services.web;
    expect(web).toMatchObject({ alarms: ['web-5xx', 'web-p99-latency'], container: 'app', local });
  });
});

describe('the services section', () => {
  it.each([
    [{ registries: {} }, 'services: is required'],
    [{ services: {} }, 'services: must configure at least one service'],
    [{ services: [] }, 'services: must be a mapping, not a list'],
    [{ services: { web: validService() }, servics: {} }, "unknown key 'servics' (did you mean 'services'?)"],
  ])('refuses %j', async (doc, problem) => {
    expect(await problems({ registries: { '127.0.0.1:5000': {} }, ...doc })).toContain(problem);
  });

  it('refuses a file that is not a mapping', async () => {
    expect(await problems('- web\n- worker\n')).toEqual(['the file must be a mapping with registries and services']);
  });

  it('refuses two services that deploy to the same ECS service', async () => {
    const doc = { registries: { '127.0.0.1:5000': {} }, services: { web: validService(), web2: validService() } };
    expect(await problems(doc)).toEqual([
      'services.web2.service: ECS service demo/web is already deployed by services.web: one config entry per ECS service',
    ]);
  });

  it('lets several services follow the same image', async () => {
    const doc = {
      registries: { '127.0.0.1:5000': {} },
      services: { web: validService(), worker: { ...validService(), service: 'worker' } },
    };
    expect(Object.keys((await load(doc)).services)).toEqual(['web', 'worker']);
  });
});
