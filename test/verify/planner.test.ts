/**
 * verify > planner: a run's plan is the same wherever it is built (the shared planning thread, this
 * thread while that one starts, or this thread after it failed), and a run gives the same report
 * either way.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPlantedServer, type PlantedServer } from '../../contract-tests/planted/server.ts';
import { runVerification, type VerificationReport } from '../../src/verify/index.ts';
import { planCases, type PlannedCase, type PlanRequest } from '../../src/verify/plan.ts';
import { openPlan, plannerReady, startPlanner } from '../../src/verify/planner.ts';

const API_KEY_PLAN: PlanRequest = { seed: 11, runs: 250, scheme: 'ApiKey', credential: 'k-planner-0123456789' };
const JWT_PLAN: PlanRequest = { seed: 12, runs: 40, scheme: 'Bearer', credential: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' };

/** A case as compared: what is sent and judged (the body object stays where it was planned; its text travels). */
function comparable(c: PlannedCase): unknown {
  const { body, cov, ...rest } = c;
  return { ...rest, text: rest.text ?? JSON.stringify(body), cov: cov ? [...cov] : undefined };
}

/** A worker that loads, says it is ready, then fails on its first plan. */
const FAILING_WORKER = new URL(
  `data:text/javascript,${encodeURIComponent("import { parentPort } from 'node:worker_threads'; parentPort.postMessage({ ready: true }); parentPort.on('message', () => { throw new Error('planner broke'); });")}`,
);

describe('verify > planner', () => {
  test.each([
    ['an API key', API_KEY_PLAN],
    ['a JWT', JWT_PLAN],
  ])('the planning thread builds the same plan as this thread (%s)', async (_name, request) => {
    expect(await plannerReady()).toBe(true);
    const plan = await openPlan(request);
    await plan.complete();
    expect(plan.origin).toBe('worker');
    const here = planCases(request);
    expect(plan.cases.length).toBe(here.cases.length);
    expect(plan.totals).toEqual(here.totals);
    expect(plan.cases.map(comparable)).toEqual(here.cases.map(comparable));
    plan.close();
  });

  test('cases are taken in plan order, phase after phase, the total of each phase known before its first case', async () => {
    expect(await plannerReady()).toBe(true);
    const plan = await openPlan(API_KEY_PLAN);
    const taken: PlannedCase[] = [];
    for (let c = await plan.next(); c !== undefined; c = await plan.next()) {
      expect(plan.totals[c.check]).toBeGreaterThan(0);
      taken.push(c);
    }
    expect(taken.map((c) => c.index)).toEqual(taken.map((_, i) => i));
    const phases = ['examples_accepted', 'valid_data_accepted', 'invalid_data_rejected', 'auth_required'] as const;
    expect([...new Set(taken.map((c) => c.check))]).toEqual(phases);
    for (const phase of phases) expect(taken.filter((c) => c.check === phase)).toHaveLength(plan.totals[phase]!);
    plan.close();
  });

  test('a run plans on its own thread until the planning thread is started and ready', async () => {
    // A worker URL of its own: a planning thread nobody has started.
    const fresh = new URL(`../../src/verify/plan-worker.mjs?fresh=${Date.now()}`, import.meta.url);
    const here = planCases(API_KEY_PLAN).cases.map(comparable);
    const before = await openPlan(API_KEY_PLAN, { workerUrl: fresh });
    expect(before.origin).toBe('thread (planning thread not started)');
    expect(before.cases.map(comparable)).toEqual(here);
    startPlanner(fresh);
    const starting = await openPlan(API_KEY_PLAN, { workerUrl: fresh });
    expect(starting.origin).toBe('thread (planning thread starting)');
    expect(starting.cases.map(comparable)).toEqual(here);
    expect(await plannerReady(fresh)).toBe(true);
    const ready = await openPlan(API_KEY_PLAN, { workerUrl: fresh });
    await ready.complete();
    expect(ready.origin).toBe('worker');
    expect(ready.cases.map(comparable)).toEqual(here);
  });

  test('a planning thread that fails mid-plan hands over to this thread: same plan, origin says why', async () => {
    expect(await plannerReady(FAILING_WORKER)).toBe(true);
    const plan = await openPlan(API_KEY_PLAN, { workerUrl: FAILING_WORKER });
    await plan.complete();
    expect(plan.origin).toMatch(/^thread \(worker failed: .*planner broke/);
    expect(plan.cases.map(comparable)).toEqual(planCases(API_KEY_PLAN).cases.map(comparable));
  });
});

describe('verify > planner > runs', () => {
  let server: PlantedServer;
  beforeAll(async () => {
    server = await startPlantedServer('accepts-bad-phone');
  });
  afterAll(async () => {
    await server.close();
  });

  const run = (planInWorker: boolean): Promise<VerificationReport> =>
    runVerification({ baseUrl: server.url, authorization: async () => `ApiKey ${server.apiKey}`, credentialForRepro: server.apiKey, seed: 5, runs: 30, dredd: false, planInWorker });

  test('a run planned on the planning thread reports what a run planned here does', async () => {
    expect(await plannerReady()).toBe(true);
    const [here, there] = [await run(false), await run(true)];
    expect(here.ok).toBe(false);
    expect(there.requests).toBe(here.requests);
    const failures = (r: VerificationReport): unknown => r.failures.map((f) => ({ check: f.check, violation: f.violation, pointer: f.pointer, case: f.case, curl: f.curl }));
    expect(failures(there)).toEqual(failures(here));
    expect(there.coverage).toEqual(here.coverage);
  });
});
