/** Loads the sigstore fixtures (see test/fixtures/sigstore/README.md). */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../../fixtures/sigstore/', import.meta.url));
const ROOT = `${FIXTURES}containers-image/`;
const WRAPPER_PREFIX = '\x00sigstore-json\n';

export interface FixtureSignature {
  /** The payload bytes, exactly as signed. */
  readonly payload: Buffer;
  readonly signature: string;
  readonly annotations: Readonly<Record<string, string>>;
}

export function fixtureBytes(path: string): Buffer {
  return readFileSync(ROOT + path);
}

export function fixtureText(path: string): string {
  return fixtureBytes(path).toString('utf8');
}

/** `sha256:<hex>` of a fixture file: what a registry would call that manifest. */
export function fixtureDigest(path: string): string {
  return `sha256:${createHash('sha256').update(fixtureBytes(path)).digest('hex')}`;
}

/** Reads containers/image's `signature-N` wrapper: `\x00sigstore-json\n` followed by JSON. */
export function fixtureSignature(path: string): FixtureSignature {
  const raw = fixtureBytes(path);
  const prefix = Buffer.from(WRAPPER_PREFIX, 'latin1');
  if (!raw.subarray(0, prefix.length).equals(prefix)) throw new Error(`${path} is not a sigstore-json signature`);
  const doc = JSON.parse(raw.subarray(prefix.length).toString('utf8')) as {
    mimeType: string;
    payload: string;
    annotations: Record<string, string>;
  };
  if (doc.mimeType !== 'application/vnd.dev.cosign.simplesigning.v1+json') throw new Error(`${path}: ${doc.mimeType}`);
  const signature = doc.annotations['dev.cosignproject.cosign/signature'];
  if (signature === undefined) throw new Error(`${path} has no signature annotation`);
  return { payload: Buffer.from(doc.payload, 'base64'), signature, annotations: doc.annotations };
}

/** The SPKI PEM of the certificate in a signature's `dev.sigstore.cosign/certificate` annotation. */
export function certificateKeyPem(signature: FixtureSignature): string {
  const pem = signature.annotations['dev.sigstore.cosign/certificate'];
  if (pem === undefined) throw new Error('no certificate annotation');
  return new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/** A fixture outside containers-image/, by its path under test/fixtures/sigstore/ (`cosign/…`). */
export function sigstoreFixture(path: string): Buffer {
  return readFileSync(FIXTURES + path);
}
