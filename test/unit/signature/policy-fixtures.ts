/** Policies and trusted roots for signature tests. */
import { X509Certificate } from 'node:crypto';
import type { VerificationKey } from '../../../shared/config/types';
import type { KeylessIdentity } from '../../../shared/signature/keyless-identity';
import { resolvePolicy, type PolicyInput, type VerificationPolicy } from '../../../shared/signature/policy';
import { PUBLIC_GOOD_TRUSTED_ROOT_JSON } from '../../../shared/signature/public-good-trusted-root';
import { parseTrustedRoot, type TrustedRoot } from '../../../shared/signature/trusted-root';
import { fixtureText } from './sigstore-fixtures';

export const cosignPub: VerificationKey = { id: 'cosign.pub', pem: fixtureText('cosign.pub') };
export const cosign2Pub: VerificationKey = { id: 'cosign2.pub', pem: fixtureText('cosign2.pub') };

export function policy(input: Partial<PolicyInput> = {}): VerificationPolicy {
  return resolvePolicy({ keys: [], ...input });
}

/** A `verify.keyless` entry; a subject or issuer written `/…/` is a regular expression. */
export function identity(issuer: string, subject: string, index = 0): KeylessIdentity {
  const pattern = (v: string) => (v.startsWith('/') && v.endsWith('/') ? v.slice(1, -1) : null);
  return {
    id: `keyless[${index}]`,
    issuer: pattern(issuer) === null ? issuer : null,
    issuerRegExp: pattern(issuer),
    subject: pattern(subject) === null ? subject : null,
    subjectRegExp: pattern(subject),
  };
}

export function trustedRoot(json: string, source = 'test root'): TrustedRoot {
  const parsed = parseTrustedRoot(json, source);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

/** The public-good root, edited: drop its logs, move a CA's window... */
export function editedPublicGood(edit: (doc: any) => void): TrustedRoot {
  const doc = JSON.parse(PUBLIC_GOOD_TRUSTED_ROOT_JSON);
  edit(doc);
  return trustedRoot(JSON.stringify(doc), 'edited public-good');
}

/** containers/image's private CA (pki fixtures) as a trusted root: the intermediate, then the root. */
export function pkiTrustedRoot(): TrustedRoot {
  const raw = (file: string) => new X509Certificate(fixtureText(file)).raw.toString('base64');
  return trustedRoot(
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      certificateAuthorities: [
        {
          uri: 'https://pki.linuxera.example',
          certChain: { certificates: [{ rawBytes: raw('pki_intermediate_crts.pem') }, { rawBytes: raw('pki_root_crts.pem') }] },
          validFor: { start: '2024-01-01T00:00:00Z' },
        },
      ],
    }),
    'linuxera pki',
  );
}
