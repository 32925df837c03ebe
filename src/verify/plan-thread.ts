/**
 * The planning thread (see planner.ts): builds each requested plan (plan.ts) and posts it back
 * batch by batch, in the wire form of plan-wire.ts (bodies stay here; what is sent travels as text).
 */
import { parentPort } from 'node:worker_threads';
import { planBatches } from './plan.ts';
import type { PlanMessage } from './planner.ts';
import { toWire } from './plan-wire.ts';

if (!parentPort) throw new Error('plan-thread.ts runs as a worker thread (see planner.ts)');
const port = parentPort;

port.on('message', (request: PlanMessage) => {
  const { id, skip = 0 } = request;
  try {
    let n = 0;
    for (const b of planBatches(request)) {
      // The first `skip` batches were made on the run's thread (still generated here: the plan's
      // indices and random draws run on from them).
      if (n++ < skip) continue;
      const { batch, transfer } = toWire(b);
      port.postMessage({ id, batch }, transfer);
    }
    port.postMessage({ id, done: true });
  } catch (err) {
    // Our own errors only (a generator slip names a field, never a value).
    port.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
// Loaded (spec, validator, generators): runs may now be planned here.
port.postMessage({ ready: true });
