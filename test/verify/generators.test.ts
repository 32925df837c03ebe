/**
 * verify > generators: every generated valid body is valid per the one validator, every negative
 * case is invalid, the coverage pass reaches every enum value and field, and the seed alone fixes
 * what is generated. These are the properties that make the contract run free of false alarms.
 */
import { describe, expect, test } from 'vitest';
import { validateUpsertRequest } from '../../src/validation.ts';
import { negativeCases, stringNearMisses } from '../../src/verify/negative.ts';
import { allFields, assignAt, cloneJson, getAt, requestConstraints } from '../../src/verify/schema.ts';
import fc from 'fast-check';
import { baseBody, COVERAGE_CASES, coverageCases, DATE_BOUNDS, fieldArb, nricFromDigits, randomCases } from '../../src/verify/valid.ts';

const SEEDS = [1, 2, 3, 42, 20260101];
const enumFields = allFields.filter((f) => Array.isArray(f.schema.enum));
const patternFields = allFields.filter((f) => typeof f.schema.pattern === 'string');

describe.each(SEEDS)('verify > generators > seed %i', (seed) => {
  // Generation does not validate what it makes (valid.ts): these are the bodies that show it need not.
  const valid = [...coverageCases(seed), ...randomCases(seed, 2_000)];
  const negatives = negativeCases(baseBody(seed));

  test('every valid case is valid per the spec', () => {
    const invalid = valid.filter((c) => !validateUpsertRequest(c.body).ok).map((c) => c.label);
    expect(invalid).toEqual([]);
  });

  test('every negative JSON case is invalid per the spec', () => {
    const accepted = negatives.filter((n) => n.body !== undefined && validateUpsertRequest(n.body).ok).map((n) => n.label);
    expect(accepted).toEqual([]);
  });

  test('the coverage pass sends every enum value of every enum field', () => {
    const cover = coverageCases(seed);
    const missing = enumFields.flatMap((f) =>
      (f.schema.enum as unknown[]).filter((v) => !cover.some((c) => getAt(c.body, f.pointer) === v)).map((v) => `${f.pointer}=${String(v)}`),
    );
    expect(missing).toEqual([]);
  });

  test('the coverage pass sends every field, nested ones included', () => {
    const cover = coverageCases(seed);
    const missing = allFields.filter((f) => !cover.some((c) => getAt(c.body, f.pointer) !== undefined)).map((f) => f.pointer);
    expect(missing).toEqual([]);
  });

  test('every constraint of the spec gets at least one negative case', () => {
    const exercised = new Set(negatives.map((n) => n.constraint.id));
    expect(requestConstraints.filter((c) => !exercised.has(c.id)).map((c) => c.id)).toEqual([]);
  });
});

describe('verify > generators > determinism', () => {
  test('the same seed generates the same bodies', () => {
    expect(coverageCases(7)).toEqual(coverageCases(7));
    expect(randomCases(7, 50)).toEqual(randomCases(7, 50));
    expect(negativeCases(baseBody(7))).toEqual(negativeCases(baseBody(7)));
  });

  test('the coverage pass has the size announced before it is generated (the progress total)', () => {
    for (const seed of SEEDS) expect(coverageCases(seed)).toHaveLength(COVERAGE_CASES);
  });

  test('slices of a pass are sampled apart: no two bodies of a run are the same', () => {
    const texts = [...coverageCases(9), ...randomCases(9, 1_000)].map((c) => JSON.stringify(c.body));
    expect(new Set(texts).size).toBe(texts.length);
  });

  test('the coverage pass varies only what each case covers: its enum cases are one base body but for the enum fields', () => {
    const enumCases = coverageCases(11).filter((c) => c.label.startsWith('coverage #'));
    expect(enumCases.length).toBeGreaterThan(200);
    const withoutEnums = enumCases.map((c) => {
      const body = cloneJson(c.body);
      for (const f of enumFields) assignAt(body, f.pointer, undefined, true);
      return JSON.stringify(body);
    });
    expect(new Set(withoutEnums).size).toBe(1);
  });

  test('another seed generates other bodies', () => {
    expect(randomCases(8, 20)).not.toEqual(randomCases(7, 20));
  });
});

describe('verify > generators > boundaries', () => {
  const cover = coverageCases(1);
  const labels = cover.map((c) => c.label);

  test.each([
    ['a required-fields-only body', /required fields only/],
    ['empty strings', /empty strings/],
    ['non-ASCII text', /non-ASCII/],
    ['10,000-character text', /10,000-character/],
    ['the earliest date', new RegExp(DATE_BOUNDS[0])],
    ['the latest date', new RegExp(DATE_BOUNDS[1])],
  ])('the deterministic pass includes %s', (_name, pattern) => {
    expect(labels.some((l) => pattern.test(l))).toBe(true);
  });

  test('10,000-character cases carry exactly 10,000 characters', () => {
    const long = cover.filter((c) => c.label.includes('10,000'));
    for (const c of long) {
      const pointer = c.label.split(' ').at(-1)!;
      expect((getAt(c.body, pointer) as string).length).toBe(10_000);
    }
  });
});

describe('verify > generators > realistic data', () => {
  test.each([
    ['S', '1234567', 'S1234567D'],
    ['T', '0000000', 'T0000000G'],
  ] as const)('NRIC %s%s gets checksum letter (%s)', (prefix, digits, want) => {
    expect(nricFromDigits(prefix, digits)).toBe(want);
  });

  test('patient UINs look like NRIC/FIN with a valid checksum', () => {
    const uins = randomCases(3, 200)
      .map((c) => c.body.patientUin)
      .filter((u): u is string => typeof u === 'string' && /^[STFG]\d{7}[A-Z]$/.test(u));
    expect(uins.length).toBeGreaterThan(20);
    for (const uin of uins) expect(nricFromDigits(uin[0] as 'S', uin.slice(1, 8))).toBe(uin);
  });

  test('postal codes are mostly 6 digits', () => {
    const codes = randomCases(4, 200).map((c) => (c.body.address as { postalCode?: string } | undefined)?.postalCode).filter(Boolean);
    expect(codes.filter((c) => /^\d{6}$/.test(c!)).length).toBeGreaterThan(codes.length / 2);
  });
});

describe('verify > generators > patterns', () => {
  // Values are drawn before the body filter, so a generator slip shows here instead of being filtered away.
  test.each(patternFields.map((f) => [f.pointer, f] as const))('%s values all match the spec pattern and vary', (_pointer, field) => {
    const re = new RegExp(field.schema.pattern as string, 'u');
    const values = fc.sample(fieldArb(field), { seed: 5, numRuns: 500 }) as string[];
    expect(values.filter((v) => !re.test(v))).toEqual([]);
    expect(new Set(values).size).toBeGreaterThan(400);
  });
});

describe('verify > generators > pattern near misses', () => {
  // The wanted misses of the issue, found among the generic mutations the validator keeps.
  test.each(patternFields.map((f) => [f.pointer] as const))('%s gets 7 and 9 digits, other first digits, a space and +65', (pointer) => {
    const labels = negativeCases(baseBody(1))
      .filter((n) => n.constraint.kind === 'pattern' && n.constraint.pointer === pointer)
      .map((n) => n.label);
    for (const want of ['last character dropped', 'one digit added', 'first character 1', 'first character 2', 'first character 4', 'first character 5', 'first character 7', 'space inside', '+65 prefix']) {
      expect(labels).toContain(`pattern: ${want}`);
    }
  });

  test('mutations are generic: no pattern is written in the generator', () => {
    expect(stringNearMisses('91234567').map(([, v]) => v)).toEqual(expect.arrayContaining(['9123456', '912345670', '+6591234567', '11234567']));
  });

  test('enum near misses include a case change like "male"', () => {
    const bodies = negativeCases(baseBody(1)).filter((n) => n.constraint.id === 'enum /patientGender').map((n) => getAt(n.body, '/patientGender'));
    expect(bodies).toContain('male');
  });
});
