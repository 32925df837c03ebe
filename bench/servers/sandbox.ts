/**
 * The sandbox under test. Flags: `--log` keeps its log lines (written to stdout, which the harness
 * drains); without it `log: false` silences them (and skips the per-request log bookkeeping). `--max-drafts N` sets the draft cap.
 * The API key comes from BENCH_API_KEY (never argv, never printed).
 */
import { parseArgs } from 'node:util';
import { serve } from './serve.ts';

const { values } = parseArgs({ options: { log: { type: 'boolean', default: false }, 'max-drafts': { type: 'string' } } });

await serve(async () => {
  const { startSandbox } = await import('../../src/sandbox/index.ts');
  const apiKey = process.env['BENCH_API_KEY'];
  if (!apiKey) throw new Error('BENCH_API_KEY not set');
  const sandbox = await startSandbox({
    port: 0,
    apiKeys: [apiKey],
    log: values.log ? (line: string) => void process.stdout.write(`${line}\n`) : false,
    ...(values['max-drafts'] ? { maxDrafts: Number(values['max-drafts']) } : {}),
  });
  return { port: sandbox.port, close: () => sandbox.close(), stats: () => sandbox.stats() };
}, 'sandbox (src/sandbox/index.ts)');
