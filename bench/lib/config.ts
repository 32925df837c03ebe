/** What every row of one run shares: the request, the load shape and the round count. */
import { randomBytes } from 'node:crypto';
import { requestExamples, UPSERT_PATH } from '../../src/spec.ts';

/** Settings of one `npm run bench`. */
export interface BenchConfig {
  /** Rounds per comparison; each round runs every server once, in reverse order every other round. @default 12 */
  rounds: number;
  /**
   * Seconds of load per round. Many short rounds rather than a few long ones: on a shared machine a
   * burst of someone else's load lasts a second or two and should spoil one pair, not the median. @default 1
   */
  durationSeconds: number;
  /** Same for limit and subject. @default 10 */
  connections: number;
  /** @default 1 */
  pipelining: number;
  /** Extra node flags for server children (e.g. `--cpu-prof`). @default [] */
  nodeFlags: string[];
  /** The operation's path. */
  path: string;
  /** A fresh key for this run only; passed to children by environment and never printed. */
  apiKey: string;
  /** `Authorization` header for the key. */
  headers: Record<string, string>;
  /** The documentation's request example (the spec's first named example). */
  documentationRequest: Record<string, unknown>;
  /** The spec's example with every optional field, if it has one (else the documentation one). */
  fullRequest: Record<string, unknown>;
}

/** Builds the config of a run from the spec's examples. */
export function createConfig(overrides: Partial<Pick<BenchConfig, 'rounds' | 'durationSeconds' | 'connections' | 'pipelining' | 'nodeFlags'>>): BenchConfig {
  const examples = requestExamples();
  const first = examples[0]?.value as Record<string, unknown> | undefined;
  if (!first) throw new Error('the spec has no request example to benchmark with');
  // The example with the most fields makes the heaviest realistic draft.
  const full = examples
    .map((e) => e.value as Record<string, unknown>)
    .reduce((a, b) => (Object.keys(b).length > Object.keys(a).length ? b : a), first);
  const apiKey = `bench-${randomBytes(18).toString('base64url')}`;
  return {
    rounds: 12,
    durationSeconds: 1,
    connections: 10,
    pipelining: 1,
    nodeFlags: [],
    ...overrides,
    path: UPSERT_PATH,
    apiKey,
    headers: { authorization: `ApiKey ${apiKey}` },
    documentationRequest: first,
    fullRequest: full,
  };
}

/** Environment for server children: the run's key rides here, never on a command line. */
export function childEnv(config: BenchConfig): NodeJS.ProcessEnv {
  return { ...process.env, BENCH_API_KEY: config.apiKey };
}
