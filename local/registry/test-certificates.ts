/**
 * Certificates for tests and the demo: a CA (root and intermediates) and Fulcio-like leaf certificates,
 * shaped as Fulcio issues them (empty subject, critical SAN, code-signing EKU, the OIDC issuer in
 * extensions 1.3.6.1.4.1.57264.1.1 and .1.8). Every field a test may need to get wrong is an option.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { bitString, boolean, explicit, implicit, integer, octetString, oid, printableString, sequence, set, time, utf8String } from './der-writer';

export interface TestCa {
  readonly name: { readonly organization: string; readonly commonName: string };
  readonly certificate: X509Certificate;
  readonly der: Buffer;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface CaOptions {
  readonly commonName: string;
  readonly organization?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Default P-384, like Fulcio's CAs. */
  readonly curve?: 'P-256' | 'P-384';
  /** A path length constraint in basic constraints; default none. */
  readonly pathLength?: number;
}

export type San = { readonly email: string } | { readonly uri: string };

export interface LeafOptions {
  /** The key the certificate certifies (the signer's). */
  readonly publicKey: KeyObject;
  readonly san: readonly San[];
  /** The OIDC issuer, written into both Fulcio extensions; null for none. */
  readonly issuer: string | null;
  /** Write the issuer only in the legacy raw extension (.1.1), as Fulcio did before 2022. */
  readonly issuerV1Only?: boolean;
  /** A second, different issuer in .1.8, to forge disagreeing extensions. */
  readonly issuerV2Override?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Default [code signing]; null leaves the extension out. */
  readonly extendedKeyUsage?: readonly string[] | null;
  /** Marks the leaf as a CA (a wrong leaf). */
  readonly isCa?: boolean;
  /** Adds a critical extension with this OID and an empty value. */
  readonly unknownCriticalExtension?: string;
  /** A subject name (Notation signers are named by it); default empty, as Fulcio leaves it. */
  readonly subject?: { readonly country: string; readonly state: string; readonly organization: string; readonly commonName: string };
}

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const ECDSA_SHA384 = '1.2.840.10045.4.3.3';

export function createRootCa(options: CaOptions): TestCa {
  const keys = generateKeyPairSync('ec', { namedCurve: options.curve ?? 'P-384' });
  const name = { organization: options.organization ?? 'test.example', commonName: options.commonName };
  return issueCa(name, keys, { name, privateKey: keys.privateKey, publicKey: keys.publicKey }, options);
}

export function createIntermediateCa(parent: TestCa, options: CaOptions): TestCa {
  const keys = generateKeyPairSync('ec', { namedCurve: options.curve ?? 'P-384' });
  const name = { organization: options.organization ?? parent.name.organization, commonName: options.commonName };
  return issueCa(name, keys, parent, options);
}

/** A leaf certificate for `options.publicKey`, signed by `issuer`; DER and PEM. */
export function issueLeaf(issuer: TestCa, options: LeafOptions): { readonly der: Buffer; readonly pem: string; readonly certificate: X509Certificate } {
  const extensions = [
    extension('2.5.29.15', true, bitString(Buffer.from([0x80]), 7)), // digitalSignature
    ...(options.extendedKeyUsage === null ? [] : [extension('2.5.29.37', false, sequence(...(options.extendedKeyUsage ?? [CODE_SIGNING]).map(oid)))]),
    extension('2.5.29.14', false, octetString(keyId(options.publicKey))),
    extension('2.5.29.35', false, sequence(implicit(0, keyId(issuer.publicKey)))),
    ...(options.san.length === 0
      ? []
      : [extension('2.5.29.17', true, sequence(...options.san.map((n) => ('email' in n ? implicit(1, Buffer.from(n.email)) : implicit(6, Buffer.from(n.uri))))))]),
    ...(options.isCa ? [extension('2.5.29.19', true, sequence(boolean(true)))] : []),
    ...(options.issuer === null ? [] : [extension('1.3.6.1.4.1.57264.1.1', false, Buffer.from(options.issuer, 'utf8'))]),
    ...(options.issuer === null || options.issuerV1Only
      ? []
      : [extension('1.3.6.1.4.1.57264.1.8', false, utf8String(options.issuerV2Override ?? options.issuer))]),
    ...(options.unknownCriticalExtension ? [extension(options.unknownCriticalExtension, true, Buffer.from([0x05, 0x00]))] : []),
  ];
  const subject = options.subject
    ? sequence(
        ...([['2.5.4.6', options.subject.country], ['2.5.4.8', options.subject.state], ['2.5.4.10', options.subject.organization], ['2.5.4.3', options.subject.commonName]] as const).map(
          ([type, value]) => set(sequence(oid(type), printableString(value))),
        ),
      )
    : sequence();
  const der = certificate(issuer, subject, options.publicKey, options.notBefore, options.notAfter, extensions);
  const certificateObject = new X509Certificate(der);
  return { der, pem: certificateObject.toString(), certificate: certificateObject };
}

function issueCa(
  name: TestCa['name'],
  keys: { privateKey: KeyObject; publicKey: KeyObject },
  issuer: Pick<TestCa, 'name' | 'privateKey' | 'publicKey'>,
  options: CaOptions,
): TestCa {
  const notBefore = options.notBefore ?? new Date('2020-01-01T00:00:00Z');
  const notAfter = options.notAfter ?? new Date('2040-01-01T00:00:00Z');
  const extensions = [
    extension('2.5.29.15', true, bitString(Buffer.from([0x06]), 1)), // keyCertSign, cRLSign
    extension('2.5.29.19', true, sequence(boolean(true), ...(options.pathLength === undefined ? [] : [integer(Buffer.from([options.pathLength]))]))),
    extension('2.5.29.14', false, octetString(keyId(keys.publicKey))),
    extension('2.5.29.35', false, sequence(implicit(0, keyId(issuer.publicKey)))),
  ];
  const der = certificate(issuer, distinguishedName(name), keys.publicKey, notBefore, notAfter, extensions);
  return { name, certificate: new X509Certificate(der), der, privateKey: keys.privateKey, publicKey: keys.publicKey };
}

function certificate(
  issuer: Pick<TestCa, 'name' | 'privateKey'>,
  subject: Buffer,
  publicKey: KeyObject,
  notBefore: Date,
  notAfter: Date,
  extensions: readonly Buffer[],
): Buffer {
  const p384 = issuer.privateKey.asymmetricKeyDetails?.namedCurve === 'secp384r1';
  const algorithm = sequence(oid(p384 ? ECDSA_SHA384 : ECDSA_SHA256));
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    algorithm,
    distinguishedName(issuer.name),
    sequence(time(notBefore), time(notAfter)),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...extensions)),
  );
  const signature = sign(p384 ? 'sha384' : 'sha256', tbs, issuer.privateKey);
  return sequence(tbs, algorithm, bitString(signature));
}

function distinguishedName(name: TestCa['name']): Buffer {
  return sequence(
    set(sequence(oid('2.5.4.10'), printableString(name.organization))),
    set(sequence(oid('2.5.4.3'), printableString(name.commonName))),
  );
}

function extension(id: string, critical: boolean, value: Uint8Array): Buffer {
  return sequence(oid(id), ...(critical ? [boolean(true)] : []), octetString(value));
}

function keyId(key: KeyObject): Buffer {
  return createHash('sha1').update(key.export({ type: 'spki', format: 'der' })).digest();
}
