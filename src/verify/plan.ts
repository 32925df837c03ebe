/**
 * The plan of a verification run: every request case, in a fixed order, from the seed alone. Built
 * in batches (examples and the coverage pass first, then the random pass, the negative cases and
 * the auth cases), so a run can start sending the first batch while the rest is still being
 * generated (see planner.ts, which builds it in a worker thread).
 *
 * Each JSON body is serialised here, once, right after it is generated: the request path only sends
 * the text. What a valid body exercises is counted here too, as coverage slots, so judging an
 * answer never walks the body again.
 */
import { requestExamples } from '../spec.ts';
import { coverageSlots } from './coverage.ts';
import { negativeCases, type NegativeCase } from './negative.ts';
import { baseBody, COVERAGE_CASES, coverageSlices, randomSlices, requiredOnly, type ValidCase } from './valid.ts';

/** How a case sets the `Authorization` header. */
export type AuthMode = { kind: 'valid' } | { kind: 'none' } | { kind: 'value'; value: string };

/** The phases of a run, in plan order: each case's `check`. */
export const PHASES = ['examples_accepted', 'valid_data_accepted', 'invalid_data_rejected', 'auth_required'] as const;
/** A phase of a run. */
export type Phase = (typeof PHASES)[number];

/** One request case. */
export interface PlannedCase {
  /** Position in the plan (reports list failures in this order). */
  index: number;
  check: Phase;
  group: string;
  label: string;
  /**
   * The JSON body. Kept only where it was planned: a plan that crossed from a worker thread carries
   * the text (and `cov`) instead; {@link bodyOf} parses the text back on the rare path that needs it.
   */
  body?: unknown;
  /** The text sent: `JSON.stringify(body)` made once when the plan is built, or a raw (malformed) body. */
  text?: string;
  contentType: string;
  auth: AuthMode;
  expect: 'success' | '400' | '4xx' | '401';
  /** Violation when a rejection was expected and the target accepted. */
  acceptedViolation: string;
  pointer: string;
  constraintId?: string;
  exampleName?: string;
  shrinkable?: boolean;
  /** Coverage slots of a valid body (see `coverageSlots`); absent when its body must be counted itself. */
  cov?: Int32Array;
}

/** Cases per phase (progress totals). */
export type PlanTotals = Record<Phase, number>;

/** A batch of consecutive cases, with the totals of the phases it starts (known before their first case is sent). */
export interface PlanBatch {
  totals?: Partial<PlanTotals>;
  cases: PlannedCase[];
}

/** What a plan is made from. */
export interface PlanRequest {
  seed: number;
  /** Random valid bodies on top of the coverage pass. */
  runs: number;
  /** Scheme of the valid `Authorization` header (`ApiKey` or `Bearer`). */
  scheme: string;
  /** Its credential (the auth cases send it under the wrong scheme, bare, and altered). */
  credential: string;
}

/** The body of a case: the planned object, or its text parsed again. */
export function bodyOf(c: Pick<PlannedCase, 'body' | 'text'>): unknown {
  if (c.body !== undefined || c.text === undefined) return c.body;
  return JSON.parse(c.text) as unknown;
}

/** The plan in batches, in index order. The same request gives the same plan, wherever it runs. */
export function* planBatches({ seed, runs, scheme, credential }: PlanRequest): Generator<PlanBatch> {
  let index = 0;
  // Coverage slots of one batch go into one buffer, each case's a view of it (one object to clone or transfer).
  let slots: number[] = [];
  let counted: { c: PlannedCase; from: number; to: number }[] = [];
  const make = (c: Omit<PlannedCase, 'index' | 'contentType' | 'auth' | 'pointer' | 'acceptedViolation'> & Partial<PlannedCase>): PlannedCase => {
    const text = c.text ?? (c.body === undefined ? undefined : JSON.stringify(c.body));
    const planned: PlannedCase = { contentType: 'application/json', auth: { kind: 'valid' }, pointer: '', acceptedViolation: 'InvalidDataAccepted', ...c, text, index: index++ };
    if (c.check === 'examples_accepted' || c.check === 'valid_data_accepted') {
      const from = slots.length;
      if (coverageSlots(c.body, slots)) counted.push({ c: planned, from, to: slots.length });
    }
    return planned;
  };
  const batch = (cases: PlannedCase[], totals: Partial<PlanTotals>): PlanBatch => {
    const buffer = Int32Array.from(slots);
    for (const { c, from, to } of counted) c.cov = buffer.subarray(from, to);
    slots = [];
    counted = [];
    return { totals, cases };
  };

  // Small batches first: the run starts sending the examples while the first coverage slice is
  // generated, and each slice while the next one is.
  const examples = requestExamples().map((ex) =>
    make({ check: 'examples_accepted', group: 'examples', label: `example ${ex.name}`, body: ex.value, expect: 'success', exampleName: ex.name }),
  );
  yield batch(examples, { examples_accepted: examples.length });

  const randomCount = Math.max(0, runs);
  const valid = (v: ValidCase): PlannedCase => make({ check: 'valid_data_accepted', group: v.group, label: v.label, body: v.body, expect: 'success', shrinkable: true });
  // Both passes in slices (valid.ts), each made as it is needed: the first is on its way while
  // the rest is generated. The phase's total is known up front (it goes with the first slice).
  let validTotals: Partial<PlanTotals> | undefined = { valid_data_accepted: COVERAGE_CASES + randomCount };
  for (const slices of [coverageSlices(seed), randomSlices(seed, randomCount)]) {
    for (const slice of slices) {
      yield batch(slice.map(valid), validTotals ?? {});
      validTotals = undefined;
    }
  }

  const full = baseBody(seed);
  const negatives = negativeCases(full).map((n) => make(negativePlan(n)));
  yield batch(negatives, { invalid_data_rejected: negatives.length });

  // Auth cases send a valid body so that only the credential can be the reason to refuse it.
  const body = requiredOnly(full);
  const text = JSON.stringify(body);
  const fake = credential.split('.').length === 3 ? tamperJwt(credential) : `refx-unknown-${credential.length}-${seed}`.padEnd(Math.max(credential.length, 24), 'x');
  const otherScheme = scheme.toLowerCase() === 'bearer' ? 'ApiKey' : 'Bearer';
  const authCases: [string, AuthMode, string][] = [
    ['no Authorization header', { kind: 'none' }, 'MissingAuthAccepted'],
    ['empty Authorization header', { kind: 'value', value: '' }, 'MissingAuthAccepted'],
    [`credential under the ${otherScheme} scheme`, { kind: 'value', value: `${otherScheme} ${credential}` }, 'WrongSchemeAccepted'],
    ['bare credential without a scheme', { kind: 'value', value: credential }, 'WrongSchemeAccepted'],
    ['unknown credential', { kind: 'value', value: `${scheme || 'ApiKey'} ${fake}` }, 'UnknownCredentialAccepted'],
  ];
  const auth = authCases.map(([label, auth, violation]) => make({ check: 'auth_required', group: violation, label, body, text, auth, expect: '401', acceptedViolation: violation }));
  yield batch(auth, { auth_required: auth.length });
}

/** The whole plan at once (in this thread). */
export function planCases(request: PlanRequest): { totals: PlanTotals; cases: PlannedCase[] } {
  const totals: Partial<PlanTotals> = {};
  const cases: PlannedCase[] = [];
  for (const b of planBatches(request)) {
    Object.assign(totals, b.totals);
    for (const c of b.cases) cases.push(c);
  }
  return { totals: totals as PlanTotals, cases };
}

function negativePlan(n: NegativeCase): Omit<PlannedCase, 'index'> {
  return {
    check: 'invalid_data_rejected',
    group: n.constraint.kind,
    label: `${n.constraint.pointer || '(body)'} ${n.label}`,
    ...(n.raw !== undefined ? { text: n.raw } : { body: n.body, ...(n.json !== undefined ? { text: n.json } : {}) }),
    contentType: n.contentType ?? 'application/json',
    auth: { kind: 'valid' },
    expect: n.expect,
    acceptedViolation: 'InvalidDataAccepted',
    pointer: n.constraint.pointer,
    constraintId: n.constraint.id,
  };
}

/** A JWT whose signature no longer matches (one character of the signature changed). */
function tamperJwt(jwt: string): string {
  const [h, p, s = ''] = jwt.split('.');
  const flipped = s.length > 0 ? `${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.slice(-1)}` : 'AAAA';
  return `${h}.${p}.${flipped}`;
}
