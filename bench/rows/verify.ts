/**
 * Row "verify: checked requests per second against the sandbox": `runVerification` (the engine
 * behind `npm run verify`) against a sandbox child, timed whole (case generation, requests, checks),
 * against a raw replay of exactly the requests it sent, through the same transport (`createTarget`)
 * with the same concurrency, and no checks. The requests are captured once, untimed, by a recording
 * proxy in front of the sandbox; rounds then pair verify and raw in ABBA order (verify, raw, raw,
 * verify, …) and the ratio is the median of the per-pair ratios.
 * Both sides are timed warm (after untimed runs), as the other rows are.
 * Dredd (a separate tool in its own process) and the stateful checks (which follow links past the
 * proxy) are off in this row. Warm includes the planning thread that a process's runs share
 * (src/verify/planner.ts): the first run starts it, and the timed runs begin once it is ready.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTarget, plannerReady, runVerification, type HttpRequest } from '../../src/verify/index.ts';
import { ChildStartError, startServerChild, type ServerChild } from '../lib/child.ts';
import { childEnv, type BenchConfig } from '../lib/config.ts';
import { fixed, int, median, notMeasured, type Row } from '../lib/report.ts';

const WHAT = 'verify: checked requests per second against the sandbox (warm; Dredd and stateful checks off)';
const AGAINST = 'raw requests per second of the same requests without checks (same transport and concurrency)';
const TARGET = '≥ 2,000 checks/s and ≤ 1.3× the raw time';

/** Random valid bodies per verification run (on top of the coverage and negative cases). */
const RUNS = 1_000;
/** The engine's default, used for the raw replay too. */
const CONCURRENCY = 12;
/**
 * Short rounds (~0.5 s a pair) on a shared machine: many of them, paired, in ABBA order. Per-pair
 * ratios on this 2-core VM spread 0.89-2.01 within one run (raw runs alone took 0.16-0.30 s), so
 * the median needs many pairs to be stable: 15 moved it by ±0.07 from run to run, 25 by ±0.05.
 * An odd count, so the median is one pair's ratio.
 */
const ROUNDS = 31;
/**
 * Untimed pairs first (besides the recording run). With 2 (and with 8), both sides were still
 * getting faster over the first 8 timed rounds, verify more (by 20-50 ms a run, raw by 7-30 ms, in
 * all six runs looked at), so the early pairs' ratios ran high; with 16 they no longer do.
 */
const WARM_UP_RUNS = 16;

/** Headers the transport sets itself. */
const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

function plainHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_HEADERS.has(name)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** A proxy on 127.0.0.1 that forwards to `upstream` and keeps every request it forwarded. */
async function startRecorder(upstream: string): Promise<{ url: string; requests: HttpRequest[]; close(): Promise<void> }> {
  const requests: HttpRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length > 0 ? Buffer.concat(chunks).toString('utf8') : undefined;
      const recorded: HttpRequest = {
        method: req.method ?? 'GET',
        url: `${upstream}${req.url ?? '/'}`,
        headers: plainHeaders(req.headers),
        ...(body !== undefined ? { body } : {}),
      };
      requests.push(recorded);
      const forward = httpRequest(recorded.url, { method: recorded.method, headers: req.headers }, (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      });
      forward.on('error', () => res.writeHead(502).end());
      forward.end(body);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Sends `requests` with `concurrency` in flight, no checks; resolves to the seconds it took. */
async function replay(requests: readonly HttpRequest[], concurrency: number): Promise<number> {
  const target = createTarget();
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const req = requests[next++]!;
      const res = await target.sendRequest(req);
      if (res.status >= 500) throw new Error(`raw replay got ${res.status}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    return (performance.now() - started) / 1000;
  } finally {
    target.close();
  }
}

/** Runs the verify row. */
export async function verifyRows(config: BenchConfig, progress: (line: string) => void): Promise<Row[]> {
  let child: ServerChild;
  try {
    child = await startServerChild('sandbox', { env: childEnv(config), nodeFlags: config.nodeFlags });
  } catch (err) {
    const why = err instanceof ChildStartError && err.missing ? `${err.missing} missing` : (err as Error).message;
    return [notMeasured(WHAT, AGAINST, TARGET, why)];
  }
  try {
    const verify = async (baseUrl: string): Promise<{ seconds: number; requests: number; ok: boolean }> => {
      const started = performance.now();
      const report = await runVerification({
        baseUrl,
        authorization: async () => `ApiKey ${config.apiKey}`,
        credentialForRepro: config.apiKey,
        runs: RUNS,
        concurrency: CONCURRENCY,
        dredd: false,
        stateful: false,
      });
      return { seconds: (performance.now() - started) / 1000, requests: report.requests, ok: report.ok };
    };

    // Untimed: capture what one run sends (the seed fixes it, so every run sends the same).
    const recorder = await startRecorder(child.url);
    let recorded: HttpRequest[];
    try {
      const first = await verify(recorder.url);
      if (!first.ok) throw new Error('verification of the sandbox failed: the figures would not be of a passing run');
      recorded = recorder.requests;
    } finally {
      await recorder.close();
    }

    // Warm includes the process's planning thread (started by the first run): wait until it is ready.
    if (!(await plannerReady())) throw new Error('the planning thread failed to start');
    for (let i = 0; i < WARM_UP_RUNS; i++) {
      await verify(child.url);
      await replay(recorded, CONCURRENCY);
    }
    const verifyRuns: { seconds: number; requests: number }[] = [];
    const rawSeconds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // ABBA: verify first in even rounds, raw first in odd ones, so drift within a pair cancels out.
      let v: { seconds: number; requests: number };
      if (round % 2 === 0) {
        v = await verify(child.url);
        rawSeconds.push(await replay(recorded, CONCURRENCY));
      } else {
        rawSeconds.push(await replay(recorded, CONCURRENCY));
        v = await verify(child.url);
      }
      verifyRuns.push(v);
      progress(
        `  round ${round + 1}: verify ${int(v.requests)} requests in ${fixed(v.seconds)} s, raw ${int(recorded.length)} in ${fixed(rawSeconds.at(-1)!)} s`,
      );
    }
    const checksPerSecond = median(verifyRuns.map((v) => v.requests / v.seconds));
    const rawPerSecond = median(rawSeconds.map((s) => recorded.length / s));
    const ratio = median(verifyRuns.map((v, i) => v.seconds / rawSeconds[i]!));
    return [
      {
        what: WHAT,
        against: AGAINST,
        target: TARGET,
        result: `**${int(checksPerSecond)} checks/s, ${fixed(ratio)}× the raw time** (raw ${int(rawPerSecond)} req/s; ${int(recorded.length)} requests per run)`,
        status: checksPerSecond >= 2_000 && ratio <= 1.3 ? 'pass' : 'fail',
        raw: { checksPerSecond, rawPerSecond, ratio, verifyRuns, rawSeconds, requestsPerRun: recorded.length, runs: RUNS, concurrency: CONCURRENCY },
      },
    ];
  } finally {
    await child.close();
  }
}
