/**
 * How a plan batch crosses from the planning thread: structured clone copies every string and
 * property of every object, and the main thread pays for rebuilding them while it is busy sending
 * and judging. So the valid cases (~80% of a plan, all alike but for group, label, text and
 * coverage slots) travel as columns: their texts as one string with end offsets, their slots as
 * one transferred buffer. Other cases travel as objects, without the body object where the text
 * stands for it. {@link fromWire} gives back exactly the cases {@link toWire} was given (bodies of
 * columnar cases excepted: `bodyOf` parses their text on the rare path that needs it).
 */
import type { PlanBatch, PlannedCase } from './plan.ts';

/** A batch as posted. */
export interface WireBatch {
  totals?: PlanBatch['totals'];
  /** Cases sent as objects. */
  cases?: PlannedCase[];
  /** Valid cases sent as columns (a batch is one or the other). */
  valid?: { from: number; groups: string[]; labels: string[]; text: string; ends: Int32Array; slots: Int32Array; slotEnds: Int32Array };
}

const VALID_AUTH: PlannedCase['auth'] = Object.freeze({ kind: 'valid' });

/** Whether a case is an ordinary valid case: nothing but group, label, text and slots to tell it from the others. */
function isColumnar(c: PlannedCase): c is PlannedCase & { text: string; cov: Int32Array } {
  return (
    c.check === 'valid_data_accepted' &&
    c.text !== undefined &&
    c.cov !== undefined &&
    c.shrinkable === true &&
    c.expect === 'success' &&
    c.contentType === 'application/json' &&
    c.auth.kind === 'valid' &&
    c.pointer === '' &&
    c.acceptedViolation === 'InvalidDataAccepted' &&
    c.constraintId === undefined &&
    c.exampleName === undefined
  );
}

/** The wire form of a batch, and the buffers to transfer with it. */
export function toWire(batch: PlanBatch): { batch: WireBatch; transfer: ArrayBuffer[] } {
  const { cases } = batch;
  const head: WireBatch = batch.totals ? { totals: batch.totals } : {};
  if (cases.length > 0 && cases.every((c, i) => isColumnar(c) && c.index === cases[0]!.index + i)) {
    const valid = cases as (PlannedCase & { text: string; cov: Int32Array })[];
    const ends = new Int32Array(valid.length);
    const slotEnds = new Int32Array(valid.length);
    let length = 0;
    let slotCount = 0;
    valid.forEach((c, i) => {
      ends[i] = length += c.text.length;
      slotEnds[i] = slotCount += c.cov.length;
    });
    const slots = new Int32Array(slotCount);
    valid.forEach((c, i) => slots.set(c.cov, slotEnds[i]! - c.cov.length));
    head.valid = {
      from: valid[0]!.index,
      groups: valid.map((c) => c.group),
      labels: valid.map((c) => c.label),
      text: valid.map((c) => c.text).join(''),
      ends,
      slots,
      slotEnds,
    };
    return { batch: head, transfer: [ends.buffer, slots.buffer, slotEnds.buffer] };
  }
  // The body object stays here when its text (and, for a valid body, its slots) stand for it.
  head.cases = cases.map((c) => {
    if (c.body === undefined || c.text === undefined) return c;
    if ((c.check === 'examples_accepted' || c.check === 'valid_data_accepted') && c.cov === undefined) return c;
    const { body, ...rest } = c;
    void body;
    return rest;
  });
  const buffers = new Set<ArrayBuffer>();
  for (const c of head.cases) if (c.cov && c.cov.buffer instanceof ArrayBuffer) buffers.add(c.cov.buffer);
  return { batch: head, transfer: [...buffers] };
}

/** The cases of a posted batch. */
export function fromWire(batch: WireBatch): PlanBatch {
  const totals = batch.totals ?? {};
  const v = batch.valid;
  if (!v) return { totals, cases: batch.cases ?? [] };
  const cases: PlannedCase[] = new Array<PlannedCase>(v.labels.length);
  let start = 0;
  let slotStart = 0;
  for (let i = 0; i < cases.length; i++) {
    const end = v.ends[i]!;
    const slotEnd = v.slotEnds[i]!;
    cases[i] = {
      index: v.from + i,
      check: 'valid_data_accepted',
      group: v.groups[i]!,
      label: v.labels[i]!,
      text: v.text.slice(start, end),
      contentType: 'application/json',
      auth: VALID_AUTH,
      expect: 'success',
      acceptedViolation: 'InvalidDataAccepted',
      pointer: '',
      shrinkable: true,
      cov: v.slots.subarray(slotStart, slotEnd),
    };
    start = end;
    slotStart = slotEnd;
  }
  return { totals, cases };
}
