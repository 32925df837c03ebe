/**
 * spec-diff > version policy: `info.version` is semver; a breaking change bumps the leftmost
 * non-zero component (spec/VERSIONING.md); any contract change bumps something; it never goes down.
 */
import { describe, expect, test } from 'vitest';
import { checkVersion, compatibilityComponent, parseVersion } from '../../scripts/spec-diff/version.ts';

const BREAKING = { any: true, breaking: true };
const NON_BREAKING = { any: true, breaking: false };
const NOTHING = { any: false, breaking: false };

const cases: [string, { base: string; head: string; changed: typeof BREAKING; ok: boolean; says?: RegExp }][] = [
  ['0.0.59 → 0.0.61 breaking: a patch bump is a compatibility bump in 0.0.x', { base: '0.0.59', head: '0.0.61', changed: BREAKING, ok: true }],
  ['0.0.69 → 0.0.69 breaking: fails and names the next version', { base: '0.0.69', head: '0.0.69', changed: BREAKING, ok: false, says: /patch bump .*0\.0\.69 → at least 0\.0\.70/ }],
  ['0.0.69 → 0.0.70 non-breaking: ok', { base: '0.0.69', head: '0.0.70', changed: NON_BREAKING, ok: true }],
  ['0.0.69 → 0.0.69 non-breaking: passes, advising a bump before release', { base: '0.0.69', head: '0.0.69', changed: NON_BREAKING, ok: true, says: /still 0\.0\.69: bump it before release/ }],
  ['0.0.69 → 0.0.69 docs only: no bump needed', { base: '0.0.69', head: '0.0.69', changed: NOTHING, ok: true }],
  ['0.3.4 → 0.3.5 breaking: 0.y needs a minor bump', { base: '0.3.4', head: '0.3.5', changed: BREAKING, ok: false, says: /minor bump .*0\.4\.0/ }],
  ['0.3.4 → 0.4.0 breaking: ok', { base: '0.3.4', head: '0.4.0', changed: BREAKING, ok: true }],
  ['1.2.3 → 1.3.0 breaking: 1.x needs a major bump', { base: '1.2.3', head: '1.3.0', changed: BREAKING, ok: false, says: /major bump .*2\.0\.0/ }],
  ['1.2.3 → 2.0.0 breaking: ok', { base: '1.2.3', head: '2.0.0', changed: BREAKING, ok: true }],
  ['0.0.70 → 0.0.69: the version never goes down', { base: '0.0.70', head: '0.0.69', changed: NOTHING, ok: false, says: /went down/ }],
  ['0.0.69 → "v70": not semver', { base: '0.0.69', head: 'v70', changed: NON_BREAKING, ok: false, says: /not semver/ }],
];

describe('spec-diff > version policy', () => {
  test.each(cases)('spec-diff > version policy > %s', (_name, { base, head, changed, ok, says }) => {
    const result = checkVersion(base, head, changed);
    expect(result.ok).toBe(ok);
    if (says) expect(result.message).toMatch(says);
  });

  test.each([
    ['0.0.69', 'patch'],
    ['0.4.1', 'minor'],
    ['2.0.0', 'major'],
  ] as const)('spec-diff > version policy > the compatibility component of %s is %s', (version, component) => {
    expect(compatibilityComponent(parseVersion(version)!)).toBe(component);
  });
});
