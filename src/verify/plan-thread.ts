/**
 * The planning thread (see planner.ts): builds each requested plan (plan.ts) and posts it back
 * batch by batch, in the wire form of plan-wire.ts (bodies stay here; what is sent travels as text).
 */
import { parentPort } from 'node:worker_threads';
import { planBatches, type PlanRequest } from './plan.ts';
import { toWire } from './plan-wire.ts';

if (!parentPort) throw new Error('plan-thread.ts runs as a worker thread (see planner.ts)');
const port = parentPort;

port.on('message', (request: PlanRequest & { id: number }) => {
  const { id } = request;
  try {
    for (const b of planBatches(request)) {
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
