/**
 * The part of autocannon 9's programmatic API the harness uses. autocannon ships no types and
 * @types/autocannon would be one more dependency for four functions' worth of surface.
 */
declare module 'autocannon' {
  import type { Writable } from 'node:stream';

  /** One request as autocannon sends it; `setupRequest` may replace any field. */
  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
    onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
  }

  /** Options of one run. */
  export interface AutocannonOptions extends AutocannonRequest {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    amount?: number;
    timeout?: number;
    bailout?: number;
    requests?: AutocannonRequest[];
  }

  /** Latency or volume statistics, in ms (latency) or per second (requests). */
  export interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
    totalCount?: number;
  }

  /** The aggregated result of one run. */
  export interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    mismatches: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram;
    requests: Histogram & { total: number; sent: number };
    start: Date;
    finish: Date;
  }

  /** An in-flight run: an event emitter that is also a promise of its result. */
  export interface Instance extends PromiseLike<AutocannonResult> {
    stop(): void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  function autocannon(options: AutocannonOptions): Instance;
  namespace autocannon {
    function track(instance: Instance, options?: { outputStream?: Writable }): void;
  }
  export default autocannon;
}
