import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { resolvedConfigDocument } from '../../../infra/resolved-config';
import { notationSigner } from '../../../local/registry/notation-signer';
import { createRootCa } from '../../../local/registry/test-certificates';
import { configWith, load, PUBLIC_PEM, problems } from './config-fixtures';

const TRUST = join(__dirname, '../../fixtures/notation/truststore');
const pem = (name: string) => new X509Certificate(readFileSync(join(TRUST, name))).toString();
const ROOT = pem('NotationTestRoot.pem');
const TSA = pem('tsa-globalsignRoot.cer');
const PROFILE = 'arn:aws:signer:us-east-1:123456789012:/signing-profiles/prod';

const trustPolicy = {
  version: '1.0',
  trustPolicies: [
    {
      name: 'web',
      registryScopes: ['127.0.0.1:5000/team/web'],
      signatureVerification: { level: 'strict' },
      trustStores: ['ca:notary', 'tsa:globalsign'],
      trustedIdentities: ['x509.subject: C=US, ST=WA, O=Notary, CN=Notation Test Root'],
    },
    { name: 'rest', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:notary'], trustedIdentities: ['*'] },
  ],
};

const files: Record<string, string> = {
  '/config/certs/root.pem': ROOT,
  '/config/certs/tsa.pem': TSA,
  '/config/certs/root-and-tsa.pem': ROOT + TSA,
  '/config/certs/key.pem': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
  '/config/certs/leaf.pem': notationSigner({ ca: createRootCa({ commonName: 'r' }) }).chain.map((der) => new X509Certificate(der).toString())[0]!,
  '/config/notation/trustpolicy.json': JSON.stringify(trustPolicy),
  '/config/notation/audit.json': JSON.stringify({ ...trustPolicy, trustPolicies: [{ ...trustPolicy.trustPolicies[1], signatureVerification: { level: 'audit' } }] }),
};
const readFile = async (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  return text;
};
const verify = (v: Record<string, unknown>) => configWith({ verify: v });

describe('verify.notation and verify.awsSigner', () => {
  it('loads a list of CA certificates, trusted identities, and require: any by default', async () => {
    const config = await load(verify({ notation: { trustStore: ['certs/root.pem'], trustedIdentities: ['x509.subject: C=US, ST=WA, O=Notary'] } }), { readFile });
    const v = config.services.web!.verify;
    expect(v.keys).toEqual([]);
    expect(v.require).toBe('any');
    const [statement] = v.notation!.statements;
    expect(statement!.registryScopes).toBe('*');
    expect(statement!.trust.trustStore.ca.map((c) => c.x509.subject.split('\n').pop())).toEqual(['CN=Notation Test Root']);
    expect(statement!.trust.trustedIdentities).toMatchObject([{ text: 'x509.subject: C=US, ST=WA, O=Notary' }]);
  });

  it('loads the three store types (several certificates in one file too), inline PEM and the wildcard identity', async () => {
    const config = await load(
      verify({ keys: [PUBLIC_PEM], notation: { trustStore: { ca: [ROOT], signingAuthority: ['certs/root-and-tsa.pem'], tsa: ['certs/tsa.pem'] }, trustedIdentities: ['*'] }, require: 'all' }),
      { readFile },
    );
    const v = config.services.web!.verify;
    const store = v.notation!.statements[0]!.trust.trustStore;
    expect([store.ca.length, store.signingAuthority.length, store.tsa.length]).toEqual([1, 2, 1]);
    expect(v.notation!.statements[0]!.trust.trustedIdentities).toBe('*');
    expect(v.require).toBe('all');
    expect(v.keys).toHaveLength(1);
  });

  it('resolves a Notation trustpolicy.json with its named stores', async () => {
    const config = await load(verify({ notation: { trustPolicy: 'notation/trustpolicy.json', trustStores: { 'ca:notary': ['certs/root.pem'], 'tsa:globalsign': ['certs/tsa.pem'] } } }), { readFile });
    const statements = config.services.web!.verify.notation!.statements;
    expect(statements.map((s) => [s.name, s.registryScopes, s.trust.trustStore.tsa.length])).toEqual([
      ['web', ['127.0.0.1:5000/team/web'], 1],
      ['rest', '*', 0],
    ]);
  });

  it('loads AWS Signer profiles with the Signer root as their trust store', async () => {
    const config = await load(verify({ awsSigner: { signingProfiles: [PROFILE, `${PROFILE}/a1B2c3D4e5`], trustStore: ['certs/root.pem'] } }), { readFile });
    expect(config.services.web!.verify.awsSigner).toMatchObject({ signingProfiles: [PROFILE, `${PROFILE}/a1B2c3D4e5`], trustStore: [{}] });
  });

  it('names the field of every problem', async () => {
    expect(await problems(verify({ notation: { trustStore: ['certs/missing.pem', 'certs/key.pem'], trustedIdentities: ['CN=x', '*'] } }), { readFile })).toEqual([
      'services.web.verify.notation.trustStore[0]: cannot read certs/missing.pem: ENOENT',
      'services.web.verify.notation.trustStore[1]: certs/key.pem: holds a private key: give the CA certificate only',
      "services.web.verify.notation.trustedIdentities: '*' must be the only entry",
    ]);
    expect(await problems(verify({ notation: { trustStore: { ca: [ROOT], tsb: [ROOT] }, trustedIdentities: ['x509.subject: CN=x'] } }), { readFile })).toEqual([
      expect.stringMatching(/^services\.web\.verify\.notation\.trustStore.*tsb/),
      'services.web.verify.notation.trustedIdentities[0]: must name at least C, ST and O (missing C, ST, O)',
    ]);
    expect(await problems(verify({ notation: { trustStore: ['certs/leaf.pem'], trustedIdentities: ['*'] } }), { readFile })).toEqual([
      'services.web.verify.notation.trustStore[0]: certs/leaf.pem: certificate 1 (C=US, ST=WA, O=Example, CN=ci.example.com) is neither a CA certificate nor self-signed: a trust store holds roots',
    ]);
    expect(await problems(verify({ notation: { trustedIdentities: ['*'] } }), { readFile })).toEqual([
      'services.web.verify.notation.trustStore: is required (or give trustPolicy)',
    ]);
    expect(await problems(verify({ notation: { trustPolicy: 'notation/audit.json', trustStores: { 'ca:notary': [ROOT] } } }), { readFile })).toEqual([
      'services.web.verify.notation.trustPolicy: notation/audit.json: trustPolicies[0] (rest) has verification level audit: only strict is accepted',
    ]);
    expect(await problems(verify({ notation: { trustPolicy: 'notation/trustpolicy.json', trustStores: { 'ca:notary': [ROOT] } } }), { readFile })).toEqual([
      'services.web.verify.notation.trustPolicy: notation/trustpolicy.json: trustPolicies[0] (web) names trust store tsa:globalsign, which verify.notation.trustStores does not give',
    ]);
    expect(await problems(verify({ awsSigner: { signingProfiles: ['arn:aws:signer:us-east-1:123456789012:/signing-jobs/x'], trustStore: [] } }), { readFile })).toEqual([
      'services.web.verify.awsSigner.signingProfiles[0]: must be a signing profile ARN (arn:aws:signer:<region>:<account>:/signing-profiles/<name>, optionally /<version>)',
      'services.web.verify.awsSigner.trustStore: must list at least one certificate',
    ]);
    expect(await problems(verify({ require: 'some', notation: { trustStore: [ROOT], trustedIdentities: ['*'] } }), { readFile })).toEqual([
      expect.stringMatching(/^services\.web\.verify\.require: /),
    ]);
  });

  it('travels inline in the Lambda bundle and loads back the same', async () => {
    const config = await load(
      verify({
        notation: { trustPolicy: 'notation/trustpolicy.json', trustStores: { 'ca:notary': ['certs/root.pem'], 'tsa:globalsign': ['certs/tsa.pem'] } },
        awsSigner: { signingProfiles: [PROFILE], trustStore: ['certs/root.pem'] },
        require: 'all',
      }),
      { readFile },
    );
    const bundled = await load(parse(JSON.stringify(resolvedConfigDocument(config))));
    const [a, b] = [config.services.web!.verify, bundled.services.web!.verify];
    expect(b.notation!.statements.map((s) => [s.registryScopes, s.trust.trustStore.ca.length, s.trust.trustStore.tsa.length])).toEqual(
      a.notation!.statements.map((s) => [s.registryScopes, s.trust.trustStore.ca.length, s.trust.trustStore.tsa.length]),
    );
    expect(b.awsSigner!.digest).toBe(a.awsSigner!.digest);
    expect(b.require).toBe('all');
  });
});
