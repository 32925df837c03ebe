/**
 * Rows "`npm run generate`" and "`npm run check:generated`": wall time of the real npm commands,
 * median of a few runs. generate writes into a temporary folder (`-- --out`): same work, and the
 * benchmark never rewrites generated/ under the feet of people editing spec/.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, median, type Row } from '../lib/report.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNS = 3;

interface Timed {
  seconds: number;
  code: number | null;
}

function timeCommand(args: string[]): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('npm', args, { cwd: ROOT, stdio: 'ignore' });
    // Bounded: a hung generator must not hang the benchmark.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ seconds: (performance.now() - start) / 1000, code });
    });
  });
}

async function timeScript(what: string, args: string[], progress: (line: string) => void): Promise<Row> {
  const runs: Timed[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await timeCommand(args));
  const seconds = median(runs.map((r) => r.seconds));
  const failed = runs.filter((r) => r.code !== 0).length;
  progress(`  ${what}: ${runs.map((r) => fixed(r.seconds)).join(' s, ')} s`);
  return {
    what,
    against: '—',
    result: `**${fixed(seconds)} s**${failed ? ` (exited non-zero in ${failed}/${RUNS} runs)` : ''}`,
    target: '≤ 3 s',
    status: seconds <= 3 && failed === 0 ? 'pass' : 'fail',
    raw: { runs },
  };
}

/** Times `npm run generate` and `npm run check:generated`. */
export async function generateRows(progress: (line: string) => void): Promise<Row[]> {
  const out = await mkdtemp(join(tmpdir(), 'refx-bench-generated-'));
  try {
    return [
      await timeScript('`npm run generate` (into a temp folder)', ['run', '--silent', 'generate', '--', '--out', out], progress),
      await timeScript('`npm run check:generated`', ['run', '--silent', 'check:generated'], progress),
    ];
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
