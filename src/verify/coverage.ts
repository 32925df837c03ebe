/**
 * What a run exercised: each constraint of the request (by a negative case), each enum value and
 * each field (by a valid case), each documented status (seen in a response) and each request
 * example. A constraint, enum value, field or example left unexercised fails the run, so a spec
 * change the generators cannot follow is caught.
 */
import { DOCUMENTED_STATUSES } from '../validation.ts';
import { requestExamples } from '../spec.ts';
import { allFields, getAt, requestConstraints } from './schema.ts';

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

/** Counts what each answered request exercised. */
export class CoverageTracker {
  private readonly constraints = new Map(requestConstraints.map((c) => [c.id, 0]));
  private readonly enumValues = new Map(enumFields.flatMap((f) => (f.schema.enum as unknown[]).map((v) => [enumKey(f.pointer, v), 0] as const)));
  private readonly fields = new Map(allFields.map((f) => [f.pointer, 0]));
  private readonly statuses = new Map(DOCUMENTED_STATUSES.map((s) => [s, 0]));
  private readonly examples = new Map(requestExamples().map((e) => [e.name, 0]));

  /** A negative case for `constraintId` got a response. */
  constraint(constraintId: string): void {
    bump(this.constraints, constraintId);
  }

  /** A valid body got a response: count its fields and enum values. */
  validBody(body: unknown): void {
    for (const f of allFields) if (getAt(body, f.pointer) !== undefined) bump(this.fields, f.pointer);
    for (const f of enumFields) {
      const v = getAt(body, f.pointer);
      if (v !== undefined) bump(this.enumValues, enumKey(f.pointer, v));
    }
  }

  /** A named example got a response. */
  example(name: string): void {
    bump(this.examples, name);
  }

  /** A response arrived with `status`. */
  status(status: number): void {
    const key = String(status);
    if (this.statuses.has(key)) bump(this.statuses, key);
    else bump(this.statuses, `${key} (undocumented)`);
  }

  /** The coverage so far. */
  snapshot(): Coverage {
    const list = (m: Map<string, number>): CoverageItem[] => [...m].map(([id, count]) => ({ id, count }));
    return {
      constraints: list(this.constraints),
      enumValues: list(this.enumValues),
      fields: list(this.fields),
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
