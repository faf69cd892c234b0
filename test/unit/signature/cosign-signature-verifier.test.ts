import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { MediaType, type FetchedManifest, type OciRegistryReader } from '../../../shared/adapters/oci-registry/types';
import { RegistryError } from '../../../shared/errors';
import { CosignSignatureVerifier } from '../../../shared/signature/cosign-signature-verifier';
import { fixtureDigest, fixtureSignature, fixtureText } from './sigstore-fixtures';

const REGISTRY = '192.168.64.2:5000';
const REPOSITORY = 'cosign-signed-single-sample';
const DIGEST = fixtureDigest('dir-img-cosign-valid/manifest.json');
const SIG_TAG = `${DIGEST.replace(':', '-')}.sig`;
const keys = [{ id: 'keys/cosign.pub', pem: fixtureText('cosign.pub') }];
const now = new Date('2026-01-02T03:04:05.000Z');

const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface Layer {
  readonly payload: Buffer;
  readonly signature?: string;
  readonly mediaType?: string;
  readonly size?: number;
}

/** An in-memory registry holding one `.sig` manifest built from `layers`. */
function fakeRegistry(layers: readonly Layer[] | null, mediaType: string = MediaType.OciManifest) {
  const blobs = new Map(layers?.map((l) => [sha256(l.payload), l.payload]));
  const json = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: MediaType.OciConfig, size: 2, digest: sha256(Buffer.from('{}')) },
    layers: (layers ?? []).map((l) => ({
      mediaType: l.mediaType ?? 'application/vnd.dev.cosign.simplesigning.v1+json',
      size: l.size ?? l.payload.length,
      digest: sha256(l.payload),
      ...(l.signature === undefined ? {} : { annotations: { 'dev.cosignproject.cosign/signature': l.signature } }),
    })),
  };
  const body = Buffer.from(JSON.stringify(json));
  const reader: OciRegistryReader = {
    getManifest: vi.fn(async (repository: string, reference: string): Promise<FetchedManifest | null> =>
      layers && repository === REPOSITORY && reference === SIG_TAG ? { digest: sha256(body), mediaType, body, json } : null,
    ),
    getBlob: vi.fn(async (_repository: string, digest: string) => blobs.get(digest) ?? null),
  };
  return { reader, manifestDigest: sha256(body), blobs };
}

function verifier(reader: OciRegistryReader, maxSignatures?: number): CosignSignatureVerifier {
  return new CosignSignatureVerifier({ registries: { [REGISTRY]: { insecure: true } }, clientFor: () => reader, maxSignatures });
}

const request = { registry: REGISTRY, repository: REPOSITORY, digest: DIGEST, keys };
const valid = fixtureSignature('dir-img-cosign-valid/signature-1');
const unknown = fixtureSignature('unknown-cosign-key.signature');

describe('CosignSignatureVerifier', () => {
  it('verifies a cosign signature stored under sha256-<hex>.sig and says what verified it', async () => {
    const { reader, manifestDigest } = fakeRegistry([valid]);
    const result = await verifier(reader).verify(request, now);
    expect(result).toEqual({
      outcome: 'verified',
      signature: {
        type: 'cosign-key',
        key: 'keys/cosign.pub',
        keyFingerprint: expect.stringMatching(/^[a-f0-9]{64}$/),
        signatureManifest: manifestDigest,
        dockerReference: '192.168.64.2:5000/cosign-signed-single-sample',
        verifiedAt: '2026-01-02T03:04:05.000Z',
        format: 'simple-signing',
        rekorLogIndex: null,
        rekorIntegratedTime: null,
      },
    });
    expect(reader.getManifest).toHaveBeenCalledWith(REPOSITORY, SIG_TAG, [MediaType.OciManifest, MediaType.DockerManifest]);
  });

  it('answers missing when the image has no signature manifest', async () => {
    const { reader } = fakeRegistry(null);
    expect(await verifier(reader).verify(request, now)).toEqual({
      outcome: 'missing',
      detail: `no signature at ${REGISTRY}/${REPOSITORY}:${SIG_TAG}, and no sigstore bundle refers to ${DIGEST}`,
    });
  });

  it('accepts when any one signature verifies, after others that do not', async () => {
    const { reader } = fakeRegistry([unknown, { payload: Buffer.from('{}'), mediaType: 'application/json' }, valid]);
    expect(await verifier(reader).verify(request, now)).toMatchObject({ outcome: 'verified' });
  });

  it('rejects with one reason per signature when none verifies', async () => {
    const noAnnotation = { payload: Buffer.from('no signature here') };
    const { reader } = fakeRegistry([unknown, noAnnotation]);
    expect(await verifier(reader).verify(request, now)).toEqual({
      outcome: 'rejected',
      reason:
        'no signature verifies: signature 1: not signed by any configured key (tried keys/cosign.pub); ' +
        'signature 2: no dev.cosignproject.cosign/signature annotation',
    });
  });

  it('does not fetch a payload that claims to be over 1 MiB', async () => {
    const { reader } = fakeRegistry([{ ...valid, size: 2 * 1024 * 1024 }]);
    expect(await verifier(reader).verify(request, now)).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('more than 1048576') });
    expect(reader.getBlob).not.toHaveBeenCalled();
  });

  it('rejects a signature whose payload blob is gone', async () => {
    const { reader, blobs } = fakeRegistry([valid]);
    blobs.clear();
    expect(await verifier(reader).verify(request, now)).toMatchObject({ reason: expect.stringMatching(/signature 1: payload blob sha256:\w+ is missing$/) });
  });

  it('rejects a signature manifest that is not an image manifest, or has no simple-signing layer', async () => {
    const index = fakeRegistry([valid], MediaType.OciIndex).reader;
    expect(await verifier(index).verify(request, now)).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('not an image manifest') });
    const empty = fakeRegistry([]).reader;
    expect(await verifier(empty).verify(request, now)).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('has no application/vnd.dev.cosign.simplesigning.v1+json layer') });
  });

  it('checks at most maxSignatures signatures', async () => {
    const { reader } = fakeRegistry([unknown, unknown, valid]);
    const result = await verifier(reader, 2).verify(request, now);
    expect(result).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('further signatures not checked (limit 2)') });
    expect(reader.getBlob).toHaveBeenCalledTimes(2);
  });

  it('refuses, without any request, registries that are not configured, bad digests, bad names and no keys', async () => {
    const { reader } = fakeRegistry([valid]);
    const v = verifier(reader);
    expect(await v.verify({ ...request, registry: 'evil.example.com' }, now)).toEqual({ outcome: 'rejected', reason: 'registry evil.example.com is not configured' });
    expect(await v.verify({ ...request, registry: '__proto__' }, now)).toMatchObject({ outcome: 'rejected' });
    expect(await v.verify({ ...request, digest: 'sha256:abc' }, now)).toEqual({ outcome: 'rejected', reason: 'image digest "sha256:abc" is not sha256:<64 hex>' });
    expect(await v.verify({ ...request, repository: '../x' }, now)).toMatchObject({ outcome: 'rejected', reason: expect.stringContaining('repository name') });
    expect(await v.verify({ ...request, keys: [] }, now)).toEqual({ outcome: 'rejected', reason: 'no verification keys configured' });
    expect(reader.getManifest).not.toHaveBeenCalled();
  });

  it('lets registry failures through as RegistryError instead of a verdict', async () => {
    const reader: OciRegistryReader = {
      getManifest: async () => {
        throw new RegistryError('GET x answered 500');
      },
      getBlob: async () => null,
    };
    await expect(verifier(reader).verify(request, now)).rejects.toBeInstanceOf(RegistryError);
  });
});
