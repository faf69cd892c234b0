/**
 * AWS Signer's part of a Notation signature: the signed attributes read as the AWS Signer plugin reads
 * them, the certificate hashes sent to GetRevocationStatus, and no tampered variant of an AWS Signer
 * envelope accepted with altered signed content.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { awsSignerAttributes, notationSigner, signNotationJws, type SignOptions } from '../../../local/registry/notation-signer';
import { createIntermediateCa, createRootCa } from '../../../local/registry/test-certificates';
import { parseCertificate, type ParsedCertificate } from '../../../shared/signature/certificate';
import { AWS_SIGNER_CRITICAL, readSignerClaims, revocationCertificateHashes } from '../../../shared/signature/notation/aws-signer';
import { parseNotationEnvelope, verifyNotationSignature } from '../../../shared/signature/notation/notation-verification';

const PROFILE = 'arn:aws:signer:us-west-2:000000000000:/signing-profiles/NotaryPluginIntegProfile';
const VERSION = `${PROFILE}/OF8IVUsPJq`;
const JOB = 'arn:aws:signer:us-west-2:000000000000:/signing-jobs/97af3947-e7b2-4533-8d9d-6741156f0b79';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const NOW = new Date('2026-06-01T00:00:00Z');

const root = createRootCa({ commonName: 'aws-signer-test-root' });
const intermediate = createIntermediateCa(root, { commonName: 'aws-signer-test-intermediate' });
const signer = notationSigner({ ca: root, intermediates: [intermediate], subject: { country: 'US', state: 'WA', organization: 'AWS Signer', commonName: 'prod' } });
const parsed = (der: Uint8Array): ParsedCertificate => {
  const cert = parseCertificate(der);
  if (!cert.ok) throw new Error(cert.reason);
  return cert.value;
};
const trust = { trustStore: { ca: [], signingAuthority: [parsed(root.der)], tsa: [] }, trustedIdentities: '*' as const };
const envelope = signNotationJws(signer, { digest: DIGEST, signingTime: new Date('2026-05-31T00:00:00Z'), ...awsSignerAttributes(VERSION, JOB) });

function check(bytes: Uint8Array, profiles: string[] = [PROFILE]) {
  const verified = verifyNotationSignature('application/jose+json', bytes, DIGEST, trust, { now: NOW, understoodCritical: AWS_SIGNER_CRITICAL, checkIdentities: false });
  if (!verified.ok) return verified;
  const claims = readSignerClaims(verified.value.envelope, profiles);
  return claims.ok ? { ok: true as const, verified: verified.value, claims: claims.value } : claims;
}

describe('AWS Signer signed attributes', () => {
  it('matches a profile ARN to any of its versions and a version ARN to itself only, as the AWS Signer plugin does', () => {
    expect(check(envelope)).toMatchObject({ ok: true, claims: { profileVersionArn: VERSION, jobArn: JOB, matchedProfile: PROFILE } });
    expect(check(envelope, [VERSION])).toMatchObject({ ok: true, claims: { matchedProfile: VERSION } });
    expect(check(envelope, [PROFILE.toUpperCase().replace('ARN:AWS:SIGNER', 'arn:aws:signer')])).toMatchObject({ ok: true });
    expect(check(envelope, [`${PROFILE}/zzzzzzzzzz`])).toEqual({ ok: false, reason: `signing profile version ${VERSION} is not one of verify.awsSigner.signingProfiles` });
    expect(check(envelope, [`${PROFILE}Other`])).toMatchObject({ ok: false });
  });

  it('refuses the x509 signing scheme, a missing or non-critical job, malformed ARNs and another plugin', () => {
    const sign = (options: Omit<SignOptions, 'digest'>) => signNotationJws(signer, { digest: DIGEST, ...options });
    const attributes = awsSignerAttributes(VERSION, JOB);
    expect(check(sign({ ...attributes, signingScheme: 'notary.x509' }))).toEqual({
      ok: false,
      reason: 'the certificate chain ("C=US, ST=WA, O=AWS Signer, CN=prod" <- "O=test.example, CN=aws-signer-test-intermediate" <- "O=test.example, CN=aws-signer-test-root") does not lead to a certificate of the ca trust store',
    });
    expect(check(sign({ ...attributes, critical: attributes.critical!.filter((c) => c !== 'com.amazonaws.signer.signingJob') }))).toEqual({
      ok: false,
      reason: 'the signed attribute com.amazonaws.signer.signingJob is not marked critical',
    });
    expect(check(sign({ ...attributes, extra: { ...attributes.extra, 'com.amazonaws.signer.signingJob': 'job-1' } }))).toMatchObject({ ok: false, reason: expect.stringContaining('is not a signing job ARN') });
    expect(check(sign({ ...attributes, extra: { ...attributes.extra, 'io.cncf.notary.verificationPlugin': 'io.example.other' } }))).toEqual({
      ok: false,
      reason: 'the signature requires verification plugin "io.example.other", not AWS Signer\'s',
    });
  });

  it('sends GetRevocationStatus the certificate hashes the AWS Signer plugin sends (its own test certificate and hash)', () => {
    const cert = parsed(readFileSync(join(__dirname, '../../fixtures/notation/aws-signer-plugin/test-certificate-1.pem')));
    const tbs = '13a01b7e1de3aee0367615c59f6d001238913e594626d0e3c8784489b15a18fada1c31f39d3ba9318cb673ffd8cd679b';
    expect(revocationCertificateHashes([cert])).toEqual([tbs + tbs]);
    const chain = signer.chain.map(parsed);
    const hashes = revocationCertificateHashes(chain);
    expect(hashes).toHaveLength(3);
    expect(hashes[0]!.slice(96)).toBe(hashes[1]!.slice(0, 96));
    expect(hashes[2]!.slice(0, 96)).toBe(hashes[2]!.slice(96));
  });

  it('accepts no tampered variant of an AWS Signer envelope with altered signed content or claims', () => {
    const reference = parseNotationEnvelope('application/jose+json', envelope);
    if (!reference.ok) throw new Error(reference.reason);
    let rejected = 0;
    for (let i = 0; i < envelope.length; i += i < 64 || i > envelope.length - 64 ? 1 : 3) {
      const tampered = Uint8Array.from(envelope);
      tampered[i] = tampered[i]! ^ 0x01;
      const verdict = check(tampered);
      if (!verdict.ok) {
        rejected += 1;
        continue;
      }
      expect(Buffer.from(verdict.verified.envelope.signedBytes).equals(Buffer.from(reference.value.signedBytes)), `byte ${i}`).toBe(true);
      expect(verdict.claims).toEqual({ profileVersionArn: VERSION, jobArn: JOB, matchedProfile: PROFILE });
    }
    expect(rejected).toBeGreaterThan(envelope.length / 6);
  }, 60_000);
});
