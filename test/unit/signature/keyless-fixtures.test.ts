import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifySimpleSigningLayer } from '../../../shared/signature/simple-signing-signature';
import { cosign2Pub, cosignPub, editedPublicGood, identity, pkiTrustedRoot, policy } from './policy-fixtures';
import { fixtureBytes, fixtureDigest, fixtureSignature, fixtureText } from './sigstore-fixtures';

const REGISTRY = '192.168.64.2:5000';
const NOW = new Date('2026-06-01T00:00:00Z');
const OAUTH = 'https://github.com/login/oauth';
const REKOR_LOG = 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d';

const fulcio = fixtureSignature('dir-img-cosign-fulcio-rekor-valid/signature-1');
const fulcioImage = { registry: REGISTRY, repository: 'cosign-signed/fulcio-rekor-1', digest: fixtureDigest('dir-img-cosign-fulcio-rekor-valid/manifest.json') };
const mitr = policy({ keyless: [identity(OAUTH, 'mitr@redhat.com')], rekor: 'required' });

function without(annotations: Readonly<Record<string, string>>, name: string): Record<string, string> {
  const copy = { ...annotations };
  delete copy[name];
  return copy;
}

/** The fixture's Rekor bundle annotation with one Payload field changed (its SET left as it was). */
function alteredBundle(annotations: Readonly<Record<string, string>>, change: (payload: Record<string, unknown>) => void): Record<string, string> {
  const bundle = JSON.parse(annotations['dev.sigstore.cosign/bundle']!) as { Payload: Record<string, unknown> };
  change(bundle.Payload);
  return { ...annotations, 'dev.sigstore.cosign/bundle': JSON.stringify(bundle) };
}

/** The same base64 text with its 40th character changed (still base64, another body). */
function editBase64(text: string): string {
  const changed = text[40] === 'A' ? 'B' : 'A';
  return `${text.slice(0, 40)}${changed}${text.slice(41)}`;
}

describe('dir-img-cosign-fulcio-rekor-valid: a keyless signature with a Rekor bundle', () => {
  it('verifies: Fulcio chain to the public-good root, identity, SET, valid at the integrated time', () => {
    const verdict = verifySimpleSigningLayer(fulcio, fulcioImage, mitr, NOW);
    expect(verdict).toMatchObject({
      ok: true,
      value: {
        format: 'simple-signing',
        dockerReference: '192.168.64.2:5000/cosign-signed/fulcio-rekor-1',
        signer: {
          type: 'cosign-keyless',
          key: `mitr@redhat.com (${OAUTH})`,
          identity: { policy: 'keyless[0]', issuer: OAUTH, subject: 'mitr@redhat.com' },
          certificateAuthority: 'https://fulcio.sigstore.dev',
          tlog: { logIndex: 11605770, logId: REKOR_LOG, integratedTime: new Date('2023-01-20T20:51:33Z') },
          validUntil: null,
        },
      },
    });
  });

  it('refuses another subject, naming the certificate identity and the identities wanted', () => {
    const verdict = verifySimpleSigningLayer(fulcio, fulcioImage, policy({ keyless: [identity(OAUTH, 'someone@redhat.com')] }), NOW);
    expect(verdict).toEqual({
      ok: false,
      reason: `certificate identity email:mitr@redhat.com issued by ${OAUTH} matches no keyless identity (keyless[0]: someone@redhat.com from ${OAUTH})`,
    });
  });

  it('refuses another issuer', () => {
    const google = 'https://accounts.google.com';
    const verdict = verifySimpleSigningLayer(fulcio, fulcioImage, policy({ keyless: [identity(google, 'mitr@redhat.com')] }), NOW);
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining(`issued by ${OAUTH} matches no keyless identity (keyless[0]: mitr@redhat.com from ${google})`) });
  });

  it('refuses it without its Rekor bundle when Rekor is required', () => {
    const layer = { ...fulcio, annotations: without(fulcio.annotations, 'dev.sigstore.cosign/bundle') };
    expect(verifySimpleSigningLayer(layer, fulcioImage, mitr, NOW)).toEqual({ ok: false, reason: 'no Rekor transparency log entry, and verify.rekor is required' });
  });

  it('refuses it without its Rekor bundle when Rekor is optional: the certificate expired long ago', () => {
    const layer = { ...fulcio, annotations: without(fulcio.annotations, 'dev.sigstore.cosign/bundle') };
    expect(verifySimpleSigningLayer(layer, fulcioImage, { ...mitr, rekor: 'optional' }, NOW)).toEqual({
      ok: false,
      reason:
        'certificate (email:mitr@redhat.com) was not valid at verification time (no Rekor entry) 2026-06-01T00:00:00Z: ' +
        'it is valid from 2023-01-20T20:51:31Z to 2023-01-20T21:01:31Z',
    });
  });

  it.each([
    ['integratedTime + 1', (p: Record<string, unknown>) => (p['integratedTime'] = (p['integratedTime'] as number) + 1)],
    ['another logIndex', (p: Record<string, unknown>) => (p['logIndex'] = (p['logIndex'] as number) + 1)],
    ['an edited body', (p: Record<string, unknown>) => (p['body'] = editBase64(String(p['body'])))],
  ])('refuses a Rekor bundle with %s: the SET no longer verifies', (_name, change) => {
    const layer = { ...fulcio, annotations: alteredBundle(fulcio.annotations, change) };
    expect(verifySimpleSigningLayer(layer, fulcioImage, mitr, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(new RegExp(`^Rekor SignedEntryTimestamp does not verify with the key of log ${REKOR_LOG} \\(entry \\d+ altered\\?\\)$`)),
    });
  });

  it('refuses a Rekor entry from a log the trusted root does not list, even when Rekor is optional', () => {
    const root = editedPublicGood((doc) => (doc.tlogs = []));
    expect(verifySimpleSigningLayer(fulcio, fulcioImage, { ...mitr, rekor: 'optional', trustedRoot: root }, NOW)).toEqual({
      ok: false,
      reason: `Rekor entry names log ${REKOR_LOG}, which is not in the trusted root edited public-good`,
    });
  });

  it('refuses a certificate whose CA was not trusted at the integrated time', () => {
    const root = editedPublicGood((doc) => (doc.certificateAuthorities[1].validFor.end = '2022-12-31T00:00:00Z'));
    expect(verifySimpleSigningLayer(fulcio, fulcioImage, { ...mitr, trustedRoot: root }, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^certificate chains to https:\/\/fulcio\.sigstore\.dev \(O=sigstore\.dev, CN=sigstore\), trusted from 2022-04-13T20:06:15\.000Z to 2022-12-31T00:00:00\.000Z, which was not trusted at the Rekor integrated time 2023-01-20T20:51:33Z$/),
    });
  });

  it('refuses it under a trusted root without the CA that issued it', () => {
    const root = editedPublicGood((doc) => doc.certificateAuthorities.splice(1, 1));
    expect(verifySimpleSigningLayer(fulcio, fulcioImage, { ...mitr, trustedRoot: root }, NOW)).toEqual({
      ok: false,
      reason: 'certificate is not issued by any certificate authority in the trusted root edited public-good (its issuer is O=sigstore.dev, CN=sigstore-intermediate)',
    });
  });

  it('says a certificate is not enough when only keys are configured', () => {
    expect(verifySimpleSigningLayer(fulcio, fulcioImage, policy({ keys: [cosignPub] }), NOW)).toEqual({
      ok: false,
      reason: 'not signed by any configured key (tried cosign.pub); it carries a certificate, but no keyless identities are configured',
    });
  });

  it('refuses a signature that is not the certificate key\'s', () => {
    const other = fixtureSignature('dir-img-cosign-key-rekor-valid/signature-1');
    const layer = { ...fulcio, annotations: { ...fulcio.annotations, 'dev.cosignproject.cosign/signature': other.signature } };
    expect(verifySimpleSigningLayer(layer, fulcioImage, mitr, NOW)).toEqual({ ok: false, reason: 'signature does not verify with the key of its certificate' });
  });

  it('refuses the signature for another image digest and for another repository', () => {
    const otherDigest = `sha256:${'ab'.repeat(32)}`;
    expect(verifySimpleSigningLayer(fulcio, { ...fulcioImage, digest: otherDigest }, mitr, NOW)).toEqual({
      ok: false,
      reason: `payload signs ${fulcioImage.digest}, not ${otherDigest}`,
    });
    expect(verifySimpleSigningLayer(fulcio, { ...fulcioImage, repository: 'cosign-signed/key-1' }, mitr, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('payload names repository 192.168.64.2:5000/cosign-signed/fulcio-rekor-1, not'),
    });
  });
});

describe('dir-img-cosign-key-rekor-valid: a key signature with a Rekor bundle', () => {
  const keyRekor = fixtureSignature('dir-img-cosign-key-rekor-valid/signature-1');
  const image = { registry: REGISTRY, repository: 'cosign-signed/key-1', digest: fixtureDigest('dir-img-cosign-key-rekor-valid/manifest.json') };

  it('verifies with cosign2.pub and records the Rekor log index', () => {
    expect(verifySimpleSigningLayer(keyRekor, image, policy({ keys: [cosignPub, cosign2Pub], rekor: 'required' }), NOW)).toMatchObject({
      ok: true,
      value: { signer: { type: 'cosign-key', key: 'cosign2.pub', identity: null, tlog: { logIndex: 11608800 } } },
    });
  });

  it('refuses it with cosign.pub only', () => {
    expect(verifySimpleSigningLayer(keyRekor, image, policy({ keys: [cosignPub] }), NOW)).toEqual({ ok: false, reason: 'not signed by any configured key (tried cosign.pub)' });
  });

  it('refuses a Rekor bundle that belongs to another signature', () => {
    const valid = fixtureSignature('dir-img-cosign-valid/signature-1');
    const validImage = { registry: REGISTRY, repository: 'cosign-signed-single-sample', digest: fixtureDigest('dir-img-cosign-valid/manifest.json') };
    const layer = { ...valid, annotations: { ...valid.annotations, 'dev.sigstore.cosign/bundle': keyRekor.annotations['dev.sigstore.cosign/bundle']! } };
    const payloadHash = createHash('sha256').update(valid.payload).digest('hex');
    expect(verifySimpleSigningLayer(layer, validImage, policy({ keys: [cosignPub] }), NOW)).toEqual({
      ok: false,
      reason: `Rekor entry records hash sha256:5f410774769a2edd4cd1ee36072223018ac93495c968a442d4208da5ca753f37, not the signed payload's sha256:${payloadHash}`,
    });
  });
});

describe('dir-img-cosign-pki-valid: an RSA certificate from a private CA, no Rekor', () => {
  const pki = fixtureSignature('dir-img-cosign-pki-valid/signature-1');
  const image = { registry: 'localhost:5000', repository: 'test', digest: fixtureDigest('dir-img-cosign-pki-valid/manifest.json') };
  const anyIssuer = policy({ keyless: [identity('/.*/', 'qiwan@redhat.com')], trustedRoot: pkiTrustedRoot() });

  it('verifies through the intermediate to the private root, the certificate valid now', () => {
    expect(verifySimpleSigningLayer(pki, image, anyIssuer, NOW)).toMatchObject({
      ok: true,
      value: {
        signer: {
          type: 'cosign-keyless',
          key: 'qiwan@redhat.com (no OIDC issuer)',
          certificateAuthority: 'https://pki.linuxera.example',
          tlog: null,
          validUntil: new Date('2052-02-16T14:28:43Z'),
        },
      },
    });
  });

  it('refuses it when Rekor is required, or an OIDC issuer is', () => {
    expect(verifySimpleSigningLayer(pki, image, { ...anyIssuer, rekor: 'required' }, NOW)).toMatchObject({ ok: false, reason: 'no Rekor transparency log entry, and verify.rekor is required' });
    const withIssuer = { ...anyIssuer, keyless: [identity(OAUTH, 'qiwan@redhat.com')] };
    expect(verifySimpleSigningLayer(pki, image, withIssuer, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('email:qiwan@redhat.com, dns:myhost.example.com issued by (no OIDC issuer extension) matches no keyless identity'),
    });
  });

  it('refuses it under the public-good root', () => {
    expect(verifySimpleSigningLayer(pki, image, { ...anyIssuer, trustedRoot: policy().trustedRoot }, NOW)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('certificate is not issued by any certificate authority in the trusted root public-good (built in) (its issuer is C=ES, L=Valencia, O=IT, OU=Security, CN=Linuxera Intermediate Certificate Authority)'),
    });
  });
});

describe('rekor-payload, rekor-sig, rekor-cert, rekor-set', () => {
  const payload = fixtureBytes('rekor-payload');
  const layer = {
    payload,
    annotations: {
      'dev.cosignproject.cosign/signature': fixtureText('rekor-sig'),
      'dev.sigstore.cosign/certificate': fixtureText('rekor-cert'),
      'dev.sigstore.cosign/bundle': fixtureText('rekor-set'),
    },
  };
  const image = {
    registry: REGISTRY,
    repository: 'test-repo-2100826901021538654/alpine',
    digest: 'sha256:fa93b01658e3a5a1686dc3ae55f170d8de487006fb53a28efcd12ab0710a2e5f',
  };

  it('verifies as a keyless signature logged at index 8949589', () => {
    expect(verifySimpleSigningLayer(layer, image, mitr, NOW)).toMatchObject({ ok: true, value: { signer: { type: 'cosign-keyless', tlog: { logIndex: 8949589 } } } });
  });

  it('refuses every single-bit flip of the payload', () => {
    let accepted = 0;
    for (let i = 0; i < payload.length * 8; i++) {
      const flipped = Buffer.from(payload);
      flipped[i >> 3]! ^= 1 << (i & 7);
      if (verifySimpleSigningLayer({ ...layer, payload: flipped }, image, mitr, NOW).ok) accepted++;
    }
    expect(accepted).toBe(0);
  });
});
