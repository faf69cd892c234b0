import { describe, expect, it } from 'vitest';
import { RegistryAuth } from '../../../shared/adapters/oci-registry/registry-auth';
import { Secret } from '../../../shared/config/secret';
import { RegistryError, SecretUnavailableError } from '../../../shared/errors';
import type { SecretSource } from '../../../shared/ports';

const unreadable: SecretSource = { problem: () => null, read: (variable) => Promise.reject(new SecretUnavailableError(variable, 'secret prod/GHCR_TOKEN: it does not exist')) };
const noFetch = (() => Promise.reject(new Error('no request expected'))) as unknown as typeof fetch;

describe('RegistryAuth and the registry password', () => {
  it('reads the password when the registry asks for Basic credentials, and sends it from then on', async () => {
    let reads = 0;
    const source: SecretSource = { problem: () => null, read: () => (reads++, Promise.resolve('pw')) };
    const auth = new RegistryAuth({ config: { insecure: false, username: 'ci', password: new Secret('GHCR_TOKEN', source) }, fetch: noFetch });
    expect(auth.headerFor('repository:team/web:pull')).toBeUndefined();
    const header = await auth.answer('Basic realm="registry"', 'repository:team/web:pull', AbortSignal.timeout(1000));
    expect(header).toBe(`Basic ${Buffer.from('ci:pw').toString('base64')}`);
    expect(auth.headerFor('repository:team/web:pull')).toBe(header);
    expect(reads).toBe(1);
  });

  it('fails as a registry that cannot be reached, not as a verdict, when the password cannot be read', async () => {
    const auth = new RegistryAuth({ config: { insecure: false, username: 'ci', password: new Secret('GHCR_TOKEN', unreadable) }, fetch: noFetch });
    const failure = auth.answer('Basic realm="registry"', 'repository:team/web:pull', AbortSignal.timeout(1000));
    await expect(failure).rejects.toBeInstanceOf(RegistryError);
    await expect(failure).rejects.toThrow("the registry's password cannot be read: secret prod/GHCR_TOKEN: it does not exist");
  });
});
