/**
 * The Notary Project's own signed envelopes (test/fixtures/notation/README.md says where each comes
 * from and what it verifies against), checked case by case, and every one of them tampered with.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCertificate, type ParsedCertificate } from '../../../shared/signature/certificate';
import {
  parseNotationEnvelope,
  verifyNotationSignature,
  type NotationTrust,
} from '../../../shared/signature/notation/notation-verification';
import { parseTrustedIdentity, type TrustedIdentity } from '../../../shared/signature/notation/trusted-identity';

const DIR = join(__dirname, '../../fixtures/notation');
const JWS = 'application/jose+json';
const COSE = 'application/cose';
const NOW = new Date('2026-12-01T00:00:00Z');

const SAMPLE_DIGEST = 'sha256:60043cf45eaebc4c0867fea485a039b598f52fd09fd5b07b0b2d2f88fad9d74e';
const ALPINE_DIGEST = `sha256:${createHash('sha256').update(readFileSync(join(DIR, 'oci-layout/manifest-19dbd2e4.json'))).digest('hex')}`;
const TIMESTAMPED_DIGEST = 'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda';

function envelope(name: string): Uint8Array {
  return readFileSync(join(DIR, 'envelopes', name));
}

function cert(name: string): ParsedCertificate {
  const parsed = parseCertificate(readFileSync(join(DIR, 'truststore', name)));
  if (!parsed.ok) throw new Error(`${name} ${parsed.reason}`);
  return parsed.value;
}

function identity(text: string): TrustedIdentity {
  const parsed = parseTrustedIdentity(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

function trust(ca: string[], options: { tsa?: string[]; signingAuthority?: string[]; identities?: TrustedIdentity[] } = {}): NotationTrust {
  return {
    trustStore: { ca: ca.map(cert), signingAuthority: (options.signingAuthority ?? []).map(cert), tsa: (options.tsa ?? []).map(cert) },
    trustedIdentities: options.identities ?? '*',
  };
}

interface Case {
  readonly file: string;
  readonly mediaType: string;
  readonly digest: string;
  readonly trust: NotationTrust;
}

const notationRoot = trust(['NotationTestRoot.pem']);
const timestamped = (leaf: string) => trust([leaf], { tsa: ['tsa-globalsignRoot.cer'] });

/** Envelopes that verify, each with the trust that makes them verify. */
const VALID: Record<string, Case> = {
  'JWS, CA chain (ca_valid_sig_env)': { file: 'ca_valid_sig_env.json', mediaType: JWS, digest: SAMPLE_DIGEST, trust: notationRoot },
  'JWS, signing authority (sa_valid_sig_env)': {
    file: 'sa_valid_sig_env.json',
    mediaType: JWS,
    digest: SAMPLE_DIGEST,
    trust: trust([], { signingAuthority: ['NotationTestRoot.pem'] }),
  },
  'JWS, self-signed leaf (jws_signature)': { file: 'jws_signature.sig', mediaType: JWS, digest: ALPINE_DIGEST, trust: trust(['alpine-2000.pem']) },
  'COSE, self-signed leaf (cose_signature)': { file: 'cose_signature.sig', mediaType: COSE, digest: ALPINE_DIGEST, trust: trust(['alpine-2000.pem']) },
  'JWS without timestamp': { file: 'withoutTimestamp.sig', mediaType: JWS, digest: TIMESTAMPED_DIGEST, trust: trust(['TestTimestamp.crt']) },
  'JWS with a GlobalSign timestamp': { file: 'jwsWithTimestamp.sig', mediaType: JWS, digest: TIMESTAMPED_DIGEST, trust: timestamped('TestTimestamp.crt') },
  'COSE with a GlobalSign timestamp': { file: 'coseWithTimestamp.sig', mediaType: COSE, digest: TIMESTAMPED_DIGEST, trust: timestamped('TestTimestamp.crt') },
  'JWS, expired leaf, timestamped while it was valid': {
    file: 'jwsExpiredWithTimestamp.sig',
    mediaType: JWS,
    digest: TIMESTAMPED_DIGEST,
    trust: timestamped('testTSA-2024.pem'),
  },
  'COSE, expired leaf, timestamped while it was valid': {
    file: 'coseExpiredWithTimestamp.sig',
    mediaType: COSE,
    digest: TIMESTAMPED_DIGEST,
    trust: timestamped('testTSA-2024.pem'),
  },
};

function check(c: Case, bytes = envelope(c.file), digest = c.digest, t = c.trust) {
  return verifyNotationSignature(c.mediaType, bytes, digest, t, { now: NOW });
}

describe('Notation signatures made by the Notary Project (notation-go test data)', () => {
  for (const [title, c] of Object.entries(VALID)) {
    it(`accepts ${title}`, () => {
      const verdict = check(c);
      expect(verdict.ok ? null : verdict.reason).toBeNull();
    });
  }

  it('records the leaf fingerprint, subject, signing time and timestamp authority', () => {
    const verdict = check(VALID['JWS with a GlobalSign timestamp']!);
    expect(verdict).toMatchObject({
      ok: true,
      value: {
        leafFingerprint: '01937612e3e24e6496b325fb899fdb3b7045350ab2d91141c6310a917d5cebe2',
        subject: 'C=US, ST=WA, L=Seattle, O=Notary, CN=alpine',
        signingTime: new Date('2024-06-18T06:29:33Z'),
        timestampAuthority: 'C=BE, O=GlobalSign nv-sa, CN=Globalsign TSA for Advanced - G4 - 202311',
        validAt: new Date('2024-06-18T06:29:37Z'),
      },
    });
  });

  it('without a tsa trust store, an expired leaf is expired: the envelope\'s signing time never extends validity', () => {
    const c = VALID['JWS, expired leaf, timestamped while it was valid']!;
    expect(check(c, undefined, undefined, trust(['testTSA-2024.pem']))).toEqual({
      ok: false,
      reason: 'certificate "C=US, ST=WA, L=Seattle, O=Notary, CN=testTSA" has expired at now, 2026-12-01T00:00:00Z: it was valid until 2024-06-18T07:30:31Z',
    });
  });

  it('a timestamp from a TSA outside the tsa trust store proves nothing', () => {
    const c = VALID['JWS, expired leaf, timestamped while it was valid']!;
    const verdict = check(c, undefined, undefined, trust(['testTSA-2024.pem'], { tsa: ['GlobalSignRootCA.crt'] }));
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringContaining('does not chain to a certificate of the tsa trust store') });
  });

  const REJECTED: [string, Case, string][] = [
    ['an expired signature (ca_expired_sig_env)', { file: 'ca_expired_sig_env.json', mediaType: JWS, digest: SAMPLE_DIGEST, trust: notationRoot }, 'the signature expired at 2022-07-29T23:59:00Z'],
    ['an expired signing-authority signature', { file: 'sa_expired_sig_env.json', mediaType: JWS, digest: SAMPLE_DIGEST, trust: trust([], { signingAuthority: ['NotationTestRoot.pem'] }) }, 'the signature expired at 2022-07-29T23:59:00Z'],
    ['a malformed envelope (ca_invalid_sig_env)', { file: 'ca_invalid_sig_env.json', mediaType: JWS, digest: SAMPLE_DIGEST, trust: notationRoot }, 'malformed envelope: JWS payload is not base64url'],
    ['an unknown critical header (ca_plugin_sig_env)', { file: 'ca_plugin_sig_env.json', mediaType: JWS, digest: SAMPLE_DIGEST, trust: notationRoot }, 'unknown critical header "SomeKey"'],
    [
      'a signature that needs a verification plugin',
      { file: 'ca_compatible_pluginver_sig_env_1.0.0.json', mediaType: JWS, digest: 'sha256:fe7e9333395060c2f5e63cf36a38fba10176f183b4163a5794e081a480abba5f', trust: trust(['wabbit-networks.io.crt']) },
      'the signature requires verification plugin "io.cncf.notary.plugin.unittest.mock", which this verifier does not run (critical header io.cncf.notary.verificationPluginMinVersion)',
    ],
    [
      'an expired certificate (sig_env_with_metadata)',
      { file: 'sig_env_with_metadata.json', mediaType: JWS, digest: 'sha256:5a07385af4e6b6af81b0ebfd435aedccdfa3507f0609c658209e1aba57159b2b', trust: trust(['wabbit-networks-2023-01-11.pem']) },
      'certificate "C=US, ST=WA, L=Seattle, O=Notary, CN=wabbit-networks.io" has expired at now, 2026-12-01T00:00:00Z: it was valid until 2023-01-12T00:52:12Z',
    ],
    [
      'a certificate not yet valid at its trusted timestamp (timestampBeforeNotBefore)',
      { file: 'timestampBeforeNotBefore.sig', mediaType: JWS, digest: TIMESTAMPED_DIGEST, trust: timestamped('testTSA-2099.pem') },
      'certificate "C=US, ST=WA, L=Seattle, O=Notary, CN=testTSA" is not valid yet at the trusted timestamp 2024-06-19T09:30:14Z: it is valid from 2099-09-18T11:54:34Z',
    ],
    [
      'a certificate expired before its trusted timestamp (timestampAfterNotAfter)',
      { file: 'timestampAfterNotAfter.sig', mediaType: COSE, digest: TIMESTAMPED_DIGEST, trust: timestamped('testTSA-2001.pem') },
      'certificate "C=US, ST=WA, L=Seattle, O=Notary, CN=testTSA" has expired at the trusted timestamp 2024-06-19T09:35:58Z: it was valid until 2001-09-18T11:54:34Z',
    ],
    [
      'a chain that does not lead to the trust store',
      { file: 'ca_valid_sig_env.json', mediaType: JWS, digest: SAMPLE_DIGEST, trust: trust(['GlobalSignRootCA.crt', 'wabbit-networks.io.crt']) },
      'the certificate chain ("C=US, ST=WA, L=Seattle, O=Notary, CN=Notation Test Root" <- "C=US, ST=WA, L=Seattle, O=Notary, CN=Notation Test Root") does not lead to a certificate of the ca trust store',
    ],
    [
      'a CA-scheme signature against a signingAuthority store only',
      { file: 'ca_valid_sig_env.json', mediaType: JWS, digest: SAMPLE_DIGEST, trust: trust([], { signingAuthority: ['NotationTestRoot.pem'] }) },
      'does not lead to a certificate of the ca trust store',
    ],
    [
      'a payload for another digest',
      { file: 'jws_signature.sig', mediaType: JWS, digest: SAMPLE_DIGEST, trust: trust(['alpine-2000.pem']) },
      `the signed payload is for ${ALPINE_DIGEST}, not ${SAMPLE_DIGEST}`,
    ],
    [
      'a JWS envelope announced as COSE',
      { file: 'jws_signature.sig', mediaType: COSE, digest: ALPINE_DIGEST, trust: trust(['alpine-2000.pem']) },
      'malformed envelope: COSE envelope is not strict CBOR',
    ],
    [
      'a subject outside the trusted identities',
      {
        file: 'jws_signature.sig',
        mediaType: JWS,
        digest: ALPINE_DIGEST,
        trust: trust(['alpine-2000.pem'], { identities: [identity('x509.subject: C=US, ST=WA, O=Notary, CN=wabbit-networks.io')] }),
      },
      'signer "C=US, ST=WA, L=Seattle, O=Notary, CN=alpine" is not one of the trusted identities',
    ],
  ];
  for (const [title, c, reason] of REJECTED) {
    it(`rejects ${title}, saying so`, () => {
      const verdict = check(c);
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) expect(verdict.reason).toContain(reason);
    });
  }

  it('matches trusted identities on subject attributes, as Notation does', () => {
    const c = VALID['JWS, self-signed leaf (jws_signature)']!;
    const withIdentity = (text: string) => check(c, undefined, undefined, trust(['alpine-2000.pem'], { identities: [identity(text)] }));
    expect(withIdentity('x509.subject: C=US, ST=WA, O=Notary, CN=alpine')).toMatchObject({ ok: true, value: { identity: 'x509.subject: C=US, ST=WA, O=Notary, CN=alpine' } });
    expect(withIdentity('x509.subject: C=US, S=WA, L=Seattle, O=Notary')).toMatchObject({ ok: true });
    expect(withIdentity('x509.subject: C=US, ST=WA, O=Notary, CN=alpin')).toMatchObject({ ok: false });
    expect(withIdentity('x509.subject: C=US, ST=WA, O=Notary, OU=build')).toMatchObject({ ok: false });
    expect(parseTrustedIdentity('x509.subject: CN=alpine')).toBe('must name at least C, ST and O (missing C, ST, O)');
    expect(parseTrustedIdentity('CN=alpine')).toBe("must be '*' or start with x509.subject:");
  });
});

describe('tampered Notation envelopes', () => {
  // Flipping a byte either breaks the envelope, or touches what no check reads (an unsigned header,
  // JSON whitespace): then everything the verdict rests on must be byte-identical to the original.
  for (const [title, c] of Object.entries(VALID)) {
    it(`no tampered variant of ${title} is accepted with altered signed content`, () => {
      const original = envelope(c.file);
      const parsedOriginal = parseNotationEnvelope(c.mediaType, original);
      if (!parsedOriginal.ok) throw new Error(parsedOriginal.reason);
      const reference = parsedOriginal.value;
      const untampered = check(c);
      if (!untampered.ok) throw new Error(untampered.reason);
      const expectedValidAt = reference.timestampToken ? untampered.value.validAt : NOW;
      const expectedAuthority = untampered.value.timestampAuthority;
      let rejected = 0;
      for (let i = 0; i < original.length; i += i < 64 || i > original.length - 64 ? 1 : 11) {
        for (const mask of [0x01, 0x80]) {
          const tampered = Uint8Array.from(original);
          tampered[i] = tampered[i]! ^ mask;
          const verdict = check(c, tampered);
          if (!verdict.ok) {
            rejected += 1;
            continue;
          }
          const seen = verdict.value.envelope;
          expect(Buffer.from(seen.signedBytes).equals(Buffer.from(reference.signedBytes)), `byte ${i}`).toBe(true);
          expect(Buffer.from(seen.signature).equals(Buffer.from(reference.signature)), `byte ${i}`).toBe(true);
          expect(seen.certificateChain.map((d) => Buffer.from(d).toString('hex'))).toEqual(reference.certificateChain.map((d) => Buffer.from(d).toString('hex')));
          // A token is itself signed by its TSA: an edit outside what it signs may stand, but must prove the
          // same; an edit that hides the token (its header name) leaves the stricter check against now.
          expect([[expectedValidAt, expectedAuthority], [NOW, null]], `byte ${i}`).toContainEqual([verdict.value.validAt, verdict.value.timestampAuthority]);
        }
      }
      expect(rejected).toBeGreaterThan(100);
    }, 120_000);
  }

  it('a payload swapped between two valid envelopes is refused', () => {
    const jws = JSON.parse(envelope('withoutTimestamp.sig').toString()) as Record<string, unknown>;
    const other = JSON.parse(envelope('jws_signature.sig').toString()) as Record<string, unknown>;
    const swapped = Buffer.from(JSON.stringify({ ...jws, payload: other['payload'] }));
    expect(check(VALID['JWS without timestamp']!, swapped, ALPINE_DIGEST)).toEqual({
      ok: false,
      reason: 'the PS256 signature does not verify with the signing certificate\'s key',
    });
  });
});
