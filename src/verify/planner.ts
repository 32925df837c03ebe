/**
 * Where a run's plan is built. Case generation (~1,300 bodies generated and serialised, the
 * largest verifier-only cost of a run) used to run on the thread that sends the requests and judges
 * the answers, before the first request. Here a process's runs share one planning thread (a worker
 * that never keeps the process alive when idle): once it is ready, it builds each plan batch by
 * batch while the first batches are already being sent.
 *
 * The thread is started when a run ends ({@link startPlanner}): a process that has verified once
 * (a test suite, a watch loop, the CLI's second target, the bench) is likely to again, and by then
 * the target no longer competes with the thread's start (~0.7–0.9 s of CPU: the TypeScript loader,
 * the spec, the generators). A one-shot run pays nothing for it: a run that finds no thread, or one
 * still starting, plans on its own thread, as before, and never waits. The plan is the same wherever
 * it is built (plan.ts, same request, same seed). A worker that fails falls back to this thread
 * from where the run is, and the plan's `origin` says so.
 */
import { Worker } from 'node:worker_threads';
import { planBatches, planCases, type PlanBatch, type PlannedCase, type PlanRequest, type PlanTotals } from './plan.ts';
import { fromWire, type WireBatch } from './plan-wire.ts';

/** The cases of a run as they become available. */
export interface PlanSource {
  /** Cases per phase, for the phases whose first batch has arrived (always before their first case). */
  readonly totals: Readonly<Partial<PlanTotals>>;
  /** `worker`, `thread`, `thread (planning thread not started)`, `… starting)` or `thread (worker failed: …)`. */
  readonly origin: string;
  /** The first case (the reachability probe). */
  first(): PlannedCase | undefined | Promise<PlannedCase | undefined>;
  /**
   * The next case in plan order (phase after phase): the case, `undefined` when the plan has no more
   * cases, or a promise of either while the next batch is still being generated.
   */
  next(): PlannedCase | undefined | Promise<PlannedCase | undefined>;
  /** Every case received so far, in plan order. */
  readonly cases: readonly PlannedCase[];
  /** Resolves once every case has arrived. */
  complete(): Promise<void>;
  /** Ignores whatever is still to come (the run ended). */
  close(): void;
}

/** Options of {@link openPlan}. */
export interface OpenPlanOptions {
  /** Build the plan on the shared planning thread once it is ready. @default true */
  worker?: boolean;
  /** The worker's entry (tests point it elsewhere to see the fallback). @default ./plan-worker.mjs */
  workerUrl?: URL;
}

/** What the worker is sent: a plan to build, and how many of its first batches not to post (made on the run's thread). */
export type PlanMessage = PlanRequest & { id: number; skip?: number };

/** What the worker posts: `ready` once loaded, then per plan its batches and `done` (or `error`). */
type WorkerMessage = { ready: true } | { id: number; batch: WireBatch } | { id: number; done: true } | { id: number; error: string };

/** A plan whose batches arrive over time. */
class StreamedPlan implements PlanSource {
  readonly cases: PlannedCase[] = [];
  readonly totals: Partial<PlanTotals> = {};
  origin = 'worker';
  #pos = 0;
  #done = false;
  #closed = false;
  #waiters: (() => void)[] = [];

  constructor(private readonly request: PlanRequest) {}

  /** Adds a batch (its totals come before its cases are taken). */
  push(batch: PlanBatch): void {
    if (this.#closed) return;
    Object.assign(this.totals, batch.totals);
    for (const c of batch.cases) this.cases.push(c);
    this.#wake();
  }

  finish(): void {
    this.#done = true;
    this.#wake();
  }

  /** The worker failed: build the plan here and go on from where the run is (same plan, same order). */
  fallBack(reason: string): void {
    if (this.#done || this.#closed) return;
    const { totals, cases } = planCases(this.request);
    Object.assign(this.totals, totals);
    for (let i = this.cases.length; i < cases.length; i++) this.cases.push(cases[i]!);
    this.origin = `thread (worker failed: ${reason})`;
    this.finish();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #more(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  first(): PlannedCase | undefined | Promise<PlannedCase | undefined> {
    if (this.cases.length > 0 || this.#done || this.#closed) return this.cases[0];
    return this.#more().then(() => this.first());
  }

  next(): PlannedCase | undefined | Promise<PlannedCase | undefined> {
    const c = this.cases[this.#pos];
    if (c !== undefined) {
      this.#pos += 1;
      return c;
    }
    if (this.#done || this.#closed) return undefined;
    return this.#more().then(() => this.next());
  }

  async complete(): Promise<void> {
    while (!this.#done && !this.#closed) await this.#more();
  }

  close(): void {
    this.#closed = true;
    this.#wake();
  }
}

/** A planning thread and the plans it is building. */
interface Shared {
  worker: Worker;
  ready: boolean;
  pending: Map<number, StreamedPlan>;
}
const shared = new Map<string, Shared>();
let nextId = 1;

function workerFor(url: URL): Shared {
  const key = url.href;
  const existing = shared.get(key);
  if (existing) return existing;
  const worker = new Worker(url);
  worker.unref();
  const entry: Shared = { worker, ready: false, pending: new Map() };
  const fail = (reason: string): void => {
    if (shared.get(key) === entry) shared.delete(key);
    for (const plan of entry.pending.values()) plan.fallBack(reason);
    entry.pending.clear();
  };
  worker.on('message', (msg: WorkerMessage) => {
    if ('ready' in msg) {
      entry.ready = true;
      return;
    }
    const plan = entry.pending.get(msg.id);
    if (!plan) return;
    if ('batch' in msg) return plan.push(fromWire(msg.batch));
    entry.pending.delete(msg.id);
    if (entry.pending.size === 0) worker.unref();
    if ('done' in msg) plan.finish();
    else plan.fallBack(msg.error);
  });
  worker.on('error', (err: Error) => fail(err.message.split('\n')[0] ?? 'error'));
  worker.on('exit', (code) => fail(`exited with code ${code}`));
  shared.set(key, entry);
  return entry;
}

const WORKER_URL = new URL('./plan-worker.mjs', import.meta.url);

/** The plan built on this thread, whole. */
function inThread(request: PlanRequest, origin: string): PlanSource {
  const plan = new StreamedPlan(request);
  const { totals, cases } = planCases(request);
  plan.push({ totals, cases });
  plan.origin = origin;
  plan.finish();
  return plan;
}

/** Starts the shared planning thread if it is not running (the engine calls this as a run ends). */
export function startPlanner(workerUrl: URL = WORKER_URL): void {
  try {
    workerFor(workerUrl);
  } catch {
    // No worker here (e.g. a runtime without worker threads): runs keep planning on their own thread.
  }
}

/**
 * Opens the plan of a run. On the planning thread when it is ready (the first batch made here,
 * the rest arriving from there); otherwise here, whole.
 */
export async function openPlan(request: PlanRequest, options: OpenPlanOptions = {}): Promise<PlanSource> {
  if (options.worker === false) return inThread(request, 'thread');
  const entry = shared.get((options.workerUrl ?? WORKER_URL).href);
  if (!entry) return inThread(request, 'thread (planning thread not started)');
  if (!entry.ready) return inThread(request, 'thread (planning thread starting)');
  const plan = new StreamedPlan(request);
  const id = nextId++;
  entry.pending.set(id, plan);
  // Kept alive while a plan is on its way (the run may be waiting for nothing else).
  entry.worker.ref();
  // The first batch (the spec's examples, nothing to generate) is made here, so the probe goes out
  // at once instead of after a round trip to the planning thread; the thread posts the rest.
  entry.worker.postMessage({ id, ...request, skip: 1 } satisfies PlanMessage);
  const first = planBatches(request).next();
  if (!first.done) plan.push(first.value);
  return plan;
}

/** Starts the shared planning thread if needed and resolves once it is ready (false if it failed): for callers that want the next runs planned there. */
export async function plannerReady(workerUrl: URL = WORKER_URL): Promise<boolean> {
  const entry = workerFor(workerUrl);
  if (entry.ready) return true;
  entry.worker.ref();
  try {
    return await new Promise<boolean>((resolve) => {
      const onMessage = (msg: WorkerMessage): void => {
        if ('ready' in msg) done(true);
      };
      const onEnd = (): void => done(false);
      const done = (ok: boolean): void => {
        entry.worker.off('message', onMessage).off('error', onEnd).off('exit', onEnd);
        resolve(ok);
      };
      entry.worker.on('message', onMessage).on('error', onEnd).on('exit', onEnd);
    });
  } finally {
    if (entry.pending.size === 0) entry.worker.unref();
  }
}
