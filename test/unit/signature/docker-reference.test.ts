import { describe, expect, it } from 'vitest';
import { canonicalName, normalizeRepository, parseDockerReference } from '../../../shared/signature/docker-reference';

function nameOf(reference: string): string | null {
  const parsed = parseDockerReference(reference);
  return parsed && canonicalName(parsed);
}

describe('docker references as signature payloads name them', () => {
  it.each([
    ['192.168.64.2:5000/cosign-signed/key-1', '192.168.64.2:5000/cosign-signed/key-1'],
    ['192.168.64.2:5000/skopeo-signed:tag', '192.168.64.2:5000/skopeo-signed'],
    [`127.0.0.1:5000/team/web@sha256:${'a'.repeat(64)}`, '127.0.0.1:5000/team/web'],
    [`127.0.0.1:5000/team/web:v1@sha256:${'a'.repeat(64)}`, '127.0.0.1:5000/team/web'],
    ['localhost:5000/test', 'localhost:5000/test'],
    ['localhost/test', 'localhost/test'],
    ['Registry.Example.COM/team/web', 'registry.example.com/team/web'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx'],
    ['registry-1.docker.io/library/nginx:1.27', 'docker.io/library/nginx'],
    ['docker.io/nginx', 'docker.io/library/nginx'],
    ['nginx', 'docker.io/library/nginx'],
    ['nginx:latest', 'docker.io/library/nginx'],
    ['user/app', 'docker.io/user/app'],
  ])('reads %s as %s', (reference, expected) => {
    expect(nameOf(reference)).toBe(expected);
  });

  it.each([
    [''],
    ['127.0.0.1:5000/Team/web'],
    ['127.0.0.1:5000/team/../web'],
    ['127.0.0.1:5000//web'],
    ['127.0.0.1:5000/team/web:bad tag'],
    ['127.0.0.1:5000/team/web@sha256'],
    ['https://127.0.0.1:5000/team/web'],
  ])('refuses %j', (reference) => {
    expect(parseDockerReference(reference)).toBeNull();
  });

  it('treats a configured Docker Hub single-name repository as library/', () => {
    expect(canonicalName(normalizeRepository('index.docker.io', 'nginx'))).toBe('docker.io/library/nginx');
    expect(canonicalName(normalizeRepository('127.0.0.1:5000', 'nginx'))).toBe('127.0.0.1:5000/nginx');
  });

  it('keeps the pinned digest so the verifier can compare it', () => {
    expect(parseDockerReference(`nginx@sha256:${'b'.repeat(64)}`)?.digest).toBe(`sha256:${'b'.repeat(64)}`);
    expect(parseDockerReference('nginx:1')?.digest).toBeNull();
  });
});
