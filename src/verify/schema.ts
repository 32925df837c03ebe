/**
 * Walks the request schema of the bundled spec into a flat list of fields and constraints. Every
 * generator (valid data, negative cases) and the coverage report start here, so a constraint added
 * to spec/ is picked up without new code, and one this module cannot exercise is reported as
 * unexercised (the run then fails) instead of being silently ignored.
 */
import { resolveRef, upsertOperation, type JsonSchema } from '../spec.ts';

/** One property of the request body (possibly nested, e.g. `/address/postalCode`). */
export interface FieldNode {
  /** JSON pointer of the property in the request body. */
  pointer: string;
  /** Property name. */
  name: string;
  /** The property's schema with `$ref`s resolved. */
  schema: JsonSchema;
  /** Whether the parent object lists it in `required`. */
  required: boolean;
  /** Child properties, for an object. */
  children: FieldNode[];
}

/** Constraint kinds this kit derives negative cases for; any other keyword is still listed. */
export type ConstraintKind = string;

/** One constraint of the spec that the run must exercise with at least one negative case. */
export interface Constraint {
  /** Stable id, e.g. `pattern /patientPhoneNumber`, `required /address/postalCode`. */
  id: string;
  /** JSON Schema keyword (`required`, `type`, `enum`, `pattern`, `format`, …) or `body` / `media-type`. */
  kind: ConstraintKind;
  /** JSON pointer of the constrained value. */
  pointer: string;
}

// Keywords that annotate but constrain nothing: no negative case is owed for them.
const ANNOTATIONS = new Set([
  'title',
  'description',
  'examples',
  'example',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$comment',
  'properties',
  '$ref',
  'externalDocs',
]);

/** The request body schema of the upsert operation, `$ref` resolved. */
export const requestSchema: JsonSchema = resolveRef(
  (upsertOperation.requestBody.content['application/json']?.schema ?? {}) as JsonSchema,
);

/** Media types the spec lists for the request body, e.g. `['application/json']`. */
export const requestMediaTypes: readonly string[] = Object.keys(upsertOperation.requestBody.content);

function walk(schema: JsonSchema, pointer: string): FieldNode[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, raw]) => {
    const resolved = resolveRef(raw);
    const childPointer = `${pointer}/${escapePointer(name)}`;
    return {
      pointer: childPointer,
      name,
      schema: resolved,
      required: required.has(name),
      children: resolved.type === 'object' ? walk(resolved, childPointer) : [],
    };
  });
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Top-level fields of the request body, each with its nested children. */
export const requestFields: readonly FieldNode[] = walk(requestSchema, '');

/** Every field at every depth, parents before children. */
export const allFields: readonly FieldNode[] = (function flatten(nodes: readonly FieldNode[]): FieldNode[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
})(requestFields);

function constraintsOf(schema: JsonSchema, pointer: string): Constraint[] {
  const out: Constraint[] = [];
  for (const keyword of Object.keys(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    if (keyword === 'required') {
      for (const name of (schema.required as string[] | undefined) ?? []) {
        const p = `${pointer}/${escapePointer(name)}`;
        out.push({ id: `required ${p}`, kind: 'required', pointer: p });
      }
      continue;
    }
    out.push({ id: `${keyword} ${pointer || '/'}`, kind: keyword, pointer });
  }
  return out;
}

/**
 * Every constraint of the request the run owes a negative case: the body's own (`type` object,
 * `required` body), each `required` entry and each keyword on each field, plus the media type.
 */
export const requestConstraints: readonly Constraint[] = [
  ...(upsertOperation.requestBody.required
    ? [{ id: 'required-body /', kind: 'required-body', pointer: '' }]
    : []),
  { id: 'json-syntax /', kind: 'json-syntax', pointer: '' },
  { id: 'media-type /', kind: 'media-type', pointer: '' },
  ...constraintsOf(requestSchema, ''),
  ...allFields.flatMap((f) => constraintsOf(f.schema, f.pointer)),
];

/** Fields whose schema is a string the spec leaves free (no enum, pattern, format or length). */
export function isFreeString(schema: JsonSchema): boolean {
  if (schema.type !== 'string') return false;
  return Object.keys(schema).every((k) => k === 'type' || ANNOTATIONS.has(k));
}

/** Reads the value at a JSON pointer. */
export function getAt(value: unknown, pointer: string): unknown {
  if (pointer === '') return value;
  let node = value;
  for (const key of pointerKeys(pointer)) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/**
 * Parsed pointers. Every pointer passed here comes from the spec (a few dozen), and coverage reads
 * each one per body: re-parsing them was ~15% of a warm verification run (`npm run bench`, verify row).
 */
const parsedPointers = new Map<string, readonly string[]>();
function pointerKeys(pointer: string): readonly string[] {
  let keys = parsedPointers.get(pointer);
  if (!keys) {
    keys = pointer
      .slice(1)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    parsedPointers.set(pointer, keys);
  }
  return keys;
}

/**
 * A deep copy of a JSON value (plain objects, arrays, primitives), as plain objects. Bodies are
 * JSON data, and this is several times cheaper than `structuredClone` (which serialises and
 * deserialises); the coverage pass copies a few hundred full bodies per run.
 */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = cloneJson((value as Record<string, unknown>)[key]);
    // A plain assignment to `__proto__` would set the prototype instead of copying the property.
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out as T;
}

/** Returns a deep copy of `body` with the value at `pointer` replaced (or removed when `remove`). */
export function setAt(body: unknown, pointer: string, value: unknown, remove = false): unknown {
  const copy = cloneJson(body);
  assignAt(copy, pointer, value, remove);
  return copy;
}

/**
 * Replaces (or removes, when `remove`) the value at `pointer` in `body` itself. For callers that
 * edit several fields of one copy: cloning once per body instead of once per field (as
 * {@link setAt} does) was most of the coverage pass's cost.
 */
export function assignAt(body: unknown, pointer: string, value: unknown, remove = false): void {
  const keys = pointerKeys(pointer);
  let node = body as Record<string, unknown>;
  for (let i = 0; i < keys.length - 1; i++) node = node[keys[i]!] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (remove) delete node[last];
  else node[last] = value;
}
