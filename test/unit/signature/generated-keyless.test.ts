import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keylessSigner, signSimpleSigning } from '../../../local/registry/keyless-signer';
import { createIntermediateCa, createRootCa } from '../../../local/registry/test-certificates';
import { TestRekorLog, cosignBundleAnnotation, trustedRootJson } from '../../../local/registry/test-rekor';
import { verifySimpleSigningLayer } from '../../../shared/signature/simple-signing-signature';
import { ciSigner, DIGEST, FORMATS, ISSUER, LOGGED_AT, NOW, REGISTRY, REPOSITORY, SIGNED_AT, signAndVerify, SUBJECT, testSigstore } from './generated-pki';
import { identity, trustedRoot } from './policy-fixtures';

const sigstore = testSigstore();
const signer = ciSigner(sigstore.intermediate);
const minutes = (n: number) => new Date(SIGNED_AT.getTime() + n * 60_000);

describe.each(FORMATS)('keyless %s signatures from a generated Fulcio and Rekor', (format) => {
  it('verifies a CI signature: chain, identity, Rekor entry, validity at the integrated time', () => {
    expect(signAndVerify(format, sigstore, { signer })).toMatchObject({
      ok: true,
      value: {
        format,
        signer: {
          type: 'cosign-keyless',
          key: `${SUBJECT} (${ISSUER})`,
          identity: { policy: 'keyless[0]', issuer: ISSUER, subject: SUBJECT },
          tlog: { logId: sigstore.log.logId, integratedTime: LOGGED_AT },
        },
      },
    });
  });

  it('refuses a certificate that had expired when Rekor integrated the signature', () => {
    const late = { log: sigstore.log, integratedTime: minutes(20) };
    expect(signAndVerify(format, sigstore, { signer, rekor: late })).toEqual({
      ok: false,
      reason: `certificate (uri:${SUBJECT}) was not valid at the Rekor integrated time 2026-03-01T12:20:00Z: it is valid from 2026-03-01T12:00:00Z to 2026-03-01T12:10:00Z`,
    });
  });

  it('refuses a certificate from another OIDC issuer', () => {
    const google = ciSigner(sigstore.intermediate, { issuer: 'https://accounts.google.com' });
    expect(signAndVerify(format, sigstore, { signer: google })).toEqual({
      ok: false,
      reason: `certificate identity uri:${SUBJECT} issued by https://accounts.google.com matches no keyless identity (keyless[0]: ${SUBJECT} from ${ISSUER})`,
    });
  });

  it('refuses another subject', () => {
    const fork = 'https://github.com/mallory/web/.github/workflows/release.yml@refs/heads/main';
    expect(signAndVerify(format, sigstore, { signer: ciSigner(sigstore.intermediate, { san: [{ uri: fork }] }) })).toMatchObject({
      ok: false,
      reason: `certificate identity uri:${fork} issued by ${ISSUER} matches no keyless identity (keyless[0]: ${SUBJECT} from ${ISSUER})`,
    });
  });

  it('matches subjectRegExp against the whole subject only', () => {
    const prefix = { keyless: [identity(ISSUER, '/https://github\\.com/acme/web/')] };
    expect(signAndVerify(format, sigstore, { signer }, prefix)).toMatchObject({ ok: false, reason: expect.stringContaining('matches no keyless identity') });
    const whole = { keyless: [identity(ISSUER, '/https://github\\.com/acme/web/\\.github/workflows/.+@refs/heads/main/')] };
    expect(signAndVerify(format, sigstore, { signer }, whole)).toMatchObject({ ok: true });
  });

  it('refuses a certificate chaining to a root the trusted root does not hold', () => {
    const evilRoot = createRootCa({ commonName: 'test-fulcio-root' });
    const evil = createIntermediateCa(evilRoot, { commonName: 'test-fulcio-intermediate' });
    expect(signAndVerify(format, sigstore, { signer: ciSigner(evil) })).toEqual({
      ok: false,
      reason: 'certificate is not issued by any certificate authority in the trusted root test-root (its issuer is O=test.example, CN=test-fulcio-intermediate)',
    });
  });

  it('refuses a Rekor entry from a log that is not trusted (unknown logID)', () => {
    const rogue = new TestRekorLog('https://rekor.rogue.example');
    expect(signAndVerify(format, sigstore, { signer, rekor: { log: rogue, integratedTime: LOGGED_AT } })).toEqual({
      ok: false,
      reason: `Rekor entry names log ${rogue.logId}, which is not in the trusted root test-root`,
    });
  });

  it('refuses an integrated time outside the Rekor key\'s window, or in the future', () => {
    const json = trustedRootJson({ authorities: [{ chain: [sigstore.intermediate, sigstore.root] }], logs: [{ log: sigstore.log, start: minutes(60) }] });
    expect(signAndVerify(format, sigstore, { signer }, { trustedRoot: trustedRoot(json, 'late-log') })).toMatchObject({
      ok: false,
      reason: `Rekor log ${sigstore.log.logId} key was not trusted at the entry's integrated time 2026-03-01T12:00:05Z (trusted 2026-03-01T13:00:00.000Z to (open))`,
    });
    const future = { log: sigstore.log, integratedTime: new Date(NOW.getTime() + 3600_000) };
    expect(signAndVerify(format, sigstore, { signer, rekor: future })).toEqual({ ok: false, reason: 'Rekor entry integrated time 2026-03-02T01:00:00Z is in the future' });
  });

  it('refuses certificates a Fulcio would not issue for signing', () => {
    const cases: [Parameters<typeof ciSigner>[1], string][] = [
      [{ leaf: { extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] } }, 'certificate extended key usage (1.3.6.1.5.5.7.3.1) does not include code signing'],
      [{ leaf: { isCa: true } }, 'certificate is a CA certificate, not a signing certificate'],
      [{ leaf: { unknownCriticalExtension: '1.2.3.4.5' } }, 'certificate has a critical extension 1.2.3.4.5 this verifier does not understand'],
    ];
    for (const [overrides, reason] of cases) {
      expect(signAndVerify(format, sigstore, { signer: ciSigner(sigstore.intermediate, overrides) })).toEqual({ ok: false, reason });
    }
  });

  it('reads the legacy issuer extension alone, and refuses two that disagree', () => {
    expect(signAndVerify(format, sigstore, { signer: ciSigner(sigstore.intermediate, { leaf: { issuerV1Only: true } }) })).toMatchObject({ ok: true });
    const forked = ciSigner(sigstore.intermediate, { leaf: { issuerV2Override: 'https://accounts.google.com' } });
    expect(signAndVerify(format, sigstore, { signer: forked })).toMatchObject({
      ok: false,
      reason: expect.stringContaining(`is a malformed certificate (its issuer extensions disagree (${ISSUER} and https://accounts.google.com))`),
    });
  });

  it('refuses a signature over another image digest', () => {
    const other = `sha256:${'0d'.repeat(32)}`;
    const reason = format === 'simple-signing' ? `payload signs ${other}, not ${DIGEST}` : `in-toto statement subject sha256:${other.slice(7)} is not ${DIGEST}`;
    expect(signAndVerify(format, sigstore, { signer, digest: other })).toEqual({ ok: false, reason });
  });
});

describe('keyless simple-signing layers tampered after signing', () => {
  const reference = `${REGISTRY}/${REPOSITORY}`;
  const expected = { registry: REGISTRY, repository: REPOSITORY, digest: DIGEST };
  const layer = signSimpleSigning({ dockerReference: reference, digest: DIGEST, signer, rekor: { log: sigstore.log, integratedTime: LOGGED_AT } });
  const entry = JSON.parse(layer.annotations['dev.sigstore.cosign/bundle']!) as { Payload: { body: string; integratedTime: number; logIndex: number; logID: string }; SignedEntryTimestamp: string };

  it('refuses a docker-reference of another repository', () => {
    const moved = signSimpleSigning({ dockerReference: `${REGISTRY}/team/api`, digest: DIGEST, signer, rekor: { log: sigstore.log, integratedTime: LOGGED_AT } });
    expect(verifySimpleSigningLayer(moved, expected, sigstore.policy, NOW)).toEqual({ ok: false, reason: `payload names repository ${REGISTRY}/team/api, not ${REGISTRY}/team/web` });
  });

  it('refuses a SET whose integratedTime was moved into the certificate\'s validity', () => {
    const moved = { ...entry, Payload: { ...entry.Payload, integratedTime: entry.Payload.integratedTime + 60 } };
    const tampered = { ...layer, annotations: { ...layer.annotations, 'dev.sigstore.cosign/bundle': JSON.stringify(moved) } };
    expect(verifySimpleSigningLayer(tampered, expected, sigstore.policy, NOW)).toEqual({
      ok: false,
      reason: `Rekor SignedEntryTimestamp does not verify with the key of log ${sigstore.log.logId} (entry ${entry.Payload.logIndex} altered?)`,
    });
  });

  it('refuses a genuine log entry that records another signature, or another key', () => {
    const certificatePem = signer.certificatePem!;
    const otherSignature = sigstore.log.hashedRekord(
      { payloadSha256: sigstoreHash(layer.payload), signature: Buffer.alloc(70, 1).toString('base64'), verifierPem: certificatePem },
      LOGGED_AT,
    );
    const withEntry = (e: ReturnType<TestRekorLog['hashedRekord']>) => ({ ...layer, annotations: { ...layer.annotations, 'dev.sigstore.cosign/bundle': cosignBundleAnnotation(e) } });
    expect(verifySimpleSigningLayer(withEntry(otherSignature), expected, sigstore.policy, NOW)).toEqual({ ok: false, reason: 'Rekor entry records another signature than the one verified' });
    const otherCert = ciSigner(sigstore.intermediate).certificatePem!;
    const otherKey = sigstore.log.hashedRekord(
      { payloadSha256: sigstoreHash(layer.payload), signature: layer.annotations['dev.cosignproject.cosign/signature']!, verifierPem: otherCert },
      LOGGED_AT,
    );
    expect(verifySimpleSigningLayer(withEntry(otherKey), expected, sigstore.policy, NOW)).toEqual({
      ok: false,
      reason: 'Rekor entry records another public key or certificate than the one that verified the signature',
    });
  });

  it('refuses a certificate annotation that is not a certificate', () => {
    const garbage = { ...layer, annotations: { ...layer.annotations, 'dev.sigstore.cosign/certificate': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' } };
    expect(verifySimpleSigningLayer(garbage, expected, sigstore.policy, NOW)).toEqual({ ok: false, reason: 'dev.sigstore.cosign/certificate annotation is not an X.509 certificate' });
  });

  it('accepts a cosign key signature and a keyless one under a policy that has both, naming which', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = { id: 'keys/ci-2026.pub', pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    const both = { ...sigstore.policy, keys: [{ id: 'keys/ci-2025.pub', pem: ciSigner(sigstore.intermediate).publicKeyPem }, key] };
    const keySigned = signSimpleSigning({ dockerReference: reference, digest: DIGEST, signer: { privateKey, publicKeyPem: key.pem }, rekor: { log: sigstore.log, integratedTime: LOGGED_AT } });
    expect(verifySimpleSigningLayer(keySigned, expected, both, NOW)).toMatchObject({ ok: true, value: { signer: { type: 'cosign-key', key: 'keys/ci-2026.pub' } } });
    expect(verifySimpleSigningLayer(layer, expected, both, NOW)).toMatchObject({ ok: true, value: { signer: { type: 'cosign-keyless' } } });
  });

  it('refuses a keyless signature made with the key of an ephemeral certificate it does not carry', () => {
    const stranger = keylessSigner(sigstore.intermediate, { san: [{ uri: SUBJECT }], issuer: ISSUER, at: SIGNED_AT });
    const swapped = { ...layer, annotations: { ...layer.annotations, 'dev.sigstore.cosign/certificate': stranger.certificatePem! } };
    expect(verifySimpleSigningLayer(swapped, expected, sigstore.policy, NOW)).toEqual({ ok: false, reason: 'signature does not verify with the key of its certificate' });
  });
});

function sigstoreHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
