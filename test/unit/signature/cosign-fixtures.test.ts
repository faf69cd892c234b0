import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { VerificationKey } from '../../../shared/config/types';
import { verifySimpleSigning, type SimpleSigningExpectation } from '../../../shared/signature/cosign-simple-signing';
import { certificateKeyPem, fixtureDigest, fixtureSignature, fixtureText } from './sigstore-fixtures';

const cosignPub: VerificationKey = { id: 'cosign.pub', pem: fixtureText('cosign.pub') };
const cosign2Pub: VerificationKey = { id: 'cosign2.pub', pem: fixtureText('cosign2.pub') };
const REGISTRY = '192.168.64.2:5000';

const valid = fixtureSignature('dir-img-cosign-valid/signature-1');
const validImage: SimpleSigningExpectation = {
  registry: REGISTRY,
  repository: 'cosign-signed-single-sample',
  digest: fixtureDigest('dir-img-cosign-valid/manifest.json'),
};

function fingerprint(pem: string): string {
  return createHash('sha256').update(createPublicKey(pem).export({ type: 'spki', format: 'der' })).digest('hex');
}

describe('cosign signatures made by cosign (containers/image fixtures)', () => {
  it('accepts dir-img-cosign-valid with cosign.pub and names the key and its fingerprint', () => {
    const verdict = verifySimpleSigning({ ...valid, keys: [cosignPub], expected: validImage });
    expect(verdict).toMatchObject({
      ok: true,
      key: 'cosign.pub',
      keyFingerprint: fingerprint(cosignPub.pem),
      dockerReference: '192.168.64.2:5000/cosign-signed-single-sample',
    });
  });

  it('rejects dir-img-cosign-valid with cosign2.pub, listing the key tried', () => {
    const verdict = verifySimpleSigning({ ...valid, keys: [cosign2Pub], expected: validImage });
    expect(verdict).toEqual({ ok: false, reason: 'not signed by any configured key (tried cosign2.pub)' });
  });

  it('finds the verifying key when other keys come first', () => {
    const verdict = verifySimpleSigning({ ...valid, keys: [cosign2Pub, cosignPub], expected: validImage });
    expect(verdict).toMatchObject({ ok: true, key: 'cosign.pub' });
  });

  it('accepts the second signature of dir-img-cosign-valid-2 over the same manifest', () => {
    const second = fixtureSignature('dir-img-cosign-valid-2/signature-2');
    expect(second.signature).not.toBe(valid.signature);
    expect(verifySimpleSigning({ ...second, keys: [cosignPub], expected: validImage })).toMatchObject({ ok: true });
  });

  it('accepts dir-img-cosign-valid-with-tag: a tag in docker-reference still names the repository', () => {
    const tagged = fixtureSignature('dir-img-cosign-valid-with-tag/signature-1');
    const verdict = verifySimpleSigning({
      ...tagged,
      keys: [cosignPub],
      expected: { registry: REGISTRY, repository: 'skopeo-signed', digest: fixtureDigest('dir-img-cosign-valid-with-tag/manifest.json') },
    });
    expect(verdict).toMatchObject({ ok: true, dockerReference: '192.168.64.2:5000/skopeo-signed:tag' });
    expect(verdict.ok && verdict.payload.optional).toEqual({ creator: 'containers/image 5.21.2-dev', timestamp: 1657296609 });
  });

  it('accepts dir-img-cosign-key-rekor-valid with cosign2.pub only', () => {
    const rekor = fixtureSignature('dir-img-cosign-key-rekor-valid/signature-1');
    const expected = { registry: REGISTRY, repository: 'cosign-signed/key-1', digest: fixtureDigest('dir-img-cosign-key-rekor-valid/manifest.json') };
    expect(verifySimpleSigning({ ...rekor, keys: [cosign2Pub], expected })).toMatchObject({ ok: true, key: 'cosign2.pub' });
    expect(verifySimpleSigning({ ...rekor, keys: [cosignPub], expected })).toMatchObject({ ok: false });
  });

  it('accepts dir-img-cosign-fulcio-rekor-valid with the EC key of its certificate', () => {
    const fulcio = fixtureSignature('dir-img-cosign-fulcio-rekor-valid/signature-1');
    const key = { id: 'fulcio-leaf', pem: certificateKeyPem(fulcio) };
    const expected = {
      registry: REGISTRY,
      repository: 'cosign-signed/fulcio-rekor-1',
      digest: fixtureDigest('dir-img-cosign-fulcio-rekor-valid/manifest.json'),
    };
    expect(verifySimpleSigning({ ...fulcio, keys: [cosignPub, key], expected })).toMatchObject({ ok: true, key: 'fulcio-leaf' });
  });

  it('accepts dir-img-cosign-pki-valid with the RSA key of its certificate, newlines in the base64 and all', () => {
    const pki = fixtureSignature('dir-img-cosign-pki-valid/signature-1');
    expect(pki.signature).toContain('\n');
    const key = { id: 'pki-leaf', pem: certificateKeyPem(pki) };
    expect(createPublicKey(key.pem).asymmetricKeyType).toBe('rsa');
    const expected = { registry: 'localhost:5000', repository: 'test', digest: fixtureDigest('dir-img-cosign-pki-valid/manifest.json') };
    expect(verifySimpleSigning({ ...pki, keys: [key], expected })).toMatchObject({ ok: true, key: 'pki-leaf' });
    expect(verifySimpleSigning({ ...pki, keys: [cosignPub, cosign2Pub], expected })).toMatchObject({ ok: false });
  });

  it('rejects unknown-cosign-key.signature with both keys', () => {
    const unknown = fixtureSignature('unknown-cosign-key.signature');
    expect(verifySimpleSigning({ ...unknown, keys: [cosignPub, cosign2Pub], expected: validImage })).toEqual({
      ok: false,
      reason: 'not signed by any configured key (tried cosign.pub, cosign2.pub)',
    });
  });

  it('rejects dir-img-cosign-modified-manifest: the signature is for another digest', () => {
    const modified = fixtureDigest('dir-img-cosign-modified-manifest/manifest.json');
    const verdict = verifySimpleSigning({ ...valid, keys: [cosignPub], expected: { ...validImage, digest: modified } });
    expect(verdict).toEqual({ ok: false, reason: `payload signs ${validImage.digest}, not ${modified}` });
  });
});

describe('tampering with a valid cosign signature', () => {
  it('rejects every single-bit flip of the payload', () => {
    let accepted = 0;
    for (let i = 0; i < valid.payload.length * 8; i++) {
      const payload = Buffer.from(valid.payload);
      payload[i >> 3]! ^= 1 << (i & 7);
      if (verifySimpleSigning({ payload, signature: valid.signature, keys: [cosignPub], expected: validImage }).ok) accepted++;
    }
    expect(accepted).toBe(0);
  });

  it('says a payload changed inside a string is not signed by the key', () => {
    const payload = Buffer.from(valid.payload);
    payload[payload.indexOf('sample')]! ^= 1; // "sample" → "rample": still a well-formed payload
    const verdict = verifySimpleSigning({ payload, signature: valid.signature, keys: [cosignPub], expected: validImage });
    expect(verdict).toEqual({ ok: false, reason: 'not signed by any configured key (tried cosign.pub)' });
  });

  it('rejects every single-bit flip of the signature', () => {
    const bytes = Buffer.from(valid.signature, 'base64');
    let accepted = 0;
    for (let i = 0; i < bytes.length * 8; i++) {
      const flipped = Buffer.from(bytes);
      flipped[i >> 3]! ^= 1 << (i & 7);
      const signature = flipped.toString('base64');
      if (verifySimpleSigning({ payload: valid.payload, signature, keys: [cosignPub], expected: validImage }).ok) accepted++;
    }
    expect(accepted).toBe(0);
  });

  it('rejects a signature annotation that is not base64', () => {
    const verdict = verifySimpleSigning({ ...valid, signature: `${valid.signature}!`, keys: [cosignPub], expected: validImage });
    expect(verdict).toEqual({ ok: false, reason: 'signature is not valid base64' });
  });

  it('rejects the signature when asked about another image digest', () => {
    const other = `sha256:${'ab'.repeat(32)}`;
    const verdict = verifySimpleSigning({ ...valid, keys: [cosignPub], expected: { ...validImage, digest: other } });
    expect(verdict).toEqual({ ok: false, reason: `payload signs ${validImage.digest}, not ${other}` });
  });

  it('rejects the signature for another repository of the same registry', () => {
    const verdict = verifySimpleSigning({ ...valid, keys: [cosignPub], expected: { ...validImage, repository: 'team/web' } });
    expect(verdict).toEqual({
      ok: false,
      reason: 'payload names repository 192.168.64.2:5000/cosign-signed-single-sample, not 192.168.64.2:5000/team/web',
    });
  });

  it('rejects the signature for the same repository on another registry', () => {
    const verdict = verifySimpleSigning({ ...valid, keys: [cosignPub], expected: { ...validImage, registry: '192.168.64.3:5000' } });
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining('payload names repository') });
  });

  it('rejects with no keys configured', () => {
    expect(verifySimpleSigning({ ...valid, keys: [], expected: validImage })).toEqual({
      ok: false,
      reason: 'no verification keys configured',
    });
  });

  it('still verifies with a good key when another configured key is unusable', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const keys = [
      { id: 'broken.pub', pem: 'not a key' },
      { id: 'truncated.pub', pem: cosignPub.pem.split('\n').filter((_, i) => i !== 2).join('\n') },
      { id: 'p384.pub', pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      cosignPub,
    ];
    expect(verifySimpleSigning({ ...valid, keys, expected: validImage })).toMatchObject({ ok: true, key: 'cosign.pub' });
    const rejected = verifySimpleSigning({ ...valid, keys: keys.slice(0, 3), expected: validImage });
    expect(rejected).toEqual({
      ok: false,
      reason:
        'not signed by any configured key (tried no usable key; unusable broken.pub: not a PEM public key, ' +
        'truncated.pub: unreadable public key, p384.pub: unsupported key type ec secp384r1)',
    });
  });
});

describe('malformed simple-signing payloads signed by a configured key', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = { id: 'test.pub', pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
  const digest = `sha256:${'cd'.repeat(32)}`;
  const expected = { registry: '127.0.0.1:5000', repository: 'team/web', digest };
  const critical = {
    identity: { 'docker-reference': '127.0.0.1:5000/team/web' },
    image: { 'docker-manifest-digest': digest },
    type: 'cosign container image signature',
  };

  function check(payloadText: string) {
    const payload = Buffer.from(payloadText);
    const signature = sign('sha256', payload, privateKey).toString('base64');
    return verifySimpleSigning({ payload, signature, keys: [key], expected });
  }

  it('accepts the well-formed payload the cases below are made from', () => {
    expect(check(JSON.stringify({ critical, optional: null }))).toMatchObject({ ok: true, key: 'test.pub' });
  });

  it('accepts the same payload signed with an Ed25519 key, as cosign can make', () => {
    const ed = generateKeyPairSync('ed25519');
    const payload = Buffer.from(JSON.stringify({ critical, optional: null }));
    const signature = sign(null, payload, ed.privateKey).toString('base64');
    const edKey = { id: 'ed25519.pub', pem: ed.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    expect(verifySimpleSigning({ payload, signature, keys: [key, edKey], expected })).toMatchObject({ ok: true, key: 'ed25519.pub' });
  });

  it.each([
    ['not JSON', '{"critical":', 'not UTF-8 JSON'],
    ['a JSON array', '[]', 'not a JSON object'],
    ['no critical', JSON.stringify({ optional: null }), 'critical is missing or not an object'],
    ['another type', JSON.stringify({ critical: { ...critical, type: 'atomic container signature' } }), 'critical.type is "atomic container signature"'],
    ['an unknown critical field', JSON.stringify({ critical: { ...critical, extra: 1 } }), 'unknown critical field extra'],
    ['no docker-reference', JSON.stringify({ critical: { ...critical, identity: {} } }), 'critical.identity.docker-reference is not a string'],
    ['a non-sha256 digest', JSON.stringify({ critical: { ...critical, image: { 'docker-manifest-digest': 'md5:00' } } }), 'critical.image.docker-manifest-digest is not a sha256 digest'],
    ['an optional string', JSON.stringify({ critical, optional: 'x' }), 'optional is not an object'],
  ])('rejects a payload with %s', (_name, text, detail) => {
    const verdict = check(text);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toContain(`payload is not a cosign simple-signing payload: ${detail}`);
  });

  it('rejects a docker-reference that pins another digest', () => {
    const pinned = { ...critical, identity: { 'docker-reference': `127.0.0.1:5000/team/web@sha256:${'ef'.repeat(32)}` } };
    expect(check(JSON.stringify({ critical: pinned, optional: null }))).toMatchObject({ ok: false, reason: expect.stringContaining('pins another digest') });
  });

  it('rejects a docker-reference that is not a reference', () => {
    const garbage = { ...critical, identity: { 'docker-reference': 'HTTP://127.0.0.1:5000/team/web' } };
    expect(check(JSON.stringify({ critical: garbage, optional: null }))).toMatchObject({ ok: false, reason: expect.stringContaining('is not a valid reference') });
  });
});
