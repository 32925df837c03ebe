/**
 * One bounded load run with autocannon (programmatic), reduced to the figures the table needs.
 * A run with any non-2xx answer or socket error is refused: a server answering 401 quickly is not
 * fast, it is broken, and its figure must not reach the table.
 */
import autocannon, { type AutocannonRequest } from 'autocannon';

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Base URL of the server, `http://127.0.0.1:<port>`. */
  url: string;
  path: string;
  headers: Record<string, string>;
  /** The JSON body, sent as is (unless `setupRequest` replaces it). */
  body: string;
  /** @default 10 */
  connections?: number;
  /** @default 1 */
  pipelining?: number;
  /** Seconds; ignored when `amount` is set. @default 3 */
  durationSeconds?: number;
  /** Stop after this many requests instead of after a duration. */
  amount?: number;
  /** Changes each request before it is sent (e.g. a distinct patient per request). */
  setupRequest?: AutocannonRequest['setupRequest'];
  /** Hard stop for an `amount` run, in seconds. @default 120 */
  maxSeconds?: number;
}

/** The figures of one run. */
export interface LoadResult {
  /** Completed 2xx requests per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  seconds: number;
  /** CPU the load generator itself used, in % of one core (near 100 means it was the bottleneck). */
  loadGeneratorCpuPct: number;
}

/** The `q` quantile (nearest rank) of the values. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** Runs one load and returns its figures; throws when any answer was not 2xx. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const instance = autocannon({
    url: options.url,
    connections: options.connections ?? 10,
    pipelining: options.pipelining ?? 1,
    timeout: 10,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationSeconds ?? 3 }),
    requests: [
      {
        method: 'POST',
        path: options.path,
        headers: { 'content-type': 'application/json', ...options.headers },
        body: options.body,
        ...(options.setupRequest ? { setupRequest: options.setupRequest } : {}),
      },
    ],
  });
  // Exact latencies (autocannon's own histogram has 1 ms resolution, too coarse on loopback).
  const latencies: number[] = [];
  instance.on('response', (_client, status, _bytes, responseTime) => {
    if ((status as number) < 300) latencies.push(responseTime as number);
  });
  const guard = setTimeout(() => instance.stop(), (options.maxSeconds ?? 120) * 1000);
  const result = await instance;
  clearTimeout(guard);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);

  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) {
    const statuses = Object.entries(result.statusCodeStats)
      .map(([status, { count }]) => `${status}×${count}`)
      .join(', ');
    throw new Error(
      `${bad} failed requests (statuses ${statuses || 'none'}, errors ${result.errors}, timeouts ${result.timeouts})`,
    );
  }
  const seconds = result.duration;
  return {
    rps: result['2xx'] / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    requests: result['2xx'],
    seconds,
    loadGeneratorCpuPct: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
  };
}
