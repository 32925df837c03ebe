/**
 * Valid request bodies, generated from the request schema with fast-check. Arbitraries come from
 * the schema (enum → its values, pattern → strings matching it, format → values of that format);
 * fields the spec leaves free get realistic Singapore data by field name (checksum-valid NRIC/FIN,
 * MCR-style IDs, emails, 6-digit postal codes, names in several scripts). Every body is confirmed
 * valid with `validateUpsertRequest`, so a generator slip can never become a false alarm.
 */
import fc from 'fast-check';
import type { JsonSchema } from '../spec.ts';
import { formatViolations, validateUpsertRequest } from '../validation.ts';
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
  const sum = [...digits].reduce((acc, d, i) => acc + Number(d) * (NRIC_WEIGHTS[i] ?? 0), rule.offset);
  return `${prefix}${digits}${rule.letters[sum % 11] ?? ''}`;
}

const digits = (n: number): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const upper = fc.constantFrom(...'ABCDEFGHJKLMNPQRSTUVWXYZ');

const nric = fc
  .tuple(fc.constantFrom('S' as const, 'T' as const, 'F' as const, 'G' as const), digits(7))
  .map(([p, d]) => nricFromDigits(p, d));
const mcr = fc.tuple(digits(5), upper).map(([d, l]) => `M${d}${l}`);
const hci = fc.tuple(upper, digits(4), upper).map(([a, d, b]) => `${a}${d}${b}`);
const givenNames = ['Jane', 'Wei Ling', 'Muthu', 'Siti', 'Ah Kow', 'Zoë', 'José', '美玲', 'முத்து', 'Nur'];
const familyNames = ['Tan', 'Lim', 'Ng', 'Doe', 'Rahman', 'Subramaniam', 'Ñúñez', '陈', 'O’Brien'];
const name = fc
  .tuple(fc.constantFrom(...givenNames), fc.constantFrom(...familyNames))
  .map(([g, f]) => `${g} ${f}`);
const email = fc
  .tuple(fc.constantFrom('jane.doe', 'ahkow.tan', 'clinic', 'dr-lim', 'wl_ng'), digits(2), fc.constantFrom('example.com', 'example.sg', 'clinic.example'))
  .map(([u, n, d]) => `${u}${n}@${d}`);
const postalCode = digits(6);
const prose = fc
  .array(fc.constantFrom('Hypertension for 5 years.', 'No known drug allergies.', 'Type 2 diabetes.', 'Given paracetamol.', '患者咳嗽三天。', 'Review in 2 weeks.'), { minLength: 1, maxLength: 4 })
  .map((s) => s.join(' '));

/** Realistic arbitraries for free-string fields, by field name (data realism, never a constraint). */
const REALISTIC: [RegExp, fc.Arbitrary<string>][] = [
  [/uin|nric|fin$/i, nric],
  [/institutionId$/i, hci],
  [/^referrerId$/i, fc.oneof(mcr, nric, email)],
  [/email|requesterIdentifier/i, email],
  [/postalCode/i, postalCode],
  [/name$/i, name],
  [/streetName/i, fc.constantFrom('College Road', 'Jalan Bukit Merah', 'Orchard Road', 'Ang Mo Kio Avenue 3')],
  [/block|floor|unit/i, fc.integer({ min: 1, max: 999 }).map(String)],
  [/licen[cs]e/i, fc.tuple(digits(1), upper, digits(5)).map(([a, b, c]) => `${a}${b}${c}`)],
  [/info|note|remark/i, prose],
];

/** Earliest and latest dates a `format: date` value may take (RFC 3339 full-date, years 0000–9999). */
export const DATE_BOUNDS = ['0000-01-01', '9999-12-31'] as const;

const dateArb = fc
  .date({ min: new Date(`${DATE_BOUNDS[0]}T00:00:00Z`), max: new Date(`${DATE_BOUNDS[1]}T00:00:00Z`), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

/** Strings of a given `format`; an unknown format fails set-up loudly instead of guessing. */
function formatArb(format: string): fc.Arbitrary<string> {
  switch (format) {
    case 'date':
      return fc.oneof(dateArb, fc.constantFrom(...DATE_BOUNDS, '2000-02-29', '1980-01-31'));
    case 'date-time':
      return dateArb.map((d) => `${d}T00:00:00Z`);
    case 'email':
      return email;
    case 'uri':
      return fc.webUrl();
    default:
      throw new Error(`verify: no generator for string format "${format}"; add one in src/verify/valid.ts`);
  }
}

function stringArb(field: Pick<FieldNode, 'name' | 'schema'>): fc.Arbitrary<string> {
  const s = field.schema;
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as string[]));
  if (typeof s.pattern === 'string') return fc.stringMatching(new RegExp(s.pattern, 'u'));
  if (typeof s.format === 'string') return formatArb(s.format);
  const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
  const maxLength = typeof s.maxLength === 'number' ? s.maxLength : undefined;
  const generic = fc.string({ unit: 'grapheme', minLength, maxLength: maxLength ?? Math.max(minLength, 40) });
  const realistic = isFreeString(s) ? REALISTIC.find(([re]) => re.test(field.name))?.[1] : undefined;
  // Mostly realistic data, with arbitrary Unicode now and then to probe the server's parsing.
  return realistic ? fc.oneof({ arbitrary: realistic, weight: 4 }, { arbitrary: generic, weight: 1 }) : generic;
}

/** The fast-check arbitrary for one field's value. */
export function fieldArb(field: FieldNode, allOptional = false): fc.Arbitrary<unknown> {
  const s = field.schema;
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  switch (s.type) {
    case 'string':
      return stringArb(field);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return fc.integer({ min: numberBound(s.minimum, -1e6), max: numberBound(s.maximum, 1e6) });
    case 'number':
      return fc.double({ min: numberBound(s.minimum, -1e6), max: numberBound(s.maximum, 1e6), noNaN: true });
    case 'object':
      return objectArb(field.children, allOptional);
    default:
      throw new Error(`verify: no generator for ${field.pointer} of type ${JSON.stringify(s.type)}`);
  }
}

const numberBound = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);

function objectArb(fields: readonly FieldNode[], allOptional: boolean): fc.Arbitrary<Record<string, unknown>> {
  const model = Object.fromEntries(fields.map((f) => [f.name, fieldArb(f, allOptional)]));
  const requiredKeys = allOptional ? fields.map((f) => f.name) : fields.filter((f) => f.required).map((f) => f.name);
  return fc.record(model, { requiredKeys }) as fc.Arbitrary<Record<string, unknown>>;
}

const isValid = (body: unknown): boolean => validateUpsertRequest(body).ok;

/** Bodies with random optional fields: the random pass. */
export const randomBodyArb: fc.Arbitrary<Record<string, unknown>> = objectArb(requestFields, false).filter(isValid);
/** Bodies with every optional field (at every depth) present. */
export const fullBodyArb: fc.Arbitrary<Record<string, unknown>> = objectArb(requestFields, true).filter(isValid);

function assertValid(body: unknown, label: string): void {
  const result = validateUpsertRequest(body);
  if (!result.ok) throw new Error(`verify: generated ${label} is invalid: ${formatViolations(result.violations)}`);
}

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

/**
 * The deterministic first pass: every enum value of every enum field at least once (case i takes
 * value i of each enum), every optional field and nested object present, a required-only body, and
 * the boundaries the spec allows (empty strings, 10,000-character text in each free field,
 * non-ASCII text, the earliest and latest dates). Other values come from `seed`.
 */
export function coverageCases(seed: number): ValidCase[] {
  const longestEnum = Math.max(1, ...enumFields.map((f) => (f.schema.enum as unknown[]).length));
  const bases = fc.sample(fullBodyArb, { seed, numRuns: longestEnum + 1 });
  const cases: ValidCase[] = [];
  // One copy per case, edited in place: the bases stay untouched (the last one is reused below).
  bases.slice(0, longestEnum).forEach((base, i) => {
    const body = cloneJson(base);
    for (const f of enumFields) {
      const values = f.schema.enum as unknown[];
      assignAt(body, f.pointer, values[i % values.length]);
    }
    cases.push({ label: `coverage #${i + 1}: all fields, enum values #${i + 1}`, group: 'coverage', body });
  });
  const base = bases[bases.length - 1] as Record<string, unknown>;
  cases.push({ label: 'coverage: required fields only', group: 'coverage', body: requiredOnly(base) });

  const boundary = (label: string, edit: (f: FieldNode) => unknown, fields: readonly FieldNode[]): void => {
    const body = cloneJson(base);
    for (const f of fields) assignAt(body, f.pointer, edit(f));
    cases.push({ label: `boundary: ${label}`, group: 'boundary', body });
  };
  boundary('empty strings in every free field', () => '', freeStringFields);
  boundary('non-ASCII text in every free field', (f) => NON_ASCII[freeStringFields.indexOf(f) % NON_ASCII.length], freeStringFields);
  for (const f of freeStringFields) {
    boundary(`10,000-character ${f.pointer}`, () => 'Lorem ipsum dolor sit amet, 患者 '.repeat(400).slice(0, 10_000), [f]);
  }
  for (const date of DATE_BOUNDS) boundary(`date ${date}`, () => date, dateFields);
  for (const c of cases) assertValid(c.body, c.label);
  return cases;
}

/** The random pass: `runs` bodies with random optional fields, reproducible from `seed`. */
export function randomCases(seed: number, runs: number): ValidCase[] {
  if (runs <= 0) return [];
  // A different stream from the coverage pass, still fixed by the seed.
  return fc.sample(randomBodyArb, { seed: (seed ^ 0x5eed) >>> 0, numRuns: runs }).map((body, i) => ({
    label: `random #${i + 1}`,
    group: 'random',
    body,
  }));
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
