/**
 * This project's rule layer on top of openapi-diff. The library (via json-schema-diff) compares
 * request and response bodies as sets of values, but ignores `enum`, `pattern`, `format` and `const`
 * (json-schema-diff's KEYWORDS.md), counts a removed request property as harmless (the set of valid
 * bodies grows), and reports one coarse "scope" change per body. These rules walk both bundles'
 * request and response schemas side by side and name each change, field by field.
 *
 * Rules (each classified with {@link narrowing}/{@link widening} for its side unless noted):
 * property removed / added (required or optional), optional ↔ required, `requestBody.required`,
 * enum/const values removed / added, pattern and format added / removed / changed, type changed,
 * length/range/size bounds tightened / loosened, oneOf/anyOf branches changed. Paths, methods and
 * statuses are left to openapi-diff, which handles them well.
 */
import { BOTH_BREAKING, NONE_BREAKING, narrowing, widening, type Side, type SpecChange } from './model.ts';

/** A bundled OpenAPI document, loosely typed: only what the rules read. */
export type OpenApiDoc = Record<string, unknown>;
type Schema = Record<string, unknown>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Lower bounds: a larger value is stricter. Upper bounds: a smaller value is stricter. */
const LOWER_BOUNDS = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'] as const;
const UPPER_BOUNDS = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Follows local `#/...` references inside `doc` (the bundles only hold local ones). */
function deref(doc: OpenApiDoc, value: unknown, seen = new Set<string>()): Schema | undefined {
  if (!isObject(value)) return undefined;
  const ref = value.$ref;
  if (typeof ref !== 'string') return value;
  if (seen.has(ref) || !ref.startsWith('#/')) return undefined;
  seen.add(ref);
  const target = ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), doc);
  return deref(doc, target, seen);
}

const typeSet = (schema: Schema): Set<string> | undefined => {
  const t = schema.type;
  if (typeof t === 'string') return new Set([t]);
  if (Array.isArray(t)) return new Set(t.map(String));
  return undefined;
};
const subset = (a: Set<string>, b: Set<string>): boolean => [...a].every((x) => b.has(x));
const allowedValues = (schema: Schema): unknown[] | undefined =>
  Array.isArray(schema.enum) ? schema.enum : 'const' in schema ? [schema.const] : undefined;
const show = (v: unknown): string => JSON.stringify(v);
const field = (pointer: string): string => `\`${pointer.replace(/^\//, '') || '(body)'}\``;

interface WalkContext {
  side: Side;
  where: string;
  base: OpenApiDoc;
  head: OpenApiDoc;
  out: SpecChange[];
  /** Pairs of schema objects already compared (cycles and shared components). */
  visited: Set<string>;
}

function emit(ctx: WalkContext, pointer: string, rule: string, message: string, impacts: Pick<SpecChange, 'clients' | 'servers'>): void {
  ctx.out.push({ rule: `${ctx.side}.${rule}`, where: ctx.where, pointer, message: `${ctx.side} ${message}`, ...impacts, source: 'refx-rules', counted: true });
}

function compareSchemas(ctx: WalkContext, pointer: string, baseRaw: unknown, headRaw: unknown): void {
  const base = deref(ctx.base, baseRaw);
  const head = deref(ctx.head, headRaw);
  if (!base || !head) return;
  const key = `${pointer}|${JSON.stringify(baseRaw)}|${JSON.stringify(headRaw)}`;
  if (ctx.visited.has(key)) return;
  ctx.visited.add(key);
  const { side } = ctx;
  const name = field(pointer);

  // type
  const bt = typeSet(base);
  const ht = typeSet(head);
  if (bt && ht && !(subset(bt, ht) && subset(ht, bt))) {
    const impacts = subset(ht, bt) ? narrowing(side) : subset(bt, ht) ? widening(side) : BOTH_BREAKING;
    emit(ctx, pointer, 'type.changed', `${name} type changed from ${[...bt].join('|')} to ${[...ht].join('|')}`, impacts);
  } else if (!bt && ht) {
    emit(ctx, pointer, 'type.added', `${name} now restricted to type ${[...ht].join('|')}`, narrowing(side));
  } else if (bt && !ht) {
    emit(ctx, pointer, 'type.removed', `${name} no longer restricted to type ${[...bt].join('|')}`, widening(side));
  }

  // enum / const
  const be = allowedValues(base);
  const he = allowedValues(head);
  if (be && he) {
    const removed = be.filter((v) => !he.some((w) => show(w) === show(v)));
    const added = he.filter((v) => !be.some((w) => show(w) === show(v)));
    if (removed.length > 0) {
      emit(ctx, pointer, 'enum.value-removed', `${name} enum value${removed.length > 1 ? 's' : ''} removed: ${removed.map(show).join(', ')}`, narrowing(side));
    }
    if (added.length > 0) {
      emit(ctx, pointer, 'enum.value-added', `${name} enum value${added.length > 1 ? 's' : ''} added: ${added.map(show).join(', ')}`, widening(side));
    }
  } else if (!be && he) {
    emit(ctx, pointer, 'enum.added', `${name} now restricted to ${he.length} enum value(s)`, narrowing(side));
  } else if (be && !he) {
    emit(ctx, pointer, 'enum.removed', `${name} no longer restricted to an enum`, widening(side));
  }

  // pattern and format: adding one narrows, removing one widens; a changed regex or format cannot
  // be proven only looser or only tighter, so it breaks both audiences.
  for (const keyword of ['pattern', 'format'] as const) {
    const b = base[keyword];
    const h = head[keyword];
    if (b === h) continue;
    if (b === undefined) emit(ctx, pointer, `${keyword}.added`, `${name} ${keyword} added: ${show(h)}`, narrowing(side));
    else if (h === undefined) emit(ctx, pointer, `${keyword}.removed`, `${name} ${keyword} removed (was ${show(b)})`, widening(side));
    else emit(ctx, pointer, `${keyword}.changed`, `${name} ${keyword} changed from ${show(b)} to ${show(h)}`, BOTH_BREAKING);
  }

  // numeric, length and size bounds
  for (const [keywords, stricter] of [
    [LOWER_BOUNDS, (b: number, h: number) => h > b],
    [UPPER_BOUNDS, (b: number, h: number) => h < b],
  ] as const) {
    for (const keyword of keywords) {
      const b = base[keyword];
      const h = head[keyword];
      if (b === h) continue;
      if (typeof b !== 'number') emit(ctx, pointer, `${keyword}.added`, `${name} ${keyword} added: ${show(h)}`, narrowing(side));
      else if (typeof h !== 'number') emit(ctx, pointer, `${keyword}.removed`, `${name} ${keyword} removed (was ${b})`, widening(side));
      else emit(ctx, pointer, `${keyword}.${stricter(b, h) ? 'tightened' : 'loosened'}`, `${name} ${keyword} changed from ${b} to ${h}`, stricter(b, h) ? narrowing(side) : widening(side));
    }
  }

  compareObjects(ctx, pointer, base, head);

  // array items
  if (base.items !== undefined && head.items !== undefined) compareSchemas(ctx, `${pointer}/*`, base.items, head.items);

  // oneOf / anyOf: branches are compared by position; a different count is reported as a change.
  for (const keyword of ['oneOf', 'anyOf'] as const) {
    const b = base[keyword];
    const h = head[keyword];
    if (!Array.isArray(b) && !Array.isArray(h)) continue;
    if (Array.isArray(b) && Array.isArray(h) && b.length === h.length) {
      b.forEach((branch, i) => compareSchemas(ctx, pointer, branch, h[i]));
    } else {
      const nb = Array.isArray(b) ? b.length : 0;
      const nh = Array.isArray(h) ? h.length : 0;
      emit(ctx, pointer, `${keyword}.changed`, `${name} ${keyword} now has ${nh} alternative(s) (was ${nb})`, nh > nb ? widening(side) : nh < nb ? narrowing(side) : BOTH_BREAKING);
    }
  }
}

function compareObjects(ctx: WalkContext, pointer: string, base: Schema, head: Schema): void {
  const { side } = ctx;
  const bp = isObject(base.properties) ? base.properties : {};
  const hp = isObject(head.properties) ? head.properties : {};
  const br = new Set(Array.isArray(base.required) ? base.required.map(String) : []);
  const hr = new Set(Array.isArray(head.required) ? head.required.map(String) : []);

  for (const prop of Object.keys(bp)) {
    const p = `${pointer}/${prop}`;
    if (!(prop in hp)) {
      // A removed request field breaks callers even though the set of valid bodies grows: their
      // generated types lose it, and the server ignores (or rejects) what they still send.
      // A removed response field breaks callers that read it.
      emit(ctx, p, 'property.removed', `field ${field(p)} removed`, { clients: 'breaking', servers: 'non-breaking' });
      continue;
    }
    if (!br.has(prop) && hr.has(prop)) {
      emit(ctx, p, 'property.made-required', `field ${field(p)} made required (was optional)`, narrowing(side));
    } else if (br.has(prop) && !hr.has(prop)) {
      emit(ctx, p, 'property.made-optional', `field ${field(p)} made optional (was required)`, widening(side));
    }
    compareSchemas(ctx, p, bp[prop], hp[prop]);
  }
  for (const prop of Object.keys(hp)) {
    if (prop in bp) continue;
    const p = `${pointer}/${prop}`;
    if (hr.has(prop)) {
      emit(ctx, p, 'property.added-required', `required field ${field(p)} added`, narrowing(side));
    } else {
      // An old server ignores an unknown optional property unless it forbade extra properties.
      const impacts = side === 'request' && base.additionalProperties === false ? widening(side) : NONE_BREAKING;
      emit(ctx, p, 'property.added-optional', `optional field ${field(p)} added`, impacts);
    }
  }
  // A name required without a matching property (legal JSON Schema) still changes the contract.
  for (const prop of hr) if (!(prop in hp) && !br.has(prop)) emit(ctx, `${pointer}/${prop}`, 'property.made-required', `field ${field(`${pointer}/${prop}`)} made required`, narrowing(side));

  const ba = base.additionalProperties;
  const ha = head.additionalProperties;
  if (ba !== false && ha === false) emit(ctx, pointer, 'additional-properties.forbidden', `${field(pointer)} no longer allows unknown properties`, narrowing(side));
  if (ba === false && ha !== false && ha !== undefined) emit(ctx, pointer, 'additional-properties.allowed', `${field(pointer)} now allows unknown properties`, widening(side));
  if (ba === false && ha === undefined) emit(ctx, pointer, 'additional-properties.allowed', `${field(pointer)} now allows unknown properties`, widening(side));
}

const jsonSchemaOf = (doc: OpenApiDoc, holder: unknown): unknown => {
  const resolved = deref(doc, holder);
  const content = resolved && isObject(resolved.content) ? resolved.content : undefined;
  const media = content && isObject(content['application/json']) ? content['application/json'] : undefined;
  return media?.schema;
};

/**
 * Compares the JSON request and response bodies of every operation present in both documents.
 * Operations, paths and statuses that exist on one side only are openapi-diff's job.
 */
export function compareBodies(base: OpenApiDoc, head: OpenApiDoc): SpecChange[] {
  const out: SpecChange[] = [];
  const basePaths = isObject(base.paths) ? base.paths : {};
  const headPaths = isObject(head.paths) ? head.paths : {};
  for (const [path, baseItemRaw] of Object.entries(basePaths)) {
    const baseItem = deref(base, baseItemRaw);
    const headItem = deref(head, headPaths[path]);
    if (!baseItem || !headItem) continue;
    for (const method of HTTP_METHODS) {
      const bop = deref(base, baseItem[method]);
      const hop = deref(head, headItem[method]);
      if (!bop || !hop) continue;
      const op = `${method.toUpperCase()} ${path}`;

      const request: WalkContext = { side: 'request', where: `${op} request`, base, head, out, visited: new Set() };
      const bBody = deref(base, bop.requestBody);
      const hBody = deref(head, hop.requestBody);
      if (bBody?.required !== true && hBody?.required === true) {
        emit(request, '', 'body.made-required', 'body made required', narrowing('request'));
      } else if (bBody?.required === true && hBody && hBody.required !== true) {
        emit(request, '', 'body.made-optional', 'body made optional', widening('request'));
      }
      const bReq = jsonSchemaOf(base, bop.requestBody);
      const hReq = jsonSchemaOf(head, hop.requestBody);
      if (bReq !== undefined && hReq !== undefined) compareSchemas(request, '', bReq, hReq);

      const bResponses = isObject(bop.responses) ? bop.responses : {};
      const hResponses = isObject(hop.responses) ? hop.responses : {};
      for (const status of Object.keys(bResponses)) {
        if (!(status in hResponses)) continue;
        const bRes = jsonSchemaOf(base, bResponses[status]);
        const hRes = jsonSchemaOf(head, hResponses[status]);
        if (bRes === undefined || hRes === undefined) continue;
        compareSchemas({ side: 'response', where: `${op} response ${status}`, base, head, out, visited: new Set() }, '', bRes, hRes);
      }
    }
  }
  return out;
}
