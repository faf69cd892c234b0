/**
 * A Rekor log for tests and the demo: entries shaped as rekor.sigstore.dev writes them (hashedrekord and
 * dsse bodies, canonicalized), each with a SignedEntryTimestamp made with the log's own key, plus the
 * trusted_root.json that trusts this log and a set of certificate authorities.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { canonicalJson, type Json } from '../../shared/signature/canonical-json';
import type { TestCa } from './test-certificates';

export interface LoggedEntry {
  readonly body: string;
  readonly integratedTime: number;
  readonly logIndex: number;
  /** Hex. */
  readonly logID: string;
  /** Base64. */
  readonly signedEntryTimestamp: string;
}

export interface LoggedSignature {
  /** sha256 hex of what was signed (the payload, or the DSSE payload for `dsse`). */
  readonly payloadSha256: string;
  /** Base64 signature. */
  readonly signature: string;
  /** PEM of the certificate or public key that verifies it. */
  readonly verifierPem: string;
}

export class TestRekorLog {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** sha256 of the SPKI DER, hex: Rekor's log ID. */
  readonly logId: string;
  private nextIndex = 1000;

  constructor(readonly baseUrl = 'https://rekor.test.example') {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = keys.privateKey;
    this.publicKey = keys.publicKey;
    this.logId = createHash('sha256').update(keys.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  }

  /** A hashedrekord 0.0.1 entry: what `cosign sign` logs for a simple-signing signature. */
  hashedRekord(signed: LoggedSignature, integratedTime: Date): LoggedEntry {
    return this.log(
      {
        apiVersion: '0.0.1',
        kind: 'hashedrekord',
        spec: {
          data: { hash: { algorithm: 'sha256', value: signed.payloadSha256 } },
          signature: { content: signed.signature, publicKey: { content: Buffer.from(signed.verifierPem).toString('base64') } },
        },
      },
      integratedTime,
    );
  }

  /** A dsse 0.0.1 entry: what cosign v3 logs for a DSSE bundle. */
  dsse(signed: LoggedSignature, envelopeSha256: string, integratedTime: Date): LoggedEntry {
    return this.log(
      {
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: {
          envelopeHash: { algorithm: 'sha256', value: envelopeSha256 },
          payloadHash: { algorithm: 'sha256', value: signed.payloadSha256 },
          signatures: [{ signature: signed.signature, verifier: Buffer.from(signed.verifierPem).toString('base64') }],
        },
      },
      integratedTime,
    );
  }

  /** Signs the SET over an entry as given: tests use it to re-sign tampered entries. */
  signEntry(entry: Omit<LoggedEntry, 'signedEntryTimestamp'>): LoggedEntry {
    const payload = canonicalJson({ body: entry.body, integratedTime: entry.integratedTime, logID: entry.logID, logIndex: entry.logIndex });
    return { ...entry, signedEntryTimestamp: sign('sha256', Buffer.from(payload), this.privateKey).toString('base64') };
  }

  private log(body: Json, integratedTime: Date): LoggedEntry {
    return this.signEntry({
      body: Buffer.from(canonicalJson(body)).toString('base64'),
      integratedTime: Math.floor(integratedTime.getTime() / 1000),
      logIndex: this.nextIndex++,
      logID: this.logId,
    });
  }
}

/** cosign's `dev.sigstore.cosign/bundle` annotation for an entry. */
export function cosignBundleAnnotation(entry: LoggedEntry): string {
  const { signedEntryTimestamp, ...payload } = entry;
  return JSON.stringify({ SignedEntryTimestamp: signedEntryTimestamp, Payload: payload });
}

/** The entry as a sigstore bundle v0.3 `tlogEntries` item. */
export function bundleTlogEntry(entry: LoggedEntry, kind: 'hashedrekord' | 'dsse'): Record<string, unknown> {
  return {
    logIndex: String(entry.logIndex),
    logId: { keyId: Buffer.from(entry.logID, 'hex').toString('base64') },
    kindVersion: { kind, version: '0.0.1' },
    integratedTime: String(entry.integratedTime),
    inclusionPromise: { signedEntryTimestamp: entry.signedEntryTimestamp },
    canonicalizedBody: entry.body,
  };
}

export interface TrustedRootParts {
  readonly authorities: readonly { readonly chain: readonly TestCa[]; readonly uri?: string; readonly start?: Date; readonly end?: Date }[];
  readonly logs: readonly { readonly log: TestRekorLog; readonly start?: Date; readonly end?: Date }[];
}

/** A trusted_root.json (the public-good format) trusting exactly these CAs and logs. */
export function trustedRootJson(parts: TrustedRootParts): string {
  const window = (start?: Date, end?: Date) => ({
    start: (start ?? new Date('2020-01-01T00:00:00Z')).toISOString(),
    ...(end ? { end: end.toISOString() } : {}),
  });
  return JSON.stringify(
    {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: parts.logs.map(({ log, start, end }) => ({
        baseUrl: log.baseUrl,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: log.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: window(start, end),
        },
        logId: { keyId: Buffer.from(log.logId, 'hex').toString('base64') },
      })),
      certificateAuthorities: parts.authorities.map(({ chain, uri, start, end }) => ({
        subject: { organization: chain[0]!.name.organization, commonName: chain[0]!.name.commonName },
        uri: uri ?? 'https://fulcio.test.example',
        certChain: { certificates: chain.map((ca) => ({ rawBytes: ca.der.toString('base64') })) },
        validFor: window(start, end),
      })),
    },
    null,
    2,
  );
}
