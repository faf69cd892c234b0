/**
 * Public keys as cosign and sigstore sign with them, and the one signature check every format shares.
 * The hash follows the key, as sigstore's verifiers choose it: SHA-256 for P-256 and RSA, SHA-384 for
 * P-384, none for Ed25519 (pure Ed25519).
 */
import { constants, createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { fail, ok, type CheckResult } from './encoding';

export interface PublicKey {
  readonly key: KeyObject;
  readonly kind: 'ecdsa-p256' | 'ecdsa-p384' | 'rsa' | 'ed25519';
  /** sha256 of the SPKI DER, hex. */
  readonly fingerprint: string;
}

const PEM_PUBLIC_KEY = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----$/;

/**
 * A configured key: only bare SPKI PEM. createPublicKey would also take a private key or a certificate,
 * and trusting a certificate's key without checking its chain is not a key policy.
 */
export function loadPublicKey(pem: string): CheckResult<PublicKey> {
  if (!PEM_PUBLIC_KEY.test(pem.trim())) return fail('not a PEM public key');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return fail('unreadable public key');
  }
  const loaded = classify(key);
  // Configured keys stay what cosign's key pairs are (P-256, RSA, Ed25519); P-384 only signs certificates here.
  if (loaded.ok && loaded.value.kind === 'ecdsa-p384') return fail('unsupported key type ec secp384r1');
  return loaded;
}

/** A key taken from a certificate or a trusted root (already parsed, any supported type). */
export function classify(key: KeyObject): CheckResult<PublicKey> {
  const fingerprint = spkiFingerprint(key);
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return ok({ key, kind: 'ecdsa-p256', fingerprint });
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'secp384r1') return ok({ key, kind: 'ecdsa-p384', fingerprint });
  if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return ok({ key, kind: 'rsa', fingerprint });
  if (key.asymmetricKeyType === 'ed25519') return ok({ key, kind: 'ed25519', fingerprint });
  const curve = details?.namedCurve ? ` ${details.namedCurve}` : '';
  return fail(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}${curve}`);
}

export function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

export function spkiFingerprint(key: KeyObject): string {
  return createHash('sha256').update(spkiDer(key)).digest('hex');
}

/** True when `signature` is `key`'s signature over `data`; false for anything malformed. */
export function verifyWith(publicKey: PublicKey, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    switch (publicKey.kind) {
      case 'ecdsa-p256':
        return verify('sha256', data, { key: publicKey.key, dsaEncoding: 'der' }, signature);
      case 'ecdsa-p384':
        return verify('sha384', data, { key: publicKey.key, dsaEncoding: 'der' }, signature);
      case 'rsa':
        return verify('sha256', data, { key: publicKey.key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'ed25519':
        return verify(null, data, publicKey.key, signature);
    }
  } catch {
    // OpenSSL throws on some malformed signatures instead of answering false.
    return false;
  }
}
