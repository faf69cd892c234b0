import { describe, expect, it } from 'vitest';
import { servicesForRepository } from '../../../shared/webhooks/image-push';
import { appConfig, serviceConfig } from '../../helpers/local-config';

describe('the services a push is for', () => {
  const config = appConfig([
    serviceConfig('web', { registry: 'Registry.Example:5000', repository: 'team/web' }),
    serviceConfig('hub', { registry: 'docker.io', repository: 'library/nginx' }),
    serviceConfig('web-canary', { registry: 'registry.example:5000', repository: 'team/web' }),
    serviceConfig('api', { registry: 'registry.example:5000', repository: 'team/api' }),
  ]);

  it('are every service deploying that repository of that registry, in the config order, whatever the case of the host', () => {
    expect(servicesForRepository(config, 'registry.example:5000', 'team/web').map((s) => s.name)).toEqual(['web', 'web-canary']);
    expect(servicesForRepository(config, 'REGISTRY.EXAMPLE:5000', 'team/api').map((s) => s.name)).toEqual(['api']);
  });

  it("take Docker Hub's host names as one, and no other registry or repository", () => {
    for (const host of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'Index.Docker.IO']) expect(servicesForRepository(config, host, 'library/nginx').map((s) => s.name), host).toEqual(['hub']);
    expect(servicesForRepository(config, 'ghcr.io', 'library/nginx')).toEqual([]);
    expect(servicesForRepository(config, 'registry.example:5000', 'team/Web')).toEqual([]);
    expect(servicesForRepository(config, 'registry.example', 'team/web')).toEqual([]);
  });

  it('answer a list of their own: changing it changes nothing for the next push', () => {
    servicesForRepository(config, 'registry.example:5000', 'team/web').pop();
    expect(servicesForRepository(config, 'registry.example:5000', 'team/web')).toHaveLength(2);
  });
});
