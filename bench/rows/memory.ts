/**
 * Row "sandbox memory after 100,000 upserts": a sandbox child with a known draft cap gets
 * `MAX_DRAFTS` upserts of distinct patients (drafts accumulate up to the cap), then the rest of the
 * 100,000, where every tenth repeats a recent patient (same key: an update, not a new draft).
 * RSS is read from the child after a full GC at start, at the cap and at the end.
 */
import { nricFromDigits } from '../../src/verify/valid.ts';
import { ChildStartError, startServerChild, type ServerChild } from '../lib/child.ts';
import { childEnv, type BenchConfig } from '../lib/config.ts';
import { runLoad } from '../lib/load.ts';
import { fixed, int, notMeasured, type Row } from '../lib/report.ts';

const TOTAL_UPSERTS = 100_000;
/** The cap the child is started with. */
const MAX_DRAFTS = 20_000;
/** Growth from start to end that must not be exceeded. */
const MAX_GROWTH_MB = 150;
/**
 * "Flat after the cap", checked two ways: the live heap (after a full GC) at the end within this
 * fraction of the heap at the cap (a leak shows up here first), and RSS over the last
 * `TOTAL_UPSERTS - MID` upserts growing no more than `FLAT_RSS_MB` (the allocator settles in the
 * first stretch after the cap, then RSS must stop rising).
 */
const FLAT_HEAP_FRACTION = 0.1;
const FLAT_RSS_MB = 10;
/** Where the middle sample is taken. */
const MID = 60_000;

const WHAT = `sandbox memory after ${int(TOTAL_UPSERTS)} upserts (maxDrafts ${int(MAX_DRAFTS)})`;
const AGAINST = 'its memory at start (RSS after a full GC)';
const TARGET =
  `RSS growth ≤ ${MAX_GROWTH_MB} MB; flat after the cap (heap at the end within ${FLAT_HEAP_FRACTION * 100}% of the cap, ` +
  `RSS +≤ ${FLAT_RSS_MB} MB over the last ${int(TOTAL_UPSERTS - MID)} upserts)`;

const MB = 2 ** 20;
const signed = (n: number): string => `${n >= 0 ? '+' : ''}${fixed(n, 0)}`;

/** A distinct, checksum-valid synthetic NRIC for patient number `n` (the verify engine's generator). */
const testNric = (n: number): string => nricFromDigits('S', String(n % 10_000_000).padStart(7, '0'));

/** Runs the memory row. */
export async function memoryRows(config: BenchConfig, progress: (line: string) => void): Promise<Row[]> {
  let child: ServerChild;
  try {
    child = await startServerChild('sandbox', {
      args: ['--max-drafts', String(MAX_DRAFTS)],
      env: childEnv(config),
      nodeFlags: config.nodeFlags,
    });
  } catch (err) {
    const why = err instanceof ChildStartError && err.missing ? `${err.missing} missing` : (err as Error).message;
    return [notMeasured(WHAT, AGAINST, TARGET, why)];
  }
  try {
    let patient = 0;
    const upserts = (amount: number, repeatEvery: number) =>
      runLoad({
        url: child.url,
        path: config.path,
        headers: config.headers,
        body: JSON.stringify(config.fullRequest),
        connections: config.connections,
        amount,
        // Each phase is bounded; a sandbox too slow to finish shows up as fewer upserts (and a fail).
        maxSeconds: 40,
        setupRequest: (request) => {
          patient++;
          // Every `repeatEvery`-th request updates a patient sent a few requests ago.
          const n = repeatEvery > 0 && patient % repeatEvery === 0 ? patient - 5 : patient;
          return { ...request, body: JSON.stringify({ ...config.fullRequest, patientUin: testNric(n) }) };
        },
      });

    const start = await child.memory(true);
    const toCap = await upserts(MAX_DRAFTS, 0);
    const cap = await child.memory(true);
    progress(`  at the cap: ${fixed(cap.memory.rss / MB, 0)} MB RSS after ${int(toCap.requests)} upserts`);
    const toMid = await upserts(MID - MAX_DRAFTS, 10);
    const mid = await child.memory(true);
    progress(`  middle: ${fixed(mid.memory.rss / MB, 0)} MB RSS after ${int(toCap.requests + toMid.requests)} upserts`);
    const rest = await upserts(TOTAL_UPSERTS - MID, 10);
    const end = await child.memory(true);
    const total = toCap.requests + toMid.requests + rest.requests;
    progress(`  at the end: ${fixed(end.memory.rss / MB, 0)} MB RSS after ${int(total)} upserts`);

    const growthMb = (end.memory.rss - start.memory.rss) / MB;
    const afterCapMb = (end.memory.rss - cap.memory.rss) / MB;
    const lastStretchMb = (end.memory.rss - mid.memory.rss) / MB;
    const heapDrift = Math.abs(end.memory.heapUsed - cap.memory.heapUsed) / cap.memory.heapUsed;
    const pass =
      total === TOTAL_UPSERTS && growthMb <= MAX_GROWTH_MB && heapDrift <= FLAT_HEAP_FRACTION && lastStretchMb <= FLAT_RSS_MB;
    const mb = (bytes: number): string => fixed(bytes / MB, 0);
    return [
      {
        what: WHAT,
        against: AGAINST,
        target: TARGET,
        result:
          (total === TOTAL_UPSERTS ? '' : `only ${int(total)} upserts within the time bound: `) +
          `**+${fixed(growthMb, 0)} MB** (RSS ${mb(start.memory.rss)} → ${mb(cap.memory.rss)} at the cap → ` +
          `${mb(mid.memory.rss)} at ${int(MID)} → ${mb(end.memory.rss)} MB at the end, ${signed(lastStretchMb)} MB over the last stretch; ` +
          `heap ${mb(start.memory.heapUsed)} → ${mb(cap.memory.heapUsed)} → ${mb(end.memory.heapUsed)} MB, ` +
          `${fixed(heapDrift * 100, 1)}% from the cap)`,
        status: pass ? 'pass' : 'fail',
        raw: {
          totalUpserts: total,
          maxDrafts: MAX_DRAFTS,
          start,
          cap,
          mid,
          end,
          growthMb,
          afterCapMb,
          lastStretchMb,
          heapDrift,
          upsertsPerSecond: { toCap: toCap.rps, toMid: toMid.rps, rest: rest.rps },
        },
      },
    ];
  } finally {
    await child.close();
  }
}
