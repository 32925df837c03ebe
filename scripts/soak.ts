/**
 * `npm run soak`: a bounded load on the sandbox to show it stays healthy over time. The sandbox runs
 * in its own process (bench/servers/sandbox.ts, logging on, default limits); autocannon in this one.
 *
 * 1. Capacity: `--capacity-seconds` (5) of closed-loop load measures the requests per second.
 * 2. Soak: `--seconds` (60) at `--fraction` (0.5) of that rate, open-loop (autocannon `overallRate`).
 *    Every answer's latency is recorded with its time; the child's RSS and draft count are sampled
 *    every second.
 * 3. Per 10-second window: requests, errors, p50, p99, peak RSS. PASS needs all three: no error
 *    (non-2xx, socket error or timeout), every window's p99 within 2× the first window's, and RSS
 *    flat (the last window's peak within 1.25× + 16 MiB of the first's).
 *
 * Exit 0 on PASS, 1 on FAIL, 2 on bad flags or when the sandbox cannot start. The API key is random,
 * passed by environment, and never printed.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon, { type AutocannonResult } from 'autocannon';
import { startServerChild, type ServerChild } from '../bench/lib/child.ts';
import { percentile } from '../bench/lib/load.ts';
import { requestExamples, UPSERT_PATH } from '../src/spec.ts';

declare module 'autocannon' {
  interface AutocannonOptions {
    /** Requests per second across all connections (open-loop load). */
    overallRate?: number;
  }
}

const USAGE = `usage: npm run soak -- [--seconds <n>] [--capacity-seconds <n>] [--fraction <0..1>] [--connections <n>]
  --seconds           length of the soak (default 60)
  --capacity-seconds  length of the capacity measurement (default 5)
  --fraction          share of the measured capacity to soak at (default 0.5)
  --connections       concurrent connections (default 10)`;

/** Length of one reporting window. */
const WINDOW_S = 10;
/** A window's p99 may be at most this many times the first window's. */
const P99_FACTOR = 2;
/** RSS is flat when the last window's peak is within this factor (plus slack) of the first's. */
const RSS_FACTOR = 1.25;
const RSS_SLACK_MIB = 16;

function flags(): { seconds: number; capacitySeconds: number; fraction: number; connections: number } {
  const number = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}`);
    return n;
  };
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      'capacity-seconds': { type: 'string' },
      fraction: { type: 'string' },
      connections: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return {
    seconds: number('seconds', values.seconds, 60, WINDOW_S, 3_600),
    capacitySeconds: number('capacity-seconds', values['capacity-seconds'], 5, 1, 60),
    fraction: number('fraction', values.fraction, 0.5, 0.01, 1),
    connections: Math.round(number('connections', values.connections, 10, 1, 1_000)),
  };
}

interface Sample {
  /** Seconds since the soak started. */
  at: number;
  latencyMs: number;
  ok: boolean;
}

async function load(
  child: ServerChild,
  key: string,
  body: string,
  options: { seconds: number; connections: number; rate?: number },
  onSample?: (sample: Sample) => void,
): Promise<AutocannonResult> {
  const started = performance.now();
  const instance = autocannon({
    url: child.url,
    connections: options.connections,
    duration: options.seconds,
    timeout: 10,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [{ method: 'POST', path: UPSERT_PATH, headers: { authorization: `ApiKey ${key}`, 'content-type': 'application/json' }, body }],
  });
  instance.on('response', (_client, status, _bytes, responseTime) => {
    onSample?.({ at: (performance.now() - started) / 1000, latencyMs: responseTime as number, ok: (status as number) < 300 });
  });
  // A hard stop in case the server stops answering altogether.
  const guard = setTimeout(() => instance.stop(), (options.seconds + 30) * 1000);
  try {
    return await instance;
  } finally {
    clearTimeout(guard);
  }
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : '-');

async function main(): Promise<number> {
  let options;
  try {
    options = flags();
  } catch (error) {
    console.error(`soak: ${(error as Error).message.split('\n')[0]}\n${USAGE}`);
    return 2;
  }
  const key = `soak-${randomBytes(18).toString('base64url')}`;
  const example = requestExamples()[0];
  if (!example) throw new Error('the spec has no request example');
  // The documentation example has no patientUin: every request is a new draft, so the draft cap and
  // its eviction are exercised throughout.
  const body = JSON.stringify(example.value);

  let child: ServerChild;
  try {
    child = await startServerChild('sandbox', { args: ['--log'], env: { ...process.env, BENCH_API_KEY: key } });
  } catch (error) {
    console.error(`soak: the sandbox did not start: ${(error as Error).message.split('\n')[0]}`);
    return 2;
  }
  try {
    console.log(`soak: sandbox pid ${child.pid} on ${child.url}; measuring capacity for ${options.capacitySeconds} s (${options.connections} connections)`);
    const capacity = await load(child, key, body, { seconds: options.capacitySeconds, connections: options.connections });
    const capacityRps = capacity['2xx'] / capacity.duration;
    const rate = Math.max(1, Math.round(capacityRps * options.fraction));
    console.log(`soak: capacity ${capacityRps.toFixed(0)} req/s (${capacity.non2xx + capacity.errors + capacity.timeouts} errors); soaking ${options.seconds} s at ${rate} req/s (${Math.round(options.fraction * 100)}%)`);

    const windows = Math.ceil(options.seconds / WINDOW_S);
    const latencies: number[][] = Array.from({ length: windows }, () => []);
    const errors = new Array<number>(windows).fill(0);
    const rss = new Array<number>(windows).fill(0);
    const drafts = new Array<number>(windows).fill(0);
    // The machine's 1-minute load average: a p99 spike while other work competes for the cores is
    // told apart from one the sandbox causes.
    const load1 = new Array<number>(windows).fill(0);
    const soakStarted = performance.now();
    const windowOf = (at: number): number => Math.min(windows - 1, Math.floor(at / WINDOW_S));

    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const at = (performance.now() - soakStarted) / 1000;
        const probe = await child.memory().catch(() => undefined);
        if (probe) {
          const w = windowOf(at);
          rss[w] = Math.max(rss[w]!, probe.memory.rss);
          drafts[w] = (probe.stats as { drafts?: number } | undefined)?.drafts ?? drafts[w]!;
          load1[w] = Math.max(load1[w]!, loadavg()[0] ?? 0);
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
    const result = await load(child, key, body, { seconds: options.seconds, connections: options.connections, rate }, (s) => {
      const w = windowOf(s.at);
      if (s.ok) latencies[w]!.push(s.latencyMs);
      else errors[w]! += 1;
    });
    sampling = false;
    await sampler;

    // Socket errors and timeouts have no response event: they count in the totals.
    const totalErrors = result.non2xx + result.errors + result.timeouts;
    const rows = latencies.map((values, w) => ({
      window: `${w * WINDOW_S}-${Math.min(options.seconds, (w + 1) * WINDOW_S)} s`,
      requests: values.length + errors[w]!,
      errors: errors[w]!,
      p50: percentile(values, 0.5),
      p99: percentile(values, 0.99),
      rss: rss[w]!,
      drafts: drafts[w]!,
      load: load1[w]!,
    }));
    const header = ['window', 'requests', 'errors', 'p50 ms', 'p99 ms', 'peak RSS MiB', 'drafts', `load (${availableParallelism()} cores)`];
    const cells = rows.map((r) => [r.window, String(r.requests), String(r.errors), ms(r.p50), ms(r.p99), mib(r.rss), String(r.drafts), r.load.toFixed(2)]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const line = (c: string[]): string => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
    console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.map(line).join('\n')}\n`);

    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    const p99Bound = first.p99 * P99_FACTOR;
    const worst = rows.reduce((a, r) => (r.p99 > a.p99 ? r : a), first);
    const rssBound = first.rss * RSS_FACTOR + RSS_SLACK_MIB * 2 ** 20;
    const verdicts: [string, boolean, string][] = [
      ['errors', totalErrors === 0, `${totalErrors} (non-2xx ${result.non2xx}, socket errors ${result.errors}, timeouts ${result.timeouts}) of ${result['2xx'] + totalErrors} requests; must be 0`],
      ['p99 stable', rows.every((r) => r.p99 <= p99Bound), `worst window ${worst.window}: ${ms(worst.p99)} ms; bound ${ms(p99Bound)} ms (${P99_FACTOR}× the first 10 s)`],
      ['RSS flat', rows.every((r) => r.rss > 0) && last.rss <= rssBound, `first window ${mib(first.rss)} MiB, last ${mib(last.rss)} MiB; bound ${mib(rssBound)} MiB (${RSS_FACTOR}× + ${RSS_SLACK_MIB} MiB)`],
    ];
    for (const [name, ok, detail] of verdicts) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(10)}  ${detail}`);
    // Two processes of ours (sandbox, load generator) fill the cores; more means other work competed.
    const busy = rows.filter((r) => r.load > availableParallelism() + 0.5);
    if (busy.length > 0) console.log(`note: other work competed for the cores in ${busy.map((r) => r.window).join(', ')} (load average above ${availableParallelism()}); latency there says more about the machine than the sandbox`);
    const pass = verdicts.every(([, ok]) => ok);
    console.log(`\nsoak: ${pass ? 'PASS' : 'FAIL'} (${result['2xx']} requests in ${result.duration.toFixed(0)} s at ${rate} req/s)`);
    return pass ? 0 : 1;
  } finally {
    await child.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    process.exit(2);
  },
);
