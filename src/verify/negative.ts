/**
 * Negative cases derived from the spec's constraints (src/verify/schema.ts): for each `required`
 * entry the field removed, for each `type` every other JSON type, for each `enum` near misses
 * (case changes, padding, empty), for each `pattern` generic near misses of a valid value (a digit
 * dropped or added, the first character changed, a space, a `+65` prefix), for each `format`
 * malformed values; plus a body that is not an object, malformed JSON and a non-JSON content type.
 * Each mutation is kept only if the one validator says it is invalid, so no case can be a false
 * alarm and no constraint is written here by hand.
 */
import { validateUpsertRequest } from '../validation.ts';
import { allFields, cloneJson, getAt, requestConstraints, requestMediaTypes, setAt, type Constraint } from './schema.ts';
import { requiredOnly } from './valid.ts';

/** One request the target must reject. */
export interface NegativeCase {
  /** What was broken, without data, e.g. `pattern: +65 prefix`. */
  label: string;
  /** The constraint this case exercises (coverage). */
  constraint: Constraint;
  /** JSON body to send, unless `raw` is given. */
  body?: unknown;
  /** `JSON.stringify(body)`, serialised once here (it is the dedupe key) and sent as is by the runner. */
  json?: string;
  /** Raw body text, for malformed JSON. */
  raw?: string;
  /** Content type to send. @default 'application/json' */
  contentType?: string;
  /** `400`: the spec's documented rejection; `4xx`: any client error (media type). */
  expect: '400' | '4xx';
}

const JSON_TYPE_SAMPLES: [string, unknown][] = [
  ['string', 'x'],
  ['integer', 12345],
  ['number', 1.5],
  ['boolean', true],
  ['null', null],
  ['array', ['x']],
  ['object', { x: 'x' }],
];

function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Near misses of a valid string, generic: the validator decides which ones break the constraint. */
export function stringNearMisses(valid: string): [string, string][] {
  const out: [string, string][] = [
    ['last character dropped', valid.slice(0, -1)],
    ['one digit added', `${valid}0`],
    ['space inside', `${valid.slice(0, 4)} ${valid.slice(4)}`],
    ['+65 prefix', `+65${valid}`],
    ['leading space', ` ${valid}`],
    ['trailing newline', `${valid}\n`],
    ['empty', ''],
    ['letters', 'abcdefgh'],
    ['lower case', valid.toLowerCase()],
    ['upper case', valid.toUpperCase()],
    ['trailing space', `${valid} `],
  ];
  for (const c of '0123456789') out.push([`first character ${c}`, `${c}${valid.slice(1)}`]);
  return out;
}

const DATE_MISSES: [string, string][] = [
  ['not a date', 'not-a-date'],
  ['day 30 of February', '1980-02-30'],
  ['month 13', '1980-13-01'],
  ['day first', '31/01/1980'],
  ['date-time', '1980-01-31T00:00:00Z'],
  ['no separators', '19800131'],
  ['two-digit year', '80-01-31'],
  ['empty', ''],
];

function mutationsFor(constraint: Constraint, base: Record<string, unknown>): [string, unknown][] {
  const field = allFields.find((f) => f.pointer === constraint.pointer);
  const current = getAt(base, constraint.pointer);
  const set = (v: unknown): unknown => setAt(base, constraint.pointer, v);
  switch (constraint.kind) {
    case 'required':
      return [['missing', setAt(base, constraint.pointer, undefined, true)]];
    case 'type':
      return JSON_TYPE_SAMPLES.filter(([t]) => t !== jsonTypeOf(current)).map(([t, v]) =>
        constraint.pointer === '' ? [`body is ${t}`, v] : [`${t} instead`, set(v)],
      );
    case 'enum': {
      const values = (field?.schema.enum ?? []) as unknown[];
      // Case changes of a handful of values are enough near misses; a 255-value enum needs no 765.
      const probes = values.length <= 6 ? values : [...values.slice(0, 5), values[values.length - 1]];
      return probes.flatMap((v) =>
        typeof v === 'string'
          ? ([
              [`lower case of an allowed value`, set(v.toLowerCase())],
              [`upper case of an allowed value`, set(v.toUpperCase())],
              [`allowed value with trailing space`, set(`${v} `)],
            ] as [string, unknown][])
          : [],
      ).concat([
        ['empty string', set('')],
        ['unknown value', set('not-an-allowed-value')],
      ]);
    }
    case 'pattern':
    case 'minLength':
    case 'maxLength': {
      if (typeof current !== 'string') return [];
      const misses = stringNearMisses(current).map(([l, v]) => [l, set(v)] as [string, unknown]);
      if (constraint.kind === 'minLength') misses.push(['one character short', set(current.slice(0, Number(field?.schema.minLength) - 1))]);
      if (constraint.kind === 'maxLength') misses.push(['one character long', set(`${current}${'x'.repeat(Number(field?.schema.maxLength) + 1 - current.length)}`)]);
      return misses;
    }
    case 'format':
      return field?.schema.format === 'date' ? DATE_MISSES.map(([l, v]) => [l, set(v)]) : [['not of the format', set('%%not-valid%%')]];
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const limit = Number(field?.schema[constraint.kind]);
      return [
        ['below the limit', set(limit - 1)],
        ['above the limit', set(limit + 1)],
      ];
    }
    case 'additionalProperties': {
      const target = getAt(base, constraint.pointer);
      if (!target || typeof target !== 'object') return [];
      return [['unknown property', setAt(base, `${constraint.pointer}/x-unknown-property`, 'x')]];
    }
    default:
      // Unknown keyword: no mutation, so the coverage check reports it as unexercised.
      return [];
  }
}

/** The minimal valid body a mutation of `pointer` starts from: required fields plus that field's path. */
function minimalBase(full: Record<string, unknown>, pointer: string): Record<string, unknown> {
  const top = pointer.split('/')[1];
  const minimal = requiredOnly(full);
  if (top !== undefined && top !== '' && top in full) minimal[top] = cloneJson(full[top]);
  return minimal;
}

/**
 * Every negative case for the request, from a full valid body `full` (all optional fields present).
 * Each case starts from the minimal valid body plus the one field it breaks, so a failure needs no
 * shrinking to be minimal.
 */
export function negativeCases(full: Record<string, unknown>): NegativeCase[] {
  const cases: NegativeCase[] = [];
  const seen = new Set<string>();
  const valid = requiredOnly(full);
  for (const constraint of requestConstraints) {
    if (constraint.kind === 'required-body') {
      cases.push({ label: 'no body', constraint, raw: '', expect: '400' });
      continue;
    }
    if (constraint.kind === 'json-syntax') {
      const text = JSON.stringify(valid);
      for (const [label, raw] of [
        ['truncated JSON', text.slice(0, Math.max(1, Math.floor(text.length / 2)))],
        ['trailing comma', `${text.slice(0, -1)},}`],
        ['single quotes', text.replace(/"/g, "'")],
        ['not JSON at all', 'referral please'],
      ] as const) {
        cases.push({ label, constraint, raw, expect: '400' });
      }
      continue;
    }
    if (constraint.kind === 'media-type') {
      const text = JSON.stringify(valid);
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        if (requestMediaTypes.includes(type)) continue;
        cases.push({ label: `content type ${type}`, constraint, raw: text, contentType: type, expect: '4xx' });
      }
      continue;
    }
    const base = minimalBase(full, constraint.pointer);
    for (const [label, body] of mutationsFor(constraint, base)) {
      const json = JSON.stringify(body);
      const key = `${constraint.id}\u0000${json}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // Keep only mutations the validator rejects for this very constraint's pointer.
      const result = validateUpsertRequest(body);
      if (result.ok) continue;
      if (!result.violations.some((v) => v.pointer === constraint.pointer || constraint.pointer === '')) continue;
      cases.push({ label: `${constraint.kind}: ${label}`, constraint, body, json, expect: '400' });
    }
  }
  return cases;
}
