import { createHash, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyArtifactBundle, verifyImageBundle } from '../../../shared/signature/bundle-verification';
import { parseBundle, type SigstoreBundle } from '../../../shared/signature/sigstore-bundle';
import { editedPublicGood, identity, pkiTrustedRoot, policy } from './policy-fixtures';
import { sigstoreFixture } from './sigstore-fixtures';

const NOW = new Date('2026-06-01T00:00:00Z');
const OAUTH = 'https://github.com/login/oauth';
const ATTESTATION = 'https://cosign.sigstore.dev/attestation/v1';
const IMAGE = { digest: 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4', name: '127.0.0.1:60943/repo' };
const REKOR_LOG = 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d';

const attestationJson = () => JSON.parse(sigstoreFixture('cosign/oci-attestation.sigstore.json').toString('utf8'));
const cody = policy({ keyless: [identity(OAUTH, 'cody@soyland.com')], rekor: 'required', predicateTypes: [ATTESTATION] });

function bundleOf(doc: unknown): SigstoreBundle {
  const parsed = parseBundle(Buffer.from(JSON.stringify(doc)));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

describe('cosign/oci-attestation.sigstore.json: a bundle v0.3 with a DSSE in-toto statement', () => {
  const bundle = bundleOf(attestationJson());

  it('verifies: DSSE signature by the Fulcio certificate, dsse Rekor entry, subject digest, accepted predicate', () => {
    expect(verifyImageBundle(bundle, IMAGE, cody, NOW)).toMatchObject({
      ok: true,
      value: {
        format: 'sigstore-bundle',
        bundleMediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        dockerReference: '127.0.0.1:60943/repo',
        signer: {
          type: 'cosign-keyless',
          identity: { issuer: OAUTH, subject: 'cody@soyland.com' },
          certificateAuthority: 'https://fulcio.sigstore.dev',
          tlog: { logIndex: 175508996, logId: REKOR_LOG, integratedTime: new Date('2025-02-28T19:18:11Z') },
        },
      },
    });
  });

  it('is not an image signature under the default predicate types: it is an attestation', () => {
    expect(verifyImageBundle(bundle, IMAGE, { ...cody, predicateTypes: policy().predicateTypes }, NOW)).toEqual({
      ok: false,
      reason: `in-toto statement is of predicate type ${ATTESTATION}, not an accepted one (https://sigstore.dev/cosign/sign/v1)`,
    });
  });

  it('refuses it for another image digest', () => {
    const other = `sha256:${'ab'.repeat(32)}`;
    expect(verifyImageBundle(bundle, { ...IMAGE, digest: other }, cody, NOW)).toEqual({
      ok: false,
      reason: `in-toto statement subject sha256:${IMAGE.digest.slice(7)} is not ${other}`,
    });
  });

  it('refuses another subject or issuer', () => {
    expect(verifyImageBundle(bundle, IMAGE, { ...cody, keyless: [identity(OAUTH, 'mallory@soyland.com')] }, NOW)).toMatchObject({
      ok: false,
      reason: `certificate identity email:cody@soyland.com issued by ${OAUTH} matches no keyless identity (keyless[0]: mallory@soyland.com from ${OAUTH})`,
    });
    expect(verifyImageBundle(bundle, IMAGE, { ...cody, keyless: [identity('https://token.actions.githubusercontent.com', '/.*/')] }, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('matches no keyless identity (keyless[0]: /.*/ from https://token.actions.githubusercontent.com)'),
    });
  });

  it('refuses it when its Rekor log is unknown, or its CA untrusted', () => {
    expect(verifyImageBundle(bundle, IMAGE, { ...cody, trustedRoot: editedPublicGood((doc) => (doc.tlogs = [])) }, NOW)).toMatchObject({
      ok: false,
      reason: `Rekor entry names log ${REKOR_LOG}, which is not in the trusted root edited public-good`,
    });
    expect(verifyImageBundle(bundle, IMAGE, { ...cody, rekor: 'optional', trustedRoot: pkiTrustedRoot() }, NOW)).toMatchObject({
      ok: false,
      reason: `Rekor entry names log ${REKOR_LOG}, which is not in the trusted root linuxera pki`,
    });
    const noFulcio = editedPublicGood((doc) => (doc.certificateAuthorities = doc.certificateAuthorities.slice(0, 1)));
    expect(verifyImageBundle(bundle, IMAGE, { ...cody, trustedRoot: noFulcio }, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('certificate is not issued by any certificate authority in the trusted root edited public-good'),
    });
  });

  it('refuses a tlog entry with an altered integratedTime or logIndex (the SET no longer verifies)', () => {
    for (const field of ['integratedTime', 'logIndex'] as const) {
      const doc = attestationJson();
      const entry = doc.verificationMaterial.tlogEntries[0];
      entry[field] = String(Number(entry[field]) + 1);
      expect(verifyImageBundle(bundleOf(doc), IMAGE, cody, NOW)).toMatchObject({
        ok: false,
        reason: expect.stringContaining(`Rekor SignedEntryTimestamp does not verify with the key of log ${REKOR_LOG}`),
      });
    }
  });

  it('refuses a bundle without tlog entries when Rekor is required, and a certificate long expired when it is not', () => {
    const doc = attestationJson();
    doc.verificationMaterial.tlogEntries = [];
    expect(verifyImageBundle(bundleOf(doc), IMAGE, cody, NOW)).toMatchObject({ ok: false, reason: 'no Rekor transparency log entry, and verify.rekor is required' });
    expect(verifyImageBundle(bundleOf(doc), IMAGE, { ...cody, rekor: 'optional' }, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('certificate (email:cody@soyland.com) was not valid at verification time (no Rekor entry)'),
    });
  });

  it('refuses every single-bit flip of the DSSE payload and of the signature', () => {
    if (bundle.content.kind !== 'dsse') throw new Error('not a DSSE bundle');
    const envelope = bundle.content.envelope;
    const withEnvelope = (change: Partial<typeof envelope>): SigstoreBundle => ({ ...bundle, content: { kind: 'dsse', envelope: { ...envelope, ...change } } });
    let accepted = 0;
    let tried = 0;
    for (const original of [envelope.payload, envelope.signatures[0]!]) {
      for (let i = 0; i < original.length * 8; i++) {
        const flipped = Buffer.from(original);
        flipped[i >> 3]! ^= 1 << (i & 7);
        const tampered = original === envelope.payload ? withEnvelope({ payload: flipped }) : withEnvelope({ signatures: [flipped] });
        tried++;
        if (verifyImageBundle(tampered, IMAGE, cody, NOW).ok) accepted++;
      }
    }
    expect(tried).toBeGreaterThan(3000);
    expect(accepted).toBe(0);
  });

  it('refuses a certificate flipped anywhere', () => {
    const doc = attestationJson();
    const original = Buffer.from(doc.verificationMaterial.certificate.rawBytes, 'base64');
    let accepted = 0;
    for (let i = 0; i < original.length; i += 3) {
      const flipped = Buffer.from(original);
      flipped[i]! ^= 0x01;
      doc.verificationMaterial.certificate.rawBytes = flipped.toString('base64');
      const parsed = parseBundle(Buffer.from(JSON.stringify(doc)));
      if (parsed.ok && verifyImageBundle(parsed.value, IMAGE, cody, NOW).ok) accepted++;
    }
    expect(accepted).toBe(0);
  });

  it('answers what is wrong with malformed bundles', () => {
    const cases: [string, (doc: any) => void, string][] = [
      ['another media type', (d) => (d.mediaType = 'application/json'), 'bundle media type "application/json" is not a sigstore bundle v0.1-v0.3'],
      ['no material', (d) => (d.verificationMaterial = {}), 'bundle verificationMaterial has neither a certificate nor a public key'],
      ['no content', (d) => delete d.dsseEnvelope, 'bundle has neither a dsseEnvelope nor a messageSignature'],
      ['a bad payload', (d) => (d.dsseEnvelope.payload = '%%%'), 'bundle DSSE envelope payload is not base64'],
      ['a bad entry', (d) => (d.verificationMaterial.tlogEntries[0].logIndex = 'x'), 'bundle tlogEntries[0]: malformed transparency log entry'],
    ];
    for (const [, edit, reason] of cases) {
      const doc = attestationJson();
      edit(doc);
      expect(parseBundle(Buffer.from(JSON.stringify(doc)))).toEqual({ ok: false, reason });
    }
  });
});

describe('sigstore-conformance managed-key-happy-path: a messageSignature bundle over a.txt', () => {
  const bundle = bundleOf(JSON.parse(sigstoreFixture('sigstore-conformance/managed-key-happy-path/bundle.sigstore.json').toString('utf8')));
  const artifact = sigstoreFixture('sigstore-conformance/managed-key-happy-path/a.txt');
  const key = { id: 'key.pub', pem: sigstoreFixture('sigstore-conformance/managed-key-happy-path/key.pub').toString('utf8') };
  const keyPolicy = policy({ keys: [key], rekor: 'required' });

  it('verifies with key.pub: signature over a.txt, message digest, hashedrekord SET', () => {
    expect(verifyArtifactBundle(bundle, artifact, keyPolicy, NOW)).toMatchObject({ ok: true, value: { type: 'cosign-key', key: 'key.pub', tlog: { logIndex: 771488337 } } });
  });

  it('has the key hint cosign writes: base64 of sha256 of the SPKI DER', () => {
    const spki = createPublicKey(key.pem).export({ type: 'spki', format: 'der' });
    expect(bundle.material).toEqual({ kind: 'publicKey', hint: createHash('sha256').update(spki).digest('base64') });
  });

  it('refuses another artifact, another key, and an image context', () => {
    const other = Buffer.concat([artifact, Buffer.from('!')]);
    expect(verifyArtifactBundle(bundle, other, keyPolicy, NOW)).toMatchObject({ ok: false, reason: expect.stringMatching(/^bundle message digest is not the artifact's sha256:[a-f0-9]{64}$/) });
    const stranger = { id: 'cosign.pub', pem: sigstoreFixture('containers-image/cosign.pub').toString('utf8') };
    expect(verifyArtifactBundle(bundle, artifact, policy({ keys: [stranger] }), NOW)).toEqual({ ok: false, reason: 'not signed by any configured key (tried cosign.pub)' });
    expect(verifyImageBundle(bundle, IMAGE, keyPolicy, NOW)).toEqual({
      ok: false,
      reason: 'bundle holds a message signature, not a DSSE in-toto statement, so it names no image digest',
    });
  });
});
