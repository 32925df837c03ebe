/**
 * Valid request bodies, generated from the request schema with fast-check. Arbitraries come from
 * the schema (enum → its values, pattern → strings matching it, format → values of that format);
 * fields the spec leaves free get realistic Singapore data by field name (checksum-valid NRIC/FIN,
 * MCR-style IDs, emails, 6-digit postal codes, names in several scripts). Bodies are valid by
 * construction, and are not run through the validator as they are generated (that was a quarter of
 * the generation time, and never rejected one of 25,000 bodies): test/verify/generators.test.ts
 * checks thousands per seed, and the engine confirms a body with `validateUpsertRequest` before it
 * reports its rejection, so a generator slip can never become a false alarm.
 */
import fc from 'fast-check';
import type { JsonSchema } from '../spec.ts';
import { validateUpsertRequest } from '../validation.ts';
import { allFields, assignAt, cloneJson, isFreeString, requestFields, type FieldNode } from './schema.ts';

/** A generated valid body and the deterministic-pass group it belongs to. */
export interface ValidCase {
  /** Short description without data, e.g. `coverage #3`, `boundary: empty strings`. */
  label: string;
  /** JUnit / report grouping: `coverage`, `boundary` or `random`. */
  group: 'coverage' | 'boundary' | 'random';
  /** The request body. */
  body: Record<string, unknown>;
}

const NRIC_WEIGHTS = [2, 7, 6, 5, 4, 3, 2];
const NRIC_LETTERS: Record<string, { offset: number; letters: string }> = {
  S: { offset: 0, letters: 'JZIHGFEDCBA' },
  T: { offset: 4, letters: 'JZIHGFEDCBA' },
  F: { offset: 0, letters: 'XWUTRQPNMLK' },
  G: { offset: 4, letters: 'XWUTRQPNMLK' },
};

/** A checksum-valid (synthetic) NRIC or FIN, e.g. `S1234567D`. */
export function nricFromDigits(prefix: 'S' | 'T' | 'F' | 'G', digits: string): string {
  const rule = NRIC_LETTERS[prefix] as { offset: number; letters: string };
  let sum = rule.offset;
  for (let i = 0; i < NRIC_WEIGHTS.length; i++) sum += (digits.charCodeAt(i) - 48) * (NRIC_WEIGHTS[i] as number);
  return `${prefix}${digits}${rule.letters[sum % 11] ?? ''}`;
}

/*
 * Generators. A run generates ~1,300 bodies and generation is timed with it (bench verify row), so
 * values are drawn straight from fast-check's seeded random source (`fc.Random`): one `nextInt`
 * per choice, realistic values from lookup tables built once per process, and one small
 * arbitrary per body ({@link GenArbitrary}) instead of a tree of mapped, biased, shrinkable
 * arbitraries (`fc.record` + `fc.option` + `fc.tuple` + `.map` per field was ~30–60 µs a body).
 * The seed still fixes every value. Shapes fast-check does better (generic Unicode, patterns
 * outside the simple fixed-length kind, URLs, doubles) still come from its arbitraries, sampled
 * without bias. Boundaries are not left to bias: the coverage pass sends them explicitly.
 */

/** One value from fast-check's seeded random source. */
type Gen<T> = (mrng: fc.Random) => T;

/** A fast-check arbitrary over a {@link Gen}: no bias, no shrinking (the engine shrinks rejected bodies itself). */
class GenArbitrary<T> extends fc.Arbitrary<T> {
  constructor(private readonly gen: Gen<T>) {
    super();
  }
  generate(mrng: fc.Random): fc.Value<T> {
    return new fc.Value(this.gen(mrng), undefined);
  }
  canShrinkWithoutContext(value: unknown): value is T {
    void value;
    return false;
  }
  shrink(): fc.Stream<fc.Value<T>> {
    return fc.Stream.nil();
  }
}

/** A generator drawing from a fast-check arbitrary (unbiased), for the shapes it does best. */
const fromArb =
  <T>(arb: fc.Arbitrary<T>): Gen<T> =>
  (mrng) =>
    arb.generate(mrng, undefined).value;
/** One of `values`, uniformly. */
const pick =
  <T>(values: readonly T[]): Gen<T> =>
  (mrng) =>
    values[mrng.nextInt(0, values.length - 1)] as T;
/** `n` decimal digits: one zero-padded integer instead of an array of digit characters. */
const digits = (n: number): Gen<string> => {
  const max = 10 ** n - 1;
  return (mrng) => String(mrng.nextInt(0, max)).padStart(n, '0');
};
/** The cartesian product of string tables, built once (a lookup table for {@link pick}). */
const product = (...tables: readonly (readonly string[])[]): string[] =>
  tables.reduce<string[]>((acc, table) => acc.flatMap((a) => table.map((t) => a + t)), ['']);

const UPPER = [...'ABCDEFGHJKLMNPQRSTUVWXYZ'];
const upper = pick(UPPER);
const digit1 = digits(1);
const digit4 = digits(4);
const digit5 = digits(5);
const digit7 = digits(7);
const nricPrefix = pick(['S', 'T', 'F', 'G'] as const);

const nric: Gen<string> = (mrng) => nricFromDigits(nricPrefix(mrng), digit7(mrng));
const mcr: Gen<string> = (mrng) => `M${digit5(mrng)}${upper(mrng)}`;
const hci: Gen<string> = (mrng) => `${upper(mrng)}${digit4(mrng)}${upper(mrng)}`;
const givenNames = ['Jane', 'Wei Ling', 'Muthu', 'Siti', 'Ah Kow', 'Zoë', 'José', '美玲', 'முத்து', 'Nur'];
const familyNames = ['Tan', 'Lim', 'Ng', 'Doe', 'Rahman', 'Subramaniam', 'Ñúñez', '陈', 'O’Brien'];
const name = pick(product(givenNames, [' '], familyNames));
const email = pick(
  product(['jane.doe', 'ahkow.tan', 'clinic', 'dr-lim', 'wl_ng'], Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0')), ['@example.com', '@example.sg', '@clinic.example']),
);
const postalCode = digits(6);
const sentence = pick(['Hypertension for 5 years.', 'No known drug allergies.', 'Type 2 diabetes.', 'Given paracetamol.', '患者咳嗽三天。', 'Review in 2 weeks.']);
const prose: Gen<string> = (mrng) => {
  let text = sentence(mrng);
  for (let n = mrng.nextInt(1, 4); n > 1; n--) text += ` ${sentence(mrng)}`;
  return text;
};
const smallNumber: Gen<string> = (mrng) => String(mrng.nextInt(1, 999));

/** Realistic generators for free-string fields, by field name (data realism, never a constraint). */
const REALISTIC: [RegExp, Gen<string>][] = [
  [/uin|nric|fin$/i, nric],
  [/institutionId$/i, hci],
  [/^referrerId$/i, (mrng) => (mrng.nextInt(0, 2) === 0 ? mcr(mrng) : mrng.nextInt(0, 1) === 0 ? nric(mrng) : email(mrng))],
  [/email|requesterIdentifier/i, email],
  [/postalCode/i, postalCode],
  [/name$/i, name],
  [/streetName/i, pick(['College Road', 'Jalan Bukit Merah', 'Orchard Road', 'Ang Mo Kio Avenue 3'])],
  [/block|floor|unit/i, smallNumber],
  [/licen[cs]e/i, (mrng) => `${digit1(mrng)}${upper(mrng)}${digit5(mrng)}`],
  [/info|note|remark/i, prose],
];

/** Earliest and latest dates a `format: date` value may take (RFC 3339 full-date, years 0000–9999). */
export const DATE_BOUNDS = ['0000-01-01', '9999-12-31'] as const;

const DAY_MS = 86_400_000;
const FIRST_DAY = Date.parse(`${DATE_BOUNDS[0]}T00:00:00Z`) / DAY_MS;
const LAST_DAY = Date.parse(`${DATE_BOUNDS[1]}T00:00:00Z`) / DAY_MS;
const SPECIAL_DATES = [...DATE_BOUNDS, '2000-02-29', '1980-01-31'];
/** Half the time any day of years 0000–9999, half the time a bound or a tricky day (a leap day). */
const date: Gen<string> = (mrng) => {
  const day = mrng.nextInt(FIRST_DAY, 2 * LAST_DAY - FIRST_DAY + 1);
  return day > LAST_DAY ? (SPECIAL_DATES[day % SPECIAL_DATES.length] as string) : new Date(day * DAY_MS).toISOString().slice(0, 10);
};

/** Strings of a given `format`; an unknown format fails set-up loudly instead of guessing. */
function formatGen(format: string): Gen<string> {
  switch (format) {
    case 'date':
      return date;
    case 'date-time':
      return (mrng) => `${date(mrng)}T00:00:00Z`;
    case 'email':
      return email;
    case 'uri':
      return fromArb(fc.webUrl());
    default:
      throw new Error(`verify: no generator for string format "${format}"; add one in src/verify/valid.ts`);
  }
}

/** Characters a `[…]` class body stands for, when it is plain ASCII items and ranges (`3689`, `0-9A-Z`). */
function classChars(body: string): string[] | undefined {
  if (body === '' || body.startsWith('^') || !/^[\x20-\x7e]+$/.test(body) || body.includes('\\') || body.includes('[')) return undefined;
  const chars = new Set<string>();
  for (let i = 0; i < body.length; i++) {
    const from = body[i] as string;
    if (body[i + 1] === '-' && i + 2 < body.length) {
      const to = body.charCodeAt(i + 2);
      if (to < from.charCodeAt(0)) return undefined;
      for (let c = from.charCodeAt(0); c <= to; c++) chars.add(String.fromCharCode(c));
      i += 2;
    } else chars.add(from);
  }
  return [...chars];
}

const REGEX_META = '.^$|?*+()[]{}\\/';

/**
 * A cheap generator for a spec pattern that is anchored and fixed-length, a sequence of ASCII
 * literals, `\d` and `[…]` classes with optional `{n}` (e.g. `^[3689][0-9]{7}$`): one random
 * pick per position, where `fc.stringMatching` builds a tuple of arbitraries per value. The
 * pattern still comes from the spec; any other pattern returns `undefined` (→ `fc.stringMatching`).
 * Every character of every position is checked against the pattern itself once, so a parsing
 * slip here falls back instead of generating strings outside the language.
 */
function fixedPatternGen(pattern: string): Gen<string> | undefined {
  if (!pattern.startsWith('^') || !pattern.endsWith('$') || pattern.endsWith('\\$')) return undefined;
  const src = pattern.slice(1, -1);
  const positions: string[][] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    let chars: string[] | undefined;
    if (c === '[') {
      const end = src.indexOf(']', i + 1);
      chars = end < 0 ? undefined : classChars(src.slice(i + 1, end));
      i = end + 1;
    } else if (c === '\\') {
      const e = src[i + 1] ?? '';
      chars = e === 'd' ? [...'0123456789'] : e !== '' && REGEX_META.includes(e) ? [e] : undefined;
      i += 2;
    } else {
      chars = REGEX_META.includes(c) || !/^[\x20-\x7e]$/.test(c) ? undefined : [c];
      i += 1;
    }
    if (!chars) return undefined;
    let count = 1;
    const quantifier = /^\{(\d{1,3})\}/.exec(src.slice(i));
    if (quantifier) {
      count = Number(quantifier[1]);
      i += quantifier[0].length;
    } else if (/^[?*+{]/.test(src.slice(i))) return undefined;
    for (let k = 0; k < count; k++) positions.push(chars);
  }
  if (positions.length === 0) return undefined;
  const re = new RegExp(pattern, 'u');
  const first = positions.map((p) => p[0] as string);
  const allMatch = positions.every((p, at) => p.every((ch) => re.test([...first.slice(0, at), ch, ...first.slice(at + 1)].join(''))));
  if (!allMatch) return undefined;
  return (mrng) => {
    let out = '';
    for (const p of positions) out += p[mrng.nextInt(0, p.length - 1)] as string;
    return out;
  };
}

/** Pattern generators, built once per pattern of the spec (an `fc.stringMatching` is costly to build). */
const patternGens = new Map<string, Gen<string>>();
function patternGen(pattern: string): Gen<string> {
  let gen = patternGens.get(pattern);
  if (!gen) {
    gen = fixedPatternGen(pattern) ?? fromArb(fc.stringMatching(new RegExp(pattern, 'u')));
    patternGens.set(pattern, gen);
  }
  return gen;
}

function stringGen(field: Pick<FieldNode, 'name' | 'schema'>): Gen<string> {
  const s = field.schema;
  if (Array.isArray(s.enum)) return pick(s.enum as string[]);
  if (typeof s.pattern === 'string') return patternGen(s.pattern);
  if (typeof s.format === 'string') return formatGen(s.format);
  const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
  const maxLength = typeof s.maxLength === 'number' ? s.maxLength : undefined;
  const generic = fromArb(fc.string({ unit: 'grapheme', minLength, maxLength: maxLength ?? Math.max(minLength, 40) }));
  const realistic = isFreeString(s) ? REALISTIC.find(([re]) => re.test(field.name))?.[1] : undefined;
  // Mostly realistic data (4 in 5), with arbitrary Unicode now and then to probe the server's parsing.
  return realistic ? (mrng) => (mrng.nextInt(0, 4) === 0 ? generic(mrng) : realistic(mrng)) : generic;
}

/** The generator of one field's value. */
function fieldGen(field: FieldNode, allOptional: boolean): Gen<unknown> {
  const s = field.schema;
  if (Array.isArray(s.enum)) return pick(s.enum as unknown[]);
  switch (s.type) {
    case 'string':
      return stringGen(field);
    case 'boolean':
      return (mrng) => mrng.nextInt(0, 1) === 1;
    case 'integer': {
      const min = numberBound(s.minimum, -1e6);
      const max = numberBound(s.maximum, 1e6);
      return (mrng) => mrng.nextInt(min, max);
    }
    case 'number':
      return fromArb(fc.double({ min: numberBound(s.minimum, -1e6), max: numberBound(s.maximum, 1e6), noNaN: true }));
    case 'object':
      return objectGen(field.children, allOptional);
    default:
      throw new Error(`verify: no generator for ${field.pointer} of type ${JSON.stringify(s.type)}`);
  }
}

/** The fast-check arbitrary for one field's value. */
export function fieldArb(field: FieldNode, allOptional = false): fc.Arbitrary<unknown> {
  return new GenArbitrary(fieldGen(field, allOptional));
}

const numberBound = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);

/** An optional field is present 5 times in 6 (fast-check's `fc.option` default frequency). */
function objectGen(fields: readonly FieldNode[], allOptional: boolean): Gen<Record<string, unknown>> {
  const parts = fields.map((f) => ({ name: f.name, always: allOptional || f.required, gen: fieldGen(f, allOptional) }));
  return (mrng) => {
    const out: Record<string, unknown> = {};
    for (const p of parts) {
      if (!p.always && mrng.nextInt(0, 5) === 0) continue;
      // A plain assignment to `__proto__` would set the prototype instead of adding the property.
      if (p.name === '__proto__') Object.defineProperty(out, p.name, { value: p.gen(mrng), enumerable: true, writable: true, configurable: true });
      else out[p.name] = p.gen(mrng);
    }
    return out;
  };
}

const isValid = (body: unknown): boolean => validateUpsertRequest(body).ok;

const randomBodyGen = objectGen(requestFields, false);
/** Bodies with random optional fields: the random pass. */
export const randomBodyArb: fc.Arbitrary<Record<string, unknown>> = new GenArbitrary(randomBodyGen);
/** Bodies with every optional field (at every depth) present. */
export const fullBodyArb: fc.Arbitrary<Record<string, unknown>> = new GenArbitrary(objectGen(requestFields, true));

/** Keeps only the required fields of a body (recursively for required objects). */
export function requiredOnly(body: Record<string, unknown>, fields: readonly FieldNode[] = requestFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (!f.required || !(f.name in body)) continue;
    const v = body[f.name];
    out[f.name] = f.children.length > 0 && v && typeof v === 'object' ? requiredOnly(v as Record<string, unknown>, f.children) : v;
  }
  return out;
}

/** Fields the spec leaves free (plain strings), at every depth. */
const freeStringFields = allFields.filter((f) => isFreeString(f.schema));
const enumFields = allFields.filter((f) => Array.isArray(f.schema.enum));
const dateFields = allFields.filter((f) => f.schema.format === 'date');

/** Characters for the non-ASCII boundary: Chinese, Tamil, Malay diacritics, an emoji, RTL text. */
const NON_ASCII = ['陈大文', 'முத்து குமார்', 'Zoë Ñúñez-Ávila', 'Siti Nurhaliza binti Tarudin 👩‍⚕️', 'محمد'];

/** Cases the longest enum needs (one per value), hence bodies with every field in the coverage pass. */
const longestEnum = Math.max(1, ...enumFields.map((f) => (f.schema.enum as unknown[]).length));
/** How many cases {@link coverageSlices} yields (known before the first is generated, for progress totals). */
export const COVERAGE_CASES = longestEnum + 3 + freeStringFields.length + DATE_BOUNDS.length;

/** 10,000 characters of mixed-script text (two-byte, as real clinical notes often are). */
const LONG_TEXT = 'Lorem ipsum dolor sit amet, 患者 '.repeat(400).slice(0, 10_000);

/** Bodies per slice of a pass: a slice is made, serialised and sent while the next is made. */
const COVERAGE_SLICE = 32;
const RANDOM_SLICE = 100;
const COVERAGE_STREAM = 0xc0ee;
const RANDOM_STREAM = 0x5eed;

/**
 * The seed of slice `index` of a pass (`stream` tells the passes apart; the coverage pass's base
 * body is its slice -1). Each slice of the random pass is drawn on its own, from a seed of its own
 * mixed from the run's seed, so that the first slice costs its own bodies only and can be on the
 * wire while the rest is generated. Still fixed by `seed`.
 */
function sliceSeed(seed: number, stream: number, index: number): number {
  let h = Math.imul((seed ^ stream) >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b);
  h ^= h >>> 16;
  return Math.imul(h, 0xc2b2ae35) >>> 0;
}

/**
 * The deterministic first pass, in slices: every enum value of every enum field at least once (case
 * i takes value i of each enum), every optional field and nested object present, a required-only
 * body, and the boundaries the spec allows (empty strings, 10,000-character text in each free field,
 * non-ASCII text, the earliest and latest dates). Every case is one base body drawn from `seed` with
 * only what the case covers changed (as Schemathesis's coverage phase varies one thing at a time):
 * a rejection points at what the case covers, and random values are the random pass's job.
 */
export function* coverageSlices(seed: number): Generator<ValidCase[]> {
  const [base] = fc.sample(fullBodyArb, { seed: sliceSeed(seed, COVERAGE_STREAM, -1), numRuns: 1 }) as [Record<string, unknown>];
  for (let from = 0; from < longestEnum; from += COVERAGE_SLICE) {
    const slice: ValidCase[] = [];
    for (let i = from; i < Math.min(longestEnum, from + COVERAGE_SLICE); i++) {
      const body = cloneJson(base);
      for (const f of enumFields) {
        const values = f.schema.enum as unknown[];
        assignAt(body, f.pointer, values[i % values.length]);
      }
      slice.push({ label: `coverage #${i + 1}: all fields, enum values #${i + 1}`, group: 'coverage', body });
    }
    yield slice;
  }
  const cases: ValidCase[] = [{ label: 'coverage: required fields only', group: 'coverage', body: requiredOnly(base) }];
  const boundary = (label: string, edit: (f: FieldNode) => unknown, fields: readonly FieldNode[]): void => {
    const body = cloneJson(base);
    for (const f of fields) assignAt(body, f.pointer, edit(f));
    cases.push({ label: `boundary: ${label}`, group: 'boundary', body });
  };
  boundary('empty strings in every free field', () => '', freeStringFields);
  boundary('non-ASCII text in every free field', (f) => NON_ASCII[freeStringFields.indexOf(f) % NON_ASCII.length], freeStringFields);
  for (const f of freeStringFields) boundary(`10,000-character ${f.pointer}`, () => LONG_TEXT, [f]);
  for (const date of DATE_BOUNDS) boundary(`date ${date}`, () => date, dateFields);
  yield cases;
}

/** The whole deterministic first pass (see {@link coverageSlices}). */
export function coverageCases(seed: number): ValidCase[] {
  return [...coverageSlices(seed)].flat();
}

/**
 * The random pass in slices of {@link RANDOM_SLICE}: `runs` bodies with random optional fields,
 * reproducible from `seed`. Each slice is drawn when it is asked for, all its bodies from one
 * seeded random source (one `fc.sample` of the slice, not one per body).
 */
export function* randomSlices(seed: number, runs: number): Generator<ValidCase[]> {
  for (let from = 0, index = 0; from < runs; from += RANDOM_SLICE, index++) {
    const count = Math.min(RANDOM_SLICE, runs - from);
    const sliceArb = new GenArbitrary((mrng) => Array.from({ length: count }, () => randomBodyGen(mrng)));
    const [bodies] = fc.sample(sliceArb, { seed: sliceSeed(seed, RANDOM_STREAM, index), numRuns: 1 }) as [Record<string, unknown>[]];
    yield bodies.map((body, k) => ({ label: `random #${from + k + 1}`, group: 'random', body }));
  }
}

/** The whole random pass (see {@link randomSlices}). */
export function randomCases(seed: number, runs: number): ValidCase[] {
  return [...randomSlices(seed, runs)].flat();
}

/** A valid body with every optional field, fixed by `seed` (the base for negative cases). */
export function baseBody(seed: number): Record<string, unknown> {
  const [body] = fc.sample(fullBodyArb, { seed: (seed + 7919) >>> 0, numRuns: 1 });
  return body as Record<string, unknown>;
}

/** Whether a value is valid per the one validator (re-exported for the shrinker). */
export { isValid };
/** Schema of a field by pointer, for the negative-case generator. */
export function fieldSchema(pointer: string): JsonSchema | undefined {
  return allFields.find((f) => f.pointer === pointer)?.schema;
}
