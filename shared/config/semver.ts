/**
 * Semantic versions and npm-style ranges, just enough for tag policies (`tagPolicy.semver`,
 * `newerThanStable`). Written here rather than taken from the `semver` package: that one is only a
 * transitive dev dependency, and the subset a tag policy needs is small. The range grammar and its
 * meaning follow node-semver (https://github.com/npm/node-semver#ranges): comparators, `x` ranges,
 * `~`, `^`, hyphen ranges and `||`; a pre-release only matches a comparator set that names a
 * pre-release of the same MAJOR.MINOR.PATCH.
 *
 * Tags differ from versions in two ways, both handled when a tag is read: a leading `v` is common
 * (`v1.2.3`), and Docker tags cannot hold `+`, so build metadata is written after `_` (`1.2.3_build.5`),
 * as Helm and ORAS do.
 */

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Dot-separated identifiers after `-`; empty for a release. */
  readonly prerelease: readonly (string | number)[];
  readonly text: string;
}

const NUM = '0|[1-9]\\d*';
const PRE_ID = `(?:${NUM}|\\d*[a-zA-Z-][0-9a-zA-Z-]*)`;
const BUILD = '[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*';
const VERSION = new RegExp(`^v?(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:[+_]${BUILD})?$`);

function toNumber(text: string): number | null {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

function preIds(text: string | undefined): (string | number)[] {
  if (!text) return [];
  return text.split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id));
}

/** Reads a version tag (`1.2.3`, `v1.2.3-rc.1`, `1.2.3_build.7`); null when the tag is not one. */
export function parseVersion(tag: string): SemVer | null {
  const m = VERSION.exec(tag);
  if (!m) return null;
  const [major, minor, patch] = [toNumber(m[1]!), toNumber(m[2]!), toNumber(m[3]!)];
  if (major === null || minor === null || patch === null) return null;
  const prerelease = preIds(m[4]);
  if (prerelease.some((id) => typeof id === 'number' && !Number.isSafeInteger(id))) return null;
  return { major, minor, patch, prerelease, text: tag };
}

function compareIds(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1; // numeric identifiers sort before alphanumeric ones
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative, zero or positive as `a` is older, equal (build metadata aside) or newer than `b`. */
export function compareVersions(a: SemVer, b: SemVer): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return Math.sign(core);
  // A release is newer than any of its pre-releases.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return Math.sign(b.prerelease.length - a.prerelease.length);
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const [x, y] = [a.prerelease[i], b.prerelease[i]];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const c = compareIds(x, y);
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

type Op = '<' | '<=' | '>' | '>=' | '=';
interface Comparator {
  readonly op: Op;
  readonly version: SemVer;
}

const version = (major: number, minor: number, patch: number, prerelease: readonly (string | number)[] = []): SemVer => ({
  major,
  minor,
  patch,
  prerelease,
  text: `${major}.${minor}.${patch}${prerelease.length ? `-${prerelease.join('.')}` : ''}`,
});
/** `<X-0` excludes every pre-release of X as well as X itself, the way node-semver writes upper bounds. */
const below = (major: number, minor: number, patch: number): Comparator => ({ op: '<', version: version(major, minor, patch, [0]) });
const atLeast = (v: SemVer): Comparator => ({ op: '>=', version: v });
const NOTHING: Comparator[] = [{ op: '<', version: version(0, 0, 0, [0]) }];

/** A partial version: `1`, `1.2`, `1.2.3-rc.1`, with `x`, `X` or `*` for a missing part. */
interface PartialVersion {
  readonly major: number | null;
  readonly minor: number | null;
  readonly patch: number | null;
  readonly prerelease: readonly (string | number)[];
}

const XR = `(?:${NUM}|[xX*])`;
const PARTIAL = new RegExp(`^v?(${XR})(?:\\.(${XR})(?:\\.(${XR})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+${BUILD})?)?)?$`);

function parsePartial(text: string): PartialVersion | null {
  const m = PARTIAL.exec(text);
  if (!m) return null;
  const isX = (s: string | undefined) => s === undefined || /^[xX*]$/.test(s);
  if ([m[1], m[2], m[3]].some((s) => !isX(s) && toNumber(s!) === null)) return null;
  // Everything after the first wildcard is a wildcard too (`1.x.3` is `1.x`), as in node-semver.
  const major = isX(m[1]) ? null : toNumber(m[1]!);
  const minor = major === null || isX(m[2]) ? null : toNumber(m[2]!);
  const patch = minor === null || isX(m[3]) ? null : toNumber(m[3]!);
  return { major, minor, patch, prerelease: patch === null ? [] : preIds(m[4]) };
}

const full = (p: PartialVersion): SemVer => version(p.major ?? 0, p.minor ?? 0, p.patch ?? 0, p.prerelease);

function primitive(op: Op, p: PartialVersion): Comparator[] {
  const { major, minor, patch } = p;
  if (major === null) return op === '<' || op === '>' ? NOTHING : [];
  if (patch !== null) return [{ op, version: full(p) }];
  // A partial bound covers a whole range of versions: `<=1.2` is `<1.3.0-0`, `>1` is `>=2.0.0`.
  const next = minor === null ? version(major + 1, 0, 0) : version(major, minor + 1, 0);
  switch (op) {
    case '>':
      return [atLeast(next)];
    case '>=':
      return [atLeast(full(p))];
    case '<':
      return [below(major, minor ?? 0, 0)];
    case '<=':
      return [below(next.major, next.minor, 0)];
    case '=':
      return xRange(p);
  }
}

function xRange(p: PartialVersion): Comparator[] {
  const { major, minor, patch } = p;
  if (major === null) return [];
  if (minor === null) return [atLeast(full(p)), below(major + 1, 0, 0)];
  if (patch === null) return [atLeast(full(p)), below(major, minor + 1, 0)];
  return [{ op: '=', version: full(p) }];
}

function tilde(p: PartialVersion): Comparator[] {
  const { major, minor } = p;
  if (major === null) return [];
  if (minor === null) return [atLeast(full(p)), below(major + 1, 0, 0)];
  return [atLeast(full(p)), below(major, minor + 1, 0)];
}

function caret(p: PartialVersion): Comparator[] {
  const { major, minor, patch } = p;
  if (major === null) return [];
  // The upper bound stops before the first non-zero part changes: ^1.2.3 <2, ^0.2.3 <0.3, ^0.0.3 <0.0.4.
  if (major > 0 || minor === null) return [atLeast(full(p)), below(major + 1, 0, 0)];
  if (minor > 0 || patch === null) return [atLeast(full(p)), below(0, minor + 1, 0)];
  return [atLeast(full(p)), below(0, 0, patch + 1)];
}

function hyphen(from: PartialVersion, to: PartialVersion): Comparator[] {
  const lower = from.major === null ? [] : [atLeast(full(from))];
  if (to.major === null) return lower;
  if (to.patch !== null) return [...lower, { op: '<=', version: full(to) }];
  return [...lower, to.minor === null ? below(to.major + 1, 0, 0) : below(to.major, to.minor + 1, 0)];
}

const SIMPLE = /^(~>?|\^|<=|>=|<|>|=)?\s*(.+)$/;

function comparatorSet(text: string): Comparator[] | string {
  const trimmed = text.trim();
  const hy = /^(\S+)\s+-\s+(\S+)$/.exec(trimmed);
  if (hy) {
    const [from, to] = [parsePartial(hy[1]!), parsePartial(hy[2]!)];
    if (!from || !to) return `"${trimmed}" is not a hyphen range like 1.2.3 - 2.3.4`;
    return hyphen(from, to);
  }
  // Operators may be written apart from their version (`>= 1.2`): glue them before splitting on spaces.
  const parts = trimmed.replace(/(~>?|\^|<=|>=|<|>|=)\s+/g, '$1').split(/\s+/).filter(Boolean);
  const out: Comparator[] = [];
  for (const part of parts) {
    const [, op = '', rest = ''] = SIMPLE.exec(part) ?? [];
    const partial = parsePartial(rest);
    if (!partial) return `"${part}" is not a version or comparator (like 1.2.3, >=1.2, ~1.2, ^1, 1.x)`;
    if (op.startsWith('~')) out.push(...tilde(partial));
    else if (op === '^') out.push(...caret(partial));
    else if (op === '') out.push(...xRange(partial));
    else out.push(...primitive(op as Op, partial));
  }
  return out;
}

export interface SemverRange {
  /** The range as written in the config. */
  readonly source: string;
  test(version: SemVer): boolean;
}

function holds(c: Comparator, v: SemVer): boolean {
  const d = compareVersions(v, c.version);
  return c.op === '<' ? d < 0 : c.op === '<=' ? d <= 0 : c.op === '>' ? d > 0 : c.op === '>=' ? d >= 0 : d === 0;
}

function satisfiesSet(set: readonly Comparator[], v: SemVer): boolean {
  if (!set.every((c) => holds(c, v))) return false;
  if (v.prerelease.length === 0) return true;
  // A pre-release is only in range when the range opts in to pre-releases of that same version.
  return set.some((c) => c.version.prerelease.length > 0 && c.version.major === v.major && c.version.minor === v.minor && c.version.patch === v.patch);
}

/** Parses a range, or answers why it is not one. */
export function parseRange(source: string): { ok: true; range: SemverRange } | { ok: false; message: string } {
  if (source.length > 1024) return { ok: false, message: 'is longer than 1024 characters' };
  const sets: Comparator[][] = [];
  for (const alternative of source.split('||')) {
    const set = comparatorSet(alternative);
    if (typeof set === 'string') return { ok: false, message: set };
    // `>=0.0.0` is written `*` by node-semver, which matters for the rule below.
    sets.push(set.filter((c) => !(c.op === '>=' && c.version.text === '0.0.0')));
  }
  // As in node-semver, one match-anything alternative makes the whole range match-anything (releases only).
  const effective = sets.some((set) => set.length === 0) ? [[]] : sets;
  return { ok: true, range: { source, test: (v) => effective.some((set) => satisfiesSet(set, v)) } };
}
