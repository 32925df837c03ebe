/**
 * Rows "sandbox vs the bare server" and "sandbox vs Prism": every server runs in its own child, all
 * get the same request (the documentation's example), connections, pipelining and duration. Every
 * round runs each server once, and every other round in reverse order (bare, sandbox, Prism,
 * sandbox with logging; then sandbox with logging, Prism, sandbox, bare: ABBA), so a drift in the
 * shared machine's load hits the limit and the subject alike and neither always goes first. Ratios
 * are taken per round (subject and limit are always neighbours), then the median.
 */
import { ChildStartError, startServerChild, type ServerChild } from '../lib/child.ts';
import { childEnv, type BenchConfig } from '../lib/config.ts';
import { runLoad, type LoadResult } from '../lib/load.ts';
import { fixed, int, median, notMeasured, type Row } from '../lib/report.ts';

interface Subject {
  name: string;
  /** Seconds of untimed load before the rounds (see WARM_UP_SECONDS). */
  warmUpSeconds: number;
  /** Whether the child's CPU time is the server's (not so for Prism: the child only supervises it). */
  ownCpu: boolean;
  script: string;
  args: string[];
  child?: ServerChild;
  /** Why it could not be measured. */
  missing?: string;
  rounds: LoadResult[];
  /** Server CPU time per answered request in each round, µs (robust to other processes on the machine). */
  cpuUsPerRequest: number[];
}

const SANDBOX_VS_BARE = {
  what: 'sandbox throughput, p50/p99 latency (documentation request; logging silenced)',
  against: 'bare `node:http` server parsing and answering the same JSON (the limit)',
  target: '≥ 0.7× the bare server’s throughput',
};
const SANDBOX_VS_PRISM = {
  what: 'sandbox throughput (logging silenced)',
  against: 'Prism mock, same request (its request log off too)',
  target: '≥ 10× Prism',
};
const SANDBOX_LOGGING = {
  what: 'sandbox throughput with logging on (lines to stdout)',
  against: 'bare `node:http` server',
  target: '— (informational)',
};

/**
 * Untimed load per server before the rounds. With 1 s each, the first timed rounds were still
 * warming up: the sandbox's first round ran at ~6,300 req/s against ~9,500 later, and Prism (a
 * much larger program to compile) ran its first four 1 s rounds at 350-710 req/s against 800-1,050
 * later, which flattered the sandbox-vs-Prism ratio (per-round 11-27× early, 8-14× after).
 */
const WARM_UP_SECONDS = { node: 3, prism: 6 };

/** Measures the sandbox against the limit and the peer; returns three rows. */
export async function throughputRows(config: BenchConfig, progress: (line: string) => void): Promise<Row[]> {
  const subjects: Subject[] = [
    { name: 'bare', warmUpSeconds: WARM_UP_SECONDS.node, ownCpu: true, script: 'bare', args: [], rounds: [], cpuUsPerRequest: [] },
    { name: 'sandbox', warmUpSeconds: WARM_UP_SECONDS.node, ownCpu: true, script: 'sandbox', args: [], rounds: [], cpuUsPerRequest: [] },
    { name: 'prism', warmUpSeconds: WARM_UP_SECONDS.prism, ownCpu: false, script: 'prism', args: [], rounds: [], cpuUsPerRequest: [] },
    { name: 'sandbox+log', warmUpSeconds: WARM_UP_SECONDS.node, ownCpu: true, script: 'sandbox', args: ['--log'], rounds: [], cpuUsPerRequest: [] },
  ];
  const load = (s: Subject, durationSeconds: number): Promise<LoadResult> =>
    runLoad({
      url: s.child!.url,
      path: config.path,
      headers: config.headers,
      body: JSON.stringify(config.documentationRequest),
      connections: config.connections,
      pipelining: config.pipelining,
      durationSeconds,
    });
  try {
    for (const s of subjects) {
      try {
        s.child = await startServerChild(s.script, { args: s.args, env: childEnv(config), nodeFlags: config.nodeFlags });
        // Warm-up: JIT and connection set-up stay out of the measured rounds.
        await load(s, s.warmUpSeconds);
      } catch (err) {
        s.missing = err instanceof ChildStartError && err.missing ? `${err.missing} missing` : (err as Error).message;
        await s.child?.close();
        s.child = undefined;
        progress(`  ${s.name}: not measured (${s.missing})`);
      }
    }
    for (let round = 0; round < config.rounds; round++) {
      for (const s of round % 2 === 0 ? subjects : [...subjects].reverse()) {
        if (!s.child || s.missing) continue;
        try {
          const before = await s.child.memory();
          const result = await load(s, config.durationSeconds);
          const after = await s.child.memory();
          const cpuUs = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
          s.rounds.push(result);
          if (s.ownCpu) s.cpuUsPerRequest.push(cpuUs / result.requests);
          progress(
            `  round ${round + 1} ${s.name}: ${int(result.rps)} req/s, p99 ${fixed(result.p99Ms)} ms, ` +
              `server CPU ${s.ownCpu ? `${fixed(cpuUs / result.requests, 0)} µs/request` : 'n/a'}, ` +
              `autocannon CPU ${fixed(result.loadGeneratorCpuPct, 0)}%`,
          );
        } catch (err) {
          s.missing = `failed: ${(err as Error).message}`;
          progress(`  ${s.name}: ${s.missing}`);
        }
      }
    }
  } finally {
    await Promise.all(subjects.map((s) => s.child?.close()));
  }

  const [bare, sandbox, prism, logged] = subjects as [Subject, Subject, Subject, Subject];
  const rows: Row[] = [];
  const summary = (s: Subject): Record<string, unknown> => ({
    rounds: s.rounds,
    medianRps: median(s.rounds.map((r) => r.rps)),
    medianP50Ms: median(s.rounds.map((r) => r.p50Ms)),
    medianP99Ms: median(s.rounds.map((r) => r.p99Ms)),
    medianLoadGeneratorCpuPct: median(s.rounds.map((r) => r.loadGeneratorCpuPct)),
    cpuUsPerRequest: s.cpuUsPerRequest,
    medianCpuUsPerRequest: median(s.cpuUsPerRequest),
  });
  const latency = (s: Subject): string =>
    `${int(median(s.rounds.map((r) => r.rps)))} req/s, p50 ${fixed(median(s.rounds.map((r) => r.p50Ms)))} ms, p99 ${fixed(median(s.rounds.map((r) => r.p99Ms)))} ms`;
  /** Median of the per-round ratios subject/limit (rounds are paired by index). */
  const ratio = (subject: Subject, limit: Subject): number =>
    median(subject.rounds.slice(0, limit.rounds.length).map((r, i) => r.rps / limit.rounds[i]!.rps));
  const unmeasured = (s: Subject): string | undefined =>
    s.missing ?? (s.rounds.length < config.rounds ? 'incomplete rounds' : undefined);

  const why = unmeasured(sandbox) ?? unmeasured(bare);
  if (why) rows.push(notMeasured(SANDBOX_VS_BARE.what, SANDBOX_VS_BARE.against, SANDBOX_VS_BARE.target, why));
  else {
    const r = ratio(sandbox, bare);
    rows.push({
      ...SANDBOX_VS_BARE,
      result:
        `**${fixed(r)}×** (sandbox ${latency(sandbox)}; bare ${latency(bare)}; ` +
        `server CPU per request: sandbox ${fixed(median(sandbox.cpuUsPerRequest), 0)} µs, bare ${fixed(median(bare.cpuUsPerRequest), 0)} µs)`,
      status: r >= 0.7 ? 'pass' : 'fail',
      raw: { ratio: r, sandbox: summary(sandbox), bare: summary(bare) },
    });
  }

  const whyPrism = unmeasured(sandbox) ?? unmeasured(prism);
  if (whyPrism) rows.push(notMeasured(SANDBOX_VS_PRISM.what, SANDBOX_VS_PRISM.against, SANDBOX_VS_PRISM.target, whyPrism));
  else {
    const r = ratio(sandbox, prism);
    // The limit against the same Prism rounds: no server of this endpoint on this Node does better.
    const limit = unmeasured(bare) ? undefined : ratio(bare, prism);
    rows.push({
      ...SANDBOX_VS_PRISM,
      result: `**${fixed(r, 1)}×** (Prism ${latency(prism)}${limit === undefined ? '' : `; the bare limit is ${fixed(limit, 1)}× Prism`})`,
      status: r >= 10 ? 'pass' : 'fail',
      raw: { ratio: r, bareVsPrism: limit, prism: summary(prism) },
    });
  }

  const whyLog = unmeasured(logged) ?? unmeasured(bare);
  if (whyLog) rows.push(notMeasured(SANDBOX_LOGGING.what, SANDBOX_LOGGING.against, SANDBOX_LOGGING.target, whyLog));
  else {
    const r = ratio(logged, bare);
    rows.push({
      ...SANDBOX_LOGGING,
      result: `${fixed(r)}× (${latency(logged)})`,
      status: 'info',
      raw: { ratio: r, sandboxWithLogging: summary(logged) },
    });
  }
  return rows;
}
