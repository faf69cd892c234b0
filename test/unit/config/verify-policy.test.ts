import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PUBLIC_GOOD_TRUSTED_ROOT_JSON } from '../../../shared/signature/public-good-trusted-root';
import { configWith, load, PUBLIC_PEM, problems } from './config-fixtures';

const GITHUB = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/web/.github/workflows/release.yml@refs/heads/main';
const PGI_FIXTURE = readFileSync(fileURLToPath(new URL('../../fixtures/sigstore/cosign/trusted_root_pgi.json', import.meta.url)), 'utf8');

/** Files the config may name, by absolute path (the config sits in /config). */
const files: Record<string, string> = { '/config/trust/trusted_root.json': PGI_FIXTURE, '/config/trust/broken.json': '{"mediaType":"x"}' };
const readFile = async (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  return text;
};

const verify = (v: Record<string, unknown>) => configWith({ verify: v });

describe('verify: keyless, rekor, trustedRoot, waitFor', () => {
  it('defaults: no identities, Rekor optional, the built-in public-good root, 10m, cosign image signatures', async () => {
    const config = await load(verify({ keys: [PUBLIC_PEM] }));
    const v = config.services.web!.verify;
    expect(v).toMatchObject({ keyless: [], rekor: 'optional', waitForSeconds: 600, predicateTypes: ['https://sigstore.dev/cosign/sign/v1'] });
    expect(v.trustedRoot?.source).toBe('public-good (built in)');
    expect(v.trustedRoot?.text).toBe(PUBLIC_GOOD_TRUSTED_ROOT_JSON);
  });

  it('loads keyless identities (exact and regular expression), rekor, a trusted root file and waitFor', async () => {
    const config = await load(
      verify({
        keyless: [
          { issuer: GITHUB, subject: WORKFLOW },
          { issuerRegExp: 'https://accounts\\.google\\.com', subjectRegExp: '.+@acme\\.example' },
        ],
        rekor: 'required',
        trustedRoot: 'trust/trusted_root.json',
        waitFor: '15m',
      }),
      { readFile },
    );
    const v = config.services.web!.verify;
    expect(v.keys).toEqual([]);
    expect(v.keyless).toEqual([
      { id: 'keyless[0]', issuer: GITHUB, issuerRegExp: null, subject: WORKFLOW, subjectRegExp: null },
      { id: 'keyless[1]', issuer: null, issuerRegExp: 'https://accounts\\.google\\.com', subject: null, subjectRegExp: '.+@acme\\.example' },
    ]);
    expect(v.rekor).toBe('required');
    expect(v.trustedRoot).toMatchObject({ source: 'trust/trusted_root.json', tlogs: [{ logId: 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d' }] });
    expect(v.waitForSeconds).toBe(900);
  });

  it('takes several keys and identities together, and a trusted root written inline', async () => {
    const config = await load(
      verify({ keys: [PUBLIC_PEM, PUBLIC_PEM], keyless: [{ issuer: GITHUB, subject: WORKFLOW }], trustedRoot: JSON.parse(PGI_FIXTURE), predicateTypes: ['https://slsa.dev/provenance/v1'] }),
    );
    const v = config.services.web!.verify;
    expect(v.keys.map((k) => k.id)).toEqual(['inline[0]', 'inline[1]']);
    expect(v.trustedRoot?.source).toBe('inline trusted root');
    expect(v.predicateTypes).toEqual(['https://slsa.dev/provenance/v1']);
  });

  it.each([
    [{ keyless: [{ issuer: GITHUB }] }, 'services.web.verify.keyless[0]: must give exactly one of subject and subjectRegExp'],
    [{ keyless: [{ subject: WORKFLOW }] }, 'services.web.verify.keyless[0]: must give exactly one of issuer and issuerRegExp'],
    [{ keyless: [{ issuer: GITHUB, subject: WORKFLOW, subjectRegExp: '.*' }] }, 'services.web.verify.keyless[0]: must give exactly one of subject and subjectRegExp'],
    [{ keyless: [{ issuer: GITHUB, subjectRegExp: '(' }] }, 'services.web.verify.keyless[0].subjectRegExp: is not a valid regular expression'],
    [{ keyless: [{ issuer: GITHUB, subjet: WORKFLOW }] }, "services.web.verify.keyless[0]: unknown key 'subjet' (did you mean 'subject'?)"],
    [{ keyless: [{ issuer: '', subject: WORKFLOW }] }, 'services.web.verify.keyless[0].issuer: must not be empty'],
    [{ keys: [PUBLIC_PEM], rekor: 'always' }, 'services.web.verify.rekor: must be "required" or "optional"'],
    [{ keys: [PUBLIC_PEM], waitFor: '-5m' }, "services.web.verify.waitFor: '-5m' is negative"],
    [{ keys: [PUBLIC_PEM], waitFor: '8d' }, "services.web.verify.waitFor: '8d' has an unknown unit 'd'"],
    [{ keys: [PUBLIC_PEM], waitFor: '200h' }, 'services.web.verify.waitFor: must be at most 168h'],
    [{ keys: [PUBLIC_PEM], waitFor: true }, 'services.web.verify.waitFor: must be a duration like 10m or 1h'],
    [{ keys: [PUBLIC_PEM], trustedRoot: 'trust/missing.json' }, 'services.web.verify.trustedRoot: cannot read trust/missing.json: ENOENT'],
    [{ keys: [PUBLIC_PEM], trustedRoot: 'trust/broken.json' }, 'services.web.verify.trustedRoot: trust/broken.json mediaType is "x", not application/vnd.dev.sigstore.trustedroot+json;version=0.1'],
    [{ keys: [PUBLIC_PEM], trustedRoot: 42 }, 'services.web.verify.trustedRoot: must be a path to a trusted_root.json, or the document itself'],
    [{ keys: [PUBLIC_PEM], predicateTypes: [] }, 'services.web.verify.predicateTypes: must not be empty'],
    [{ keyless: [] }, 'services.web.verify.keys: is required'],
  ])('refuses %j', async (v, problem) => {
    const found = await problems(verify(v), { readFile });
    expect(found).toHaveLength(1);
    expect(found[0]?.startsWith(problem), found[0]).toBe(true);
  });
});
