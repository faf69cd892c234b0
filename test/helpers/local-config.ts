import { generateKeyPairSync } from 'node:crypto';
import type { AppConfig, ServiceConfig } from '../../shared/config/types';
import type { StepSpec } from '../../shared/core/steps';
import { toPolicies } from '../../shared/config/policy-schema';

export const REGISTRY = '127.0.0.1:5000';

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();

export function serviceConfig(name: string, overrides: Partial<ServiceConfig> & { steps?: readonly StepSpec[] } = {}): ServiceConfig {
  return {
    name,
    cluster: 'demo',
    service: name,
    container: 'app',
    image: `${REGISTRY}/team/${name}`,
    registry: REGISTRY,
    repository: `team/${name}`,
    tags: null,
    verify: { keys: [{ id: 'keys/test.pub', pem: PEM }] },
    steps: [{ setWeight: 20 }, { pause: { duration: 1 } }, { setWeight: 50 }, { pause: {} }, { setWeight: 100 }],
    alarms: [`${name}-5xx`],
    local: { desiredCount: 2, image: null },
    policies: toPolicies({}),
    ...overrides,
  };
}

export function appConfig(services: readonly ServiceConfig[], registry = REGISTRY): AppConfig {
  return {
    file: '/tmp/test.rollout.config.yaml',
    registries: { [registry]: { insecure: true } },
    services: Object.fromEntries(services.map((s) => [s.name, s])),
  };
}

export const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** A distribution notification envelope for one manifest push. */
export function pushEnvelope(repository: string, tag: string | null, digest: string, host = REGISTRY, id = `evt-${Math.random().toString(16).slice(2)}`) {
  return {
    events: [
      {
        id,
        timestamp: new Date().toISOString(),
        action: 'push',
        target: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest,
          size: 512,
          repository,
          url: `http://${host}/v2/${repository}/manifests/${digest}`,
          ...(tag === null ? {} : { tag }),
        },
        request: { id: 'req', addr: '127.0.0.1:1', host, method: 'PUT', useragent: 'skopeo' },
        actor: {},
        source: { addr: 'registry:5000', instanceID: 'x' },
      },
    ],
  };
}
