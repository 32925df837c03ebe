/**
 * The spec version policy (spec/VERSIONING.md): `info.version` is semver, and its compatibility
 * component is the leftmost non-zero one (semver's 0.x rule as Cargo and npm's `^` apply it):
 * `1.4.2` → major, `0.4.2` → minor, `0.0.69` → patch. RefX publishes 0.0.x, so in RefX's own
 * numbering every release may break, and 0.0.59 → 0.0.61 (breaking) is a correct bump.
 *
 * - Any change `spec:diff` classifies requires a higher version.
 * - A breaking change (for the audience `--fail-on` gates) requires a bump of the compatibility
 *   component (or of a component left of it).
 * - The version never goes down.
 */

/** A parsed `major.minor.patch[-prerelease]` version. */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease?: string;
}

/** Which component signals a breaking change. */
export type Component = 'major' | 'minor' | 'patch';

/** The outcome of the version policy for one base → head pair. */
export interface VersionCheck {
  base: string;
  head: string;
  /** What the policy requires: nothing, any higher version, or a compatibility bump. */
  required: 'none' | 'higher' | 'compatibility-bump';
  /** The component that must grow for a breaking change, from the base version. */
  component?: Component;
  ok: boolean;
  /** One line, e.g. `breaking change needs info.version above 0.0.69 (bump the patch component: 0.0.70)`. */
  message: string;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parses a semver string; undefined when it is not one. */
export function parseVersion(text: string): SemVer | undefined {
  const m = SEMVER.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), ...(m[4] ? { prerelease: m[4] } : {}) };
}

/** The component whose increase signals a breaking change for a version (leftmost non-zero). */
export function compatibilityComponent(v: SemVer): Component {
  if (v.major > 0) return 'major';
  if (v.minor > 0) return 'minor';
  return 'patch';
}

/** Negative when a < b, 0 when equal, positive when a > b (a prerelease sorts before its release). */
export function compareVersions(a: SemVer, b: SemVer): number {
  const d = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (d !== 0) return d;
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === undefined) return 1;
  if (b.prerelease === undefined) return -1;
  return a.prerelease < b.prerelease ? -1 : 1;
}

/** Whether `head` bumps `base`'s compatibility component (or one left of it). */
export function isCompatibilityBump(base: SemVer, head: SemVer): boolean {
  switch (compatibilityComponent(base)) {
    case 'major':
      return head.major > base.major;
    case 'minor':
      return head.major > base.major || (head.major === base.major && head.minor > base.minor);
    case 'patch':
      // 0.0.z: every increase is a compatibility bump.
      return compareVersions(head, base) > 0 && (head.major > 0 || head.minor > 0 || head.patch > base.patch);
  }
}

/** The smallest version that satisfies a compatibility bump from `base`. */
export function nextCompatibilityBump(base: SemVer): string {
  switch (compatibilityComponent(base)) {
    case 'major':
      return `${base.major + 1}.0.0`;
    case 'minor':
      return `0.${base.minor + 1}.0`;
    case 'patch':
      return `0.0.${base.patch + 1}`;
  }
}

/** Applies the version policy to a pair of `info.version`s, given what changed. */
export function checkVersion(baseText: string, headText: string, changed: { any: boolean; breaking: boolean }): VersionCheck {
  const required = changed.breaking ? 'compatibility-bump' : changed.any ? 'higher' : 'none';
  const base = parseVersion(baseText);
  const head = parseVersion(headText);
  const result = (ok: boolean, message: string, component?: Component): VersionCheck => ({
    base: baseText,
    head: headText,
    required,
    ...(component ? { component } : {}),
    ok,
    message,
  });
  if (!head) return result(false, `info.version ${JSON.stringify(headText)} is not semver (major.minor.patch)`);
  // A base that is not semver predates the policy: only the head is checked.
  if (!base) return result(true, `base info.version ${JSON.stringify(baseText)} is not semver; policy starts at ${headText}`);
  const component = compatibilityComponent(base);
  const order = compareVersions(head, base);
  if (order < 0) return result(false, `info.version went down from ${baseText} to ${headText}`, component);
  if (required === 'compatibility-bump' && !isCompatibilityBump(base, head)) {
    return result(
      false,
      `breaking change needs a ${component} bump of info.version: ${baseText} → at least ${nextCompatibilityBump(base)} (is ${headText})`,
      component,
    );
  }
  // A non-breaking change breaks nobody, so an unchanged version is advice (printed), not a failure.
  if (required === 'higher' && order === 0) {
    return result(true, `the contract changed (non-breaking) but info.version is still ${baseText}: bump it before release (any higher version)`, component);
  }
  return result(true, order === 0 ? `info.version ${headText} unchanged` : `info.version ${baseText} → ${headText} satisfies the policy`, component);
}
