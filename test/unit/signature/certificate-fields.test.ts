import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sequence, tlv } from '../../../local/registry/der-writer';
import { createRootCa, issueLeaf } from '../../../local/registry/test-certificates';
import { keepParsedCertificates, parseCertificate, PARSED_CERTIFICATES_KEPT } from '../../../shared/signature/certificate';
import { DerError, readOnly, readTlv } from '../../../shared/signature/der';
import { fixtureSignature, sigstoreFixture } from './sigstore-fixtures';

describe('certificate fields read from the DER', () => {
  it('reads a Fulcio certificate of 2023: email SAN, legacy issuer extension, code signing, ten minutes', () => {
    const pem = fixtureSignature('dir-img-cosign-fulcio-rekor-valid/signature-1').annotations['dev.sigstore.cosign/certificate']!;
    expect(parseCertificate(pem)).toMatchObject({
      ok: true,
      value: {
        fields: {
          notBefore: new Date('2023-01-20T20:51:31Z'),
          notAfter: new Date('2023-01-20T21:01:31Z'),
          subjectAltNames: [{ type: 'email', value: 'mitr@redhat.com' }],
          oidcIssuer: 'https://github.com/login/oauth',
          keyUsage: { digitalSignature: true, keyCertSign: false },
          extendedKeyUsage: ['1.3.6.1.5.5.7.3.3'],
          isCa: false,
        },
      },
    });
  });

  it('reads a Fulcio certificate of 2025 carrying both issuer extensions', () => {
    const bundle = JSON.parse(sigstoreFixture('cosign/oci-attestation.sigstore.json').toString('utf8'));
    const parsed = parseCertificate(Buffer.from(bundle.verificationMaterial.certificate.rawBytes, 'base64'));
    expect(parsed.ok && parsed.value.fields.extensions.map((e) => e.oid)).toEqual(expect.arrayContaining(['1.3.6.1.4.1.57264.1.1', '1.3.6.1.4.1.57264.1.8']));
    expect(parsed.ok && parsed.value.fields.oidcIssuer).toBe('https://github.com/login/oauth');
  });

  it('reads URI SANs and GeneralizedTime validity of generated certificates', () => {
    const ca = createRootCa({ commonName: 'r' });
    const leaf = issueLeaf(ca, {
      publicKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      san: [{ uri: 'https://github.com/acme/web/.github/workflows/ci.yml@refs/heads/main' }, { email: 'ci@acme.example' }],
      issuer: 'https://token.actions.githubusercontent.com',
      notBefore: new Date('2049-12-31T23:59:59Z'),
      notAfter: new Date('2051-01-01T00:00:00Z'),
    });
    expect(parseCertificate(leaf.der)).toMatchObject({
      ok: true,
      value: {
        fields: {
          notBefore: new Date('2049-12-31T23:59:59Z'),
          notAfter: new Date('2051-01-01T00:00:00Z'),
          subjectAltNames: [
            { type: 'uri', value: 'https://github.com/acme/web/.github/workflows/ci.yml@refs/heads/main' },
            { type: 'email', value: 'ci@acme.example' },
          ],
        },
      },
    });
  });

  it('refuses what is not a certificate', () => {
    expect(parseCertificate('not a certificate')).toEqual({ ok: false, reason: 'is not an X.509 certificate' });
    expect(parseCertificate(Buffer.from([0x30, 0x00]))).toEqual({ ok: false, reason: 'is not an X.509 certificate' });
  });
});

describe('certificates parsed once', () => {
  const ca = createRootCa({ commonName: 'cache' });
  const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const leaf = (email: string) => issueLeaf(ca, { publicKey, san: [{ email }], issuer: null, notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') });

  it('gives the same parse for the same bytes, in whatever buffer or as PEM, and parses changed bytes anew', () => {
    const { der, pem } = leaf('once@test.example');
    const first = parseCertificate(der);
    expect(first.ok).toBe(true);
    const again = parseCertificate(Uint8Array.from(der));
    expect(again.ok && first.ok && again.value === first.value).toBe(true);
    const inLargerBuffer = Buffer.concat([Buffer.from([1, 2, 3]), der]).subarray(3);
    expect(parseCertificate(inLargerBuffer)).toEqual(first);
    const fromPem = parseCertificate(pem);
    expect(fromPem.ok && parseCertificate(pem).ok && (parseCertificate(pem) as { value: unknown }).value === fromPem.value).toBe(true);

    // A byte of the signature changed: still a certificate, but a different one (its signature no longer verifies).
    const changed = Buffer.from(der);
    changed[changed.length - 5]! ^= 0x01;
    const other = parseCertificate(changed);
    expect(other.ok && first.ok && other.value !== first.value && other.value.x509.raw.equals(changed)).toBe(true);
    expect(other.ok && other.value.x509.verify(ca.publicKey)).toBe(false);
  });

  it('keeps a bounded number: a certificate parsed 300 certificates ago is parsed again', () => {
    const { der } = leaf('first@test.example');
    const first = parseCertificate(der);
    for (let i = 0; i < 300; i++) parseCertificate(leaf(`n${i}@test.example`).der);
    const later = parseCertificate(der);
    expect(later).toEqual(first);
    expect(later.ok && first.ok && later.value !== first.value).toBe(true);
  });

  it('keeps none when told so (a benchmark of cold verifications), and keeps them again after', () => {
    const { der } = leaf('none@test.example');
    try {
      keepParsedCertificates(0);
      const [a, b] = [parseCertificate(der), parseCertificate(der)];
      expect(a.ok && b.ok && a.value !== b.value).toBe(true);
    } finally {
      keepParsedCertificates(PARSED_CERTIFICATES_KEPT);
    }
    const [c, d] = [parseCertificate(der), parseCertificate(der)];
    expect(c.ok && d.ok && c.value === d.value).toBe(true);
  });
});

describe('the DER reader', () => {
  it.each([
    ['a truncated element', Buffer.from([0x30, 0x05, 0x01]), 'element runs past its container'],
    ['indefinite length', Buffer.from([0x30, 0x80, 0x00, 0x00]), 'indefinite length is not DER'],
    ['a non-minimal length', Buffer.from([0x04, 0x81, 0x01, 0x00]), 'non-minimal length'],
    ['a high tag number', Buffer.from([0x1f, 0x81, 0x00]), 'high tag numbers are not supported'],
  ])('refuses %s', (_name, bytes, message) => {
    expect(() => readTlv(bytes)).toThrow(new DerError(message));
  });

  it('refuses trailing bytes and reads long lengths', () => {
    expect(() => readOnly(Buffer.concat([sequence(), Buffer.from([0])]))).toThrow('trailing bytes after element');
    const long = tlv(0x04, Buffer.alloc(300, 7));
    expect(readOnly(long).value.length).toBe(300);
  });
});
