import { describe, expect, it } from 'vitest';
import { createIntermediateCa, createRootCa } from '../../../local/registry/test-certificates';
import { TestRekorLog, trustedRootJson } from '../../../local/registry/test-rekor';
import { PUBLIC_GOOD_TRUSTED_ROOT_JSON, publicGoodTrustedRoot } from '../../../shared/signature/public-good-trusted-root';
import { parseTrustedRoot } from '../../../shared/signature/trusted-root';
import { sigstoreFixture } from './sigstore-fixtures';

describe('trusted_root.json', () => {
  it('ships the public-good root byte for byte as cosign has it', () => {
    expect(PUBLIC_GOOD_TRUSTED_ROOT_JSON).toBe(sigstoreFixture('cosign/trusted_root_pgi.json').toString('utf8'));
  });

  it('reads its Rekor key (the production key, by logID) and both Fulcio CAs with their windows', () => {
    const root = publicGoodTrustedRoot();
    expect(root.tlogs).toEqual([
      expect.objectContaining({
        baseUrl: 'https://rekor.sigstore.dev',
        logId: 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d',
        key: expect.objectContaining({ kind: 'ecdsa-p256', fingerprint: 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d' }),
      }),
    ]);
    expect(root.certificateAuthorities.map((ca) => [ca.uri, ca.name, ca.chain.length, ca.validFor.end?.toISOString() ?? null])).toEqual([
      ['https://fulcio.sigstore.dev', 'O=sigstore.dev, CN=sigstore', 1, '2022-12-31T23:59:59.999Z'],
      ['https://fulcio.sigstore.dev', 'O=sigstore.dev, CN=sigstore', 2, null],
    ]);
  });

  it('agrees with containers/image: the current CA\'s root is fulcio_v1.crt.pem and the Rekor key is rekor.pub', () => {
    const root = publicGoodTrustedRoot();
    const fulcioV1 = sigstoreFixture('containers-image/fulcio_v1.crt.pem').toString('utf8');
    expect(root.certificateAuthorities[1]!.chain[1]!.toString().trim()).toBe(fulcioV1.trim());
    const rekorPub = sigstoreFixture('containers-image/rekor.pub').toString('utf8');
    expect(root.tlogs[0]!.key.key.export({ type: 'spki', format: 'pem' }).toString().trim()).toBe(rekorPub.trim());
  });

  it('reads a root of generated CAs and logs', () => {
    const ca = createRootCa({ commonName: 'r' });
    const log = new TestRekorLog();
    const parsed = parseTrustedRoot(trustedRootJson({ authorities: [{ chain: [createIntermediateCa(ca, { commonName: 'i' }), ca] }], logs: [{ log }] }), 'generated');
    expect(parsed).toMatchObject({ ok: true, value: { source: 'generated', tlogs: [{ logId: log.logId }], certificateAuthorities: [{ name: 'O=test.example, CN=r' }] } });
  });

  it.each([
    ['not JSON', '{', 'is not JSON'],
    ['another document', JSON.stringify({ mediaType: 'application/json' }), 'mediaType is "application/json", not application/vnd.dev.sigstore.trustedroot+json;version=0.1'],
    ['nothing trusted', JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }), 'has neither tlogs nor certificateAuthorities'],
  ])('refuses %s', (_name, text, reason) => {
    expect(parseTrustedRoot(text, 'x')).toEqual({ ok: false, reason });
  });

  it('names the field at fault', () => {
    const doc = JSON.parse(PUBLIC_GOOD_TRUSTED_ROOT_JSON);
    doc.tlogs[0].publicKey.rawBytes = 'AAAA';
    expect(parseTrustedRoot(JSON.stringify(doc), 'x')).toEqual({ ok: false, reason: 'tlogs[0].publicKey.rawBytes is not a DER public key' });
    const swapped = JSON.parse(PUBLIC_GOOD_TRUSTED_ROOT_JSON);
    swapped.certificateAuthorities[1].certChain.certificates.reverse();
    expect(parseTrustedRoot(JSON.stringify(swapped), 'x')).toEqual({ ok: false, reason: 'certificateAuthorities[1].certChain.certificates[0] is not issued by the next certificate' });
    const open = JSON.parse(PUBLIC_GOOD_TRUSTED_ROOT_JSON);
    open.certificateAuthorities[1].certChain.certificates.pop();
    expect(parseTrustedRoot(JSON.stringify(open), 'x')).toEqual({
      ok: false,
      reason: 'certificateAuthorities[1].certChain.certificates[0] is not self-signed (the last certificate must be the root)',
    });
    const badTime = JSON.parse(PUBLIC_GOOD_TRUSTED_ROOT_JSON);
    badTime.certificateAuthorities[0].validFor.end = 'soon';
    expect(parseTrustedRoot(JSON.stringify(badTime), 'x')).toEqual({ ok: false, reason: 'certificateAuthorities[0].validFor.end is not an RFC 3339 time' });
  });
});
