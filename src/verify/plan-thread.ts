/**
 * The planner's worker thread: builds each requested plan (plan.ts) and posts it back batch by
 * batch. A batch travels as text: bodies stay here (the cases carry their JSON text and coverage
 * slots), and the slots' buffer is transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { planBatches, type PlanBatch, type PlannedCase, type PlanRequest } from './plan.ts';

if (!parentPort) throw new Error('plan-thread.ts runs as a worker thread (see planner.ts)');
const port = parentPort;

/** A case as sent: without its body object when the text and slots stand for it. */
function wire(c: PlannedCase): PlannedCase {
  if (c.body === undefined || c.text === undefined) return c;
  // A valid body without slots is counted from the body itself: it must travel.
  if ((c.check === 'examples_accepted' || c.check === 'valid_data_accepted') && c.cov === undefined) return c;
  const { body, ...rest } = c;
  void body;
  return rest;
}

port.on('message', (request: PlanRequest & { id: number }) => {
  const { id } = request;
  try {
    for (const b of planBatches(request)) {
      const batch: PlanBatch = { ...(b.totals ? { totals: b.totals } : {}), cases: b.cases.map(wire) };
      const buffer = b.cases.find((c) => c.cov !== undefined)?.cov?.buffer;
      port.postMessage({ id, batch }, buffer instanceof ArrayBuffer ? [buffer] : []);
    }
    port.postMessage({ id, done: true });
  } catch (err) {
    // Our own errors only (a generator slip names a field, never a value).
    port.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
// Loaded (spec, validator, generators): runs may now be planned here.
port.postMessage({ ready: true });
