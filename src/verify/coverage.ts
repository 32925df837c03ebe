/**
 * What a run exercised: each constraint of the request (by a negative case), each enum value and
 * each field (by a valid case), each documented status (seen in a response) and each request
 * example. A constraint, enum value, field or example left unexercised fails the run, so a spec
 * change the generators cannot follow is caught.
 */
import { DOCUMENTED_STATUSES } from '../validation.ts';
import { requestExamples } from '../spec.ts';
import { allFields, requestConstraints, requestFields, type FieldNode } from './schema.ts';

/** One coverage item and how many requests exercised it. */
export interface CoverageItem {
  /** Item id, e.g. `pattern /patientPhoneNumber`, `/nationality = "Singapore"`, `200`. */
  id: string;
  /** Requests that exercised it. */
  count: number;
}

/** Coverage of one run, by category. */
export interface Coverage {
  /** Request constraints, each exercised by negative cases. */
  constraints: CoverageItem[];
  /** Enum values, each sent in valid cases. */
  enumValues: CoverageItem[];
  /** Request fields (every depth), each sent in valid cases. */
  fields: CoverageItem[];
  /** Documented response statuses seen (undocumented ones seen are listed too, with `(undocumented)`). */
  statuses: CoverageItem[];
  /** Named request examples sent. */
  examples: CoverageItem[];
}

/** Categories whose unexercised items fail the run (statuses depend on the target, so they do not). */
export const REQUIRED_CATEGORIES = ['constraints', 'enumValues', 'fields', 'examples'] as const;

const enumFields = allFields.filter((f) => Array.isArray(f.schema.enum));

/** A field of the request schema with its slot in the counters, walked once per valid body. */
interface CountedField {
  name: string;
  pointer: string;
  /** Index in `allFields` (and in the field counters). */
  slot: number;
  /** For an enum field: each allowed value → its slot in the enum-value counters. */
  enumSlots?: Map<unknown, number>;
  children: CountedField[];
}

/**
 * The coverage counters, in the order of the snapshot: fields as in `allFields`, enum values field
 * by field in spec order. Counting into arrays by precomputed slot keeps the per-response cost to one
 * walk of the body (it read every pointer and built an `pointer = value` key per enum field before).
 */
const enumValueIds: string[] = [];
const enumIdSlot = new Map<string, number>();
const slotOfField = new Map(allFields.map((f, i) => [f, i]));
const enumSlotsOf = new Map(
  enumFields.map((f) => {
    const slots = new Map<unknown, number>();
    for (const v of f.schema.enum as unknown[]) {
      const id = enumKey(f.pointer, v);
      let slot = enumIdSlot.get(id);
      if (slot === undefined) {
        slot = enumValueIds.push(id) - 1;
        enumIdSlot.set(id, slot);
      }
      if (!slots.has(v)) slots.set(v, slot);
    }
    return [f, slots] as const;
  }),
);
const countedFields: CountedField[] = (function counted(nodes: readonly FieldNode[]): CountedField[] {
  return nodes.map((f) => {
    const enumSlots = enumSlotsOf.get(f);
    return { name: f.name, pointer: f.pointer, slot: slotOfField.get(f)!, ...(enumSlots ? { enumSlots } : {}), children: counted(f.children) };
  });
})(requestFields);

/**
 * What a valid body exercises, as counter slots: a field's slot `s` as `s`, an enum value's slot `e`
 * as `-(e + 1)`, appended to `out`. Computed where the case is planned (possibly a worker thread),
 * so counting an answered case is a loop over a few integers. False (and `out` as it was) when the
 * body holds a value outside an enum, which has no slot: count that body with
 * {@link CoverageTracker.validBody} instead.
 */
export function coverageSlots(body: unknown, out: number[]): boolean {
  const start = out.length;
  if (slotsOf(body, countedFields, out)) return true;
  out.length = start;
  return false;
}

/**
 * The one walk of a body's fields behind both ways of counting. A value outside an enum has no slot:
 * it goes to `other` (as its `pointer = value` key), or, without `other`, the walk stops with false.
 */
function slotsOf(node: unknown, fields: readonly CountedField[], out: number[], other?: (key: string) => void): boolean {
  if (!node || typeof node !== 'object') return true;
  for (const f of fields) {
    const v = (node as Record<string, unknown>)[f.name];
    if (v === undefined) continue;
    out.push(f.slot);
    if (f.enumSlots) {
      // Values are told apart by their JSON text.
      const slot = f.enumSlots.get(v) ?? enumIdSlot.get(enumKey(f.pointer, v));
      if (slot !== undefined) out.push(-(slot + 1));
      else if (other) other(enumKey(f.pointer, v));
      else return false;
    }
    if (f.children.length > 0 && !slotsOf(v, f.children, out, other)) return false;
  }
  return true;
}

/** Counts what each answered request exercised. */
export class CoverageTracker {
  private readonly constraints = new Map(requestConstraints.map((c) => [c.id, 0]));
  private readonly fieldCounts: number[] = allFields.map(() => 0);
  private readonly enumCounts: number[] = enumValueIds.map(() => 0);
  /** Values outside an enum (never in a valid body, but counted, not dropped, if one comes). */
  private readonly otherEnumValues = new Map<string, number>();
  private readonly statuses = new Map(DOCUMENTED_STATUSES.map((s) => [s, 0]));
  private readonly examples = new Map(requestExamples().map((e) => [e.name, 0]));

  /** A negative case for `constraintId` got a response. */
  constraint(constraintId: string): void {
    bump(this.constraints, constraintId);
  }

  /** A valid body got a response: count its fields and enum values. */
  validBody(body: unknown): void {
    const slots: number[] = [];
    slotsOf(body, countedFields, slots, (key) => bump(this.otherEnumValues, key));
    this.validSlots(slots);
  }

  /** A valid body got a response: count the slots {@link coverageSlots} gave for it. */
  validSlots(slots: ArrayLike<number>): void {
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if (s >= 0) this.fieldCounts[s]! += 1;
      else this.enumCounts[-s - 1]! += 1;
    }
  }

  /** A named example got a response. */
  example(name: string): void {
    bump(this.examples, name);
  }

  /** A response arrived with `status`. */
  status(status: number): void {
    const key = String(status);
    const count = this.statuses.get(key);
    if (count !== undefined) this.statuses.set(key, count + 1);
    else bump(this.statuses, `${key} (undocumented)`);
  }

  /** The coverage so far. */
  snapshot(): Coverage {
    const list = (m: Map<string, number>): CoverageItem[] => [...m].map(([id, count]) => ({ id, count }));
    return {
      constraints: list(this.constraints),
      enumValues: [...enumValueIds.map((id, i) => ({ id, count: this.enumCounts[i]! })), ...list(this.otherEnumValues)],
      fields: allFields.map((f, i) => ({ id: f.pointer, count: this.fieldCounts[i]! })),
      statuses: list(this.statuses),
      examples: list(this.examples),
    };
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function enumKey(pointer: string, value: unknown): string {
  return `${pointer} = ${JSON.stringify(value)}`;
}

/** Items of the required categories that no request exercised. */
export function unexercised(coverage: Coverage): { category: string; id: string }[] {
  return REQUIRED_CATEGORIES.flatMap((category) => coverage[category].filter((i) => i.count === 0).map((i) => ({ category, id: i.id })));
}
