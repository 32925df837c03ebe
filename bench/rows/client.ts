/**
 * Row "client `createUpsertLink` per call, validation on": the typed client against a raw `fetch` of
 * the same request (same body, same headers, body parsed as JSON) to the same server child, one
 * call in flight at a time, alternating batches (raw, client, raw, …); median of the per-round ratio.
 */
import { createRefxClient } from '../../src/client/index.ts';
import type { ReferralUpsertLinkRequest } from '../../generated/schema.ts';
import { ChildStartError, startServerChild, type ServerChild } from '../lib/child.ts';
import { childEnv, type BenchConfig } from '../lib/config.ts';
import { fixed, median, notMeasured, type Row } from '../lib/report.ts';

const CALLS_PER_BATCH = 100;
/** Enough for both sides to reach steady state: with 500 the first rounds were still getting faster (1,800 → 850 µs a call). */
const WARM_UP_CALLS = 2_000;
/** Many short alternating batches: the shared machine's load changes within seconds. */
const ROUNDS = 30;

const WHAT = 'client `createUpsertLink` per call (validation on)';
const TARGET = '≤ 1.15× raw fetch';

/** Mean wall and CPU (this process: the caller's side) µs per call of `call`, sequentially. */
async function perCall(call: () => Promise<void>, calls: number): Promise<{ wallUs: number; cpuUs: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await call();
  const wall = Number(process.hrtime.bigint() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { wallUs: wall / calls, cpuUs: (used.user + used.system) / calls };
}

/** Starts the sandbox, or the bare server when the sandbox is not there yet (the row says which). */
async function startTarget(config: BenchConfig): Promise<{ child: ServerChild; server: string }> {
  try {
    return { child: await startServerChild('sandbox', { env: childEnv(config), nodeFlags: config.nodeFlags }), server: 'sandbox' };
  } catch (err) {
    if (!(err instanceof ChildStartError && err.missing)) throw err;
    return { child: await startServerChild('bare', { env: childEnv(config) }), server: 'bare server (sandbox missing)' };
  }
}

/** Runs the client row. */
export async function clientRows(config: BenchConfig, progress: (line: string) => void): Promise<Row[]> {
  let target;
  try {
    target = await startTarget(config);
  } catch (err) {
    return [notMeasured(WHAT, 'raw `fetch`', TARGET, (err as Error).message)];
  }
  const { child, server } = target;
  const against = `raw \`fetch\` of the same request to the same server (${server})`;
  try {
    const body = config.documentationRequest as unknown as ReferralUpsertLinkRequest;
    const url = `${child.url}${config.path}`;
    const headers = { 'content-type': 'application/json', ...config.headers };
    const raw = async (): Promise<void> => {
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
      if (response.status !== 200) throw new Error(`raw fetch got ${response.status}`);
      await response.json();
    };
    const client = createRefxClient({ baseUrl: child.url, auth: { apiKey: config.apiKey }, validate: true });
    const typed = async (): Promise<void> => {
      const result = await client.createUpsertLink(body);
      if (!result.ok) throw new Error(`client got ${result.status}`);
    };

    await perCall(raw, WARM_UP_CALLS);
    await perCall(typed, WARM_UP_CALLS);
    const rawRuns: { wallUs: number; cpuUs: number }[] = [];
    const clientRuns: { wallUs: number; cpuUs: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // ABBA order: neither side always runs first.
      if (round % 2 === 0) {
        rawRuns.push(await perCall(raw, CALLS_PER_BATCH));
        clientRuns.push(await perCall(typed, CALLS_PER_BATCH));
      } else {
        clientRuns.push(await perCall(typed, CALLS_PER_BATCH));
        rawRuns.push(await perCall(raw, CALLS_PER_BATCH));
      }
    }
    const rawUs = rawRuns.map((r) => r.wallUs);
    const clientUs = clientRuns.map((r) => r.wallUs);
    const rawCpuUs = median(rawRuns.map((r) => r.cpuUs));
    const clientCpuUs = median(clientRuns.map((r) => r.cpuUs));
    progress(`  raw ${rawUs.map((u) => fixed(u, 0)).join(' ')} µs`);
    progress(`  client ${clientUs.map((u) => fixed(u, 0)).join(' ')} µs`);
    const ratio = median(clientUs.map((c, i) => c / rawUs[i]!));
    return [
      {
        what: WHAT,
        against,
        target: TARGET,
        result:
          `**${fixed(ratio)}×** (client ${fixed(median(clientUs), 0)} µs, raw ${fixed(median(rawUs), 0)} µs per call; ` +
          `caller CPU per call: client ${fixed(clientCpuUs, 0)} µs, raw ${fixed(rawCpuUs, 0)} µs)`,
        status: ratio <= 1.15 ? 'pass' : 'fail',
        raw: { ratio, server, clientRuns, rawRuns, clientCpuUs, rawCpuUs, callsPerBatch: CALLS_PER_BATCH },
      },
    ];
  } finally {
    await child.close();
  }
}
